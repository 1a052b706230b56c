package app_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"signpost/app"
	"signpost/handlers"
	"signpost/internal/redistest"
)

// Roles of the authorisation matrix, in column order. "other" is a
// platform token of another platform than the card's.
var matrixRoles = []string{"none", "platform", "other", "editor", "reviewer", "analyst", "admin"}

// row is one request and the exact status each role gets, in matrixRoles
// order. Requests aim at objects that do not exist where they can, so an
// admitted caller gets a deterministic 404 (or a 4xx about the body) and
// nothing changes between rows.
type row struct {
	method, path, contentType, ifMatch, body string
	want                                     [7]int
}

// The statuses: 0 stands for the role's expected success below.
const (
	s200, s201, s204 = 200, 201, 204
	s303             = 303
	s400, s401, s403 = 400, 401, 403
	s404, s422       = 404, 422
)

func matrix(card string) []row {
	ev := `{"kind":"search","text":"boat from france to uk cost","locale":"en","subject":"m"}`
	platformOnly := func(ok int) [7]int { return [7]int{s401, ok, ok, s403, s403, s403, ok} }
	editors := func(ok int) [7]int { return [7]int{s401, s403, s403, ok, ok, s403, ok} }
	reviewers := func(ok int) [7]int { return [7]int{s401, s403, s403, s403, ok, s403, ok} }
	admins := func(ok int) [7]int { return [7]int{s401, s403, s403, s403, s403, s403, ok} }
	public := [7]int{s200, s200, s200, s200, s200, s200, s200}
	tok := `{"token":"` + card + `","type":"impression"}`
	return []row{
		{"GET", "/livez", "", "", "", public},
		{"GET", "/readyz", "", "", "", public},
		{"GET", "/metrics", "", "", "", public},
		{"GET", "/r/bad.token?a=help", "", "", "", public},
		{"GET", "/card/bad.token", "", "", "", public},
		{"GET", "/exit", "", "", "", public},
		{"GET", "/widget.js", "", "", "", public},
		{"GET", "/openapi.yaml", "", "", "", public},
		{"GET", "/docs/api", "", "", "", public},
		{"GET", "/assets/nope", "", "", "", [7]int{s404, s404, s404, s404, s404, s404, s404}},
		{"GET", "/favicon.ico", "", "", "", [7]int{s204, s204, s204, s204, s204, s204, s204}},
		// Pages take sessions, not tokens: everyone is sent to sign in.
		{"GET", "/ui", "", "", "", [7]int{s303, s303, s303, s303, s303, s303, s303}},
		{"GET", "/ui/", "", "", "", [7]int{s303, s303, s303, s303, s303, s303, s303}},
		{"GET", "/ui/signin", "", "", "", public},
		// UI pages: campaigns (handlers/ui_campaigns.go) go below this line.
		{"GET", "/ui/campaigns", "", "", "", [7]int{s303, s403, s403, s200, s200, s403, s200}},
		{"POST", "/ui/campaigns", "application/x-www-form-urlencoded", "", "", [7]int{s401, s403, s403, s422, s422, s403, s422}},
		{"GET", "/ui/campaigns/nope", "", "", "", [7]int{s303, s403, s403, s404, s404, s403, s404}},
		{"POST", "/ui/campaigns/nope", "application/x-www-form-urlencoded", "", "", [7]int{s401, s403, s403, s404, s404, s403, s404}},
		{"POST", "/ui/campaigns/nope/workflow", "application/x-www-form-urlencoded", "", "step=publish", [7]int{s401, s403, s403, s404, s404, s403, s404}},
		{"GET", "/ui/campaigns/nope/content", "", "", "", [7]int{s303, s403, s403, s404, s404, s403, s404}},
		{"POST", "/ui/campaigns/nope/content", "application/x-www-form-urlencoded", "", "", [7]int{s401, s403, s403, s404, s404, s403, s404}},
		{"GET", "/ui/campaigns/nope/preview", "", "", "", [7]int{s303, s403, s403, s404, s404, s403, s404}},
		{"GET", "/ui/campaigns/nope/versions", "", "", "", [7]int{s303, s403, s403, s404, s404, s403, s404}},
		// UI pages: rules (handlers/ui_rules.go) go below this line.
		// Pages: GET without a session goes to sign-in (303); a POST without
		// one, and a role that may not, get an HTML error page (401, 403).
		{"GET", "/ui/rules", "", "", "", [7]int{s303, s403, s403, s200, s200, s403, s200}},
		{"GET", "/ui/rules/xx", "", "", "", [7]int{s303, s403, s403, s404, s404, s403, s404}},
		{"POST", "/ui/rules/xx/file", "application/x-www-form-urlencoded", "", "rev=1&text=x", editors(s404)},
		{"POST", "/ui/rules/xx/samples", "application/x-www-form-urlencoded", "", "rev=1&text=x", editors(s404)},
		{"POST", "/ui/rules/xx/try", "application/x-www-form-urlencoded", "", "text=boat+uk", editors(s404)},
		{"POST", "/ui/rules/xx/submit", "application/x-www-form-urlencoded", "", "rev=1", editors(s404)},
		{"POST", "/ui/rules/xx/pause", "application/x-www-form-urlencoded", "", "rev=1", editors(s404)},
		{"POST", "/ui/rules/paused/xx", "application/x-www-form-urlencoded", "", "action=resume", editors(s404)},
		{"POST", "/ui/rules/xx/reject", "application/x-www-form-urlencoded", "", "rev=1", reviewers(s404)},
		{"POST", "/ui/rules/xx/publish", "application/x-www-form-urlencoded", "", "rev=1", reviewers(s404)},
		{"POST", "/ui/rules/xx/resume", "application/x-www-form-urlencoded", "", "rev=1", reviewers(s404)},
		{"POST", "/ui/rules/xx/archive", "application/x-www-form-urlencoded", "", "rev=1", reviewers(s404)},
		{"POST", "/ui/rules/xx/rollback", "application/x-www-form-urlencoded", "", "rev=1&version=1", reviewers(s404)},
		// UI pages: statistics (handlers/ui_stats.go) go below this line.
		{"GET", "/ui/stats", "", "", "", [7]int{s303, s403, s403, s200, s200, s200, s200}},
		{"GET", "/ui/stats/small-boats", "", "", "", [7]int{s303, s403, s403, s200, s200, s200, s200}},
		{"GET", "/ui/stats/nope", "", "", "", [7]int{s303, s403, s403, s404, s404, s404, s404}},
		{"GET", "/ui/stats/small-boats/csv?by=variant", "", "", "", [7]int{s303, s403, s403, s200, s200, s200, s200}},
		{"GET", "/ui/stats/nope/csv", "", "", "", [7]int{s303, s403, s403, s404, s404, s404, s404}},
		{"POST", "/card/bad.token", "application/x-www-form-urlencoded", "", "type=dismiss", public},
		{"POST", "/v1/events", "application/json", "", ev, platformOnly(s200)},
		{"POST", "/v1/events/batch", "application/json", "", `{"events":[` + ev + `]}`, platformOnly(s200)},
		// Own card: 204; the other platform's token is refused as invalid.
		{"POST", "/v1/interactions", "application/json", "", tok, [7]int{s401, s204, s400, s403, s403, s403, s400}},
		// Feedback: the card's platform and editors are accepted (202);
		// another platform's token is refused as invalid.
		{"POST", "/v1/feedback", "application/json", "", `{"type":"false_positive","token":"` + card + `"}`, [7]int{s401, 202, s400, 202, 202, s403, 202}},
		{"POST", "/v1/tokens", "application/json", "", `{}`, admins(s400)},
		{"GET", "/v1/tokens", "", "", "", admins(s200)},
		{"DELETE", "/v1/tokens/tok_nope", "", "", "", admins(s404)},
		{"POST", "/v1/match/explain", "application/json", "", `{"text":"boat uk"}`, editors(s200)},
		{"GET", "/v1/campaigns", "", "", "", editors(s200)},
		{"POST", "/v1/campaigns", "application/json", "", `{}`, editors(s422)},
		{"GET", "/v1/campaigns/nope", "", "", "", editors(s404)},
		{"PUT", "/v1/campaigns/nope", "application/json", `"rev-1"`, `{}`, editors(s422)},
		{"GET", "/v1/campaigns/nope/content", "", "", "", editors(s404)},
		{"GET", "/v1/campaigns/nope/content/en", "", "", "", editors(s404)},
		{"PUT", "/v1/campaigns/nope/content/en", "application/toml", `"rev-1"`, `"a.title" = "x"`, editors(s404)},
		{"DELETE", "/v1/campaigns/nope/content/en", "", `"rev-1"`, "", editors(s404)},
		{"POST", "/v1/campaigns/nope/submit", "", "", "", editors(s404)},
		{"POST", "/v1/campaigns/nope/pause", "", "", "", editors(s404)},
		{"POST", "/v1/campaigns/nope/reject", "", "", "", reviewers(s404)},
		{"POST", "/v1/campaigns/nope/publish", "", `"rev-1"`, "", reviewers(s404)},
		{"POST", "/v1/campaigns/nope/resume", "", "", "", reviewers(s404)},
		{"POST", "/v1/campaigns/nope/archive", "", "", "", reviewers(s404)},
		{"POST", "/v1/campaigns/nope/rollback", "application/json", "", `{"version":1}`, reviewers(s404)},
		{"GET", "/v1/campaigns/nope/versions", "", "", "", editors(s404)},
		{"GET", "/v1/campaigns/nope/versions/1", "", "", "", editors(s404)},
		{"GET", "/v1/campaigns/nope/preview", "", "", "", editors(s404)},
		// Rule contents: editors (reviewers are editors too) and admins only.
		{"GET", "/v1/rules", "", "", "", editors(s200)},
		// Rules the flood guard paused: editors list them and confirm.
		{"GET", "/v1/rules/paused", "", "", "", editors(s200)},
		{"POST", "/v1/rules/paused/nope/confirm", "application/json", "", `{"action":"resume"}`, editors(s404)},
		{"GET", "/v1/rules/en/activity", "", "", "", editors(s200)},
		{"GET", "/v1/rules/en/file", "", "", "", editors(s200)},
		{"GET", "/v1/rules/xx", "", "", "", editors(s404)},
		{"GET", "/v1/rules/xx/file", "", "", "", editors(s404)},
		{"PUT", "/v1/rules/xx/file", "text/plain", `"rev-1"`, "lang: xx\n", editors(s404)},
		{"GET", "/v1/rules/xx/samples", "", "", "", editors(s404)},
		{"PUT", "/v1/rules/xx/samples", "text/plain", `"rev-1"`, "1\tsearch\tx\tx\n", editors(s404)},
		{"POST", "/v1/rules/xx/try", "application/json", "", `{"texts":[{"text":"x"}]}`, editors(s404)},
		{"GET", "/v1/rules/xx/versions", "", "", "", editors(s404)},
		{"POST", "/v1/rules/xx/submit", "", "", "", editors(s404)},
		{"POST", "/v1/rules/xx/pause", "", "", "", editors(s404)},
		{"POST", "/v1/rules/xx/reject", "", "", "", reviewers(s404)},
		{"POST", "/v1/rules/xx/publish", "", `"rev-1"`, "", reviewers(s404)},
		{"POST", "/v1/rules/xx/resume", "", "", "", reviewers(s404)},
		{"POST", "/v1/rules/xx/archive", "", "", "", reviewers(s404)},
		{"POST", "/v1/rules/xx/rollback", "application/json", "", `{"version":1}`, reviewers(s404)},
		// Statistics: analysts; a platform sees its own platform's figures.
		{"GET", "/v1/stats/campaigns/small-boats", "", "", "", [7]int{s401, s200, s200, s403, s403, s200, s200}},
		{"GET", "/v1/stats/campaigns/nope", "", "", "", [7]int{s401, s404, s404, s403, s403, s404, s404}},
		{"GET", "/v1/audit", "", "", "", admins(s200)},
		// Webhook subscriptions: admins only.
		{"POST", "/v1/webhooks", "application/json", "", `{}`, admins(s400)},
		{"GET", "/v1/webhooks", "", "", "", admins(s200)},
		{"GET", "/v1/webhooks/nope", "", "", "", admins(s404)},
		{"DELETE", "/v1/webhooks/nope", "", "", "", admins(s404)},
		{"POST", "/v1/webhooks/nope/test", "", "", "", admins(s404)},
		{"GET", "/v1/webhooks/nope/deliveries", "", "", "", admins(s404)},
		{"POST", "/v1/users", "application/json", "", `{}`, admins(s400)},
		{"GET", "/v1/users", "", "", "", admins(s200)},
		// Sign-in takes a form, not a token: JSON is refused for everyone.
		{"POST", "/ui/signin", "application/json", "", `{}`, [7]int{415, 415, 415, 415, 415, 415, 415}},
		{"POST", "/ui/signout", "", "", "", [7]int{s401, s204, s204, s204, s204, s204, s204}},
		{"POST", "/ui/signout-everywhere", "", "", "", [7]int{s401, s204, s204, s204, s204, s204, s204}},
	}
}

