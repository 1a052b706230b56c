package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"signpost/store"
	"signpost/store/storetest"
	"signpost/webhook"
)

// clock is a hand-moved clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// received is one request as the receiver saw it.
type received struct {
	header http.Header
	body   []byte
	at     time.Time // on the test's clock
}

// receiver is a real HTTP server whose answer to the n-th request (from
// 0) is behaviour(n): a status, or "timeout" (it never answers in time)
// or "drop" (it closes the connection without answering).
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	got  []received
	clk  *clock
	plan func(n int) string
}

func newReceiver(t *testing.T, clk *clock, plan func(n int) string) *receiver {
	r := &receiver{clk: clk, plan: plan}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		n := len(r.got)
		r.got = append(r.got, received{header: req.Header.Clone(), body: body, at: clk.Now()})
		r.mu.Unlock()
		switch b := plan(n); b {
		case "timeout":
			select {
			case <-req.Context().Done():
			case <-time.After(10 * time.Second):
			}
		case "drop":
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		default:
			code, _ := strconv.Atoi(b)
			w.WriteHeader(code)
			_, _ = w.Write([]byte("a body signpost must not keep"))
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

var schedule = []time.Duration{10 * time.Second, 30 * time.Second, time.Minute}

// setup returns a service on a fresh embedded store with a hand-moved
// clock, no jitter and a short attempt timeout, and the outcomes it
// counted.
func setup(t *testing.T) (*webhook.Service, store.Store, *clock, func() map[string]int) {
	clk := &clock{now: time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)}
	st := storetest.OpenBolt(t)
	var mu sync.Mutex
	outcomes := map[string]int{}
	svc := webhook.New(st, webhook.Config{Now: clk.Now, Schedule: schedule, Jitter: webhook.NoJitter, Timeout: 300 * time.Millisecond,
		Observe: func(o string) { mu.Lock(); outcomes[o]++; mu.Unlock() }})
	return svc, st, clk, func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		out := map[string]int{}
		for k, v := range outcomes {
			out[k] = v
		}
		return out
	}
}

func subscribe(t *testing.T, svc *webhook.Service, url string, events ...string) store.Webhook {
	t.Helper()
	w, err := svc.Create(t.Context(), webhook.Request{URL: url, Events: events, Description: "test"}, "ops")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return w
}

// deliver runs one round at the clock's time and returns how many
// deliveries it claimed.
func deliver(t *testing.T, svc *webhook.Service) int {
	t.Helper()
	n, err := svc.Deliver(t.Context())
	if err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	return n
}

