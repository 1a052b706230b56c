package handlers

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"signpost/auth"
)

type tokenRequest struct {
	Name     string `json:"name"`
	Role     string `json:"role"`
	Platform string `json:"platform"`
}

type tokenResponse struct {
	ID       string `json:"id"`
	Secret   string `json:"secret"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	Platform string `json:"platform,omitempty"`
}

// postToken creates an API token and shows its secret once.
func (s *Server) postToken(c *fiber.Ctx) error {
	var req tokenRequest
	if err := decodeStrictJSON(c, &req); err != nil {
		return err
	}
	t, secret, err := auth.NewToken(req.Name, req.Role, req.Platform, time.Now())
	if err != nil {
		return errorf(fiber.StatusBadRequest, "invalid_token_request", err.Error())
	}
	if err := s.Tokens.Create(c.UserContext(), t); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(tokenResponse{ID: t.ID, Secret: secret, Name: t.Name, Role: t.Role, Platform: t.Platform})
}
