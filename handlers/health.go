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
// catalog and is not shutting down. A store outage does not make it
// unready: platform calls keep being answered from the catalog (fail
// open), and taking every instance out of the load balancer because
// Redis is away would turn a degraded service into none. The body says
// whether the store answers, for operators and tests.
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
		return c.JSON(fiber.Map{"status": "degraded", "store": "unavailable"})
	}
	return c.JSON(fiber.Map{"status": "ok", "store": "ok"})
}
