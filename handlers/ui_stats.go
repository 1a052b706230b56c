package handlers

import "github.com/gofiber/fiber/v2"

// registerStatsPages adds the stats pages of the web UI.
func (s *Server) registerStatsPages(app *fiber.App) {
	_ = app
}
