package handlers

import "github.com/gofiber/fiber/v2"

// registerUIPages adds the editor and analyst pages, one area per file.
func (s *Server) registerUIPages(app *fiber.App) {
	s.registerCampaignPages(app)
	s.registerRulePages(app)
	s.registerStatsPages(app)
}
