package app

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"signpost/catalog"
	"signpost/editing"
	"signpost/flood"
	"signpost/handlers"
	"signpost/store"
)

// Audit actions of the flood guard, in the audit log of the rule's rule
// set (campaign "rules.<lang>").
const (
	actionAutoPaused = "rule_auto_paused"
	actionResumed    = "rule_resumed"
	actionKeptPaused = "rule_kept_paused"
)

// floodActor is who auto-pauses, in the audit log.
var floodActor = editing.Actor{ID: "system", Name: "flood guard"}

// floodGuard pauses a rule whose match rate spikes (package flood) and
// keeps every instance's catalog from firing paused rules.
//
// Matches are counted in memory by a recorder wrapped around the
// handlers' metrics, so the hot path only bumps an atomic counter; a
// background loop judges them every few seconds. Each instance judges its
// own traffic (a spike on one instance is a spike); the pause itself goes
// to the store and travels like a publish: a generation bump, pub/sub and
// the poll, so every instance stops firing the rule within about a second.
type floodGuard struct {
	// tracker is nil when auto-pausing is off (SIGNPOST_FLOOD_FACTOR=0);
	// rules paused earlier stay paused until resumed.
	tracker *flood.Tracker
	store   store.PausedRules
	// changed bumps the generation and refreshes this instance's catalog.
	changed func(ctx context.Context) error
	log     *slog.Logger
	pauses  prometheus.Counter
	paused  prometheus.Gauge

	// webhooks hears of pauses, confirmations and resumes (told).
	webhooks *webhooks

	// matches are the per-rule match totals the event path keeps (shared
	// with the rule-activity counter); taken is how much of them the run
	// loop has handed to the tracker.
	matches *ruleMatches
	taken   matchCursor

	mu   sync.Mutex
	seen map[string]bool // the paused set at the last catalog build
}

// floodFromEnv reads the SIGNPOST_FLOOD_* variables into c.
func floodFromEnv(getenv func(string) string, c *flood.Config) error {
	if v := strings.TrimSpace(getenv("SIGNPOST_FLOOD_FACTOR")); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || (f != 0 && f < 1) || f > 1e6 {
			return fmt.Errorf("SIGNPOST_FLOOD_FACTOR: %q is not a factor of at least 1 (0 turns auto-pausing off)", v)
		}
		c.Factor = f
	}
	if v := strings.TrimSpace(getenv("SIGNPOST_FLOOD_MIN")); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return fmt.Errorf("SIGNPOST_FLOOD_MIN: %q is not a positive number of matches", v)
		}
		c.Min = n
	}
	for _, d := range []struct {
		key string
		dst *time.Duration
	}{{"SIGNPOST_FLOOD_WINDOW", &c.Window}, {"SIGNPOST_FLOOD_BASELINE", &c.Baseline}} {
		if v := strings.TrimSpace(getenv(d.key)); v != "" {
			t, err := time.ParseDuration(v)
			if err != nil || t <= 0 {
				return fmt.Errorf("%s: %q is not a duration such as 1m or 1h", d.key, v)
			}
			*d.dst = t
		}
	}
	return nil
}

// initFlood starts the flood guard and hooks it into the catalog sync,
// before the first catalog is built.
func (a *App) initFlood(cs *catalogSync) error {
	g := &floodGuard{store: a.store, changed: cs.changed, log: a.log, seen: map[string]bool{},
		matches: a.matches, taken: matchCursor{},
		pauses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "signpost_rules_auto_paused_total", Help: "Rules this instance paused because their match rate spiked.",
		}),
		paused: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "signpost_rules_paused", Help: "Rules paused by the flood guard and not yet resumed, across instances.",
		}),
	}
	if a.cfg.Flood.Factor != 0 {
		t, err := flood.New(a.cfg.Flood, time.Now())
		if err != nil {
			return fmt.Errorf("flood guard: %w", err)
		}
		g.tracker = t
	}
	a.metrics.reg.MustRegister(g.pauses, g.paused)
	a.flood, cs.flood = g, g
	return nil
}

// apply returns cat without the paused rules, for every catalog build.
// A rule that was paused or resumed since the last build gets a fresh
// baseline here, on every instance: one resumed after a genuine spike
// must not trip over the spike still in its history.
func (g *floodGuard) apply(ctx context.Context, cat *catalog.Catalog) (*catalog.Catalog, error) {
	list, err := g.store.PausedRules(ctx)
	if err != nil {
		return nil, fmt.Errorf("paused rules: %w", err)
	}
	now := map[string]bool{}
	for _, p := range list {
		now[p.Rule] = true
	}
	g.paused.Set(float64(len(now)))
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.tracker != nil {
		for id := range now {
			if !g.seen[id] {
				g.tracker.Reset(id, time.Now())
			}
		}
		for id := range g.seen {
			if !now[id] {
				g.tracker.Reset(id, time.Now())
			}
		}
	}
	g.seen = now
	return cat.WithPaused(slices.Collect(maps.Keys(now))), nil
}

