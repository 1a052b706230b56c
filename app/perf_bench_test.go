package app

// Performance figures for docs/performance.md. Each benchmark measures a
// figure and its baseline in the same run, so ratios do not depend on how
// busy the machine was between runs. They run for fixed wall times rather
// than b.N iterations where the figure is a rate or a percentile; run them
// with -benchtime 1x (see docs/performance.md for the commands).

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"signpost/internal/redistest"
	"signpost/loadtest"
	"signpost/locales"
	"signpost/rules"
	"signpost/store"
)

var (
	perfRules     = flag.Int("perf.rules", 50000, "generated rules for BenchmarkPerfCatalog (besides the shipped ones)")
	perfCampaigns = flag.Int("perf.campaigns", 200, "campaigns for BenchmarkPerfCatalog")
	perfNLocales  = flag.Int("perf.locales", 20, "locales per campaign for BenchmarkPerfCatalog (at most 20)")
	perfDuration  = flag.Duration("perf.duration", 10*time.Second, "length of each fixed-rate run")
	perfSaturate  = flag.Duration("perf.saturate", 3*time.Second, "length of each closed-loop throughput run")
	perfWorkers   = flag.Int("perf.workers", 32, "concurrent connections of the load generator")
)

const perfBootstrap = "perf-bootstrap-secret-0123456789abcdef"

// perfApp starts signpost on an embedded store (or Redis when redisURL is
// set) with the rate limit off, and returns it with a platform secret.
func perfApp(tb testing.TB, redisURL, prefix string, edit func(*Config)) (*App, string) {
	tb.Helper()
	cfg := DefaultConfig()
	cfg.DataDir = tb.TempDir()
	cfg.BootstrapToken = perfBootstrap
	cfg.EventRate = 0 // measure the service, not the limiter's refusals
	cfg.Stdout = nil
	if redisURL != "" {
		cfg.RedisURL, cfg.RedisPrefix = redisURL, prefix
	}
	if edit != nil {
		edit(&cfg)
	}
	a, err := New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { a.Close() })
	return a, perfPlatformToken(tb, a)
}

