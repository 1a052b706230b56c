package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"signpost/editing"
	"signpost/store"
	"signpost/webhook"
)

// webhooks tells subscribers what editors and the flood guard did. Both
// report every saved change here (editing's Saved hook, the flood
// guard's told); the actions subscribers care about become events,
// queued in the store in the request that made the change. The hot path
// never comes here.
type webhooks struct {
	svc *webhook.Service
	log *slog.Logger
}

// webhookOutcomes are the values of the deliveries metric's one label.
var webhookOutcomes = []string{webhook.OutcomeDelivered, webhook.OutcomeRetry, webhook.OutcomeFailed, webhook.OutcomeGone, webhook.OutcomeDropped}

// webhooksFromEnv reads SIGNPOST_WEBHOOK_ALLOW_HTTP into c.
func webhooksFromEnv(getenv func(string) string, c *webhook.Config) error {
	switch v := strings.ToLower(strings.TrimSpace(getenv("SIGNPOST_WEBHOOK_ALLOW_HTTP"))); v {
	case "", "0", "false", "off":
	case "1", "true", "on":
		c.AllowHTTP = true
	default:
		return fmt.Errorf("SIGNPOST_WEBHOOK_ALLOW_HTTP: %q is not 1 or 0", v)
	}
	return nil
}

// initWebhooks builds the webhook service and its metric, before the
// editing service that reports to it.
func (a *App) initWebhooks() {
	deliveries := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "signpost_webhook_deliveries_total",
		Help: "Webhook delivery attempts, by outcome: delivered, retry, failed (given up), gone (410: subscription disabled), dropped (subscription deleted or disabled).",
	}, []string{"outcome"})
	for _, o := range webhookOutcomes {
		deliveries.WithLabelValues(o)
	}
	a.metrics.reg.MustRegister(deliveries)
	cfg := a.cfg.Webhooks
	cfg.Log = a.log
	cfg.Observe = func(outcome string) { deliveries.WithLabelValues(outcome).Inc() }
	a.webhooks = &webhooks{svc: webhook.New(a.store, cfg), log: a.log}
}

// Events of the campaign and rule set workflow, by audit action. A
// rollback publishes an earlier version's content as a new version.
var (
	campaignEvents = map[string]string{editing.ActPublish: webhook.CampaignPublished, editing.ActRollback: webhook.CampaignPublished,
		editing.ActPause: webhook.CampaignPaused, editing.ActResume: webhook.CampaignResumed, editing.ActArchive: webhook.CampaignArchived}
	rulesEvents = map[string]string{editing.ActPublish: webhook.RulesPublished, editing.ActRollback: webhook.RulesPublished,
		editing.ActPause: webhook.RulesPaused, editing.ActResume: webhook.RulesResumed, editing.ActArchive: webhook.RulesArchived}
	ruleEvents = map[string]string{actionAutoPaused: webhook.RuleAutoPaused, actionKeptPaused: webhook.RulePauseConfirmed,
		actionResumed: webhook.RuleResumed}
)

// saved turns a saved campaign or rule set change into an event.
func (w *webhooks) saved(ctx context.Context, e store.AuditEntry) {
	events, data := campaignEvents, webhook.Data{Campaign: e.Campaign}
	if name, ok := strings.CutPrefix(e.Campaign, editing.RulesPrefix); ok {
		events, data = rulesEvents, webhook.Data{RuleSet: name}
	}
	typ, ok := events[e.Action]
	if !ok {
		return
	}
	data.Action, data.Revision, data.Actor = e.Action, e.RevAfter, e.ActorName
	switch e.Action {
	case editing.ActPause, editing.ActArchive:
		data.Version = e.LiveBefore
	case editing.ActResume:
		data.Version = e.LiveAfter
	default:
		data.Version, data.PreviousVersion = e.LiveAfter, e.LiveBefore
	}
	w.publish(ctx, typ, data)
}

// rule turns a flood guard change of rule p (audit action, by a) into
// an event.
func (w *webhooks) rule(ctx context.Context, action string, a editing.Actor, p store.PausedRule) {
	typ, ok := ruleEvents[action]
	if !ok || p.Rule == "" {
		return
	}
	lang, _, _ := strings.Cut(p.Rule, ".")
	w.publish(ctx, typ, webhook.Data{Rule: p.Rule, RuleSet: lang, Action: action, Actor: a.Name,
		RatePerMinute: p.Rate, BaselinePerMinute: p.Baseline, Count: p.Count, PausedAt: p.PausedAt})
}

// publish queues the event. The change is saved already, so a failure
// is logged rather than returned; the request's own cancellation does
// not stop it.
func (w *webhooks) publish(ctx context.Context, typ string, data webhook.Data) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := w.svc.Publish(ctx, typ, data); err != nil {
		w.log.Error("a webhook event was not queued", "type", typ, "err", err)
	}
}

// told reports a flood guard change to the webhooks, when they are wired.
func (g *floodGuard) told(ctx context.Context, action string, a editing.Actor, p store.PausedRule) {
	if g.webhooks != nil {
		g.webhooks.rule(ctx, action, a, p)
	}
}
