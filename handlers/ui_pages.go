package handlers

import "github.com/gofiber/fiber/v2"

// registerUIPages adds the editor and analyst pages. Each area registers
// its own routes in its file.
func (s *Server) registerUIPages(app *fiber.App) {
	_ = app
}
