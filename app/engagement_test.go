package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"signpost/app"
	"signpost/internal/redistest"
)

// engagementRun is what exerciseEngagement sends and so expects back.
type engagementRun struct {
	served, impressions, clicks, dismissals, repeats int64
}

// serveAndInteract serves cards to subjects [from, to) in batches, then
// reports what they did at fixed rates: 90% impressions (the first 1% of
// them reported twice: a token counts once), 5% clicks through /r, 25%
// dismissals, and a second matching search by every fifth subject.
func serveAndInteract(t *testing.T, in *instance, platform string, from, to int, run *engagementRun) {
	t.Helper()
	const query = "boat from france to uk cost"
	var tokens []string
	for start := from; start < to; start += 500 {
		var events []map[string]string
		for i := start; i < min(start+500, to); i++ {
			events = append(events, map[string]string{"kind": "search", "text": query, "locale": "en", "subject": fmt.Sprint("subject-", i)})
		}
		resp, body := in.do(t, "POST", "/v1/events/batch", platform, map[string]any{"events": events})
		var br struct{ Results []eventResponse }
		if err := json.Unmarshal(body, &br); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("batch: %d %s", resp.StatusCode, body)
		}
		for _, r := range br.Results {
			if r.Card == nil {
				t.Fatalf("no card for a matching search")
			}
			tokens = append(tokens, r.Card.Token)
		}
	}
	run.served += int64(to - from)
	for j, tok := range tokens {
		i := from + j
		if i%10 != 0 {
			interact(t, in, platform, tok, "impression")
			run.impressions++
			if i%100 == 1 {
				interact(t, in, platform, tok, "impression") // a retry: counts once
			}
		}
		if i%20 == 0 {
			resp, _ := in.do(t, "GET", "/r/"+tok+"?a=help", "", nil)
			if resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), "https://") {
				t.Fatalf("click: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			run.clicks++
		}
		if i%4 == 1 {
			if i%8 == 1 {
				// The hosted card's dismiss button: a plain form post.
				req, _ := http.NewRequest("POST", in.base+"/card/"+tok, strings.NewReader("type=dismiss"))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, err := http.DefaultClient.Do(req)
				if err != nil || resp.StatusCode != http.StatusOK {
					t.Fatalf("hosted dismiss: %v %v", resp, err)
				}
				data, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				contract.Check(t, req, []byte("type=dismiss"), resp, data)
			} else {
				interact(t, in, platform, tok, "dismiss")
			}
			run.dismissals++
		}
		if i%5 == 0 {
			resp, _ := in.do(t, "POST", "/v1/events", platform, map[string]string{"kind": "search", "text": query, "locale": "en", "subject": fmt.Sprint("subject-", i)})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("second search: %d", resp.StatusCode)
			}
			run.served++
			run.repeats++
		}
	}
}

func interact(t *testing.T, in *instance, platform, token, typ string) {
	t.Helper()
	resp, body := in.do(t, "POST", "/v1/interactions", platform, map[string]string{"token": token, "type": typ})
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("interaction %s: %d %s", typ, resp.StatusCode, body)
	}
}

type statsReport struct {
	Total struct {
		Suppressed  bool
		Served      *int64
		Impressions *int64
		Clicks      *int64
		Dismissals  *int64
		Reach       *int64 `json:"unique_reach"`
		Exposed     *int64 `json:"desistance_exposed"`
		Repeats     *int64 `json:"desistance_repeats"`
	}
	Rows []struct {
		Variant    string
		Suppressed bool
	}
	SRM struct {
		PValue  float64 `json:"p_value"`
		Warning bool
	}
	Comparisons []struct{ Variant, Metric string }
}

