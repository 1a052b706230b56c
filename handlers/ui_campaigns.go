package handlers

import "github.com/gofiber/fiber/v2"

// registerCampaignPages adds the campaign pages of the web UI.
func (s *Server) registerCampaignPages(app *fiber.App) {
	_ = app
}
