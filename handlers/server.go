// Package handlers is signpost's HTTP layer: thin handlers that decode,
// call the domain packages and encode, returning errors that ErrorHandler
// maps to a status and a JSON body in one place.
package handlers

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"signpost/auth"
	"signpost/catalog"
	"signpost/store"
)

// CatalogSource returns the current catalog (nil before the first load).
type CatalogSource interface {
	Load() *catalog.Catalog
}

// TokenIssuer stores new API tokens and the token cache sees them at once.
type TokenIssuer interface {
	Authenticator
	Create(ctx context.Context, t store.Token) error
}

// Pinger reports whether a dependency is reachable, for /readyz.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Recorder receives what the handlers observe, for /metrics. It must never
// be given request text or subject ids.
type Recorder interface {
	Event(kind string, d catalog.Decision)
}

// Server holds the handlers' dependencies.
type Server struct {
	Catalog   CatalogSource
	Tokens    TokenIssuer
	Signer    CardSigner
	Store     Pinger
	Metrics   Recorder
	PublicURL string
	// SafePage is the neutral HTML page served for bad card links.
	SafePage []byte
}

// Register adds every route to app, grouped by area.
func (s *Server) Register(app *fiber.App) {
	app.Get("/livez", s.livez)
	app.Get("/readyz", s.readyz)

	app.Get("/r/:token", s.redirect)

	v1 := app.Group("/v1")
	v1.Post("/events", requireRole(s.Tokens, auth.RolePlatform), s.postEvent)
	v1.Post("/events/batch", requireRole(s.Tokens, auth.RolePlatform), s.postEventBatch)
	v1.Post("/tokens", requireRole(s.Tokens, auth.RoleAdmin), s.postToken)
	v1.Post("/match/explain", requireRole(s.Tokens, auth.RoleEditor), s.postExplain)
}
