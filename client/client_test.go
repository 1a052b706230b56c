package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"signpost/client"
	"signpost/internal/faultproxy"
)

// counting is a RoundTripper that counts the requests that reach the
// network, per path: the proof that an open breaker touches nothing and
// that batching saves calls.
type counting struct {
	mu    sync.Mutex
	paths map[string]int
	next  http.RoundTripper
}

func newCounting() *counting {
	return &counting{paths: map[string]int{}, next: http.DefaultTransport.(*http.Transport).Clone()}
}

func (c *counting) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.paths[r.URL.Path]++
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

func (c *counting) count(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.paths[path]
}

func (c *counting) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.paths {
		n += v
	}
	return n
}

func newClient(t *testing.T, cfg client.Config) *client.Client {
	t.Helper()
	c, err := client.New(cfg)
	if err != nil {
		t.Fatalf("client.New: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

// slack is what a loaded 2-core CI machine under -race may add to a
// deadline before the call returns.
const slack = 300 * time.Millisecond

func TestNewChecksConfig(t *testing.T) {
	for _, cfg := range []client.Config{
		{Secret: "s"},
		{BaseURL: "signpost.example", Secret: "s"},
		{BaseURL: "http://signpost.example"},
		{BaseURL: "http://signpost.example", Secret: "s", BatchSize: 501},
	} {
		if _, err := client.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

func TestLiveServer(t *testing.T) {
	srv := startServer(t)
	platform := srv.token(t, "platform", "acme")
	ctx := context.Background()

	t.Run("a matching search gets a card", func(t *testing.T) {
		c := newClient(t, client.Config{BaseURL: srv.base, Secret: platform, Timeout: time.Second})
		res, err := c.Event(ctx, client.Event{Kind: client.Search, Text: matchingSearch, Locale: "ar-IQ,ar;q=0.9,en;q=0.5", Subject: "u-1", Country: "FR"})
		if err != nil {
			t.Fatalf("Event: %v", err)
		}
		if !res.Matched || res.Match == nil || res.Card == nil {
			t.Fatalf("no card: %+v", res)
		}
		card := res.Card
		if card.Token == "" || card.Campaign != "small-boats" || card.Locale != "ar" || card.Dir != "rtl" || card.Title == "" ||
			card.Body == "" || len(card.Actions) == 0 || card.Dismiss.Label == "" || card.Continue.Label == "" {
			t.Errorf("incomplete card: %+v", card)
		}
		for _, a := range card.Actions {
			if !strings.HasPrefix(a.URL, "http://signpost.test/r/") || a.ID == "" || a.Label == "" {
				t.Errorf("action %+v", a)
			}
		}
		if !contains(res.Match.Rules, "en.crossing.boat_uk") || !contains(res.Match.Categories, "crossing") || res.Match.RulesVersion == "" {
			t.Errorf("match %+v", res.Match)
		}
		if c.BreakerState() != "closed" {
			t.Errorf("breaker %s", c.BreakerState())
		}
	})

	t.Run("a benign search gets none", func(t *testing.T) {
		c := newClient(t, client.Config{BaseURL: srv.base, Secret: platform, Timeout: time.Second})
		res, err := c.Event(ctx, client.Event{Kind: client.Search, Text: benignSearch, Locale: "en"})
		if err != nil || res == nil || res.Matched || res.Card != nil || res.Match != nil {
			t.Fatalf("Event = %+v, %v", res, err)
		}
	})

	t.Run("4xx is an APIError with no card and leaves the breaker closed", func(t *testing.T) {
		c := newClient(t, client.Config{BaseURL: srv.base, Secret: platform, Timeout: time.Second, FailureThreshold: 2})
		for range 4 {
			res, err := c.Event(ctx, client.Event{Kind: "bogus", Text: matchingSearch})
			var ae *client.APIError
			if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || ae.Code != "invalid_kind" || ae.Message == "" {
				t.Fatalf("err = %v", err)
			}
			if res == nil || res.Card != nil || res.Matched {
				t.Fatalf("result %+v", res)
			}
		}
		if c.BreakerState() != "closed" {
			t.Errorf("4xx opened the breaker: %s", c.BreakerState())
		}
		bad := newClient(t, client.Config{BaseURL: srv.base, Secret: "sp_not-a-token", Timeout: time.Second})
		res, err := bad.Event(ctx, client.Event{Kind: client.Search, Text: matchingSearch})
		var ae *client.APIError
		if !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized || res == nil || res.Card != nil {
			t.Errorf("bad secret: %+v, %v", res, err)
		}
	})

	t.Run("QueueView batches views and answers each in order", func(t *testing.T) {
		rt := newCounting()
		c := newClient(t, client.Config{BaseURL: srv.base, Secret: platform, HTTPClient: &http.Client{Transport: rt},
			BatchSize: 10, BatchDelay: time.Hour, BatchTimeout: 10 * time.Second})
		const n = 25
		var mu sync.Mutex
		calls := make([]int, n)
		results := make([]*client.Result, n)
		for i := range n {
			text := benignSearch
			if i%3 == 0 {
				text = matchingView
			}
			err := c.QueueView(client.Event{Text: text, Locale: "en", Subject: fmt.Sprintf("viewer-%d", i)}, func(r *client.Result, err error) {
				mu.Lock()
				defer mu.Unlock()
				calls[i]++
				results[i] = r
				if err != nil {
					t.Errorf("view %d: %v", i, err)
				}
			})
			if err != nil {
				t.Fatalf("QueueView %d: %v", i, err)
			}
		}
		// Two full batches go at once; the last five wait for the delay
		// (an hour) or a flush.
		waitFor(t, func() bool { return rt.count("/v1/events/batch") == 2 })
		fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := c.Flush(fctx); err != nil {
			t.Fatalf("Flush: %v", err)
		}
		if got := rt.count("/v1/events/batch"); got != 3 {
			t.Errorf("%d views took %d batch calls, want 3", n, got)
		}
		if got := rt.count("/v1/events"); got != 0 {
			t.Errorf("QueueView made %d single event calls", got)
		}
		mu.Lock()
		defer mu.Unlock()
		for i := range n {
			if calls[i] != 1 {
				t.Errorf("view %d: callback called %d times", i, calls[i])
				continue
			}
			want := i%3 == 0
			if results[i] == nil || results[i].Matched != want || (results[i].Card != nil) != want {
				t.Errorf("view %d: result %+v, want matched=%v (out of order?)", i, results[i], want)
			}
		}
	})

	t.Run("a partial batch goes after BatchDelay", func(t *testing.T) {
		rt := newCounting()
		c := newClient(t, client.Config{BaseURL: srv.base, Secret: platform, HTTPClient: &http.Client{Transport: rt},
			BatchDelay: 50 * time.Millisecond, BatchTimeout: 10 * time.Second})
		got := make(chan *client.Result, 3)
		start := time.Now()
		for range 3 {
			if err := c.QueueView(client.Event{Text: matchingView, Locale: "fr"}, func(r *client.Result, _ error) { got <- r }); err != nil {
				t.Fatal(err)
			}
		}
		for range 3 {
			select {
			case r := <-got:
				if r.Card == nil {
					t.Errorf("no card: %+v", r)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the batch never went")
			}
		}
		if time.Since(start) < 50*time.Millisecond {
			t.Errorf("the batch went before BatchDelay")
		}
		if n := rt.count("/v1/events/batch"); n != 1 {
			t.Errorf("3 views took %d batch calls, want 1", n)
		}
	})

	t.Run("QueueView refuses what it cannot send", func(t *testing.T) {
		c := newClient(t, client.Config{BaseURL: srv.base, Secret: platform, MaxQueue: 2, BatchDelay: time.Hour, BatchTimeout: 10 * time.Second})
		if err := c.QueueView(client.Event{Text: ""}, nil); !errors.Is(err, client.ErrInvalidEvent) {
			t.Errorf("empty text: %v", err)
		}
		if err := c.QueueView(client.Event{Text: "x", Country: "France"}, nil); !errors.Is(err, client.ErrInvalidEvent) {
			t.Errorf("bad country: %v", err)
		}
		var answered atomic.Int32
		for range 2 {
			if err := c.QueueView(client.Event{Text: benignSearch}, func(*client.Result, error) { answered.Add(1) }); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.QueueView(client.Event{Text: benignSearch}, func(*client.Result, error) { answered.Add(1) }); !errors.Is(err, client.ErrQueueFull) {
			t.Errorf("over MaxQueue: %v", err)
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := c.Close(cctx); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if answered.Load() != 2 {
			t.Errorf("Close answered %d queued views, want 2", answered.Load())
		}
		if err := c.QueueView(client.Event{Text: benignSearch}, nil); !errors.Is(err, client.ErrClosed) {
			t.Errorf("after Close: %v", err)
		}
	})

	t.Run("Report reaches the platform's stats", func(t *testing.T) {
		// Its own platform, so that its stats hold only these cards; more
		// than 10 people, so that the total is not suppressed.
		secret := srv.token(t, "platform", "reporter")
		c := newClient(t, client.Config{BaseURL: srv.base, Secret: secret, Timeout: time.Second})
		const people = 12
		for i := range people {
			res, err := c.Event(ctx, client.Event{Kind: client.Search, Text: matchingSearch, Locale: "en", Subject: fmt.Sprintf("reporter-%d", i)})
			if err != nil || res.Card == nil {
				t.Fatalf("Event: %+v, %v", res, err)
			}
			for range 2 { // counted once per token and type
				if err := c.Report(ctx, res.Card.Token, client.Impression); err != nil {
					t.Fatalf("Report: %v", err)
				}
			}
		}
		if got := srv.impressions(t, secret, people); got == nil || *got != people {
			t.Errorf("stats show %v impressions, want %d", deref(got), people)
		}
		err := c.Report(ctx, "not-a-card-token", client.Dismiss)
		var ae *client.APIError
		if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || ae.Code != "invalid_token" {
			t.Errorf("bad token: %v", err)
		}
	})

	t.Run("Feedback reaches the server", func(t *testing.T) {
		c := newClient(t, client.Config{BaseURL: srv.base, Secret: platform, Timeout: time.Second})
		res, err := c.Event(ctx, client.Event{Kind: client.Search, Text: matchingSearch, Locale: "en"})
		if err != nil || res.Card == nil {
			t.Fatalf("Event: %+v, %v", res, err)
		}
		if err := c.Feedback(ctx, client.Feedback{Type: client.FalsePositive, Token: res.Card.Token, Rule: "en.crossing.boat_uk"}); err != nil {
			t.Fatalf("false positive: %v", err)
		}
		if err := c.Feedback(ctx, client.Feedback{Type: client.Missed, Category: "crossing", Language: "en"}); err != nil {
			t.Errorf("missed: %v", err)
		}
		err = c.Feedback(ctx, client.Feedback{Type: "bogus", Rule: "en.crossing.boat_uk"})
		var ae *client.APIError
		if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest {
			t.Errorf("bogus type: %v", err)
		}
		checkFeedbackCounted(t, srv, "en.crossing.boat_uk")
	})

	t.Run("concurrent calls", func(t *testing.T) {
		c := newClient(t, client.Config{BaseURL: srv.base, Secret: platform, Timeout: 5 * time.Second, BatchDelay: time.Millisecond})
		var wg sync.WaitGroup
		var cards atomic.Int32
		for i := range 20 {
			wg.Go(func() {
				res, err := c.Event(ctx, client.Event{Kind: client.Search, Text: matchingSearch, Subject: fmt.Sprint(i)})
				if err == nil && res.Card != nil {
					cards.Add(1)
				}
				_ = c.QueueView(client.Event{Text: matchingView}, func(*client.Result, error) {})
				_ = c.BreakerState()
			})
		}
		wg.Wait()
		if cards.Load() != 20 {
			t.Errorf("%d of 20 concurrent searches got a card", cards.Load())
		}
	})
}

// checkFeedbackCounted waits for the rule's false positives to show on
// the editors' activity route of its rule set.
func checkFeedbackCounted(t *testing.T, srv *server, rule string) {
	t.Helper()
	editor := srv.token(t, "editor", "")
	set, _, _ := strings.Cut(rule, ".")
	deadline := time.Now().Add(15 * time.Second)
	for {
		status, body := srv.do(t, "GET", "/v1/rules/"+set+"/activity", editor, nil)
		if status != http.StatusOK {
			t.Fatalf("activity: %d %s", status, body)
		}
		if falsePositives(body, rule) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the activity of %s never counted the false positive: %s", set, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func deref(p *int64) any {
	if p == nil {
		return "suppressed"
	}
	return *p
}

func TestFrozenServerFailsOpen(t *testing.T) {
	srv := startServer(t)
	platform := srv.token(t, "platform", "acme")
	proxy := faultproxy.Start(t, strings.TrimPrefix(srv.base, "http://"))
	rt := newCounting()
	const timeout = 50 * time.Millisecond
	const openFor = 300 * time.Millisecond
	c := newClient(t, client.Config{BaseURL: "http://" + proxy.Addr(), Secret: platform, HTTPClient: &http.Client{Transport: rt},
		Timeout: timeout, FailureThreshold: 3, OpenFor: openFor})
	ctx := context.Background()
	search := client.Event{Kind: client.Search, Text: matchingSearch, Locale: "en"}

	// Warm up: the proxy forwards, and under -race the first call may be
	// slow, which is not what this test is about.
	waitFor(t, func() bool {
		res, err := c.Event(ctx, search)
		return err == nil && res.Card != nil
	})

	proxy.SetDelay(2 * time.Second)
	for i := range 3 {
		start := time.Now()
		res, err := c.Event(ctx, search)
		took := time.Since(start)
		if res == nil || res.Card != nil || res.Matched {
			t.Fatalf("frozen call %d: result %+v", i, res)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("frozen call %d: err = %v, want a deadline", i, err)
		}
		if took > timeout+slack {
			t.Errorf("frozen call %d took %v, want under %v + %v", i, took, timeout, slack)
		}
		t.Logf("frozen call %d: no card after %v (deadline %v)", i, took.Round(100*time.Microsecond), timeout)
	}
	if got := c.BreakerState(); got != "open" {
		t.Fatalf("after 3 failures the breaker is %s, want open", got)
	}

	before := rt.total()
	start := time.Now()
	const fast = 200
	for range fast {
		res, err := c.Event(ctx, search)
		if !errors.Is(err, client.ErrBreakerOpen) || res == nil || res.Card != nil {
			t.Fatalf("open breaker: %+v, %v", res, err)
		}
	}
	if per := time.Since(start) / fast; per > 100*time.Microsecond {
		t.Errorf("an open breaker took %v per call, want well under a millisecond", per)
	}
	if n := rt.total() - before; n != 0 {
		t.Errorf("an open breaker made %d network calls", n)
	}
	// Reports and batches fail fast too.
	if err := c.Report(ctx, "tok", client.Impression); !errors.Is(err, client.ErrBreakerOpen) {
		t.Errorf("Report with the breaker open: %v", err)
	}

	// The caller's own shorter deadline wins over Timeout (and a trial
	// call that times out opens the breaker again).
	time.Sleep(openFor)
	if got := c.BreakerState(); got != "half-open" {
		t.Errorf("after OpenFor the breaker is %s, want half-open", got)
	}
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	start = time.Now()
	res, err := c.Event(short, search)
	cancel()
	if took := time.Since(start); took > 10*time.Millisecond+slack || res.Card != nil || err == nil {
		t.Errorf("caller deadline: took %v, %+v, %v", took, res, err)
	}
	if got := c.BreakerState(); got != "open" {
		t.Errorf("a failed trial left the breaker %s, want open", got)
	}

	// The server answers again: after OpenFor one trial closes it.
	proxy.SetDelay(0)
	time.Sleep(openFor)
	res, err = c.Event(ctx, search)
	if err != nil || res.Card == nil {
		t.Fatalf("after recovery: %+v, %v", res, err)
	}
	if got := c.BreakerState(); got != "closed" {
		t.Errorf("after a good trial the breaker is %s, want closed", got)
	}
}

func TestFrozenServerBatchFailsOpen(t *testing.T) {
	srv := startServer(t)
	platform := srv.token(t, "platform", "acme")
	proxy := faultproxy.Start(t, strings.TrimPrefix(srv.base, "http://"))
	proxy.SetDelay(2 * time.Second)
	c := newClient(t, client.Config{BaseURL: "http://" + proxy.Addr(), Secret: platform, BatchDelay: time.Millisecond, BatchTimeout: 100 * time.Millisecond})
	got := make(chan error, 1)
	start := time.Now()
	if err := c.QueueView(client.Event{Text: matchingView}, func(r *client.Result, err error) {
		if r == nil || r.Card != nil {
			t.Errorf("frozen batch: %+v", r)
		}
		got <- err
	}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-got:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("frozen batch: %v", err)
		}
	case <-time.After(100*time.Millisecond + slack + time.Second):
		t.Fatal("the frozen batch's callback never came")
	}
	if took := time.Since(start); took > 100*time.Millisecond+slack {
		t.Errorf("the frozen batch answered after %v, want within BatchTimeout (100ms) + %v", took, slack)
	}
}

func TestKilledServerFailsOpen(t *testing.T) {
	srv := startServer(t)
	platform := srv.token(t, "platform", "acme")
	srv.stop()
	c := newClient(t, client.Config{BaseURL: srv.base, Secret: platform, FailureThreshold: 2})
	for i := range 2 {
		start := time.Now()
		res, err := c.Event(context.Background(), client.Event{Kind: client.Search, Text: matchingSearch})
		if err == nil || res == nil || res.Card != nil {
			t.Fatalf("killed server: %+v, %v", res, err)
		}
		if took := time.Since(start); took > client.DefaultTimeout+slack {
			t.Errorf("call %d took %v", i, took)
		}
	}
	if got := c.BreakerState(); got != "open" {
		t.Errorf("refused connections left the breaker %s, want open", got)
	}
}
