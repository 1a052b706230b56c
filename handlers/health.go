package handlers

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
)

// livez reports that the process is up.
func (s *Server) livez(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// readyz reports whether this instance should receive traffic: it has a
// catalog and its store answers. A store outage makes the instance
// unready for operators' eyes, but platform calls keep being answered
// from the catalog (fail open).
func (s *Server) readyz(c *fiber.Ctx) error {
	if s.Draining != nil && s.Draining() {
		return errorf(fiber.StatusServiceUnavailable, "shutting_down", "the service is shutting down")
	}
	if s.Catalog.Load() == nil {
		return errorf(fiber.StatusServiceUnavailable, "not_ready", "the catalog is not loaded yet")
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), time.Second)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		return errorf(fiber.StatusServiceUnavailable, "store_unavailable", "the store does not answer")
	}
	return c.JSON(fiber.Map{"status": "ok"})
}