// TestRetriesUntilDelivered: a receiver that answers 500, then times out,
// then drops the connection gets the same delivery again after each wait
// of the schedule (and not a moment before), signed afresh each time,
// and takes it on the fourth attempt; the log shows every attempt.
func TestRetriesUntilDelivered(t *testing.T) {
	svc, st, clk, outcomes := setup(t)
	plan := []string{"500", "timeout", "drop", "204"}
	rcv := newReceiver(t, clk, func(n int) string { return plan[min(n, 3)] })
	w := subscribe(t, svc, rcv.URL, webhook.CampaignPublished)
	ev, err := svc.Publish(t.Context(), webhook.CampaignPublished, webhook.Data{Campaign: "small-boats", Version: 3, Actor: "amal"})
	if err != nil {
		t.Fatal(err)
	}
	start := clk.Now()
	if n := deliver(t, svc); n != 1 {
		t.Fatalf("first round claimed %d, want 1", n)
	}
	for i, wait := range schedule {
		clk.Add(wait - time.Second)
		if n := deliver(t, svc); n != 0 {
			t.Fatalf("retry %d sent %v early", i+1, time.Second)
		}
		clk.Add(time.Second)
		if n := deliver(t, svc); n != 1 {
			t.Fatalf("retry %d not sent after %v", i+1, wait)
		}
	}
	got := rcv.requests()
	if len(got) != 4 {
		t.Fatalf("receiver got %d requests, want 4", len(got))
	}
	wantAt := start
	for i, r := range got {
		if i > 0 {
			wantAt = wantAt.Add(schedule[i-1])
		}
		if !r.at.Equal(wantAt) {
			t.Errorf("attempt %d at +%v, want +%v", i+1, r.at.Sub(start), wantAt.Sub(start))
		}
		h := r.header
		if h.Get("Signpost-Delivery") != ev.ID || h.Get("Signpost-Event") != webhook.CampaignPublished ||
			h.Get("Content-Type") != "application/json" || h.Get("User-Agent") != "signpost-webhooks/1" ||
			h.Get("Signpost-Attempt") != strconv.Itoa(i+1) {
			t.Errorf("attempt %d headers: %v", i+1, h)
		}
		if err := webhook.Verify(w.Secret, h.Get("Signpost-Signature"), r.body, r.at, 0); err != nil {
			t.Errorf("attempt %d signature: %v", i+1, err)
		}
		if string(r.body) != string(got[0].body) {
			t.Errorf("attempt %d body differs from the first: %s", i+1, r.body)
		}
	}
	var body webhook.Event
	if err := json.Unmarshal(got[0].body, &body); err != nil || body.ID != ev.ID || body.Type != webhook.CampaignPublished ||
		body.Data.Campaign != "small-boats" || body.Data.Version != 3 || body.Data.Actor != "amal" || body.Created.IsZero() {
		t.Errorf("payload %s (%v)", got[0].body, err)
	}

	log, err := svc.Deliveries(t.Context(), w.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		status  int
		errc    string
		outcome string
	}{{204, "", "delivered"}, {0, "connection", "retry"}, {0, "timeout", "retry"}, {500, "status", "retry"}}
	if len(log) != len(want) {
		t.Fatalf("log has %d entries, want %d: %+v", len(log), len(want), log)
	}
	for i, a := range log {
		n := len(log) - i // newest first
		if a.Status != want[i].status || a.Error != want[i].errc || a.Outcome != want[i].outcome || a.Attempt != n || a.EventID != ev.ID {
			t.Errorf("log entry for attempt %d: %+v, want %+v", n, a, want[i])
		}
		if a.Outcome == "retry" && !a.NextAttempt.Equal(a.Time.Add(schedule[n-1])) {
			t.Errorf("attempt %d: next attempt %v, want %v after %v", n, a.NextAttempt, schedule[n-1], a.Time)
		}
	}
	if p, err := st.PendingWebhookDeliveries(t.Context()); err != nil || len(p) != 0 {
		t.Errorf("pending after delivery: %v, %v", p, err)
	}
	if o := outcomes(); o["retry"] != 3 || o["delivered"] != 1 {
		t.Errorf("outcomes %v", o)
	}
}

// TestGivesUpAfterSchedule: a receiver that always fails gets one attempt
// plus one per step of the schedule, then nothing more.
func TestGivesUpAfterSchedule(t *testing.T) {
	svc, st, clk, outcomes := setup(t)
	rcv := newReceiver(t, clk, func(int) string { return "503" })
	w := subscribe(t, svc, rcv.URL, webhook.RulesPaused)
	if _, err := svc.Publish(t.Context(), webhook.RulesPaused, webhook.Data{RuleSet: "en"}); err != nil {
		t.Fatal(err)
	}
	deliver(t, svc)
	for _, wait := range schedule {
		clk.Add(wait)
		deliver(t, svc)
	}
	clk.Add(24 * time.Hour)
	if n := deliver(t, svc); n != 0 {
		t.Errorf("claimed %d after giving up", n)
	}
	if n := len(rcv.requests()); n != len(schedule)+1 {
		t.Errorf("receiver got %d attempts, want %d", n, len(schedule)+1)
	}
	log, err := svc.Deliveries(t.Context(), w.ID, 1)
	if err != nil || len(log) != 1 || log[0].Outcome != "failed" || !log[0].NextAttempt.IsZero() || log[0].Status != 503 {
		t.Errorf("last log entry %+v, %v; want failed, no next attempt", log, err)
	}
	if p, err := st.PendingWebhookDeliveries(t.Context()); err != nil || len(p) != 0 {
		t.Errorf("pending after giving up: %v, %v", p, err)
	}
	if o := outcomes(); o["failed"] != 1 || o["retry"] != len(schedule) {
		t.Errorf("outcomes %v", o)
	}
}