// TestAuthorizationMatrix sends every route as every role and expects
// the exact status; a route missing from the matrix fails the test.
func TestAuthorizationMatrix(t *testing.T) {
	cfg := app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.BootstrapToken = bootstrap
	in := start(t, cfg)
	secrets := map[string]string{"none": "", "admin": bootstrap}
	secrets["platform"] = in.createToken(t, "platform", "acme")
	secrets["other"] = in.createToken(t, "platform", "other")
	for _, r := range []string{"editor", "reviewer", "analyst"} {
		secrets[r] = in.createToken(t, r, "")
	}
	// A card served to the acme platform, for the own/other rows.
	resp, body := in.do(t, "POST", "/v1/events", secrets["platform"], map[string]string{"kind": "search", "text": "boat from france to uk cost", "locale": "en"})
	var er eventResponse
	if err := json.Unmarshal(body, &er); err != nil || resp.StatusCode != 200 || er.Card == nil {
		t.Fatalf("serve a card: %d %s", resp.StatusCode, body)
	}

	rows := matrix(er.Card.Token)
	covered := map[string]bool{}
	param := regexp.MustCompile(`/(nope|xx|en|tok_nope|bad\.token|small-boats|1)(/|$|\?)`)
	for _, r := range rows {
		for i, role := range matrixRoles {
			req, err := http.NewRequest(r.method, in.base+r.path, bytes.NewReader([]byte(r.body)))
			if err != nil {
				t.Fatal(err)
			}
			if r.contentType != "" {
				req.Header.Set("Content-Type", r.contentType)
			}
			if r.ifMatch != "" {
				req.Header.Set("If-Match", r.ifMatch)
			}
			if s := secrets[role]; s != "" {
				req.Header.Set("Authorization", "Bearer "+s)
			}
			resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			contract.Check(t, req, []byte(r.body), resp, body)
			if resp.StatusCode != r.want[i] {
				t.Errorf("%s %s as %s: %d, want %d", r.method, r.path, role, resp.StatusCode, r.want[i])
			}
		}
		p := r.path
		if i := strings.IndexByte(p, '?'); i >= 0 {
			p = p[:i]
		}
		for param.MatchString(p) {
			p = param.ReplaceAllString(p, "/{}$2")
		}
		covered[r.method+" "+p] = true
	}

	f := fiber.New()
	(&handlers.Server{}).Register(f)
	routeParam := regexp.MustCompile(`:[a-z]+`)
	for _, rt := range f.GetRoutes(true) {
		if rt.Method == http.MethodHead || rt.Method == http.MethodConnect || rt.Method == http.MethodTrace || rt.Method == http.MethodOptions || rt.Method == http.MethodPatch {
			continue
		}
		p := routeParam.ReplaceAllString(rt.Path, "{}")
		if len(p) > 1 {
			p = strings.TrimSuffix(p, "/")
		}
		if !covered[rt.Method+" "+p] {
			t.Errorf("route %s %s is not in the authorisation matrix", rt.Method, p)
		}
	}
}

