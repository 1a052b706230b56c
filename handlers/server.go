// Package handlers is signpost's HTTP layer: thin handlers that decode,
// call the domain packages and encode, returning errors that ErrorHandler
// maps to a status and a JSON body in one place.
package handlers

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"signpost/auth"
	"signpost/catalog"
	"signpost/editing"
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
	Campaigns CampaignEditor
	Rules     RulesEditor
	// RulesFromFiles is set when rules are loaded from SIGNPOST_RULES_DIR
	// rather than the store: the rule routes then refuse edits.
	RulesFromFiles bool
	Cards          CardRenderer
	Counter        Counter
	Versions       VersionSource
	Reports        Reporter
	PublicURL      string
	// SafePage is the neutral HTML page served for bad card links.
	SafePage []byte
}

// Register adds every route to app, grouped by area.
func (s *Server) Register(app *fiber.App) {
	app.Get("/livez", s.livez)
	app.Get("/readyz", s.readyz)

	app.Get("/r/:token", s.redirect)
	app.Get("/card/:token", s.hostedCard)

	v1 := app.Group("/v1")
	v1.Post("/events", requireRole(s.Tokens, auth.RolePlatform), s.postEvent)
	v1.Post("/events/batch", requireRole(s.Tokens, auth.RolePlatform), s.postEventBatch)
	v1.Post("/interactions", requireRole(s.Tokens, auth.RolePlatform), s.postInteraction)
	v1.Post("/tokens", requireRole(s.Tokens, auth.RoleAdmin), s.postToken)
	v1.Post("/match/explain", requireRole(s.Tokens, auth.RoleEditor), s.postExplain)

	ed := v1.Group("/campaigns", requireRole(s.Tokens, auth.RoleEditor))
	ed.Get("/", s.listCampaigns)
	ed.Post("/", s.createCampaign)
	ed.Get("/:id", s.getCampaign)
	ed.Put("/:id", s.updateCampaign)
	ed.Get("/:id/content", s.exportAll)
	ed.Get("/:id/content/:file", s.getContent)
	ed.Put("/:id/content/:file", s.putContent)
	ed.Delete("/:id/content/:file", s.deleteContent)
	ed.Post("/:id/submit", s.transition(func(e CampaignEditor) stepFunc { return e.Submit }))
	ed.Post("/:id/reject", s.transition(func(e CampaignEditor) stepFunc { return e.Reject }))
	ed.Post("/:id/publish", s.publish)
	ed.Post("/:id/pause", s.transition(func(e CampaignEditor) stepFunc { return e.Pause }))
	ed.Post("/:id/resume", s.transition(func(e CampaignEditor) stepFunc { return e.Resume }))
	ed.Post("/:id/archive", s.transition(func(e CampaignEditor) stepFunc { return e.Archive }))
	ed.Post("/:id/rollback", s.rollback)
	ed.Get("/:id/versions", s.listVersions)
	ed.Get("/:id/versions/:version", s.getVersion)
	ed.Get("/:id/preview", s.previewCampaign)

	ru := v1.Group("/rules", requireRole(s.Tokens, auth.RoleEditor), s.rulesManaged)
	ru.Get("/", s.listRules)
	ru.Get("/:name", s.getRules)
	ru.Get("/:name/file", s.getRuleFile(editing.RuleFileKey, fiber.MIMETextPlainCharsetUTF8))
	ru.Put("/:name/file", s.putRuleFile(editing.RuleFileKey, fiber.MIMETextPlain))
	ru.Get("/:name/samples", s.getRuleFile(editing.SamplesKey, "text/tab-separated-values; charset=utf-8"))
	ru.Put("/:name/samples", s.putRuleFile(editing.SamplesKey, "text/tab-separated-values", fiber.MIMETextPlain))
	ru.Post("/:name/try", s.tryRules)
	ru.Get("/:name/versions", s.listRuleVersions)
	ru.Post("/:name/submit", s.rulesStep(editing.ActSubmit, false))
	ru.Post("/:name/reject", s.rulesStep(editing.ActReject, false))
	ru.Post("/:name/publish", s.rulesStep(editing.ActPublish, true))
	ru.Post("/:name/pause", s.rulesStep(editing.ActPause, false))
	ru.Post("/:name/resume", s.rulesStep(editing.ActResume, false))
	ru.Post("/:name/archive", s.rulesStep(editing.ActArchive, false))
	ru.Post("/:name/rollback", s.rulesStep(editing.ActRollback, false))

	v1.Get("/stats/campaigns/:id", requireRole(s.Tokens, auth.RoleAnalyst, auth.RolePlatform), s.getStats)

	v1.Get("/audit", requireRole(s.Tokens, auth.RoleAdmin), s.getAudit)
}
