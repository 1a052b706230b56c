package handlers

import (
	"github.com/gofiber/fiber/v2"
)

// widget serves /widget.js, the script platforms embed to render a card
// from an event response in their own page or webview. Its address is
// fixed (platforms write it into their pages), so it is cached for an
// hour rather than for ever; other origins may load it.
func (s *Server) widget(c *fiber.Ctx) error {
	a, ok := s.Assets.Raw("widget.js")
	if !ok {
		return errorf(fiber.StatusNotFound, "not_found", "no such asset")
	}
	c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	c.Set("Cross-Origin-Resource-Policy", "cross-origin")
	return c.Send(a.Body)
}
