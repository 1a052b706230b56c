package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// TracingConfig says whether spans are recorded and where they go.
// Tracing is off unless SIGNPOST_TRACING names an exporter.
type TracingConfig struct {
	// Exporter is "otlp" (SIGNPOST_TRACING=otlp: OTLP over HTTP, to the
	// endpoint the standard OTEL_EXPORTER_OTLP_ENDPOINT or
	// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT names, read by the exporter
	// itself) or "" for off.
	Exporter string
	// ServiceName is the resource's service.name (OTEL_SERVICE_NAME).
	ServiceName string
	// SampleRatio is the share of new traces recorded
	// (OTEL_TRACES_SAMPLER_ARG, 0 to 1). A request whose traceparent
	// says the platform sampled it is always recorded, and one whose
	// traceparent says it did not is never: signpost joins the
	// platform's own decision.
	SampleRatio float64
	// SpanExporter, when set, receives every span synchronously whatever
	// Exporter says; tests pass an in-memory exporter.
	SpanExporter sdktrace.SpanExporter
}

// defaultTracing is tracing off, with the standard names ready.
func defaultTracing() TracingConfig {
	return TracingConfig{ServiceName: "signpost", SampleRatio: 1}
}

// tracingFromEnv reads SIGNPOST_TRACING and the standard OTEL_* variables
// signpost interprets itself into c.
func tracingFromEnv(getenv func(string) string, c *TracingConfig) error {
	switch v := strings.ToLower(strings.TrimSpace(getenv("SIGNPOST_TRACING"))); v {
	case "", "off", "none":
		c.Exporter = ""
	case "otlp":
		c.Exporter = v
	default:
		return fmt.Errorf("SIGNPOST_TRACING: %q is not otlp or off", v)
	}
	if v := strings.TrimSpace(getenv("OTEL_SERVICE_NAME")); v != "" {
		c.ServiceName = v
	}
	if v := strings.TrimSpace(getenv("OTEL_TRACES_SAMPLER_ARG")); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f >= 0 && f <= 1) {
			return fmt.Errorf("OTEL_TRACES_SAMPLER_ARG: %q is not a ratio between 0 and 1", v)
		}
		c.SampleRatio = f
	}
	return nil
}

// tracing holds the tracer provider the composition root built. It is
// passed to what records spans rather than installed as otel's global
// provider, so two App values in one process (tests, the scale-out
// benchmark) never see each other's spans.
type tracing struct {
	// provider is nil when tracing is off.
	provider *sdktrace.TracerProvider
	// tracer is a no-op tracer when tracing is off, so callers need no
	// check and pay a few nanoseconds.
	tracer trace.Tracer
	prop   propagation.TraceContext
}

// tracerName identifies signpost's instrumentation in exported spans.
const tracerName = "signpost"

// tracingShutdownTimeout bounds the final export of buffered spans on
// Close, so a collector that is down cannot hold up a shutdown.
const tracingShutdownTimeout = 5 * time.Second

// newTracing builds the provider cfg asks for, or the no-op one.
func newTracing(ctx context.Context, cfg TracingConfig) (*tracing, error) {
	var opt sdktrace.TracerProviderOption
	switch {
	case cfg.SpanExporter != nil:
		opt = sdktrace.WithSyncer(cfg.SpanExporter)
	case cfg.Exporter == "otlp":
		exp, err := otlptracehttp.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
		}
		// Batching never blocks a request: a full queue drops spans.
		opt = sdktrace.WithBatcher(exp)
	case cfg.Exporter == "":
		return &tracing{tracer: noop.NewTracerProvider().Tracer(tracerName)}, nil
	default:
		return nil, fmt.Errorf("tracing: unknown exporter %q", cfg.Exporter)
	}
	name := cfg.ServiceName
	if name == "" {
		name = "signpost"
	}
	// resource.Default carries the SDK's name and version and
	// OTEL_RESOURCE_ATTRIBUTES; deliberately no host or process detectors
	// (a command line can carry configuration).
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(attribute.String("service.name", name)))
	if err != nil {
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(opt, sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.SampleRatio))))
	return &tracing{provider: tp, tracer: tp.Tracer(tracerName)}, nil
}

// enabled reports whether spans are recorded at all.
func (t *tracing) enabled() bool { return t.provider != nil }

// shutdown exports what is buffered and stops the provider.
func (t *tracing) shutdown() error {
	if t.provider == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), tracingShutdownTimeout)
	defer cancel()
	if err := t.provider.Shutdown(ctx); err != nil {
		return fmt.Errorf("tracing: shutdown: %w", err)
	}
	return nil
}

// untraced reports whether path is polled by probes and scrapers: a span
// per poll is noise, not insight.
func untraced(path string) bool {
	return path == "/livez" || path == "/readyz" || path == "/metrics"
}

