package app_test

import (
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"signpost/app"
	"signpost/internal/redistest"
	"signpost/rules"
	"signpost/webhook"
)

// hookReceiver is a real HTTP receiver that records what it is sent and
// answers with fail(n) for the n-th request (0 for 204).
type hookReceiver struct {
	srv  *httptest.Server
	mu   sync.Mutex
	got  []hookRequest
	fail func(n int) int
}

type hookRequest struct {
	header http.Header
	body   []byte
	status int
	at     time.Time
}

func newHookReceiver(t *testing.T, fail func(n int) int) *hookReceiver {
	r := &hookReceiver{fail: fail}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		status := http.StatusNoContent
		if s := r.fail(len(r.got)); s != 0 {
			status = s
		}
		r.got = append(r.got, hookRequest{header: req.Header.Clone(), body: body, status: status, at: time.Now()})
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *hookReceiver) requests() []hookRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// waitEvent waits until the receiver accepted (2xx) an event of type typ
// that ok approves, and returns it and its request.
func (r *hookReceiver) waitEvent(t *testing.T, typ string, limit time.Duration, ok func(webhook.Event) bool) (webhook.Event, hookRequest) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		for _, req := range r.requests() {
			var ev webhook.Event
			if req.status < 300 && json.Unmarshal(req.body, &ev) == nil && ev.Type == typ && ok(ev) {
				return ev, req
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s event delivered within %v; got %d requests", typ, limit, len(r.requests()))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type webhookCreated struct {
	ID, URL, Secret string
	Events          []string
}

func (in *instance) subscribe(t *testing.T, url string, events ...string) webhookCreated {
	t.Helper()
	resp, body := in.do(t, "POST", "/v1/webhooks", bootstrap, map[string]any{"url": url, "events": events, "description": "moderation queue"})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /v1/webhooks: %d %s", resp.StatusCode, body)
	}
	var w webhookCreated
	if err := json.Unmarshal(body, &w); err != nil || !strings.HasPrefix(w.Secret, "whsec_") || w.ID == "" {
		t.Fatalf("webhook response %s (%v)", body, err)
	}
	return w
}

// fastWebhooks retries quickly, so the tests see retries in real time.
func fastWebhooks() webhook.Config {
	return webhook.Config{Poll: 20 * time.Millisecond, Schedule: []time.Duration{200 * time.Millisecond, 200 * time.Millisecond}, Jitter: webhook.NoJitter}
}

