package app_test

import (
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/valyala/fasthttp"

	"signpost/app"
)

// benchHandler returns the service's in-process HTTP handler (no network),
// on an embedded store in a temp dir, and a platform secret.
func benchHandler(b *testing.B) (fasthttp.RequestHandler, string) {
	b.Helper()
	cfg := app.DefaultConfig()
	cfg.DataDir = b.TempDir()
	cfg.BootstrapToken = bootstrap
	cfg.EventRate = 0 // measure the service, not the limiter's refusals
	a, err := app.New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	h := a.Fiber().Handler()
	ctx := request("POST", "/v1/tokens", bootstrap, `{"name":"bench","role":"platform","platform":"bench"}`)
	h(ctx)
	if ctx.Response.StatusCode() != 201 {
		b.Fatalf("create token: %d %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
	var tok struct{ Secret string }
	if err := json.Unmarshal(ctx.Response.Body(), &tok); err != nil {
		b.Fatal(err)
	}
	return h, tok.Secret
}

func request(method, path, secret, body string) *fasthttp.RequestCtx {
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod(method)
	ctx.Request.SetRequestURI(path)
	ctx.Request.Header.SetContentType("application/json")
	if secret != "" {
		ctx.Request.Header.Set("Authorization", "Bearer "+secret)
	}
	ctx.Request.SetBodyString(body)
	return &ctx
}

func benchEvents(b *testing.B, body string, wantMatch bool) {
	h, secret := benchHandler(b)
	ctx := request("POST", "/v1/events", secret, body)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ctx.Response.Reset()
		h(ctx)
	}
	b.StopTimer()
	if ctx.Response.StatusCode() != 200 {
		b.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
	if got := string(ctx.Response.Body()) != `{"matched":false,"card":null}`; got != wantMatch {
		b.Fatalf("unexpected answer: %s", ctx.Response.Body())
	}
}

// BenchmarkEventNoMatch is the common case: an everyday search.
func BenchmarkEventNoMatch(b *testing.B) {
	benchEvents(b, `{"kind":"search","text":"cheap flights to lisbon in may","locale":"en-GB,en;q=0.9","subject":"s-123","country":"GB"}`, false)
}

// BenchmarkEventCard answers with a card: matching, assignment,
// negotiation and a signed token.
func BenchmarkEventCard(b *testing.B) {
	benchEvents(b, `{"kind":"search","text":"small boat to uk price","locale":"ar-IQ,ar;q=0.9,en;q=0.5","subject":"s-123","country":"FR"}`, true)
}

// BenchmarkLivezBaseline is fiber's own per-request cost with the same
// middleware, the baseline for the event benchmarks.
func BenchmarkLivezBaseline(b *testing.B) {
	h, _ := benchHandler(b)
	ctx := request("GET", "/livez", "", "")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ctx.Response.Reset()
		h(ctx)
	}
}
