package client_test

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"signpost/internal/uitest"
)

// browserPage is a platform's page using signpost.js the documented way:
// no secret in the page, baseURL pointing at the platform's own
// forwarding route.
const browserPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>platform</title><link rel="icon" href="data:,"></head>
<body><p id="out">pending</p>
<script type="module">
import { Signpost } from "/static/signpost.js";
const sp = new Signpost({ baseURL: "/signpost", timeoutMs: 5000 });
const r = await sp.event({ kind: "search", text: "small boat to uk price", locale: "ar" });
const reported = r.card ? await sp.report(r.card.token, "impression") : false;
document.getElementById("out").textContent =
  "card=" + (r.card !== null) + " dir=" + (r.card && r.card.dir) + " reported=" + reported + " breaker=" + sp.breakerState() + (r.error ? " error=" + r.error : "");
</script></body></html>`

// TestJSClientInBrowser loads signpost.js in headless Chromium from a
// page whose backend forwards to the real service, and checks that it
// gets and reports a card with no console error.
func TestJSClientInBrowser(t *testing.T) {
	env := uitest.Start(t)
	target, err := url.Parse(env.URL)
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(target)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(browserPage))
	})
	mux.HandleFunc("GET /static/signpost.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		http.ServeFile(w, r, filepath.Join("js", "signpost.js"))
	})
	// The platform's backend: it would check its user's session here, then
	// adds the platform secret the page never sees.
	mux.HandleFunc("POST /signpost/v1/{route...}", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			http.Error(w, "the page sent a secret", http.StatusBadRequest)
			return
		}
		r.URL.Path = strings.TrimPrefix(r.URL.Path, "/signpost")
		r.Header.Set("Authorization", "Bearer "+env.Platform)
		forward.ServeHTTP(w, r)
	})
	platform := httptest.NewServer(mux)
	t.Cleanup(platform.Close)

	b := env.Browser(t, 800, 600)
	var out string
	b.Run(t, chromedp.Navigate(platform.URL+"/"), chromedp.Poll(`document.getElementById("out").textContent !== "pending"`, nil, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Text("#out", &out, chromedp.ByID))
	if want := "card=true dir=rtl reported=true breaker=closed"; out != want {
		t.Errorf("page says %q, want %q", out, want)
	}
}