// TestWebhooksEndToEnd: an admin subscribes; a campaign publish and
// pause, a rule set publish, an auto-pause and its resume each reach the
// receiver signed with the subscription's secret, without user text; the
// first attempt, answered 500, is retried with the same delivery id; the
// delivery log and the metric show the attempts.
func TestWebhooksEndToEnd(t *testing.T) {
	cfg := floodConfig(t)
	cfg.TwoPersonRule = false
	cfg.Webhooks = fastWebhooks()
	in := start(t, cfg)
	rcv := newHookReceiver(t, func(n int) int {
		if n == 0 {
			return http.StatusInternalServerError
		}
		return 0
	})

	// Subscribing: validation, the secret shown once.
	for _, bad := range []string{
		`{"url":"http://queue.example.org/hook","events":["campaign.paused"]}`,
		`{"url":"https://u:p@queue.example.org/","events":["campaign.paused"]}`,
		`{"url":"https://queue.example.org/","events":["campaign.deleted"]}`,
		`{"url":"https://queue.example.org/","events":["campaign.paused"],"secret":"mine"}`,
	} {
		if resp, body := in.do(t, "POST", "/v1/webhooks", bootstrap, bad); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("POST /v1/webhooks %s: %d %s, want 400", bad, resp.StatusCode, body)
		}
	}
	w := in.subscribe(t, rcv.srv.URL, webhook.CampaignPublished, webhook.CampaignPaused, webhook.RulesPublished,
		webhook.RuleAutoPaused, webhook.RuleResumed)
	for _, path := range []string{"/v1/webhooks", "/v1/webhooks/" + w.ID} {
		resp, body := in.do(t, "GET", path, bootstrap, nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), w.ID) || strings.Contains(string(body), w.Secret) || strings.Contains(string(body), `"secret"`) {
			t.Errorf("GET %s: %d %s; want the webhook without its secret", path, resp.StatusCode, body)
		}
	}

	reviewer := in.createToken(t, "reviewer", "")
	platform := in.createToken(t, "platform", "acme")
	verify := func(what string, ev webhook.Event, req hookRequest) {
		t.Helper()
		if err := webhook.Verify(w.Secret, req.header.Get("Signpost-Signature"), req.body, time.Now(), 0); err != nil {
			t.Errorf("%s: signature: %v", what, err)
		}
		if req.header.Get("Signpost-Delivery") != ev.ID || req.header.Get("Signpost-Event") != ev.Type || req.header.Get("User-Agent") != webhook.UserAgent {
			t.Errorf("%s: headers %v for event %s", what, req.header, ev.ID)
		}
		if strings.Contains(string(req.body), floodText) || strings.Contains(string(req.body), reviewer) {
			t.Errorf("%s: payload holds user text or a secret: %s", what, req.body)
		}
	}

	// A campaign: created, published, paused.
	resp, body := in.send(t, "POST", "/v1/campaigns", reviewer, "application/json", "", []byte(winterDefinition()))
	tag := want(t, "create", resp, body, 201)
	resp, body = in.send(t, "PUT", "/v1/campaigns/winter/content/en", reviewer, "application/toml", tag, []byte(winterEN))
	tag = want(t, "upload en", resp, body, 200)
	resp, body = in.send(t, "POST", "/v1/campaigns/winter/publish", reviewer, "", tag, nil)
	want(t, "publish", resp, body, 200)
	ev, req := rcv.waitEvent(t, webhook.CampaignPublished, 10*time.Second, func(e webhook.Event) bool { return e.Data.Campaign == "winter" })
	verify("campaign.published", ev, req)
	if d := ev.Data; d.Version != 1 || d.Action != "publish" || d.Actor != "test reviewer" || d.Revision == 0 {
		t.Errorf("campaign.published data %+v", d)
	}
	// The first attempt was refused with 500: the same event came again.
	first := rcv.requests()[0]
	if first.status != 500 || first.header.Get("Signpost-Delivery") != ev.ID || req.header.Get("Signpost-Attempt") != "2" {
		t.Errorf("first attempt %d for %s, delivered attempt %s; want a 500 retried with the same id",
			first.status, first.header.Get("Signpost-Delivery"), req.header.Get("Signpost-Attempt"))
	}
	if gap := req.at.Sub(first.at); gap < 200*time.Millisecond {
		t.Errorf("retried after %v, before the 200ms of the schedule", gap)
	}

	resp, body = in.send(t, "POST", "/v1/campaigns/winter/pause", reviewer, "", "", nil)
	want(t, "pause", resp, body, 200)
	ev, req = rcv.waitEvent(t, webhook.CampaignPaused, 10*time.Second, func(e webhook.Event) bool { return e.Data.Campaign == "winter" })
	verify("campaign.paused", ev, req)
	if ev.Data.Version != 1 || ev.Data.Action != "pause" {
		t.Errorf("campaign.paused data %+v", ev.Data)
	}

	// A rule set publish: the same file again, as a new version.
	resp, body = in.send(t, "GET", "/v1/rules/en", reviewer, "", "", nil)
	tag = want(t, "get en", resp, body, 200)
	// The shipped file, as the store holds it (read from the embedded
	// files rather than GET, whose metric series a PUT must not share).
	file, err := fs.ReadFile(rules.FS, "en.rules")
	if err != nil {
		t.Fatal(err)
	}
	resp, body = in.send(t, "PUT", "/v1/rules/en/file", reviewer, "text/plain", tag, append(file, "\n"...))
	tag = want(t, "upload en", resp, body, 200)
	resp, body = in.send(t, "POST", "/v1/rules/en/publish", reviewer, "", tag, nil)
	want(t, "publish en", resp, body, 200)
	ev, req = rcv.waitEvent(t, webhook.RulesPublished, 10*time.Second, func(e webhook.Event) bool { return e.Data.RuleSet == "en" })
	verify("rules.published", ev, req)
	if ev.Data.Version < 2 || ev.Data.Campaign != "" {
		t.Errorf("rules.published data %+v", ev.Data)
	}

	// An auto-pause, then its resume.
	rules := spike(t, in, platform)
	waitPaused(t, in, reviewer, rules, 5*time.Second)
	ev, req = rcv.waitEvent(t, webhook.RuleAutoPaused, 10*time.Second, func(e webhook.Event) bool { return e.Data.Rule == rules[0] })
	verify("rule.auto_paused", ev, req)
	if d := ev.Data; d.RatePerMinute <= 0 || d.Count < 20 || d.Actor != "flood guard" || d.RuleSet != "en" || d.PausedAt.IsZero() {
		t.Errorf("rule.auto_paused data %+v", d)
	}
	resp, body = in.do(t, "POST", "/v1/rules/paused/"+rules[0]+"/confirm", reviewer, map[string]string{"action": "resume"})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("resume: %d %s", resp.StatusCode, body)
	}
	ev, req = rcv.waitEvent(t, webhook.RuleResumed, 10*time.Second, func(e webhook.Event) bool { return e.Data.Rule == rules[0] })
	verify("rule.resumed", ev, req)

	// A ping goes to the subscription whatever its events.
	resp, body = in.do(t, "POST", "/v1/webhooks/"+w.ID+"/test", bootstrap, nil)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("test: %d %s", resp.StatusCode, body)
	}
	ev, req = rcv.waitEvent(t, webhook.Ping, 10*time.Second, func(webhook.Event) bool { return true })
	verify("ping", ev, req)

	// Nothing was sent that the subscription did not ask for: no resume
	// of a campaign, no import.
	for _, r := range rcv.requests() {
		var e webhook.Event
		if err := json.Unmarshal(r.body, &e); err != nil || !slices.Contains(append(w.Events, webhook.Ping), e.Type) {
			t.Errorf("unrequested delivery %s (%v)", r.body, err)
		}
	}

	// The delivery log: newest first, the 500 at the end. The worker
	// records an attempt after the receiver has answered, so the ping's
	// entry may land a moment after the receiver saw it: poll for it.
	type logEntry struct {
		Event, Type, Outcome, Error string
		Attempt, Status             int
		NextAttempt                 time.Time `json:"next_attempt"`
	}
	var log struct{ Deliveries []logEntry }
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, body = in.do(t, "GET", "/v1/webhooks/"+w.ID+"/deliveries?limit=200", bootstrap, nil)
		log.Deliveries = nil
		if err := json.Unmarshal(body, &log); err != nil || resp.StatusCode != http.StatusOK || len(log.Deliveries) < 7 {
			t.Fatalf("deliveries: %d %s (%v)", resp.StatusCode, body, err)
		}
		if log.Deliveries[0].Type == webhook.Ping || time.Now().After(deadline) {
			break
		}
	}
	if last := log.Deliveries[len(log.Deliveries)-1]; last.Status != 500 || last.Outcome != "retry" || last.Attempt != 1 || last.NextAttempt.IsZero() {
		t.Errorf("oldest log entry %+v; want the 500, to be retried", last)
	}
	if top := log.Deliveries[0]; top.Type != webhook.Ping || top.Outcome != "delivered" || top.Status != 204 {
		t.Errorf("newest log entry %+v; want the ping, delivered", top)
	}
	if resp, body := in.do(t, "GET", "/v1/webhooks/"+w.ID+"/deliveries?limit=0", bootstrap, nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("limit=0: %d %s", resp.StatusCode, body)
	}

	// The metric is counted just after the log entry is written: poll.
	counted := regexp.MustCompile(`signpost_webhook_deliveries_total\{outcome="(delivered|retry)"\} (\d+)`)
	got := map[string]int{}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		mresp, metrics := in.do(t, "GET", "/metrics", "", nil)
		if mresp.StatusCode != 200 {
			t.Fatalf("metrics: %d %s", mresp.StatusCode, metrics)
		}
		for _, x := range counted.FindAllSubmatch(metrics, -1) {
			got[string(x[1])], _ = strconv.Atoi(string(x[2]))
		}
		if (got["delivered"] >= 6 && got["retry"] >= 1) || time.Now().After(deadline) {
			break
		}
	}
	if got["delivered"] < 6 || got["retry"] < 1 {
		t.Errorf("signpost_webhook_deliveries_total = %v; want 6 delivered and a retry at least", got)
	}

	if resp, body := in.do(t, "DELETE", "/v1/webhooks/"+w.ID, bootstrap, nil); resp.StatusCode != http.StatusNoContent {
		t.Errorf("delete: %d %s", resp.StatusCode, body)
	}
	if resp, _ := in.do(t, "GET", "/v1/webhooks/"+w.ID+"/deliveries", bootstrap, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("deliveries of a deleted webhook: %d", resp.StatusCode)
	}
}