// run judges the counted matches every few seconds until ctx ends.
func (g *floodGuard) run(ctx context.Context) {
	if g.tracker == nil {
		return
	}
	tick := time.NewTicker(min(g.tracker.Step(), 5*time.Second))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			g.matches.delta(g.taken, func(rule string, search, view int64) { g.tracker.AddN(rule, search+view) })
			for _, s := range g.tracker.Evaluate(now) {
				if err := g.pause(ctx, s, now); err != nil {
					g.log.Error("auto-pausing a rule failed", "rule", s.Rule, "err", err)
				}
			}
		}
	}
}

// pause stores the pause of a spiking rule with its audit entry and tells
// every instance. Another instance may have paused it first: then there
// is nothing to do.
func (g *floodGuard) pause(ctx context.Context, s flood.Spike, now time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	cfg := g.tracker.Config()
	p := store.PausedRule{Rule: s.Rule, PausedAt: now.UTC(), Rate: s.Rate, Baseline: s.Baseline, Count: s.Count}
	detail := fmt.Sprintf("rule %s: %d matches in %v (%.1f a minute) against a baseline of %.1f a minute over %v; factor %g, minimum %d",
		s.Rule, s.Count, cfg.Window, s.Rate, s.Baseline, cfg.Baseline, cfg.Factor, cfg.Min)
	stored, err := g.store.PauseRule(ctx, p, ruleAudit(s.Rule, actionAutoPaused, floodActor, now, detail))
	if !stored {
		return err
	}
	g.pauses.Inc()
	g.told(ctx, actionAutoPaused, floodActor, p)
	g.log.Warn("rule auto-paused: its match rate spiked", "rule", s.Rule, "count", s.Count,
		"rate_per_minute", s.Rate, "baseline_per_minute", s.Baseline)
	if cerr := g.changed(ctx); cerr != nil {
		return fmt.Errorf("rule %s paused, but: %w", s.Rule, cerr)
	}
	return err
}

// PausedRules lists the paused rules, for the confirm API.
func (g *floodGuard) PausedRules(ctx context.Context) ([]store.PausedRule, error) {
	list, err := g.store.PausedRules(ctx)
	if err != nil {
		return nil, fmt.Errorf("paused rules: %w", err)
	}
	return list, nil
}

// ConfirmPausedRule records an editor's verdict on a paused rule:
// handlers.ResumeRule (the spike was genuine: the rule fires again, with
// a fresh baseline) or handlers.KeepPaused. It returns the rule's record.
// note (the feedback the editor saw) ends the audit entry's detail.
func (g *floodGuard) ConfirmPausedRule(ctx context.Context, a editing.Actor, rule, action, note string) (store.PausedRule, error) {
	now := time.Now()
	switch action {
	case handlers.ResumeRule:
		p, err := g.store.ResumeRule(ctx, rule, ruleAudit(rule, actionResumed, a, now, "rule "+rule+": resumed after an automatic pause"+note))
		if err != nil && p.Rule == "" {
			return p, fmt.Errorf("resume rule %s: %w", rule, err)
		}
		g.told(ctx, actionResumed, a, p)
		if cerr := g.changed(ctx); cerr != nil {
			err = cerr
		}
		if err != nil {
			g.log.Warn("a resumed rule did not reach every step", "rule", rule, "err", err)
		}
		return p, nil
	case handlers.KeepPaused:
		p, err := g.store.KeepRulePaused(ctx, rule, a.ID, now.UTC(), ruleAudit(rule, actionKeptPaused, a, now, "rule "+rule+": kept paused"+note))
		if err != nil && p.Rule == "" {
			return p, fmt.Errorf("keep rule %s paused: %w", rule, err)
		}
		g.told(ctx, actionKeptPaused, a, p)
		if err != nil {
			g.log.Warn("keeping a rule paused was not audited", "rule", rule, "err", err)
		}
		return p, nil
	}
	return store.PausedRule{}, fmt.Errorf("confirm rule %s: unknown action %q", rule, action)
}

// ruleAudit is an audit entry in the log of rule's rule set: a rule id
// is "<lang>.<local id>", and the rule set of lang is "rules.<lang>".
func ruleAudit(rule, action string, a editing.Actor, at time.Time, detail string) store.AuditEntry {
	lang, _, _ := strings.Cut(rule, ".")
	return store.AuditEntry{Time: at.UTC(), Campaign: editing.RulesPrefix + lang, Action: action,
		ActorID: a.ID, ActorName: a.Name, Detail: detail}
}
