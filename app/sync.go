package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"signpost/catalog"
	"signpost/editing"
	"signpost/match"
	"signpost/messages"
	"signpost/store"
)

// changeSource is a store that pushes generation bumps from every
// instance (Redis pub/sub). The embedded store has no other instances.
type changeSource interface {
	Changes(ctx context.Context) <-chan struct{}
}

// catalogSync keeps this instance's catalog in step with what is published.
//
// A change reaches it three ways, fastest first: this instance's own
// edits refresh it directly (changed); a pub/sub notification from
// another instance; and a poll of the store's generation every pollEvery,
// which repairs a missed notification. A full rebuild every fullEvery repairs even a bump that
// never happened (an editor's change saved while the bump failed).
type catalogSync struct {
	store store.Store
	svc   *editing.Service
	// fixed is the matcher of rule files outside the store
	// (SIGNPOST_RULES_DIR); nil when the rules are the store's, which
	// matchers compiles.
	fixed    *match.Matcher
	matchers *match.Cache
	holder   *catalog.Holder
	log      *slog.Logger
	poke     chan struct{}
	// tokens, when set, is refreshed with every catalog refresh, so a
	// token revocation travels the same way as a publish.
	tokens interface {
		Refresh(ctx context.Context) error
	}
	// flood, when set, leaves the rules it paused out of every catalog.
	flood *floodGuard
	// tracer and metrics observe rebuilds (see observedRebuild); nil
	// metrics and a nil tracer record nothing.
	tracer  trace.Tracer
	metrics *metrics

	mu       sync.Mutex // serialises refreshes; guards what follows
	seen     int64
	compiled map[versionKey]*messages.Campaign
	// matcher was compiled from the rule set versions rulesKey names.
	matcher  *match.Matcher
	rulesKey string
}

type versionKey struct {
	id      string
	version int64
}

func newCatalogSync(st store.Store, svc *editing.Service, m *match.Matcher, mc *match.Cache, h *catalog.Holder, log *slog.Logger) *catalogSync {
	return &catalogSync{store: st, svc: svc, fixed: m, matchers: mc, holder: h, log: log,
		poke: make(chan struct{}, 1), compiled: map[versionKey]*messages.Campaign{}}
}

// changed tells every instance that what is served changed: it bumps the
// store's generation (which also notifies other instances on Redis) and
// refreshes this instance's catalog before returning, so the editor's
// next request here already sees the change.
func (s *catalogSync) changed(ctx context.Context) error {
	_, berr := s.store.BumpGeneration(ctx)
	// Changes made while starting (imports of shipped content) are built
	// once, by the first refresh, not one by one.
	if s.holder.Load() == nil {
		return berr
	}
	if err := s.refresh(ctx, true); err != nil {
		s.log.Warn("catalog refresh after a change failed; retrying in the background", "err", err)
		select {
		case s.poke <- struct{}{}:
		default:
		}
	}
	if berr != nil {
		return fmt.Errorf("notify instances: %w", berr)
	}
	return nil
}

// run rebuilds on every signal until ctx ends.
func (s *catalogSync) run(ctx context.Context, pollEvery, fullEvery time.Duration) {
	var changes <-chan struct{}
	if src, ok := s.store.(changeSource); ok {
		changes = src.Changes(ctx)
	}
	poll := time.NewTicker(pollEvery)
	defer poll.Stop()
	full := time.NewTicker(fullEvery)
	defer full.Stop()
	for {
		force := false
		select {
		case <-ctx.Done():
			return
		case <-s.poke:
			force = true
		case <-changes:
			force = true
		case <-full.C:
			force = true
		case <-poll.C:
		}
		if err := s.refresh(ctx, force); err != nil {
			s.log.Warn("catalog refresh failed; serving the previous catalog", "err", err)
		}
	}
}

