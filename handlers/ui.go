package handlers

import (
	"bytes"
	"errors"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"signpost/auth"
	"signpost/web"
)

// UIRenderer renders the web UI's pages (web.UI).
type UIRenderer interface {
	Page(choice, acceptLanguage string) *web.Page
	Render(w *bytes.Buffer, name string, p *web.Page) error
	RenderPart(w *bytes.Buffer, name, block string, p *web.Page) error
}

// langCookie remembers the UI language a person chose with ?lang=.
const langCookie = "signpost_lang"

type csrfKey struct{}

// registerUI adds the web UI: hashed static assets, sign-in, and the
// editor and analyst pages (ui_*.go, one file per area).
func (s *Server) registerUI(app *fiber.App) {
	app.Get("/assets/:file", s.asset)
	app.Get("/favicon.ico", favicon)
	app.Get("/ui", s.uiHome)
	app.Get("/ui/", s.uiHome)
	app.Get("/ui/signin", s.signInPage)
	s.registerUIPages(app)
}

// asset serves a static file by its content-hash name, cacheable for a
// year: its name changes when its content does.
func (s *Server) asset(c *fiber.Ctx) error {
	a, ok := s.Assets.Lookup(c.Params("file"))
	if !ok {
		return errorf(fiber.StatusNotFound, "not_found", "no such asset")
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	c.Set(fiber.HeaderContentType, a.ContentType)
	return c.Send(a.Body)
}

// favicon answers browsers' automatic icon request with nothing rather
// than a 404 in every page's console: pages carry no icon, and the card
// must not load anything that could be noticed.
func favicon(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	return c.SendStatus(fiber.StatusNoContent)
}

// uiHome sends a signed-in person to their first page, anyone else to
// sign in.
func (s *Server) uiHome(c *fiber.Ctx) error {
	p, err := s.sessionPrincipal(c)
	if err != nil {
		return c.Redirect("/ui/signin", fiber.StatusSeeOther)
	}
	if p.Role == auth.RoleAnalyst {
		return c.Redirect("/ui/stats", fiber.StatusSeeOther)
	}
	return c.Redirect("/ui/campaigns", fiber.StatusSeeOther)
}

func (s *Server) signInPage(c *fiber.Ctx) error {
	p := s.newPage(c, "signin.title", "")
	p.Data = safeNext(c.Query("next"))
	return s.render(c, fiber.StatusOK, "signin", p)
}

// wantsHTML reports whether the caller is a browser submitting a page's
// form rather than an API client: API clients (Accept */* or JSON) keep
// the JSON answers.
func wantsHTML(c *fiber.Ctx) bool {
	return c.Accepts(fiber.MIMEApplicationJSON, fiber.MIMETextHTML) == fiber.MIMETextHTML
}

// safeNext keeps a post-sign-in destination only if it is a UI page of
// this service, so the sign-in form cannot send anyone elsewhere.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/ui/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/ui/"
	}
	return next
}

// page guards a UI page: like guard, but someone not signed in is sent
// to the sign-in page, and errors become an HTML page in the reader's
// language rather than JSON.
func (s *Server) page(roles ...string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := s.authorize(c, roles); err != nil {
			if errors.Is(err, errUnauthorized) && c.Method() == fiber.MethodGet {
				return c.Redirect("/ui/signin?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
			}
			return s.uiError(c, err)
		}
		if err := c.Next(); err != nil {
			return s.uiError(c, err)
		}
		return nil
	}
}

// uiError renders err as an error page with its status. Validation
// problems are shown by the pages themselves; this is for the rest.
func (s *Server) uiError(c *fiber.Ctx, err error) error {
	status, body := describe(err)
	if status == fiber.StatusInternalServerError {
		s.Log.Error("page failed", "route", c.Route().Path, "method", c.Method(), "err", err)
	}
	p := s.newPage(c, "", "")
	switch status {
	case fiber.StatusForbidden:
		p.Title = p.T("error.forbidden")
	case fiber.StatusNotFound:
		p.Title = p.T("error.notfound")
	case fiber.StatusInternalServerError:
		p.Title = p.T("error.generic")
	default:
		p.Title = body.Error.Message
	}
	return s.render(c, status, "error", p)
}

// newPage starts a page in the reader's language (a ?lang= choice,
// remembered in a cookie, else Accept-Language) for the signed-in
// principal, titled by message id title.
func (s *Server) newPage(c *fiber.Ctx, title, section string) *web.Page {
	choice := c.Query("lang")
	if choice != "" {
		c.Cookie(&fiber.Cookie{Name: langCookie, Value: url.QueryEscape(choice), Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, MaxAge: 365 * 24 * 3600})
	} else {
		choice, _ = url.QueryUnescape(c.Cookies(langCookie))
	}
	p := s.UI.Page(choice, c.Get(fiber.HeaderAcceptLanguage))
	if title != "" {
		p.Title = p.T(title)
	}
	p.Section = section
	p.Path = strings.Clone(c.Path())
	pr := principal(c)
	p.User, p.Role = pr.Name, pr.Role
	if csrf, ok := c.Locals(csrfKey{}).(string); ok {
		p.CSRF = csrf
	}
	return p
}

// render writes page name with status, under the UI's CSP. Pages are
// never cached: they show what the signed-in person may see.
func (s *Server) render(c *fiber.Ctx, status int, name string, p *web.Page) error {
	var buf bytes.Buffer
	if err := s.UI.Render(&buf, name, p); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentSecurityPolicy, web.UICSP)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(status).Send(buf.Bytes())
}

// renderPart writes one block of a page, without the layout, for an
// htmx request to swap in.
func (s *Server) renderPart(c *fiber.Ctx, name, block string, p *web.Page) error {
	var buf bytes.Buffer
	if err := s.UI.RenderPart(&buf, name, block, p); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentSecurityPolicy, web.UICSP)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(fiber.StatusOK).Send(buf.Bytes())
}
