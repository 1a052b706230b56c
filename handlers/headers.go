package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"
)

// apiCSP is the policy of every response that is not a page: nothing in
// a JSON answer may load, run or be framed.
const apiCSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// SecurityHeaders sets the headers every response carries. Pages set
// their own Content-Security-Policy (with a nonce) and keep it; API
// responses are never cached, since they carry what tokens may see; a
// card URL or token must never leak to a destination site, hence
// no-referrer everywhere. hsts is set when the service is reached over
// https (SIGNPOST_PUBLIC_URL), and then Strict-Transport-Security is sent.
func SecurityHeaders(hsts bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		err := c.Next()
		h := &c.Response().Header
		h.Set(fiber.HeaderXContentTypeOptions, "nosniff")
		h.Set(fiber.HeaderReferrerPolicy, "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		// A route other origins must load (/widget.js, the widget's
		// reports to /card/{token}) sets its own; every other is same-origin.
		if len(h.Peek("Cross-Origin-Resource-Policy")) == 0 {
			h.Set("Cross-Origin-Resource-Policy", "same-origin")
		}
		if len(h.Peek(fiber.HeaderContentSecurityPolicy)) == 0 {
			h.Set(fiber.HeaderContentSecurityPolicy, apiCSP)
		}
		if strings.HasPrefix(c.Path(), "/v1/") {
			h.Set(fiber.HeaderCacheControl, "no-store")
		}
		if hsts {
			h.Set(fiber.HeaderStrictTransportSecurity, "max-age=63072000; includeSubDomains")
		}
		return err
	}
}
