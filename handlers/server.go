// Package handlers is signpost's HTTP layer: thin handlers that decode,
// call the domain packages and encode, returning errors that ErrorHandler
// maps to a status and a JSON body in one place.
package handlers

import (
	"context"
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"signpost/auth"
	"signpost/catalog"
	"signpost/editing"
	"signpost/ratelimit"
	"signpost/store"
	"signpost/web"
)

// CatalogSource returns the current catalog (nil before the first load).
type CatalogSource interface {
	Load() *catalog.Catalog
}

// TokenIssuer stores new API tokens and revokes them; the token cache
// sees both at once.
type TokenIssuer interface {
	Authenticator
	Create(ctx context.Context, t store.Token) error
	Revoke(ctx context.Context, id string) (store.Token, error)
	List() []store.Token
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
	// EventLimiter limits the platform routes in process memory: the hot
	// path never waits on Redis. APILimiter limits every other /v1 route
	// atomically across instances. Nil disables either.
	EventLimiter, APILimiter RateLimiter
	EventLimit, APILimit     ratelimit.Limit
	// Sessions signs people in to the web UI; nil turns sign-in off.
	Sessions SessionManager
	// Users creates and lists people's accounts.
	Users UserAdmin
	// Security receives security events for the audit log: sign-ins,
	// token and account changes, permission denials. Nil drops them.
	Security SecurityRecorder
	// Log records sign-ins (by user id, never an address or a password).
	Log *slog.Logger
	// Changed announces a change every instance must see within a second
	// (a token revocation), as a publish does.
	Changed   func(ctx context.Context) error
	PublicURL string
	// SafePage is the neutral HTML page served for bad card links.
	SafePage []byte
	// Draining reports that the service is shutting down: /readyz then
	// answers 503 while requests are still served. Nil means never.
	Draining func() bool
	// TwoPersonRule mirrors the editing service's setting, so that pages
	// offer publish to whoever made the last change only when it is off.
	TwoPersonRule bool
	// UI renders the web UI's pages; Assets serves their static files.
	UI     UIRenderer
	Assets *web.Assets
	// Flood lists the rules paused for a spiking match rate and takes
	// editors' verdicts on them.
	Flood PausedRules
	// Webhooks manages webhook subscriptions (handlers/webhooks.go).
	Webhooks WebhookAdmin
	// Feedback takes platforms' reports of wrong triggers and reads
	// per-rule activity (handlers/feedback.go).
	Feedback FeedbackSink
	// APIDoc is the OpenAPI document and its reference page (public).
	APIDoc *APIDoc
}

