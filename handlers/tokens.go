package handlers

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"signpost/auth"
	"signpost/store"
)

type tokenRequest struct {
	Name     string `json:"name"`
	Role     string `json:"role"`
	Platform string `json:"platform"`
	// ExpiresInDays is the token's lifetime (default 365, at most 3650).
	ExpiresInDays int `json:"expires_in_days"`
}

type tokenResponse struct {
	ID        string    `json:"id"`
	Secret    string    `json:"secret,omitempty"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Platform  string    `json:"platform,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

func newTokenResponse(t store.Token, secret string) tokenResponse {
	return tokenResponse{ID: t.ID, Secret: secret, Name: t.Name, Role: t.Role, Platform: t.Platform,
		CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, RevokedAt: t.RevokedAt}
}

// postToken creates an API token and shows its secret once.
func (s *Server) postToken(c *fiber.Ctx) error {
	var req tokenRequest
	if err := decodeStrictJSON(c, &req); err != nil {
		return err
	}
	t, secret, err := auth.NewToken(req.Name, req.Role, req.Platform, time.Duration(req.ExpiresInDays)*24*time.Hour, time.Now())
	if err != nil {
		return errorf(fiber.StatusBadRequest, "invalid_token_request", err.Error())
	}
	if err := s.Tokens.Create(c.UserContext(), t); err != nil {
		return err
	}
	s.announce(c)
	s.audit(c, "token_created", " "+t.ID+" ("+t.Role+")")
	return c.Status(fiber.StatusCreated).JSON(newTokenResponse(t, secret))
}

// listTokens lists every token, revoked and expired ones included, never
// their secrets or hashes.
func (s *Server) listTokens(c *fiber.Ctx) error {
	list := s.Tokens.List()
	slices.SortFunc(list, func(a, b store.Token) int { return strings.Compare(a.ID, b.ID) })
	out := make([]tokenResponse, len(list))
	for i, t := range list {
		out[i] = newTokenResponse(t, "")
	}
	return c.JSON(fiber.Map{"tokens": out})
}

// deleteToken revokes a token. It stops working here at once and on every
// other instance within a second (the change is announced like a publish).
func (s *Server) deleteToken(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 5*time.Second)
	defer cancel()
	if _, err := s.Tokens.Revoke(ctx, strings.Clone(c.Params("id"))); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return errorf(fiber.StatusNotFound, "not_found", "no such token")
		}
		return err
	}
	s.announce(c)
	s.audit(c, "token_revoked", " "+c.Params("id"))
	return c.SendStatus(fiber.StatusNoContent)
}

// announce tells every instance that the token table changed, so they
// refresh within a second; without it they would within TokenRefresh.
func (s *Server) announce(c *fiber.Ctx) {
	if s.Changed == nil {
		return
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 5*time.Second)
	defer cancel()
	if err := s.Changed(ctx); err != nil {
		c.Set("Signpost-Propagation", "pending")
	}
}
