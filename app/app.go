// Package app is signpost's composition root: it turns a Config into a
// running service (store, token cache, catalog, HTTP server, background
// workers) and shuts it down in order.
package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"signpost/auth"
	"signpost/catalog"
	"signpost/editing"
	"signpost/handlers"
	"signpost/locales"
	"signpost/match"
	"signpost/messages"
	"signpost/ratelimit"
	"signpost/rules"
	"signpost/store"
	"signpost/store/boltstore"
	"signpost/store/redisstore"
	"signpost/track"
	"signpost/web"
)

// startupTimeout bounds New as a whole, so that a store that hangs at
// startup stops the process with an error instead of a silent wait. It
// is not tight: the same context covers importing and compiling the rule
// sets (each compile checks the benign corpus), seconds of CPU that grow
// several times over on a loaded machine or under the race detector,
// and each store call already has a shorter deadline of its own.
const startupTimeout = time.Minute

// App is a configured service, ready to Run.
type App struct {
	cfg     Config
	log     *slog.Logger
	store   store.Store
	tokens  *auth.Cache
	catalog *catalog.Holder
	sync    *catalogSync
	editing *editing.Service
	counter *track.Counter
	seclog  *securityLog
	// limiters hold API tokens to their request rates.
	limiters struct {
		events *ratelimit.Local
		api    handlers.RateLimiter
	}
	signer  *track.Signer
	metrics *metrics
	fiber   *fiber.App
	// flood pauses rules whose match rate spikes (app/flood.go).
	flood *floodGuard
	// webhooks tells subscribers of publishes and pauses (app/webhooks.go).
	webhooks *webhooks
	// matches counts matched rules on the event path, for the flood guard
	// and the rule-activity counter (app/rulematches.go).
	matches *ruleMatches
	// feedback counts matches per rule and platforms' reports (app/feedback.go).
	feedback *feedbackService
	// tracing records spans when SIGNPOST_TRACING is on (app/tracing.go).
	tracing *tracing

	// closers release resources beside the store (the limiter's client).
	closers []func() error

	stopWorkers context.CancelFunc
	workers     sync.WaitGroup
	// draining is set when Serve is asked to stop: /readyz answers 503.
	draining atomic.Bool
}

// New opens the store, bootstraps the admin token and the shipped
// campaigns, builds the first catalog and the HTTP app. Any problem with
// configuration, rules or shipped content stops it with an error that
// names the file and the problem.
func New(cfg Config, log *slog.Logger) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), startupTimeout)
	defer cancel()

	st, err := openStore(cfg)
	if err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, log: log, store: st, catalog: &catalog.Holder{}, metrics: newMetrics(), matches: &ruleMatches{}}
	if err := a.init(ctx); err != nil {
		for _, c := range a.closers {
			_ = c()
		}
		st.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) init(ctx context.Context) error {
	if err := a.initTracing(ctx); err != nil {
		return err
	}
	// With SIGNPOST_RULES_DIR the rules are the operator's files, fixed
	// for the process's life; otherwise they live in the store, edited
	// through the same lifecycle as campaigns.
	var fixed *match.Matcher
	if a.cfg.RulesDir != "" {
		var err error
		if fixed, err = LoadMatcher(a.cfg.RulesDir); err != nil {
			return err
		}
	}
	// One cache for the editing checks and the served rules: a publish
	// compiles the rules it checked, and the served matcher is that one.
	// It keeps the last matcher compiled for a minute, long enough for a
	// publish to reach serving, and no longer: a draft's matcher must not
	// stay in memory beside the served one (a matcher of 50,000 rules is
	// about 100 MB of heap).
	if a.cfg.Matchers == nil {
		// The rules in the store are the shipped ones as edited: the
		// shipped scorer decides what none of them matches.
		scorer, err := match.LoadScorer(rules.FS)
		if err != nil {
			return err
		}
		a.cfg.Matchers = match.NewCache(1, time.Minute, scorer)
	}
	var cs *catalogSync
	a.initWebhooks()
	a.editing = editing.NewService(a.store, editing.Config{
		TwoPersonRule: a.cfg.TwoPersonRule,
		Changed:       func(ctx context.Context) error { return cs.changed(ctx) },
		Saved:         a.webhooks.saved,
		Benign:        rules.FS,
		BenignDir:     "testdata/benign",
		Matchers:      a.cfg.Matchers,
	})
	cs = newCatalogSync(a.store, a.editing, fixed, a.cfg.Matchers, a.catalog, a.log)
	a.sync = cs
	cs.tracer, cs.metrics = a.tracing.tracer, a.metrics
	if err := a.initFlood(cs); err != nil {
		return err
	}
	a.flood.webhooks = a.webhooks
	if fixed == nil {
		if err := importShippedRules(ctx, a.editing, rules.FS); err != nil {
			return err
		}
	}
	if err := importShipped(ctx, a.editing, locales.FS); err != nil {
		return err
	}
	if err := a.sync.refresh(ctx, true); err != nil {
		return fmt.Errorf("build catalog: %w", err)
	}

	var err error
	if a.tokens, err = auth.NewCache(ctx, a.store, a.log); err != nil {
		return err
	}
	a.sync.tokens = a.tokens
	if err := a.bootstrapAdmin(ctx); err != nil {
		return err
	}
	current, keys, err := cardKeys(ctx, a.store, time.Now())
	if err != nil {
		return err
	}
	signer, err := track.NewSigner(current, keys, track.DefaultTTL)
	if err != nil {
		return err
	}
	a.signer = signer
	a.seclog = newSecurityLog(a.store, a.log)
	a.counter = track.NewCounter(a.store, track.CounterConfig{FlushEvery: a.cfg.FlushEvery}, a.log)
	a.metrics.watchCounter(a.counter)
	a.feedback = a.initFeedback()
	if err := a.newLimiters(); err != nil {
		return err
	}
	a.metrics.watchLimiter(a.limiters.api)
	cards, err := web.NewCardRenderer()
	if err != nil {
		return err
	}
	assets, err := web.NewAssets()
	if err != nil {
		return err
	}
	ui, err := web.NewUI(assets, locales.UI())
	if err != nil {
		return err
	}
	apiDoc := handlers.NewAPIDoc()
	a.fiber = a.newFiber(signer, cards, ui, assets, apiDoc)
	return nil
}

