package app_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"signpost/app"
)

// tracedDo sends one request with optional extra headers.
func tracedDo(t *testing.T, method, rawURL, secret string, body any, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, rawURL, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "tracing-test-agent/1.0")
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, data
}

// TestTracingSpans follows a search, the hosted card and a redirect
// through the tracer: one server span each, named by route pattern, the
// search's span a child of the platform's traceparent, and nothing in
// any span that names the person (address, user agent, subject), what
// they searched, or the card token.
func TestTracingSpans(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	cfg := app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.BootstrapToken = bootstrap
	cfg.Tracing.SpanExporter = exp
	in := start(t, cfg)
	secret := in.createToken(t, "platform", "acme")

	const (
		text     = "small boat to uk price"
		subject  = "subject-7c41e9b2"
		traceID  = "4bf92f3577b34da6a3ce929d0e0e4736"
		parentID = "00f067aa0ba902b7"
	)
	resp, body := tracedDo(t, "POST", in.base+"/v1/events", secret,
		map[string]string{"kind": "search", "text": text, "locale": "en-GB", "subject": subject, "country": "FR"},
		map[string]string{"traceparent": "00-" + traceID + "-" + parentID + "-01"})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /v1/events: %d %s", resp.StatusCode, body)
	}
	var ev struct {
		Matched bool
		Card    struct {
			Token, Campaign, Variant string
			Actions                  []struct{ URL string }
		}
	}
	if err := json.Unmarshal(body, &ev); err != nil || !ev.Matched || ev.Card.Token == "" || len(ev.Card.Actions) == 0 {
		t.Fatalf("event answer %s (%v), want a card with actions", body, err)
	}
	if resp, body := tracedDo(t, "GET", in.base+"/card/"+ev.Card.Token, "", nil, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /card/{token}: %d %s", resp.StatusCode, body)
	}
	action, err := url.Parse(ev.Card.Actions[0].URL)
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := tracedDo(t, "GET", in.base+action.RequestURI(), "", nil, nil); resp.StatusCode != http.StatusFound {
		t.Fatalf("GET %s: %d %s", action.Path, resp.StatusCode, body)
	}
	tracedDo(t, "GET", in.base+"/livez", "", nil, nil)

	// Spans are exported as they end (before the response is written);
	// read them before stopping, since shutting the exporter down empties it.
	spans := exp.GetSpans()
	byName := map[string]tracetest.SpanStub{}
	forbidden := []string{text, subject, ev.Card.Token, "127.0.0.1", "tracing-test-agent", secret}
	forbiddenKeys := []string{"client.address", "client.port", "net.peer.ip", "net.peer.name", "net.sock.peer.addr",
		"user_agent.original", "http.user_agent", "url.full", "url.path", "url.query", "http.url", "http.target"}
	for _, s := range spans {
		byName[s.Name] = s
		for _, kv := range s.Attributes {
			for _, bad := range forbiddenKeys {
				if string(kv.Key) == bad {
					t.Errorf("span %q carries attribute %s", s.Name, kv.Key)
				}
			}
			for _, bad := range forbidden {
				if strings.Contains(kv.Value.String(), bad) || strings.Contains(string(kv.Key), bad) {
					t.Errorf("span %q attribute %s=%q holds %q", s.Name, kv.Key, kv.Value.String(), bad)
				}
			}
		}
		for _, bad := range forbidden {
			if strings.Contains(s.Name, bad) {
				t.Errorf("span name %q holds %q", s.Name, bad)
			}
		}
		for _, kv := range s.Resource.Attributes() {
			for _, bad := range forbidden {
				if strings.Contains(kv.Value.String(), bad) {
					t.Errorf("resource attribute %s holds %q", kv.Key, bad)
				}
			}
		}
	}
	for _, name := range []string{"POST /v1/events", "GET /card/:token", "GET /r/:token"} {
		s, ok := byName[name]
		if !ok {
			t.Errorf("no span %q among %d spans", name, len(spans))
			continue
		}
		if s.SpanKind != trace.SpanKindServer {
			t.Errorf("span %q kind %v, want server", name, s.SpanKind)
		}
		attrs := map[string]string{}
		for _, kv := range s.Attributes {
			attrs[string(kv.Key)] = kv.Value.String()
		}
		route := strings.SplitN(name, " ", 2)[1]
		if attrs["http.route"] != route || attrs["http.request.method"] != strings.SplitN(name, " ", 2)[0] || attrs["http.response.status_code"] == "" {
			t.Errorf("span %q attributes %v, want route, method and status", name, attrs)
		}
	}
	if _, ok := byName["GET /livez"]; ok {
		t.Error("probe requests are traced; they should not be")
	}

	ev1 := byName["POST /v1/events"]
	if got := ev1.SpanContext.TraceID().String(); got != traceID {
		t.Errorf("event span trace id %s, want the traceparent's %s", got, traceID)
	}
	if got := ev1.Parent.SpanID().String(); got != parentID || !ev1.Parent.IsRemote() {
		t.Errorf("event span parent %s (remote %v), want the platform's span %s", got, ev1.Parent.IsRemote(), parentID)
	}
	attrs := map[string]string{}
	for _, kv := range ev1.Attributes {
		attrs[string(kv.Key)] = kv.Value.String()
	}
	want := map[string]string{"signpost.kind": "search", "signpost.matched": "true", "signpost.campaign": ev.Card.Campaign, "signpost.variant": ev.Card.Variant, "http.response.status_code": "200"}
	for k, v := range want {
		if attrs[k] != v {
			t.Errorf("event span %s = %q, want %q", k, attrs[k], v)
		}
	}
	if byName["GET /card/:token"].SpanContext.TraceID().String() == traceID {
		t.Error("a request without traceparent joined the platform's trace")
	}
	if _, ok := byName["catalog.rebuild"]; !ok {
		t.Error("no catalog.rebuild span for the start-up build")
	}
}

