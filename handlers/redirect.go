package handlers

import (
	"github.com/gofiber/fiber/v2"

	"signpost/track"
)

// CardSigner signs and verifies card tokens.
type CardSigner interface {
	Sign(c track.Claims) (string, error)
	Verify(token string) (track.Claims, error)
}

// redirect sends a card's action click to the action URL stored with the
// campaign the token names, never to a URL taken from the request. Any bad
// token, unknown campaign or action gets the neutral safe page instead,
// with no hint of why.
func (s *Server) redirect(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("Referrer-Policy", "no-referrer")
	claims, err := s.Signer.Verify(c.Params("token"))
	if err == nil {
		if cat := s.Catalog.Load(); cat != nil {
			if camp, ok := cat.Campaign(claims.Campaign); ok {
				action := c.Query("a")
				for _, a := range camp.Def.Actions {
					if a.ID == action {
						return c.Redirect(a.URL, fiber.StatusFound)
					}
				}
			}
		}
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(fiber.StatusOK).Send(s.SafePage)
}