// TestRateLimits: a token over its API rate gets 429 with Retry-After, on
// every instance sharing Redis (the budget is one), while another token
// is unaffected.
func TestRateLimits(t *testing.T) {
	srv := redistest.Start(t)
	cfg := app.DefaultConfig()
	cfg.RedisURL = srv.URL()
	cfg.BootstrapToken = bootstrap
	cfg.APIRate = 1 // bursts of 2, then one a second
	a, b := start(t, cfg), start(t, cfg)
	ed := a.createToken(t, "editor", "")
	other := a.createToken(t, "editor", "")
	time.Sleep(time.Second) // b hears of the new tokens (announced, polled every 250 ms)
	for i, in := range []*instance{a, b} {
		if resp, body := in.do(t, "GET", "/v1/campaigns", ed, nil); resp.StatusCode != 200 {
			t.Fatalf("request %d: %d %s", i+1, resp.StatusCode, body)
		}
	}
	resp, body := b.do(t, "GET", "/v1/campaigns", ed, nil)
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(body), "rate_limited") {
		t.Fatalf("third request: %d %s, want 429 (the budget is shared across instances)", resp.StatusCode, body)
	}
	if ra := resp.Header.Get("Retry-After"); ra != "1" {
		t.Errorf("Retry-After = %q, want 1", ra)
	}
	if resp, _ := a.do(t, "GET", "/v1/campaigns", other, nil); resp.StatusCode != 200 {
		t.Errorf("another token: %d, want 200 (budgets are per token)", resp.StatusCode)
	}
}