func randomKey() ([]byte, error) {
	k := make([]byte, 32)
	_, err := rand.Read(k)
	return k, err
}

// OpenStore opens the store cfg selects, for the operator commands that
// work on the data itself (export, import) rather than serve it.
func OpenStore(cfg Config) (store.Store, error) { return openStore(cfg) }

// openStore opens Redis when it is configured, else the embedded store.
func openStore(cfg Config) (store.Store, error) {
	if !cfg.usesRedis() {
		st, err := boltstore.Open(cfg.DataDir)
		if err != nil {
			return nil, fmt.Errorf("open embedded store: %w", err)
		}
		return st, nil
	}
	client, err := redisstore.NewClient(redisstore.Config{URL: cfg.RedisURL, Addrs: cfg.RedisAddrs, MasterName: cfg.RedisMasterName})
	if err != nil {
		return nil, err
	}
	return redisstore.New(client, cfg.RedisPrefix, time.Second), nil
}

// bootstrapAdmin makes sure an admin can get in on a fresh store: with
// SIGNPOST_BOOTSTRAP_TOKEN as the secret, or with a fresh secret printed
// once to Stdout (never to the log).
func (a *App) bootstrapAdmin(ctx context.Context) error {
	if a.tokens.HasAdmin() {
		return nil
	}
	t, secret, err := auth.NewToken("bootstrap admin", auth.RoleAdmin, "", auth.MaxTokenLifetime, time.Now())
	if err != nil {
		return err
	}
	if b := a.cfg.BootstrapToken; b != "" {
		if len(b) < auth.MinBootstrapSecret {
			return fmt.Errorf("SIGNPOST_BOOTSTRAP_TOKEN must be at least %d characters", auth.MinBootstrapSecret)
		}
		secret, t.Hash = b, auth.Hash(b)
	}
	if err := a.tokens.Create(ctx, t); err != nil {
		// Another instance sharing the store may have bootstrapped first.
		if rerr := a.tokens.Refresh(ctx); rerr == nil && a.tokens.HasAdmin() {
			return nil
		}
		return fmt.Errorf("bootstrap admin token: %w", err)
	}
	a.log.Info("created the bootstrap admin token", "token_id", t.ID)
	if a.cfg.BootstrapToken == "" {
		fmt.Fprintf(a.cfg.Stdout, "signpost: admin secret (shown once, store it now): %s\n", secret)
	}
	return nil
}

