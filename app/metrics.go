package app

import (
	"log/slog"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"signpost/catalog"
	"signpost/track"
)

// metrics are the service's Prometheus collectors, on a registry of its
// own (no global default registry). Labels are bounded: route patterns,
// kinds, campaign ids and locales chosen by editors, never request text.
type metrics struct {
	reg      *prometheus.Registry
	events   *prometheus.CounterVec
	cards    *prometheus.CounterVec
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec

	// The catalog's rebuilds and the store's health as its sync sees it
	// (app/sync.go), for the "publishes do not land" and "store
	// unavailable" alerts of docs/metrics.md.
	rebuilds       *prometheus.CounterVec
	rebuildTime    prometheus.Histogram
	generation     prometheus.Gauge
	storeAvailable prometheus.Gauge
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "signpost_events_total", Help: "Events answered, by kind and whether a rule matched.",
		}, []string{"kind", "matched"}),
		cards: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "signpost_cards_served_total", Help: "Cards served, by campaign, variant and locale.",
		}, []string{"campaign", "variant", "locale"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "signpost_http_requests_total", Help: "HTTP requests, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "signpost_http_request_duration_seconds", Help: "HTTP request latency, by route pattern.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"route"}),
		rebuilds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "signpost_catalog_rebuilds_total", Help: "Catalog rebuilds (after a publish, a pause or the periodic refresh), by result: ok or error.",
		}, []string{"result"}),
		rebuildTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "signpost_catalog_rebuild_duration_seconds", Help: "Time to rebuild the catalog, including recompiling changed rules and campaigns.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}),
		generation: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "signpost_catalog_generation", Help: "The store's published-state generation the served catalog was built from; instances that disagree for long missed a publish.",
		}),
		storeAvailable: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "signpost_store_available", Help: "1 when the store answered the catalog sync's last poll (every 250 ms), else 0. Platform calls keep being answered either way.",
		}),
	}
	// Series that exist from the start, so alerts and rate() see zeros
	// rather than no data.
	for _, kind := range []string{"search", "view"} {
		for _, matched := range []string{"true", "false"} {
			m.events.WithLabelValues(kind, matched)
		}
	}
	m.rebuilds.WithLabelValues("ok")
	m.rebuilds.WithLabelValues("error")
	m.reg.MustRegister(m.events, m.cards, m.requests, m.latency,
		m.rebuilds, m.rebuildTime, m.generation, m.storeAvailable,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// catalogRebuilt records one catalog rebuild from the given generation.
func (m *metrics) catalogRebuilt(took time.Duration, generation int64, err error) {
	if m == nil {
		return
	}
	if err != nil {
		m.rebuilds.WithLabelValues("error").Inc()
		return
	}
	m.rebuilds.WithLabelValues("ok").Inc()
	m.rebuildTime.Observe(took.Seconds())
	m.generation.Set(float64(generation))
}

// storeAnswered records whether the store answered a poll.
func (m *metrics) storeAnswered(err error) {
	if m == nil {
		return
	}
	if err != nil {
		m.storeAvailable.Set(0)
		return
	}
	m.storeAvailable.Set(1)
}

// watchLimiter exports how often the shared API rate limiter decided in
// memory because Redis failed or its breaker was open (ratelimit.Redis):
// the limiter's fail-open count. It stays 0 on the embedded store, whose
// limiter is in memory by design.
func (m *metrics) watchLimiter(l any) {
	fallbacks := func() float64 { return 0 }
	if f, ok := l.(interface{ Fallbacks() uint64 }); ok {
		fallbacks = func() float64 { return float64(f.Fallbacks()) }
	}
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "signpost_ratelimit_fallbacks_total", Help: "API rate-limit decisions made in this instance's memory because Redis failed or its circuit breaker was open.",
	}, fallbacks))
}

// Event records one answered event.
func (m *metrics) Event(kind string, d catalog.Decision) {
	m.events.WithLabelValues(kind, strconv.FormatBool(d.Match.Matched)).Inc()
	if d.Card != nil {
		m.cards.WithLabelValues(d.Campaign.Def.ID, d.Campaign.Def.Experiment.Variants[d.Variant].Key, d.Locale).Inc()
	}
}

// observe handles errors where they arise (so the status is known), then
// counts the request, records its latency and logs it. It labels and
// logs the route pattern, never the raw path (card tokens travel in it),
// the query, the body or the client address.
func (m *metrics) observe(log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		if err := c.Next(); err != nil {
			if herr := c.App().Config().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		route, status, took := c.Route().Path, c.Response().StatusCode(), time.Since(start)
		m.requests.WithLabelValues(route, methodLabel(c.Method()), strconv.Itoa(status)).Inc()
		m.latency.WithLabelValues(route).Observe(took.Seconds())
		if ctx := c.UserContext(); log.Enabled(ctx, slog.LevelDebug) {
			log.LogAttrs(ctx, slog.LevelDebug, "request",
				slog.String("method", methodLabel(c.Method())), slog.String("route", route),
				slog.Int("status", status), slog.Duration("took", took))
		}
		return nil
	}
}

// watchCounter exports the engagement counter's backlog: counts waiting
// for the store, written, and dropped at the memory bound.
func (m *metrics) watchCounter(c *track.Counter) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "signpost_engagement_pending", Help: "Counted events waiting to be written to the store.",
		}, func() float64 { return float64(c.Pending()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "signpost_engagement_flushed_total", Help: "Counted events written to the store.",
		}, func() float64 { return float64(c.Flushed()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "signpost_engagement_dropped_total", Help: "Events not counted because memory bounds were reached while the store was away.",
		}, func() float64 { return float64(c.Dropped()) }),
	)
}

// methodLabel returns the request method as a constant string. fiber's
// Method points into a request buffer that the next request overwrites,
// and a label value is kept by the collector: an uncopied one changes
// under it (two series with the same labels, and a failed scrape). Any
// other method is "other", which also keeps the label's values bounded.
func methodLabel(m string) string {
	for _, known := range [...]string{fiber.MethodGet, fiber.MethodHead, fiber.MethodPost, fiber.MethodPut,
		fiber.MethodPatch, fiber.MethodDelete, fiber.MethodOptions} {
		if m == known {
			return known
		}
	}
	return "other"
}