// TestRevocationReachesEveryInstance: a token revoked on one instance is
// refused by another within a second.
func TestRevocationReachesEveryInstance(t *testing.T) {
	srv := redistest.Start(t)
	cfg := app.DefaultConfig()
	cfg.RedisURL = srv.URL()
	cfg.BootstrapToken = bootstrap
	a, b := start(t, cfg), start(t, cfg)
	resp, body := a.do(t, "POST", "/v1/tokens", bootstrap, map[string]string{"name": "p", "role": "platform", "platform": "acme"})
	var tok struct{ ID, Secret string }
	if err := json.Unmarshal(body, &tok); err != nil || resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	ev := map[string]string{"kind": "search", "text": "ferry times", "locale": "en"}
	deadline := time.Now().Add(2 * time.Second)
	for {
		if resp, _ := b.do(t, "POST", "/v1/events", tok.Secret, ev); resp.StatusCode == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("instance b never accepted the new token")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if resp, body := a.do(t, "DELETE", "/v1/tokens/"+tok.ID, bootstrap, nil); resp.StatusCode != 204 {
		t.Fatalf("revoke: %d %s", resp.StatusCode, body)
	}
	start := time.Now()
	for {
		resp, _ := b.do(t, "POST", "/v1/events", tok.Secret, ev)
		if resp.StatusCode == http.StatusUnauthorized {
			t.Logf("revocation reached the other instance after %v", time.Since(start))
			break
		}
		if time.Since(start) > time.Second {
			t.Fatalf("instance b still accepts the revoked token after 1 s (%d)", resp.StatusCode)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if resp, _ := a.do(t, "POST", "/v1/events", tok.Secret, ev); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("instance a accepts the revoked token: %d", resp.StatusCode)
	}
	resp, body = a.do(t, "GET", "/v1/tokens", bootstrap, nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"revoked_at"`) || strings.Contains(string(body), tok.Secret) {
		t.Errorf("token list: %d %s", resp.StatusCode, body)
	}
}
