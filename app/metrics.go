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
	}
	m.reg.MustRegister(m.events, m.cards, m.requests, m.latency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
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
		m.requests.WithLabelValues(route, c.Method(), strconv.Itoa(status)).Inc()
		m.latency.WithLabelValues(route).Observe(took.Seconds())
		if ctx := c.UserContext(); log.Enabled(ctx, slog.LevelDebug) {
			log.LogAttrs(ctx, slog.LevelDebug, "request",
				slog.String("method", c.Method()), slog.String("route", route),
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