// TestWebhookSurvivesRestart: a delivery still to be retried when the
// service stops is sent by the next process on the same embedded store,
// under the same delivery id.
func TestWebhookSurvivesRestart(t *testing.T) {
	cfg := app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.BootstrapToken = bootstrap
	cfg.Webhooks = webhook.Config{Poll: 20 * time.Millisecond, Schedule: []time.Duration{2 * time.Second}, Jitter: webhook.NoJitter}
	var down atomic.Bool
	down.Store(true)
	rcv := newHookReceiver(t, func(int) int {
		if down.Load() {
			return http.StatusServiceUnavailable
		}
		return 0
	})

	first := start(t, cfg)
	w := first.subscribe(t, rcv.srv.URL, webhook.CampaignPaused)
	resp, body := first.do(t, "POST", "/v1/webhooks/"+w.ID+"/test", bootstrap, nil)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("test: %d %s", resp.StatusCode, body)
	}
	var queued struct{ Event string }
	if err := json.Unmarshal(body, &queued); err != nil || queued.Event == "" {
		t.Fatalf("test response %s", body)
	}
	// Stop once the failed first attempt is recorded, with the retry due
	// two seconds later.
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, body := first.do(t, "GET", "/v1/webhooks/"+w.ID+"/deliveries", bootstrap, nil)
		if strings.Contains(string(body), `"outcome":"retry"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the first attempt was never recorded: %s", body)
		}
		time.Sleep(10 * time.Millisecond)
	}
	first.stop()
	down.Store(false)

	start(t, cfg)
	ev, req := rcv.waitEvent(t, webhook.Ping, 10*time.Second, func(webhook.Event) bool { return true })
	if ev.ID != queued.Event || req.header.Get("Signpost-Attempt") != "2" {
		t.Errorf("after the restart: event %s attempt %s; want %s, attempt 2", ev.ID, req.header.Get("Signpost-Attempt"), queued.Event)
	}
	if err := webhook.Verify(w.Secret, req.header.Get("Signpost-Signature"), req.body, time.Now(), 0); err != nil {
		t.Errorf("signature after the restart: %v", err)
	}
	if n := len(rcv.requests()); n != 2 {
		t.Errorf("receiver got %d requests, want 2", n)
	}
}

// TestWebhooksDeliverOnceAcrossInstances: two instances on one Redis,
// both running the worker, send each event exactly once.
func TestWebhooksDeliverOnceAcrossInstances(t *testing.T) {
	srv := redistest.Start(t)
	cfg := app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.BootstrapToken = bootstrap
	cfg.RedisURL = srv.URL()
	cfg.Webhooks = fastWebhooks()
	a, b := start(t, cfg), start(t, cfg)
	rcv := newHookReceiver(t, func(int) int { time.Sleep(10 * time.Millisecond); return 0 })
	w := a.subscribe(t, rcv.srv.URL, webhook.CampaignPaused)

	const n = 30
	var ids []string
	for i := range n {
		in := []*instance{a, b}[i%2]
		resp, body := in.do(t, "POST", "/v1/webhooks/"+w.ID+"/test", bootstrap, nil)
		var queued struct{ Event string }
		if resp.StatusCode != http.StatusAccepted || json.Unmarshal(body, &queued) != nil {
			t.Fatalf("test on instance %d: %d %s", i%2, resp.StatusCode, body)
		}
		ids = append(ids, queued.Event)
	}
	deadline := time.Now().Add(15 * time.Second)
	for len(rcv.requests()) < n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // time for a second, wrong, delivery
	seen := map[string]int{}
	for _, r := range rcv.requests() {
		seen[r.header.Get("Signpost-Delivery")]++
	}
	for _, id := range ids {
		if seen[id] != 1 {
			t.Errorf("event %s delivered %d times, want once", id, seen[id])
		}
	}
	if got := len(rcv.requests()); got != n {
		t.Errorf("receiver got %d requests for %d events", got, n)
	}
}

func TestWebhookConfigFromEnv(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "SIGNPOST_WEBHOOK_ALLOW_HTTP" {
				return v
			}
			return ""
		}
	}
	for v, want := range map[string]bool{"": false, "0": false, "1": true, "true": true} {
		if cfg, err := app.ConfigFromEnv(env(v)); err != nil || cfg.Webhooks.AllowHTTP != want {
			t.Errorf("SIGNPOST_WEBHOOK_ALLOW_HTTP=%q: AllowHTTP = %v, %v; want %v", v, cfg.Webhooks.AllowHTTP, err, want)
		}
	}
	if _, err := app.ConfigFromEnv(env("maybe")); err == nil {
		t.Error("SIGNPOST_WEBHOOK_ALLOW_HTTP=maybe accepted")
	}
}
