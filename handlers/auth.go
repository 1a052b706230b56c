package handlers

import (
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"signpost/auth"
)

// Authenticator resolves a bearer secret. It must not block on the store:
// it runs on every platform call.
type Authenticator interface {
	Authenticate(secret string) (auth.Principal, bool)
}

type principalKey struct{}

// principal returns the caller set by requireRole.
func principal(c *fiber.Ctx) auth.Principal {
	p, _ := c.Locals(principalKey{}).(auth.Principal)
	return p
}

// requireRole authenticates the bearer token and admits the given roles
// (admin is always admitted).
func requireRole(a Authenticator, roles ...string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		h := c.Get(fiber.HeaderAuthorization)
		// The scheme name is case-insensitive (RFC 7235).
		scheme, secret, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return errUnauthorized
		}
		p, ok := a.Authenticate(strings.TrimSpace(secret))
		if !ok {
			return errUnauthorized
		}
		if p.Role != auth.RoleAdmin && !slices.Contains(roles, p.Role) {
			return errForbidden
		}
		c.Locals(principalKey{}, p)
		return c.Next()
	}
}
