package handlers

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"signpost/auth"
	"signpost/ratelimit"
	"signpost/store"
)

// SessionCookie holds a signed-in browser's session id. The __Host-
// prefix makes browsers refuse it unless it is Secure, host-only and
// for path /, so no subdomain or plain-http page can set or read it.
const SessionCookie = "__Host-signpost_session"

// SessionManager signs people in and out (auth.Sessions).
type SessionManager interface {
	SignIn(ctx context.Context, name, password, previous string) (string, store.Session, store.User, error)
	Resolve(ctx context.Context, id string) (auth.Principal, store.Session, error)
	SignOut(ctx context.Context, id string) error
	SignOutEverywhere(ctx context.Context, userID string) error
	AbsoluteTimeout() time.Duration
}

// signInLimit bounds sign-in attempts per account and per source: five a
// minute, so guessing a password takes years, yet a person who mistypes
// is not locked out for long.
var signInLimit = ratelimit.Limit{Rate: 5.0 / 60, Burst: 5}

var errSignInLimited = errorf(fiber.StatusTooManyRequests, "rate_limited", "too many sign-in attempts: wait a minute")

// signIn checks a name and password posted from the sign-in form and
// starts a session: a new id every time (never the one the browser
// brought), in a __Host- cookie that scripts cannot read and other sites
// cannot send.
func (s *Server) signIn(c *fiber.Ctx) error {
	if ct, _, _ := strings.Cut(c.Get(fiber.HeaderContentType), ";"); !strings.EqualFold(strings.TrimSpace(ct), fiber.MIMEApplicationForm) {
		return errorf(fiber.StatusUnsupportedMediaType, "unsupported_media_type", "send the sign-in form as application/x-www-form-urlencoded")
	}
	if err := s.sameOrigin(c); err != nil {
		return err
	}
	name, password := strings.Clone(c.FormValue("name")), c.FormValue("password")
	if s.APILimiter != nil {
		src := sha256.Sum256([]byte(c.IP()))
		for _, key := range []string{"signin-user:" + name, "signin-src:" + hex.EncodeToString(src[:8])} {
			if d := s.APILimiter.Allow(c.UserContext(), key, signInLimit); !d.Allowed {
				c.Set(fiber.HeaderRetryAfter, "60")
				if wantsHTML(c) {
					return s.signInAgain(c, fiber.StatusTooManyRequests, "signin.limited")
				}
				return errSignInLimited
			}
		}
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 5*time.Second)
	defer cancel()
	id, sess, u, err := s.Sessions.SignIn(ctx, name, password, c.Cookies(SessionCookie))
	if errors.Is(err, auth.ErrBadCredentials) {
		s.Log.Info("sign-in failed")
		s.record(store.AuditEntry{Action: "sign_in_failed", ActorName: name})
		if wantsHTML(c) {
			return s.signInAgain(c, fiber.StatusUnauthorized, "signin.failed")
		}
		return errorf(fiber.StatusUnauthorized, "bad_credentials", "wrong name or password")
	}
	if err != nil {
		return err
	}
	s.Log.Info("signed in", "user_id", u.ID)
	s.record(store.AuditEntry{Action: "sign_in", ActorID: "user:" + u.ID, ActorName: u.Name})
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: id, Path: "/", Secure: true, HTTPOnly: true,
		SameSite: fiber.CookieSameSiteStrictMode, MaxAge: int(s.Sessions.AbsoluteTimeout().Seconds())})
	c.Set(fiber.HeaderCacheControl, "no-store")
	if wantsHTML(c) {
		return c.Redirect(safeNext(c.FormValue("next")), fiber.StatusSeeOther)
	}
	return c.JSON(fiber.Map{"user": u.Name, "role": u.Role, "csrf": sess.CSRF})
}

// signInAgain shows the sign-in form again with a message.
func (s *Server) signInAgain(c *fiber.Ctx, status int, msg string) error {
	p := s.newPage(c, "signin.title", "")
	p.Error = p.T(msg)
	p.Data = safeNext(c.FormValue("next"))
	return s.render(c, status, "signin", p)
}