// refresh rebuilds the catalog when forced or when the generation moved.
// The generation is read before the campaigns, so a change that lands
// during a rebuild bumps it again and triggers another rebuild.
func (s *catalogSync) refresh(ctx context.Context, force bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := bounded(ctx, s.store.Generation)
	s.metrics.storeAnswered(err)
	if err != nil {
		return err
	}
	if !force && g == s.seen && s.holder.Load() != nil {
		return nil
	}
	if err := s.observedRebuild(ctx, g); err != nil {
		return err
	}
	if s.tokens != nil {
		if _, err := bounded(ctx, func(ctx context.Context) (struct{}, error) { return struct{}{}, s.tokens.Refresh(ctx) }); err != nil {
			return err
		}
	}
	s.seen = g
	return nil
}

// rebuild compiles the live version of every serving campaign (reusing
// earlier compilations: versions never change) and swaps the catalog in.
// A version that no longer compiles is logged and left out.
func (s *catalogSync) rebuild(ctx context.Context) error {
	served, err := bounded(ctx, s.svc.Served)
	if err != nil {
		return err
	}
	camps := make([]*messages.Campaign, 0, len(served))
	keep := make(map[versionKey]*messages.Campaign, len(served))
	for _, v := range served {
		k := versionKey{v.CampaignID, v.Version}
		camp := s.compiled[k]
		if camp == nil {
			if camp, err = compileVersion(v); err != nil {
				// Published versions were valid when published; one that
				// fails checks added since must not take the others down.
				s.log.Error("published campaign version does not compile; not serving it", "campaign", v.CampaignID, "version", v.Version, "err", err)
				continue
			}
		}
		keep[k] = camp
		camps = append(camps, camp)
	}
	m, err := s.rules(ctx)
	if err != nil {
		return err
	}
	cat, err := catalog.New(m, camps)
	if err != nil {
		return err
	}
	if s.flood != nil {
		if cat, err = bounded(ctx, func(ctx context.Context) (*catalog.Catalog, error) { return s.flood.apply(ctx, cat) }); err != nil {
			return err
		}
	}
	s.holder.Store(cat)
	s.compiled = keep
	return nil
}

// compileVersion compiles one published version for the hot path.
func compileVersion(v store.CampaignVersion) (*messages.Campaign, error) {
	def, err := messages.ParseDefinition(v.Draft.Definition)
	if err != nil {
		return nil, fmt.Errorf("campaign %q version %d: %w", v.CampaignID, v.Version, err)
	}
	content := make(map[string]messages.LocaleFile, len(v.Draft.Content))
	for loc, c := range v.Draft.Content {
		content[loc] = messages.LocaleFile{Format: c.Format, Data: c.Data}
	}
	camp, err := messages.Compile(def, v.Version, content)
	if err != nil {
		return nil, fmt.Errorf("campaign %q version %d: %w", v.CampaignID, v.Version, err)
	}
	return camp, nil
}

// refreshReadTimeout bounds each store read of a refresh. It does not
// bound the whole refresh: compiling what was read is CPU time, seconds on
// a loaded machine (or under the race detector) for the shipped rules,
// and a deadline spent on compiling failed the next read, and with it
// start-up.
const refreshReadTimeout = 10 * time.Second

// bounded calls read with ctx bounded by refreshReadTimeout.
func bounded[T any](ctx context.Context, read func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, refreshReadTimeout)
	defer cancel()
	return read(ctx)
}

// rules returns the matcher of the live rule set versions, compiling it
// only when they changed (compiling takes a good part of a second).
func (s *catalogSync) rules(ctx context.Context) (*match.Matcher, error) {
	if s.fixed != nil {
		return s.fixed, nil
	}
	live, err := bounded(ctx, s.svc.ServedRules)
	if err != nil {
		return nil, err
	}
	var key strings.Builder
	for _, v := range live {
		fmt.Fprintf(&key, "%s@%d ", v.CampaignID, v.Version)
	}
	if s.matcher != nil && key.String() == s.rulesKey {
		return s.matcher, nil
	}
	m, err := editing.CompileServed(s.matchers, live)
	if err != nil {
		return nil, fmt.Errorf("compile rules: %w", err)
	}
	s.matcher, s.rulesKey = m, key.String()
	return m, nil
}