func (a *App) newFiber(signer *track.Signer, cards *web.CardRenderer, ui *web.UI, assets *web.Assets, apiDoc *handlers.APIDoc) *fiber.App {
	f := fiber.New(fiber.Config{
		AppName:               "signpost",
		DisableStartupMessage: true,
		ErrorHandler:          handlers.ErrorHandler(a.log),
		// The largest request is a batch of 500 events.
		BodyLimit:    8 << 20,
		ReadTimeout:  10 * time.Second,
		WriteTimeout: 10 * time.Second,
		IdleTimeout:  60 * time.Second,
		// c.IP() is the connection's peer unless a trusted proxy says
		// otherwise; a client cannot pick its own address with a header.
		EnableTrustedProxyCheck: len(a.cfg.TrustedProxies) > 0,
		TrustedProxies:          a.cfg.TrustedProxies,
		ProxyHeader:             proxyHeader(a.cfg.TrustedProxies),
	})
	if a.tracing.enabled() {
		f.Use(a.tracing.middleware()) // outermost: the span covers the whole request
	}
	f.Use(a.metrics.observe(a.log))
	f.Use(handlers.SecurityHeaders(strings.HasPrefix(a.cfg.PublicURL, "https://")))
	f.Use(recover.New())
	f.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(a.metrics.reg, promhttp.HandlerOpts{})))
	srv := &handlers.Server{
		Catalog:        a.catalog,
		Tokens:         a.tokens,
		Signer:         signer,
		Store:          a.store,
		Metrics:        a.feedback.recorder(a.metrics),
		Campaigns:      a.editing,
		Rules:          a.editing,
		RulesFromFiles: a.cfg.RulesDir != "",
		Cards:          cards,
		Counter:        a.counter,
		Versions:       &versionSource{holder: a.catalog, svc: a.editing, cache: map[versionKey]*messages.Campaign{}},
		Reports:        &reporter{store: a.store, holder: a.catalog, svc: a.editing},
		Changed:        a.sync.changed,
		Sessions:       auth.NewSessions(a.store, a.cfg.SessionIdle, a.cfg.SessionAbsolute),
		Users:          a.store,
		Log:            a.log,
		Security:       a.seclog,
		EventLimiter:   a.limiters.events,
		APILimiter:     a.limiters.api,
		EventLimit:     ratelimit.Limit{Rate: a.cfg.EventRate, Burst: int(2 * a.cfg.EventRate)},
		APILimit:       ratelimit.Limit{Rate: a.cfg.APIRate, Burst: int(2 * a.cfg.APIRate)},
		PublicURL:      a.cfg.PublicURL,
		SafePage:       web.SafePage,
		TwoPersonRule:  a.cfg.TwoPersonRule,
		Draining:       a.draining.Load,
		UI:             ui,
		Assets:         assets,
		Flood:          a.flood,
		Webhooks:       a.webhooks.svc,
		Feedback:       a.feedback,
		APIDoc:         apiDoc,
	}
	srv.Register(f)
	return f
}

// Fiber returns the HTTP app, for in-process tests.
func (a *App) Fiber() *fiber.App { return a.fiber }

// Run serves on cfg.Addr until ctx ends, then drains requests.
func (a *App) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.Addr, err)
	}
	return a.Serve(ctx, ln)
}

// Serve is Run on an existing listener.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	wctx, stop := context.WithCancel(context.Background())
	a.stopWorkers = stop
	a.workers.Go(func() { a.tokens.Run(wctx, a.cfg.TokenRefresh) })
	a.workers.Go(func() { a.sync.run(wctx, a.cfg.CatalogPoll, a.cfg.CatalogRefresh) })
	a.workers.Go(func() { a.counter.Run(wctx) })
	a.workers.Go(func() { a.rotateCardKeys(wctx) })
	a.workers.Go(func() { a.seclog.run(wctx) })
	a.workers.Go(func() { a.flood.run(wctx) })
	a.workers.Go(func() { a.webhooks.svc.Run(wctx) })
	a.workers.Go(func() { a.feedback.counter.run(wctx) })

	errc := make(chan error, 1)
	go func() { errc <- a.fiber.Listener(ln) }()
	a.log.Info("serving", "addr", ln.Addr().String(), "store", a.storeKind())
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// Readiness goes false first and the service keeps serving for the
	// drain delay, so load balancers take it out of rotation before it
	// stops accepting; then in-flight requests finish (up to the shutdown
	// timeout), and Close flushes the counts and closes the store.
	a.draining.Store(true)
	a.log.Info("shutting down", "drain", a.cfg.DrainDelay.String())
	if a.cfg.DrainDelay > 0 {
		time.Sleep(a.cfg.DrainDelay)
	}
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	if err := a.fiber.ShutdownWithContext(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

func (a *App) storeKind() string {
	if a.cfg.usesRedis() {
		return "redis"
	}
	return "embedded"
}

// Close stops background workers and closes the store.
func (a *App) Close() error {
	if a.stopWorkers != nil {
		a.stopWorkers()
	}
	a.workers.Wait()
	if a.fiber != nil {
		_ = a.fiber.Shutdown()
	}
	for _, c := range a.closers {
		_ = c()
	}
	return a.store.Close()
}

// proxyHeader is the header c.IP() reads when proxies are trusted.
func proxyHeader(trusted []string) string {
	if len(trusted) == 0 {
		return ""
	}
	return fiber.HeaderXForwardedFor
}
