package handlers

import (
	"context"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"signpost/auth"
	"signpost/ratelimit"
	"signpost/store"
)

// Authenticator resolves a bearer secret. It must not block on the store:
// it runs on every platform call.
type Authenticator interface {
	Authenticate(secret string) (auth.Principal, bool)
}

type principalKey struct{}

// principal returns the caller set by guard.
func principal(c *fiber.Ctx) auth.Principal {
	p, _ := c.Locals(principalKey{}).(auth.Principal)
	return p
}

// authorize authenticates the bearer token, or else the session cookie,
// and admits the given roles (admin is always admitted), recording the
// principal for the handler.
func (s *Server) authorize(c *fiber.Ctx, roles []string) error {
	var p auth.Principal
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		// The scheme name is case-insensitive (RFC 7235).
		scheme, secret, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return errUnauthorized
		}
		if p, ok = s.Tokens.Authenticate(strings.TrimSpace(secret)); !ok {
			return errUnauthorized
		}
	} else {
		// No token: a signed-in browser, by its session cookie.
		var err error
		if p, err = s.sessionPrincipal(c); err != nil {
			return err
		}
	}
	c.Locals(principalKey{}, p)
	if p.Role != auth.RoleAdmin && !slices.Contains(roles, p.Role) {
		s.audit(c, "denied", "")
		return errForbidden
	}
	return nil
}

// guard authorizes roles, then holds the token to l on this route class
// of rl (429 with Retry-After beyond it).
func (s *Server) guard(rl RateLimiter, class string, l ratelimit.Limit, roles ...string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := s.authorize(c, roles); err != nil {
			return err
		}
		if rl != nil {
			d := rl.Allow(c.UserContext(), principal(c).TokenID+":"+class, l)
			if !d.Allowed {
				c.Set(fiber.HeaderRetryAfter, strconv.Itoa(max(1, int(math.Ceil(d.RetryAfter.Seconds())))))
				return errRateLimited
			}
		}
		return c.Next()
	}
}

// allow admits, after guard, only callers of one of roles (admin
// always): for routes that need more than their group does.
func (s *Server) allow(roles ...string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if p := principal(c); p.Role != auth.RoleAdmin && !slices.Contains(roles, p.Role) {
			s.audit(c, "denied", "")
			return errForbidden
		}
		return c.Next()
	}
}

// RateLimiter decides whether a caller may make one more request now
// (ratelimit.Limiter).
type RateLimiter interface {
	Allow(ctx context.Context, key string, l ratelimit.Limit) ratelimit.Decision
}

// SecurityRecorder queues security events for the audit log; Record must
// not block (it runs on the request).
type SecurityRecorder interface {
	Record(e store.AuditEntry)
}

// audit records a security event by the caller (if known) on this route.
func (s *Server) audit(c *fiber.Ctx, action, detail string) {
	if s.Security == nil {
		return
	}
	p := principal(c)
	s.Security.Record(store.AuditEntry{Action: action, ActorID: p.TokenID, ActorName: p.Name,
		Detail: strings.Clone(c.Method() + " " + c.Route().Path + detail)})
}
