package handlers

import "github.com/gofiber/fiber/v2"

// registerRulePages adds the rule pages of the web UI.
func (s *Server) registerRulePages(app *fiber.App) {
	_ = app
}