// perfPlatformToken creates a platform token through the admin API.
func perfPlatformToken(tb testing.TB, a *App) string {
	tb.Helper()
	ctx := perfRequest("/v1/tokens", perfBootstrap, `{"name":"perf","role":"platform","platform":"perf"}`)
	a.Fiber().Handler()(ctx)
	if ctx.Response.StatusCode() != fiber.StatusCreated {
		tb.Fatalf("create token: %d %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
	var tok struct{ Secret string }
	if err := json.Unmarshal(ctx.Response.Body(), &tok); err != nil {
		tb.Fatal(err)
	}
	return tok.Secret
}

func perfRequest(path, secret, body string) *fasthttp.RequestCtx {
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod(fiber.MethodPost)
	ctx.Request.SetRequestURI(path)
	ctx.Request.Header.SetContentType(fiber.MIMEApplicationJSON)
	if secret != "" {
		ctx.Request.Header.Set(fiber.HeaderAuthorization, "Bearer "+secret)
	}
	ctx.Request.SetBodyString(body)
	return &ctx
}

// perfServe serves f on a loopback port until the benchmark ends and
// returns its base URL.
func perfServe(tb testing.TB, serve func(ctx context.Context, ln net.Listener) error) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, net.ErrClosed) {
			tb.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// perfServeFiber serves a bare fiber app like perfServe.
func perfServeFiber(tb testing.TB, f *fiber.App) string {
	return perfServe(tb, func(ctx context.Context, ln net.Listener) error {
		go func() { <-ctx.Done(); _ = f.Shutdown() }()
		return f.Listener(ln)
	})
}

// perfBodies draws n event bodies of platform traffic (4% matching, 30%
// views) from the load tool's corpus.
func perfBodies(tb testing.TB, n int) []string {
	tb.Helper()
	mix, err := loadtest.NewMix(loadtest.Corpus(), 0.04, 0.3, 100000)
	if err != nil {
		tb.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	out := make([]string, n)
	for i := range out {
		b, _ := json.Marshal(mix.Next(rng))
		out[i] = string(b)
	}
	return out
}

// perfBareEvent is the shape the bare baseline parses: the same fields
// as signpost's event request.
type perfBareEvent struct {
	Kind    *string `json:"kind"`
	Text    *string `json:"text"`
	Locale  string  `json:"locale"`
	Subject string  `json:"subject"`
	Country string  `json:"country"`
}

// perfBareFiber is the baseline: fiber with the same body limit and
// timeouts, parsing the same JSON body and answering a fixed card of the
// size signpost sends, with no auth, matching, assignment or signing.
func perfBareFiber() *fiber.App {
	f := fiber.New(fiber.Config{DisableStartupMessage: true, BodyLimit: 8 << 20,
		ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second})
	card := fiber.Map{"matched": true, "match": fiber.Map{"categories": []string{"crossing"}, "rules": []string{"en.crossing.boat_uk"}},
		"card": fiber.Map{"token": strings.Repeat("t", 180), "campaign": "small-boats", "variant": "a", "locale": "en", "dir": "ltr",
			"title": "The Channel crossing can cost you your life", "body": strings.Repeat("Every year, people die. ", 16),
			"actions":  []fiber.Map{{"id": "help", "label": "Find help", "url": "http://localhost:8080/r/t?a=help"}},
			"dismiss":  fiber.Map{"label": "Close"},
			"continue": fiber.Map{"label": "Continue to results"}}}
	f.Post("/v1/events", func(c *fiber.Ctx) error {
		var req perfBareEvent
		if err := json.Unmarshal(c.Body(), &req); err != nil || req.Kind == nil || req.Text == nil {
			return c.SendStatus(fiber.StatusBadRequest)
		}
		return c.JSON(card)
	})
	return f
}

// perfRun runs the load tool against urls and fails the benchmark on any
// error it reports.
func perfRun(b *testing.B, urls []string, secret string, rate float64, d time.Duration) *loadtest.Report {
	b.Helper()
	cfg := loadtest.DefaultConfig()
	cfg.URLs, cfg.Token, cfg.Rate, cfg.Duration, cfg.Workers = urls, secret, rate, d, *perfWorkers
	// The baseline cannot count interactions; leave them out of throughput
	// comparisons so both sides answer the same requests.
	cfg.InteractionsShare = 0
	rep, err := loadtest.Run(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	if len(rep.Errors) > 0 || rep.OK == 0 {
		b.Fatalf("load run failed: %d ok, errors %v", rep.OK, rep.Errors)
	}
	return rep
}

// BenchmarkPerfEventsVsBare compares POST /v1/events with the bare fiber
// baseline on the same traffic, in alternating rounds of one run:
// "inprocess" calls the handlers directly (the service's own cost per
// request on one core), "loopback" sends HTTP over loopback with the load
// tool in closed loop (what a deployment sees, client and server sharing
// the machine). Each runs for -perf.saturate in total. ratio is signpost's throughput over the baseline's
// (target >= 0.8).
func BenchmarkPerfEventsVsBare(b *testing.B) {
	bodies := perfBodies(b, 2000)
	b.Run("inprocess", func(b *testing.B) {
		a, secret := perfApp(b, "", "", nil)
		sp, bare := a.Fiber().Handler(), perfBareFiber().Handler()
		spCtx := make([]*fasthttp.RequestCtx, len(bodies))
		bareCtx := make([]*fasthttp.RequestCtx, len(bodies))
		for i, body := range bodies {
			spCtx[i] = perfRequest("/v1/events", secret, body)
			bareCtx[i] = perfRequest("/v1/events", "", body)
		}
		round := func(h fasthttp.RequestHandler, ctxs []*fasthttp.RequestCtx, from, n int) time.Duration {
			start := time.Now()
			for i := from; i < from+n; i++ {
				ctx := ctxs[i%len(ctxs)]
				ctx.Response.Reset()
				h(ctx)
				if ctx.Response.StatusCode() != fiber.StatusOK {
					b.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
				}
			}
			return time.Since(start)
		}
		// Alternating rounds for -perf.saturate, whatever b.N is, so that
		// one run (-benchtime 1x) gives the figure.
		const chunk = 500
		var spT, bareT time.Duration
		n := 0
		for end := time.Now().Add(*perfSaturate); time.Now().Before(end); n += chunk {
			spT += round(sp, spCtx, n, chunk)
			bareT += round(bare, bareCtx, n, chunk)
		}
		spRate, bareRate := float64(n)/spT.Seconds(), float64(n)/bareT.Seconds()
		b.ReportMetric(spRate, "signpost-req/s")
		b.ReportMetric(bareRate, "bare-req/s")
		b.ReportMetric(spRate/bareRate, "ratio")
	})
	b.Run("loopback", func(b *testing.B) {
		a, secret := perfApp(b, "", "", nil)
		spURL := perfServe(b, a.Serve)
		bareURL := perfServeFiber(b, perfBareFiber())
		var spN, bareN float64
		var spT, bareT float64
		for range 2 { // alternate, so a burst of other load hits both
			r := perfRun(b, []string{spURL}, secret, 0, *perfSaturate/2)
			spN, spT = spN+float64(r.OK), spT+r.Seconds
			r = perfRun(b, []string{bareURL}, "unused", 0, *perfSaturate/2)
			bareN, bareT = bareN+float64(r.OK), bareT+r.Seconds
		}
		b.ReportMetric(spN/spT, "signpost-req/s")
		b.ReportMetric(bareN/bareT, "bare-req/s")
		b.ReportMetric((spN/spT)/(bareN/bareT), "ratio")
	})
}

// BenchmarkPerfLatencyHalfRate finds signpost's maximum rate over loopback
// (closed loop, -perf.saturate), then sends at half of it on schedule for
// -perf.duration and reports the latencies, measured from each request's
// intended send time, with interactions for received cards included.
func BenchmarkPerfLatencyHalfRate(b *testing.B) {
	a, secret := perfApp(b, "", "", nil)
	url := perfServe(b, a.Serve)
	maxRate := perfRun(b, []string{url}, secret, 0, *perfSaturate).Throughput
	cfg := loadtest.DefaultConfig()
	cfg.URLs, cfg.Token, cfg.Rate, cfg.Duration, cfg.Workers = []string{url}, secret, maxRate/2, *perfDuration, *perfWorkers
	rep, err := loadtest.Run(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	if len(rep.Errors) > 0 {
		b.Fatalf("errors at half the maximum rate: %v", rep.Errors)
	}
	b.ReportMetric(maxRate, "max-req/s")
	b.ReportMetric(rep.Throughput, "req/s")
	b.ReportMetric(rep.Latency.P50, "p50-ms")
	b.ReportMetric(rep.Latency.P90, "p90-ms")
	b.ReportMetric(rep.Latency.P99, "p99-ms")
	b.ReportMetric(rep.Latency.P999, "p99.9-ms")
	b.ReportMetric(rep.Latency.Max, "max-ms")
	b.ReportMetric(float64(rep.LateSends), "late-sends")
}

// BenchmarkPerfScaleOut runs one, two and three instances in this process
// on one real redis-server, with the load spread across them, and reports
// the total closed-loop throughput. In one process on one machine the
// instances share its cores with each other and with the load tool, so
// this shows what a shared Redis costs (nothing on the hot path, by
// design), not how far more machines go: for that, run `signpost
// loadtest` with several --url against separate hosts.
func BenchmarkPerfScaleOut(b *testing.B) {
	srv := redistest.Start(b)
	for n := 1; n <= 3; n++ {
		b.Run(fmt.Sprintf("instances=%d", n), func(b *testing.B) {
			prefix := fmt.Sprintf("perf%d:", n)
			first, secret := perfApp(b, srv.URL(), prefix, nil)
			urls := []string{perfServe(b, first.Serve)}
			for range n - 1 {
				// Started after the token exists, so their token caches hold it.
				a, _ := perfApp(b, srv.URL(), prefix, nil)
				urls = append(urls, perfServe(b, a.Serve))
			}
			rep := perfRun(b, urls, secret, 0, *perfSaturate)
			b.ReportMetric(rep.Throughput, "req/s")
			b.ReportMetric(rep.Latency.P99, "p99-ms")
		})
	}
}

// perfLocales are the 20 locales of the generated campaigns: the ten the
// shipped campaign has, and ten Latin-script ones given its English text.
var perfLocales = []string{"en", "ar", "ckb", "fa", "fr", "ps", "sq", "ti", "tr", "vi",
	"de", "es", "it", "nl", "pl", "pt", "ro", "so", "sv", "da"}

// perfCategories are the shipped rule categories campaigns target.
var perfCategories = []string{"crossing", "smuggler", "documents", "discount", "children", "safety"}

// perfImportCampaigns publishes n campaigns of nLoc locales each, made
// from the shipped campaign's content.
func perfImportCampaigns(b *testing.B, a *App, n, nLoc int) {
	b.Helper()
	dir := "campaigns/small-boats"
	shipped := map[string][]byte{}
	for _, loc := range perfLocales[:10] {
		data, err := fs.ReadFile(locales.FS, dir+"/"+loc+".toml")
		if err != nil {
			b.Fatal(err)
		}
		shipped[loc] = data
	}
	var def map[string]any
	raw, err := fs.ReadFile(locales.FS, dir+"/campaign.json")
	if err != nil {
		b.Fatal(err)
	}
	if err := json.Unmarshal(raw, &def); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for i := range n {
		id := fmt.Sprintf("perf-%03d", i)
		def["id"], def["name"], def["priority"] = id, "Performance campaign "+id, i%7
		def["experiment"].(map[string]any)["seed"] = id
		cats := []string{perfCategories[i%len(perfCategories)], perfCategories[(i+1)%len(perfCategories)]}
		def["targeting"] = map[string]any{"categories": cats, "countries": []string{[]string{"FR", "GB", "BE", "DE"}[i%4]}}
		d, _ := json.Marshal(def)
		content := map[string]store.LocaleContent{}
		for _, loc := range perfLocales[:nLoc] {
			data, ok := shipped[loc]
			if !ok {
				data = shipped["en"]
			}
			content[loc] = store.LocaleContent{Format: "toml", Data: data}
		}
		// A version that does not compile would be left out of the catalog
		// silently; fail here instead, with the reason.
		if _, err := compileVersion(store.CampaignVersion{CampaignID: id, Version: 1, Draft: store.Draft{Definition: d, Content: content}}); err != nil {
			b.Fatal(err)
		}
		if _, err := a.editing.Import(ctx, d, content); err != nil {
			b.Fatalf("import %s: %v", id, err)
		}
	}
}

// perfGeneratedRules returns n synthetic rules in the shipped style, as
// match's generatedSource does (that one is a test helper of its package).
func perfGeneratedRules(n int) string {
	rng := rand.New(rand.NewPCG(7, 11))
	syl := []string{"ka", "lo", "mi", "ren", "tu", "sa", "vor", "pe", "di", "gan", "zu", "ber", "lin", "ho", "ta", "nek"}
	word := func() string {
		var s strings.Builder
		for range 2 + rng.IntN(3) {
			s.WriteString(syl[rng.IntN(len(syl))])
		}
		return s.String()
	}
	var src strings.Builder
	src.WriteString("lang: xx\n")
	for i := range n {
		fmt.Fprintf(&src, "rule: gen.r%d\ncategory: %s\nmatch: (%s OR %s OR %s*) NEAR/4 (%s OR \"%s %s\")\n",
			i, perfCategories[i%len(perfCategories)], word(), word(), word(), word(), word(), word())
	}
	return src.String()
}

// perfRulesDir writes the shipped rules plus n generated ones to a
// directory for SIGNPOST_RULES_DIR.
func perfRulesDir(b *testing.B, n int) string {
	b.Helper()
	dir := b.TempDir()
	names, err := fs.Glob(rules.FS, "*.rules")
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range names {
		data, err := fs.ReadFile(rules.FS, name)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "generated.rules"), []byte(perfGeneratedRules(n)), 0o600); err != nil {
		b.Fatal(err)
	}
	return dir
}

// perfRSS returns the process's resident set size in bytes from
// /proc/self/status, or 0 where that does not exist.
func perfRSS() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb * 1024
		}
	}
	return 0
}

// BenchmarkPerfCatalog builds a service with the shipped rules plus
// -perf.rules generated ones and -perf.campaigns campaigns in
// -perf.locales locales, and reports: the heap in use and the process's
// RSS after a full collection (target under 200 MB RSS); the rule
// compile time; the catalog rebuild time warm (after a publish: only
// the changed campaign recompiled) and cold (every campaign recompiled);
// and the in-process cost of one event against that catalog (event-us, on
// the load tool's traffic mix).
func BenchmarkPerfCatalog(b *testing.B) {
	nLoc := min(*perfNLocales, len(perfLocales))
	dir := perfRulesDir(b, *perfRules)
	a, secret := perfApp(b, "", "", func(c *Config) { c.RulesDir = dir })
	perfImportCampaigns(b, a, *perfCampaigns, nLoc)
	ctx := context.Background()
	timeRebuild := func(cold bool) time.Duration {
		if cold {
			a.sync.mu.Lock()
			clear(a.sync.compiled)
			a.sync.mu.Unlock()
		}
		start := time.Now()
		if err := a.sync.refresh(ctx, true); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	warm, cold := timeRebuild(false), timeRebuild(true)
	if got := len(a.sync.compiled); got < *perfCampaigns {
		b.Fatalf("catalog serves %d campaigns, want at least %d", got, *perfCampaigns)
	}

	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss := perfRSS()

	// Compiled after the memory is read, so that its garbage is not in it.
	start := time.Now()
	if _, err := LoadMatcher(dir); err != nil {
		b.Fatal(err)
	}
	compile := time.Since(start)

	h := a.Fiber().Handler()
	bodies := perfBodies(b, 2000)
	ctxs := make([]*fasthttp.RequestCtx, len(bodies))
	for i, body := range bodies {
		ctxs[i] = perfRequest("/v1/events", secret, body)
	}
	// At least 20,000 events whatever b.N is, so that one run
	// (-benchtime 1x) gives the figure.
	events := max(b.N, 20000)
	start = time.Now()
	for i := range events {
		c := ctxs[i%len(ctxs)]
		c.Response.Reset()
		h(c)
		if c.Response.StatusCode() != fiber.StatusOK {
			b.Fatalf("status %d: %s", c.Response.StatusCode(), c.Response.Body())
		}
	}
	perEvent := time.Since(start) / time.Duration(events)
	const mb = 1 << 20
	b.ReportMetric(float64(ms.HeapAlloc)/mb, "heap-MB")
	b.ReportMetric(float64(ms.HeapInuse)/mb, "heap-inuse-MB")
	b.ReportMetric(float64(ms.Sys-ms.HeapReleased)/mb, "go-sys-MB")
	b.ReportMetric(rss/mb, "rss-MB")
	b.ReportMetric(float64(compile.Milliseconds()), "compile-ms")
	b.ReportMetric(float64(warm.Microseconds())/1000, "rebuild-warm-ms")
	b.ReportMetric(float64(cold.Microseconds())/1000, "rebuild-cold-ms")
	b.ReportMetric(float64(perEvent.Nanoseconds())/1000, "event-us")
}