// TestGoneDisables: 410 disables the subscription; nothing more is sent.
func TestGoneDisables(t *testing.T) {
	svc, st, clk, outcomes := setup(t)
	rcv := newReceiver(t, clk, func(int) string { return "410" })
	w := subscribe(t, svc, rcv.URL, webhook.CampaignPaused)
	if _, err := svc.Test(t.Context(), w.ID); err != nil {
		t.Fatal(err)
	}
	deliver(t, svc)
	got, err := svc.Get(t.Context(), w.ID)
	if err != nil || got.DisabledAt.IsZero() || got.DisabledReason == "" {
		t.Fatalf("after 410: %+v, %v; want disabled", got, err)
	}
	if _, err := svc.Publish(t.Context(), webhook.CampaignPaused, webhook.Data{Campaign: "c"}); err != nil {
		t.Fatal(err)
	}
	if p, err := st.PendingWebhookDeliveries(t.Context()); err != nil || len(p) != 0 {
		t.Errorf("a disabled subscription got deliveries queued: %v, %v", p, err)
	}
	if _, err := svc.Test(t.Context(), w.ID); !errors.Is(err, webhook.ErrDisabled) {
		t.Errorf("ping of a disabled webhook: %v", err)
	}
	if n := len(rcv.requests()); n != 1 {
		t.Errorf("receiver got %d requests, want 1", n)
	}
	if o := outcomes(); o["gone"] != 1 {
		t.Errorf("outcomes %v", o)
	}
}

// TestPublishRoutesByEventType: an event goes to the subscriptions that
// list its type, and nowhere else; a deleted subscription's pending
// delivery is dropped, not sent.
func TestPublishRoutesByEventType(t *testing.T) {
	svc, st, clk, outcomes := setup(t)
	rcv := newReceiver(t, clk, func(int) string { return "200" })
	a := subscribe(t, svc, rcv.URL+"/a", webhook.CampaignPublished, webhook.CampaignPaused)
	b := subscribe(t, svc, rcv.URL+"/b", webhook.RuleAutoPaused)
	ctx := t.Context()
	if _, err := svc.Publish(ctx, webhook.RuleResumed, webhook.Data{Rule: "en.x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Publish(ctx, webhook.CampaignPaused, webhook.Data{Campaign: "c"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Publish(ctx, webhook.RuleAutoPaused, webhook.Data{Rule: "en.x", RatePerMinute: 900}); err != nil {
		t.Fatal(err)
	}
	p, err := st.PendingWebhookDeliveries(ctx)
	if err != nil || len(p) != 2 {
		t.Fatalf("pending %+v, %v; want one per matching subscription", p, err)
	}
	to := map[string]string{}
	for _, d := range p {
		to[d.Webhook] = d.EventType
	}
	if to[a.ID] != webhook.CampaignPaused || to[b.ID] != webhook.RuleAutoPaused {
		t.Errorf("routed %v", to)
	}
	if err := svc.Delete(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	deliver(t, svc)
	got := rcv.requests()
	if len(got) != 1 || got[0].header.Get("Signpost-Event") != webhook.CampaignPaused {
		t.Errorf("receiver got %d requests, want the one campaign.paused", len(got))
	}
	if o := outcomes(); o["dropped"] != 1 || o["delivered"] != 1 {
		t.Errorf("outcomes %v", o)
	}
	if _, err := svc.Publish(ctx, "campaign.deleted", webhook.Data{}); err == nil {
		t.Error("Publish of an unknown type succeeded")
	}
}

// TestRunStopsAndDeliversPromptly: the worker sends a queued event at
// once (without waiting for its poll) and returns when ctx ends.
func TestRunStopsAndDeliversPromptly(t *testing.T) {
	st := storetest.OpenBolt(t)
	done := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
		select {
		case done <- struct{}{}:
		default:
		}
	}))
	defer srv.Close()
	svc := webhook.New(st, webhook.Config{Poll: time.Hour})
	w := subscribe(t, svc, srv.URL, webhook.Ping)
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	go func() { svc.Run(ctx); close(stopped) }()
	time.Sleep(50 * time.Millisecond) // let the first (empty) round pass
	if _, err := svc.Test(t.Context(), w.ID); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a queued ping was not sent promptly")
	}
	cancel()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}