// waitForStats polls the stats API until its totals equal run's, failing
// after limit. Desistance repeats are compared only when every search
// happened with the store up (watches are settled against the store, and
// notes made while it is away are dropped: see docs/analytics.md).
func waitForStats(t *testing.T, in *instance, analyst string, run engagementRun, repeats bool, limit time.Duration) statsReport {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		resp, body := in.do(t, "GET", "/v1/stats/campaigns/small-boats?by=variant", analyst, nil)
		var rep statsReport
		if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &rep) != nil {
			t.Fatalf("stats: %d %s", resp.StatusCode, body)
		}
		tot := rep.Total
		got := engagementRun{}
		if tot.Served != nil {
			got = engagementRun{served: *tot.Served, impressions: *tot.Impressions, clicks: *tot.Clicks, dismissals: *tot.Dismissals, repeats: *tot.Repeats}
		}
		if !repeats {
			got.repeats = run.repeats
		}
		if got == run {
			return rep
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats totals %+v, want %+v", got, run)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// exerciseEngagement serves 2,000 subjects and checks that the stats API
// counts exactly what was done; freeze and thaw, when set, stop the store
// for the second half of the run.
func exerciseEngagement(t *testing.T, in *instance, freeze, thaw func()) {
	platform := in.createToken(t, "platform", "acme")
	analyst := in.createToken(t, "analyst", "")
	var run engagementRun
	serveAndInteract(t, in, platform, 0, 1000, &run)
	waitForStats(t, in, analyst, run, true, 15*time.Second)
	if freeze != nil {
		freeze()
	}
	start := time.Now()
	serveAndInteract(t, in, platform, 1000, 2000, &run)
	if freeze != nil {
		t.Logf("second half served with the store stopped in %v", time.Since(start))
		time.Sleep(2 * time.Second)
		thaw()
	}
	rep := waitForStats(t, in, analyst, run, freeze == nil, 20*time.Second)

	if r := *rep.Total.Reach; r < 1960 || r > 2040 {
		t.Errorf("unique reach %d, want 2,000 within 2%%", r)
	}
	if freeze == nil && *rep.Total.Exposed != run.served {
		t.Errorf("desistance exposed %d, want %d (every card shown on a search)", *rep.Total.Exposed, run.served)
	}
	if len(rep.Rows) != 2 || rep.Rows[0].Variant != "a" || rep.Rows[1].Variant != "b" || rep.Rows[0].Suppressed {
		t.Errorf("rows by variant: %+v", rep.Rows)
	}
	if rep.SRM.Warning {
		t.Errorf("SRM warning on a fair 50/50 split (p = %v)", rep.SRM.PValue)
	}
	if len(rep.Comparisons) == 0 {
		t.Errorf("no variant comparisons")
	}

	// Tampered, foreign and unknown-type interactions count nothing.
	resp, body := in.do(t, "POST", "/v1/interactions", platform, map[string]string{"token": "x.y", "type": "impression"})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "invalid_token") {
		t.Errorf("forged token: %d %s", resp.StatusCode, body)
	}
	resp, body = in.do(t, "GET", "/r/x.y?a=help", "", nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Location") != "" || !strings.Contains(string(body), "no longer available") {
		t.Errorf("forged token click: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, _ = in.do(t, "GET", "/v1/stats/campaigns/small-boats?from=2026-12-01&to=2026-11-01", analyst, nil)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("from after to: %d", resp.StatusCode)
	}
	resp, _ = in.do(t, "GET", "/v1/stats/campaigns/small-boats?by=subject", analyst, nil)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown by: %d", resp.StatusCode)
	}
	waitForStats(t, in, analyst, run, freeze == nil, 5*time.Second)
	// Nothing of what people searched, nor who they are, nor a token.
	assertCleanLogs(t, in, "boat from france", "subject-1", platform, analyst, rep0Token(t, in, platform))
}

// rep0Token serves one more card and returns its token, to check that
// card tokens stay out of the log.
func rep0Token(t *testing.T, in *instance, platform string) string {
	t.Helper()
	resp, body := in.do(t, "POST", "/v1/events", platform, map[string]string{"kind": "search", "text": "boat from france to uk cost", "locale": "en", "subject": "subject-x"})
	var er eventResponse
	if err := json.Unmarshal(body, &er); err != nil || resp.StatusCode != 200 || er.Card == nil {
		t.Fatalf("event: %d %s", resp.StatusCode, body)
	}
	in.do(t, "GET", "/r/"+er.Card.Token+"?a=help", "", nil)
	resp, page := in.do(t, "GET", "/card/"+er.Card.Token, "", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(page), `<form method="post" action="http://localhost:8080/card/`) ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "form-action 'self'") {
		t.Errorf("hosted card: %d, CSP %q, page without its form", resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
	}
	return er.Card.Token
}

func TestEngagementEmbedded(t *testing.T) {
	cfg := app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.BootstrapToken = bootstrap
	cfg.FlushEvery = 100 * time.Millisecond
	exerciseEngagement(t, start(t, cfg), nil, nil)
}

func TestEngagementRedisThroughOutage(t *testing.T) {
	srv := redistest.Start(t)
	cfg := app.DefaultConfig()
	cfg.RedisURL = srv.URL()
	cfg.BootstrapToken = bootstrap
	cfg.FlushEvery = 100 * time.Millisecond
	in := start(t, cfg)
	exerciseEngagement(t, in, func() { srv.Freeze(t) }, func() { srv.Thaw(t) })
}

// assertCleanLogs fails t if in's log (at debug level: a line per
// request) holds any of forbidden, a secret, or a client address field.
func assertCleanLogs(t *testing.T, in *instance, forbidden ...string) {
	t.Helper()
	logs := in.logs.String()
	if !strings.Contains(logs, `"msg":"request"`) {
		t.Fatal("no request lines logged: the check would prove nothing")
	}
	for _, f := range append(forbidden, "sp_", bootstrap, "Bearer", `"ip"`, `"remote`, `"client`, `"subject"`, `"text"`) {
		if strings.Contains(logs, f) {
			i := strings.Index(logs, f)
			t.Errorf("the log holds %q: …%s…", f, logs[max(0, i-80):min(len(logs), i+80)])
		}
	}
}

// TestStatsCSV: the CSV has the JSON's figures, a column per action, and
// the total last.
func TestStatsCSV(t *testing.T) {
	cfg := app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.BootstrapToken = bootstrap
	cfg.FlushEvery = 50 * time.Millisecond
	in := start(t, cfg)
	platform := in.createToken(t, "platform", "acme")
	analyst := in.createToken(t, "analyst", "")
	var run engagementRun
	serveAndInteract(t, in, platform, 0, 200, &run)
	waitForStats(t, in, analyst, run, true, 10*time.Second)
	resp, body := in.do(t, "GET", "/v1/stats/campaigns/small-boats?by=variant&format=csv", analyst, nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "variant,locale,platform,day,served,impressions,clicks,") ||
		!strings.HasSuffix(lines[0], ",clicks:help") || !strings.HasPrefix(lines[3], "total,,,,"+fmt.Sprint(run.served)+",") {
		t.Errorf("csv:\n%s", body)
	}
}