// Register adds every route to app, grouped by area.
func (s *Server) Register(app *fiber.App) {
	app.Get("/livez", s.livez)
	app.Get("/readyz", s.readyz)

	app.Get("/r/:token", s.redirect)
	app.Get("/card/:token", s.hostedCard)
	app.Get("/exit", s.exitPage)
	app.Get("/widget.js", s.widget)
	app.Get("/openapi.yaml", s.openAPIDocument)
	app.Get("/docs/api", s.apiReference)
	s.registerUI(app)
	app.Post("/card/:token", s.hostedCardChoice)

	ui := app.Group("/ui")
	ui.Post("/signin", s.signIn)
	ui.Post("/signout", s.guard(s.APILimiter, "api", s.APILimit, auth.RolePlatform, auth.RoleEditor, auth.RoleReviewer, auth.RoleAnalyst), s.signOut)
	ui.Post("/signout-everywhere", s.guard(s.APILimiter, "api", s.APILimit, auth.RolePlatform, auth.RoleEditor, auth.RoleReviewer, auth.RoleAnalyst), s.signOutEverywhere)

	v1 := app.Group("/v1")
	platform := s.guard(s.EventLimiter, "events", s.EventLimit, auth.RolePlatform)
	v1.Post("/events", platform, s.postEvent)
	v1.Post("/events/batch", platform, s.postEventBatch)
	v1.Post("/interactions", platform, s.postInteraction)
	// Feedback is mostly the platforms', limited like their other calls;
	// editors may report too.
	v1.Post("/feedback", s.guard(s.EventLimiter, "events", s.EventLimit, auth.RolePlatform, auth.RoleEditor, auth.RoleReviewer), s.postFeedback)
	// Every other /v1 route shares one budget per token.
	api := func(roles ...string) fiber.Handler { return s.guard(s.APILimiter, "api", s.APILimit, roles...) }
	v1.Post("/tokens", api(auth.RoleAdmin), s.postToken)
	v1.Get("/tokens", api(auth.RoleAdmin), s.listTokens)
	v1.Delete("/tokens/:id", api(auth.RoleAdmin), s.deleteToken)
	v1.Post("/users", api(auth.RoleAdmin), s.postUser)
	v1.Get("/users", api(auth.RoleAdmin), s.listUsers)
	v1.Post("/match/explain", api(auth.RoleEditor, auth.RoleReviewer), s.postExplain)

	// Editors write and submit; reviewers are editors who may also publish,
	// reject, resume, roll back and archive. Anyone editing may pause: the
	// kill switch must not wait for a second person.
	reviewer := s.allow(auth.RoleReviewer)
	ed := v1.Group("/campaigns", api(auth.RoleEditor, auth.RoleReviewer))
	ed.Get("/", s.listCampaigns)
	ed.Post("/", s.createCampaign)
	ed.Get("/:id", s.getCampaign)
	ed.Put("/:id", s.updateCampaign)
	ed.Get("/:id/content", s.exportAll)
	ed.Get("/:id/content/:file", s.getContent)
	ed.Put("/:id/content/:file", s.putContent)
	ed.Delete("/:id/content/:file", s.deleteContent)
	ed.Post("/:id/submit", s.transition(func(e CampaignEditor) stepFunc { return e.Submit }))
	ed.Post("/:id/reject", reviewer, s.transition(func(e CampaignEditor) stepFunc { return e.Reject }))
	ed.Post("/:id/publish", reviewer, s.publish)
	ed.Post("/:id/pause", s.transition(func(e CampaignEditor) stepFunc { return e.Pause }))
	ed.Post("/:id/resume", reviewer, s.transition(func(e CampaignEditor) stepFunc { return e.Resume }))
	ed.Post("/:id/archive", reviewer, s.transition(func(e CampaignEditor) stepFunc { return e.Archive }))
	ed.Post("/:id/rollback", reviewer, s.rollback)
	ed.Get("/:id/versions", s.listVersions)
	ed.Get("/:id/versions/:version", s.getVersion)
	ed.Get("/:id/preview", s.previewCampaign)

	// Rules paused by the flood guard, before /rules/:name can take
	// "paused" for a rule set, and without rulesManaged: rules loaded from
	// files are paused too.
	v1.Get("/rules/paused", api(auth.RoleEditor, auth.RoleReviewer), s.listPausedRules)
	v1.Post("/rules/paused/:rule/confirm", api(auth.RoleEditor, auth.RoleReviewer), s.confirmPausedRule)
	// Activity reads the catalog, so it works for rules from files too.
	v1.Get("/rules/:name/activity", api(auth.RoleEditor, auth.RoleReviewer), s.getRuleActivity)
	ru := v1.Group("/rules", api(auth.RoleEditor, auth.RoleReviewer), s.rulesManaged)
	ru.Get("/", s.listRules)
	ru.Get("/:name", s.getRules)
	ru.Get("/:name/file", s.getRuleFile(editing.RuleFileKey, fiber.MIMETextPlainCharsetUTF8))
	ru.Put("/:name/file", s.putRuleFile(editing.RuleFileKey, fiber.MIMETextPlain))
	ru.Get("/:name/samples", s.getRuleFile(editing.SamplesKey, "text/tab-separated-values; charset=utf-8"))
	ru.Put("/:name/samples", s.putRuleFile(editing.SamplesKey, "text/tab-separated-values", fiber.MIMETextPlain))
	ru.Post("/:name/try", s.tryRules)
	ru.Get("/:name/versions", s.listRuleVersions)
	ru.Post("/:name/submit", s.rulesStep(editing.ActSubmit, false))
	ru.Post("/:name/reject", reviewer, s.rulesStep(editing.ActReject, false))
	ru.Post("/:name/publish", reviewer, s.rulesStep(editing.ActPublish, true))
	ru.Post("/:name/pause", s.rulesStep(editing.ActPause, false))
	ru.Post("/:name/resume", reviewer, s.rulesStep(editing.ActResume, false))
	ru.Post("/:name/archive", reviewer, s.rulesStep(editing.ActArchive, false))
	ru.Post("/:name/rollback", reviewer, s.rulesStep(editing.ActRollback, false))

	v1.Get("/stats/campaigns/:id", api(auth.RoleAnalyst, auth.RolePlatform), s.getStats)

	v1.Get("/audit", api(auth.RoleAdmin), s.getAudit)

	// Webhook subscriptions (docs/webhooks.md): admins only.
	wh := v1.Group("/webhooks", api(auth.RoleAdmin))
	wh.Post("/", s.postWebhook)
	wh.Get("/", s.listWebhooks)
	wh.Get("/:id", s.getWebhook)
	wh.Delete("/:id", s.deleteWebhook)
	wh.Post("/:id/test", s.testWebhook)
	wh.Get("/:id/deliveries", s.webhookDeliveries)
}