// signOut ends this browser's session; signOutEverywhere every session of
// its user. Both need the session's CSRF token (guard checks it).
func (s *Server) signOut(c *fiber.Ctx) error {
	if err := s.Sessions.SignOut(c.UserContext(), c.Cookies(SessionCookie)); err != nil {
		return err
	}
	c.ClearCookie(SessionCookie)
	if wantsHTML(c) {
		return c.Redirect("/ui/signin", fiber.StatusSeeOther)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) signOutEverywhere(c *fiber.Ctx) error {
	id := strings.TrimPrefix(principal(c).TokenID, "user:")
	if err := s.Sessions.SignOutEverywhere(c.UserContext(), id); err != nil {
		return err
	}
	s.Log.Info("signed out everywhere", "user_id", id)
	s.audit(c, "signed_out_everywhere", "")
	c.ClearCookie(SessionCookie)
	return c.SendStatus(fiber.StatusNoContent)
}

var errCrossSite = errorf(fiber.StatusForbidden, "cross_site", "this request comes from another site")

// sameOrigin refuses a browser request sent by another site: its
// Sec-Fetch-Site (set by browsers, not by scripts) must be same-origin or
// none, and its Origin, when present, must be the service's own.
//
// Pages send no referrer, and a browser then sends "Origin: null" with
// their form posts; Sec-Fetch-Site, which it sends alongside, is the
// answer then.
func (s *Server) sameOrigin(c *fiber.Ctx) error {
	site := c.Get("Sec-Fetch-Site")
	if site != "" && site != "same-origin" && site != "none" {
		return errCrossSite
	}
	if o := c.Get(fiber.HeaderOrigin); o != "" && !(o == "null" && site == "same-origin") {
		u, err := url.Parse(s.PublicURL)
		if err != nil || !strings.EqualFold(o, u.Scheme+"://"+u.Host) {
			return errCrossSite
		}
	}
	return nil
}

// sessionPrincipal authenticates a browser by its session cookie. A
// state-changing request must also come from this site and carry the
// session's CSRF token (header X-CSRF-Token or form field csrf): the
// cookie alone, which a browser attaches by itself, proves nothing.
func (s *Server) sessionPrincipal(c *fiber.Ctx) (auth.Principal, error) {
	id := c.Cookies(SessionCookie)
	if id == "" || s.Sessions == nil {
		return auth.Principal{}, errUnauthorized
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	p, sess, err := s.Sessions.Resolve(ctx, id)
	if errors.Is(err, auth.ErrNoSession) {
		return auth.Principal{}, errUnauthorized
	}
	if err != nil {
		return auth.Principal{}, err
	}
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
	default:
		if err := s.sameOrigin(c); err != nil {
			s.record(store.AuditEntry{Action: "denied", ActorID: p.TokenID, ActorName: p.Name, Detail: c.Method() + " " + c.Route().Path + ": cross-site"})
			return auth.Principal{}, err
		}
		token := c.Get("X-CSRF-Token")
		if token == "" {
			token = c.FormValue("csrf")
		}
		if subtle.ConstantTimeCompare([]byte(token), []byte(sess.CSRF)) != 1 {
			s.record(store.AuditEntry{Action: "denied", ActorID: p.TokenID, ActorName: p.Name, Detail: c.Method() + " " + c.Route().Path + ": CSRF token"})
			return auth.Principal{}, errorf(fiber.StatusForbidden, "csrf", "the CSRF token is missing or wrong")
		}
	}
	// Pages put it in their forms.
	c.Locals(csrfKey{}, sess.CSRF)
	return p, nil
}

// record queues a security event.
func (s *Server) record(e store.AuditEntry) {
	if s.Security != nil {
		e.ActorName, e.Detail = strings.Clone(e.ActorName), strings.Clone(e.Detail)
		s.Security.Record(e)
	}
}