// middleware starts one server span per request, a child of the
// platform's span when the request carries a W3C traceparent, and hands
// it to the handlers through the request's user context.
//
// The span is named by method and route pattern and carries only the
// method, the route pattern, the status code and, for POST /v1/events,
// the event's kind, whether it matched and the campaign and variant
// served. Never the path (card tokens travel in /r/{token} and
// /card/{token}), the query, headers, the body, the client's address or
// user agent: those could identify a person or carry what they searched.
// It is installed only when tracing is on, so tracing off costs the hot
// path nothing.
func (t *tracing) middleware() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if untraced(c.Path()) {
			return c.Next()
		}
		ctx := t.prop.Extract(c.UserContext(), headerCarrier{&c.Request().Header})
		method := spanMethod(c.Request().Header.Method())
		ctx, span := t.tracer.Start(ctx, method, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", method)))
		defer span.End()
		c.SetUserContext(ctx)
		err := c.Next() // observe, the next middleware, has already handled errors
		route, status := c.Route().Path, c.Response().StatusCode()
		span.SetName(method + " " + route)
		span.SetAttributes(attribute.String("http.route", route), attribute.Int("http.response.status_code", status))
		if status >= 500 {
			span.SetStatus(codes.Error, "")
		}
		if span.IsRecording() && route == "/v1/events" && method == fiber.MethodPost && status == fiber.StatusOK {
			span.SetAttributes(eventAttributes(c.Body(), c.Response().Body())...)
		}
		return err
	}
}

// eventAttributes reads what a span may say about an answered event: its
// kind (only the two known values), whether it matched, and the
// campaign and variant of the card (ids editors chose). The text, the
// subject, the locale and the card token are decoded past, never kept.
func eventAttributes(req, resp []byte) []attribute.KeyValue {
	var in struct {
		Kind string `json:"kind"`
	}
	var out struct {
		Matched bool `json:"matched"`
		Card    *struct {
			Campaign string `json:"campaign"`
			Variant  string `json:"variant"`
		} `json:"card"`
	}
	attrs := make([]attribute.KeyValue, 0, 4)
	if json.Unmarshal(req, &in) == nil && (in.Kind == "search" || in.Kind == "view") {
		attrs = append(attrs, attribute.String("signpost.kind", in.Kind))
	}
	if json.Unmarshal(resp, &out) != nil {
		return attrs
	}
	attrs = append(attrs, attribute.Bool("signpost.matched", out.Matched))
	if out.Card != nil {
		attrs = append(attrs, attribute.String("signpost.campaign", out.Card.Campaign),
			attribute.String("signpost.variant", out.Card.Variant))
	}
	return attrs
}

// spanMethod returns the request's method as a constant string (fiber's
// own strings point into a reused buffer), or "_OTHER" for a method
// HTTP does not define, as the semantic conventions ask.
func spanMethod(m []byte) string {
	for _, known := range []string{fiber.MethodGet, fiber.MethodPost, fiber.MethodPut, fiber.MethodDelete,
		fiber.MethodHead, fiber.MethodPatch, fiber.MethodOptions, fiber.MethodConnect, fiber.MethodTrace} {
		if string(m) == known {
			return known
		}
	}
	return "_OTHER"
}

// headerCarrier reads the request's headers for the propagator. Get
// copies, so nothing extracted points into fasthttp's reused buffers.
type headerCarrier struct{ h *fasthttp.RequestHeader }

func (h headerCarrier) Get(key string) string { return string(h.h.Peek(key)) }

func (h headerCarrier) Set(key, value string) { h.h.Set(key, value) }

func (h headerCarrier) Keys() []string {
	var keys []string
	h.h.VisitAll(func(k, _ []byte) { keys = append(keys, string(k)) })
	return keys
}

var _ propagation.TextMapCarrier = headerCarrier{}

// initTracing builds the tracer provider and arranges for Close to flush
// and stop it.
func (a *App) initTracing(ctx context.Context) error {
	t, err := newTracing(ctx, a.cfg.Tracing)
	if err != nil {
		return err
	}
	a.tracing = t
	a.closers = append(a.closers, t.shutdown)
	return nil
}

// observedRebuild is rebuild inside a span, timed and counted for
// /metrics. Rebuilds happen on publishes and every CatalogRefresh, never
// per request, so the span is cheap and shows where a slow publish went.
func (s *catalogSync) observedRebuild(ctx context.Context, generation int64) error {
	span := trace.SpanFromContext(context.Background()) // a no-op span, unless traced
	if s.tracer != nil {
		ctx, span = s.tracer.Start(ctx, "catalog.rebuild", trace.WithAttributes(attribute.Int64("signpost.generation", generation)))
		defer span.End()
	}
	start := time.Now()
	err := s.rebuild(ctx)
	s.metrics.catalogRebuilt(time.Since(start), generation, err)
	if err != nil {
		span.SetStatus(codes.Error, "catalog rebuild failed")
	}
	return err
}
