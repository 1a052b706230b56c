package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"signpost/catalog"
	"signpost/handlers"
	"signpost/match"
	"signpost/store"
)

// activityRetention is how long rule activity is kept: the activity
// route reads at most 90 days, and a year of history helps a rule review.
const activityRetention = 400 * 24 * time.Hour

// maxPendingActivity bounds the activity cells waiting in memory while
// the store is away. Cells are (rule, event, platform, hour), so this is
// far beyond a day of real traffic; beyond it, reports are dropped and
// counted as such.
const maxPendingActivity = 200_000

// activityCounter counts per-rule matches and platforms' feedback in
// memory and flushes them to the store in idempotent batches, one per
// language, as track.Counter does for engagement.
//
// Matches are counted on the hot path by ruleMatches, shared with the
// flood guard. The flusher takes what is new since its last flush into
// cells of the hour it does so, so a match is filed at most one flush
// interval late. Feedback is rare and takes a mutex.
type activityCounter struct {
	sink  store.Feedback
	every time.Duration
	log   *slog.Logger
	now   func() time.Time

	matches *ruleMatches

	mu sync.Mutex
	// seen is this counter's cursor in matches, used under mu.
	seen    matchCursor
	pending map[store.ActivityKey]int64
	// flight holds, per language, a batch whose outcome is unknown: it is
	// retried with its ID before anything newer for that language.
	flight map[string]*store.ActivityBatch

	dropped atomic.Int64
}

func newActivityCounter(sink store.Feedback, matches *ruleMatches, every time.Duration, log *slog.Logger) *activityCounter {
	if every <= 0 {
		every = time.Second
	}
	return &activityCounter{sink: sink, matches: matches, every: every, log: log, now: time.Now,
		pending: map[store.ActivityKey]int64{}, flight: map[string]*store.ActivityBatch{}, seen: matchCursor{}}
}

// report counts one feedback cell.
func (c *activityCounter) report(k store.ActivityKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.pending[k]; !ok && len(c.pending) >= maxPendingActivity {
		c.dropped.Add(1)
		return
	}
	c.pending[k]++
}

// ruleLanguage is the language part of a rule id ("<lang>.<local id>").
func ruleLanguage(rule string) string {
	lang, _, _ := strings.Cut(rule, ".")
	return lang
}

// drain moves the matches counted since the last drain into pending
// cells of now's hour.
func (c *activityCounter) drain(now time.Time) {
	now = now.UTC()
	day, hour := now.Format(time.DateOnly), now.Hour()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.matches.delta(c.seen, func(rule string, search, view int64) {
		for _, e := range [...]struct {
			event string
			n     int64
		}{{store.ActivitySearch, search}, {store.ActivityView, view}} {
			if e.n != 0 {
				key := store.ActivityKey{Language: ruleLanguage(rule), Day: day, Hour: hour, Rule: rule, Event: e.event}
				c.pending[key] += e.n
			}
		}
	})
}

// Flush drains the match counters and applies everything pending, one
// batch per language.
func (c *activityCounter) Flush(ctx context.Context) error {
	c.drain(c.now())
	fresh := map[string]bool{} // languages whose batch this flush made
	c.mu.Lock()
	for k, n := range c.pending {
		if c.flight[k.Language] != nil && !fresh[k.Language] {
			continue // waits for the batch in flight
		}
		b := c.flight[k.Language]
		if b == nil {
			b = &store.ActivityBatch{ID: newActivityBatchID(), Language: k.Language}
			c.flight[k.Language] = b
			fresh[k.Language] = true
		}
		b.Counts = append(b.Counts, store.ActivityCount{Key: k, N: n})
		delete(c.pending, k)
	}
	flight := make([]*store.ActivityBatch, 0, len(c.flight))
	for _, b := range c.flight {
		flight = append(flight, b)
	}
	c.mu.Unlock()

	slices.SortFunc(flight, func(x, y *store.ActivityBatch) int { return strings.Compare(x.Language, y.Language) })
	var errs []error
	for _, b := range flight {
		if err := c.sink.ApplyActivity(ctx, *b, activityRetention); err != nil {
			errs = append(errs, fmt.Errorf("rule activity of %q: %w", b.Language, err))
			continue
		}
		c.mu.Lock()
		delete(c.flight, b.Language)
		c.mu.Unlock()
	}
	return errors.Join(errs...)
}