// TestTracingConfigFromEnv checks the switch and the standard variables.
func TestTracingConfigFromEnv(t *testing.T) {
	cfg, err := app.ConfigFromEnv(env(map[string]string{}))
	if err != nil || cfg.Tracing.Exporter != "" || cfg.Tracing.ServiceName != "signpost" || cfg.Tracing.SampleRatio != 1 {
		t.Errorf("default tracing %+v (%v), want off, service signpost, ratio 1", cfg.Tracing, err)
	}
	cfg, err = app.ConfigFromEnv(env(map[string]string{"SIGNPOST_TRACING": "otlp", "OTEL_SERVICE_NAME": "signpost-eu", "OTEL_TRACES_SAMPLER_ARG": "0.05"}))
	if err != nil || cfg.Tracing.Exporter != "otlp" || cfg.Tracing.ServiceName != "signpost-eu" || cfg.Tracing.SampleRatio != 0.05 {
		t.Errorf("tracing %+v (%v)", cfg.Tracing, err)
	}
	for _, bad := range []map[string]string{{"SIGNPOST_TRACING": "jaeger"}, {"OTEL_TRACES_SAMPLER_ARG": "1.5"}, {"OTEL_TRACES_SAMPLER_ARG": "NaN"}} {
		if _, err := app.ConfigFromEnv(env(bad)); err == nil {
			t.Errorf("ConfigFromEnv(%v) accepted", bad)
		}
	}
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// TestTracingOTLP exports to a fake collector over OTLP/HTTP, addressed by
// the standard OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, and checks that Close
// delivers the buffered spans.
func TestTracingOTLP(t *testing.T) {
	var mu sync.Mutex
	var got [][]byte
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/v1/traces" {
			mu.Lock()
			got = append(got, data)
			mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", collector.URL+"/v1/traces")

	cfg, err := app.ConfigFromEnv(env(map[string]string{"SIGNPOST_TRACING": "otlp"}))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	cfg.BootstrapToken = bootstrap
	in := start(t, cfg)
	secret := in.createToken(t, "platform", "acme")
	const text = "small boat to uk price"
	if resp, body := in.do(t, "POST", "/v1/events", secret, map[string]string{"kind": "search", "text": text}); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /v1/events: %d %s", resp.StatusCode, body)
	}
	in.stop()
	mu.Lock()
	defer mu.Unlock()
	all := bytes.Join(got, nil)
	if len(got) == 0 || !bytes.Contains(all, []byte("POST /v1/events")) {
		t.Fatalf("collector got %d exports without the event span", len(got))
	}
	if bytes.Contains(all, []byte(text)) {
		t.Error("an exported span holds the search text")
	}
}

// BenchmarkEventCardTraced is BenchmarkEventCard with tracing on, every
// request sampled and exported synchronously to an in-memory exporter:
// the upper bound of what tracing costs the hot path (a real deployment
// batches exports and samples).
func BenchmarkEventCardTraced(b *testing.B) {
	exp := tracetest.NewInMemoryExporter()
	cfg := app.DefaultConfig()
	cfg.DataDir = b.TempDir()
	cfg.BootstrapToken = bootstrap
	cfg.EventRate = 0
	cfg.Tracing.SpanExporter = exp
	a, err := app.New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	h := a.Fiber().Handler()
	tok := request("POST", "/v1/tokens", bootstrap, `{"name":"bench","role":"platform","platform":"bench"}`)
	h(tok)
	var t struct{ Secret string }
	if err := json.Unmarshal(tok.Response.Body(), &t); err != nil {
		b.Fatal(err)
	}
	ctx := request("POST", "/v1/events", t.Secret, `{"kind":"search","text":"small boat to uk price","locale":"ar-IQ,ar;q=0.9,en;q=0.5","subject":"s-123","country":"FR"}`)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%10000 == 0 {
			exp.Reset() // keep the exporter's memory from growing with b.N
		}
		ctx.Response.Reset()
		h(ctx)
	}
	b.StopTimer()
	if ctx.Response.StatusCode() != 200 || len(exp.GetSpans()) == 0 {
		b.Fatalf("status %d, %d spans", ctx.Response.StatusCode(), len(exp.GetSpans()))
	}
}