func newActivityBatchID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// run flushes every interval until ctx ends, then once more with a fresh
// deadline.
func (c *activityCounter) run(ctx context.Context) {
	tick := time.NewTicker(c.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := c.Flush(fctx); err != nil {
				c.log.Warn("final rule activity flush failed; these counts are lost", "err", err)
			}
			return
		case <-tick.C:
		}
		fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := c.Flush(fctx); err != nil {
			c.log.Warn("rule activity flush failed; counts are kept and retried", "err", err)
		}
		cancel()
	}
}

// activityRecorder counts each event's matched rules, then records the
// event as before. Decisions already leave paused rules out.
type activityRecorder struct {
	handlers.Recorder
	counter *activityCounter
}

func (r activityRecorder) Event(kind string, d catalog.Decision) {
	r.Recorder.Event(kind, d)
	if d.Match.Matched {
		r.counter.matches.add(kind, d.Match.Rules)
	}
}

// ruleIndex is what feedback validation needs of one compiled rule set:
// the rules by id and the categories and languages they use.
type ruleIndex struct {
	m     *match.Matcher
	rules map[string]match.Rule
	bySet map[string][]match.Rule
	cats  map[string]bool
}

func newRuleIndex(m *match.Matcher) *ruleIndex {
	ix := &ruleIndex{m: m, rules: map[string]match.Rule{}, bySet: map[string][]match.Rule{}, cats: map[string]bool{}}
	for _, r := range m.Rules() {
		r.Expr = nil // only ids, categories and languages are needed
		ix.rules[r.ID] = r
		ix.bySet[ruleLanguage(r.ID)] = append(ix.bySet[ruleLanguage(r.ID)], r)
		ix.cats[r.Category] = true
	}
	return ix
}

func (ix *ruleIndex) Rule(id string) (match.Rule, bool) { r, ok := ix.rules[id]; return r, ok }
func (ix *ruleIndex) HasCategory(c string) bool         { return ix.cats[c] }
func (ix *ruleIndex) HasLanguage(l string) bool         { return len(ix.bySet[l]) > 0 }
func (ix *ruleIndex) SetRules(l string) []match.Rule    { return ix.bySet[l] }

// feedbackService takes platforms' feedback and reads rule activity for
// the editors' routes and pages.
type feedbackService struct {
	holder  *catalog.Holder
	counter *activityCounter
	store   store.Feedback
	reports *prometheus.CounterVec
	// index caches the rule index of the catalog's matcher: building it
	// walks every rule, which a catalog swap changes only now and then.
	index atomic.Pointer[ruleIndex]
}

func (a *App) initFeedback() *feedbackService {
	fs := &feedbackService{holder: a.catalog, store: a.store,
		counter: newActivityCounter(a.store, a.matches, a.cfg.FlushEvery, a.log),
		reports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "signpost_feedback_total", Help: "Feedback reports accepted from platforms and editors, by type.",
		}, []string{"type"}),
	}
	a.metrics.reg.MustRegister(fs.reports, prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "signpost_rule_activity_dropped_total", Help: "Rule activity cells not counted because the memory bound was reached while the store was away.",
	}, func() float64 { return float64(fs.counter.dropped.Load()) }))
	return fs
}

// recorder wraps next so every matched event is counted per rule, once,
// for the activity counter and the flood guard alike.
func (f *feedbackService) recorder(next handlers.Recorder) handlers.Recorder {
	return activityRecorder{Recorder: next, counter: f.counter}
}

// Rules returns the index of the current catalog's rules, or nil before
// the first catalog.
func (f *feedbackService) Rules() handlers.RuleIndex {
	cat := f.holder.Load()
	if cat == nil {
		return nil
	}
	if ix := f.index.Load(); ix != nil && ix.m == cat.Matcher {
		return ix
	}
	ix := newRuleIndex(cat.Matcher)
	f.index.Store(ix)
	return ix
}

// Report counts validated feedback cells.
func (f *feedbackService) Report(typ string, cells []store.ActivityKey) {
	f.reports.WithLabelValues(typ).Inc()
	for _, k := range cells {
		f.counter.report(k)
	}
}

// Activity returns the stored cells of the given languages over days
// [from, to].
func (f *feedbackService) Activity(ctx context.Context, langs []string, from, to string) ([]store.ActivityCount, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var out []store.ActivityCount
	for _, l := range langs {
		cells, err := f.store.Activity(ctx, l, from, to)
		if err != nil {
			return nil, fmt.Errorf("rule activity of %q: %w", l, err)
		}
		out = append(out, cells...)
	}
	return out, nil
}
