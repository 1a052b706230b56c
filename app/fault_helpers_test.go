package app_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"signpost/app"
	"signpost/store"
	"signpost/store/redisstore"
	"signpost/track"
)

// Platform-call load for the fault tests: a few workers, each sending at a
// steady pace a matching search, an impression for the card it got, and
// a non-matching search.
const (
	loadWorkers = 4
	// loadPace is each worker's time per round of three calls: about 100
	// platform calls a second in all, a steady load a 2-core CI machine
	// carries under -race.
	loadPace = 40 * time.Millisecond
	// p99Limit is the bound on platform-call latency during a fault.
	p99Limit = 10 * time.Millisecond
	// recoveryLimit is how soon after a fault ends signpost must be back
	// on Redis: ready, and every count made during the fault written.
	recoveryLimit = 2 * time.Second
)

// raceEnabled reports whether the test binary runs under the race
// detector, which slows every call several times over: latency bounds are
// then reported, not asserted (see common rules, and match/race_on_test.go).
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// call is one platform call as the load saw it.
type call struct {
	at      time.Time // when the answer arrived
	latency time.Duration
}

// load drives platform calls at in until stop, recording every call's
// latency and what should have been counted.
type load struct {
	in       *instance
	platform string
	client   *http.Client

	served, impressions atomic.Int64 // answered, so counted in memory

	mu       sync.Mutex
	calls    []call
	served1  []time.Time // when each served card's answer arrived
	failures []string

	stop chan struct{}
	wg   sync.WaitGroup
}

// startLoad starts the workers.
func startLoad(in *instance, platform string) *load {
	l := &load{in: in, platform: platform, stop: make(chan struct{}),
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: loadWorkers}}}
	for w := range loadWorkers {
		l.wg.Go(func() { l.work(w) })
	}
	return l
}

// halt stops the workers and waits for their last calls.
func (l *load) halt() {
	close(l.stop)
	l.wg.Wait()
	l.client.CloseIdleConnections()
}

func (l *load) work(w int) {
	tick := time.NewTicker(loadPace)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-l.stop:
			return
		case <-tick.C:
		}
		subject := fmt.Sprintf("fault-%d-%d", w, i)
		var er eventResponse
		if !l.post("/v1/events", map[string]string{"kind": "search", "text": "boat from france to uk cost", "locale": "en", "subject": subject}, http.StatusOK, &er) {
			continue
		}
		if er.Card == nil {
			l.fail("matching search got no card")
			continue
		}
		l.mu.Lock()
		l.served1 = append(l.served1, time.Now())
		l.mu.Unlock()
		l.served.Add(1)
		if l.post("/v1/interactions", map[string]string{"token": er.Card.Token, "type": "impression"}, http.StatusNoContent, nil) {
			l.impressions.Add(1)
		}
		var none eventResponse
		if l.post("/v1/events", map[string]string{"kind": "view", "text": "ferry timetable and prices", "locale": "fr"}, http.StatusOK, &none) && none.Matched {
			l.fail("a benign view matched")
		}
	}
}

// post sends one call, records its latency and reports whether it got
// the status wanted (decoding the body into out, if set).
func (l *load) post(path string, body any, want int, out any) bool {
	data, _ := json.Marshal(body)
	req, err := http.NewRequest("POST", l.in.base+path, bytes.NewReader(data))
	if err != nil {
		l.fail(err.Error())
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+l.platform)
	start := time.Now()
	resp, err := l.client.Do(req)
	if err != nil {
		l.fail(fmt.Sprintf("%s: %v", path, err))
		return false
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	now := time.Now()
	l.mu.Lock()
	l.calls = append(l.calls, call{at: now, latency: now.Sub(start)})
	l.mu.Unlock()
	if err != nil || resp.StatusCode != want {
		l.fail(fmt.Sprintf("%s: %d %s (%v)", path, resp.StatusCode, got, err))
		return false
	}
	if out != nil {
		if err := json.Unmarshal(got, out); err != nil {
			l.fail(fmt.Sprintf("%s: %v", path, err))
			return false
		}
	}
	return true
}

func (l *load) fail(msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.failures) < 20 {
		l.failures = append(l.failures, msg)
	}
}

// latencies returns the latencies of the calls answered in [from, to),
// sorted.
func (l *load) latencies(from, to time.Time) []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []time.Duration
	for _, c := range l.calls {
		if !c.at.Before(from) && c.at.Before(to) {
			out = append(out, c.latency)
		}
	}
	slices.Sort(out)
	return out
}

// servedBefore counts the cards whose answer arrived before t.
func (l *load) servedBefore(t time.Time) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := int64(0)
	for _, at := range l.served1 {
		if at.Before(t) {
			n++
		}
	}
	return n
}

// quantile returns the q-quantile of sorted latencies.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// loadPlatform is the platform the load's token speaks for: counts are
// read for it alone, so cards that other test steps served (under another
// platform) do not blur them.
const loadPlatform = "fault-load"

// openStore opens, for the test's own reading, the Redis store cfg names.
// Counts are read from the store rather than the stats API, whose
// small-count suppression hides a platform's row while another
// platform's is small.
func openStore(t *testing.T, cfg app.Config) *redisstore.Store {
	t.Helper()
	client, err := redisstore.NewClient(redisstore.Config{URL: cfg.RedisURL, Addrs: cfg.RedisAddrs, MasterName: cfg.RedisMasterName})
	if err != nil {
		t.Fatal(err)
	}
	st := redisstore.New(client, cfg.RedisPrefix, 0)
	t.Cleanup(func() { st.Close() })
	return st
}

// totals sums the shipped campaign's served and impression counts for
// platform over the last two days; ok is false while the store does not
// answer.
func totals(t *testing.T, st *redisstore.Store, platform string) (served, impressions int64, ok bool) {
	t.Helper()
	now := time.Now().Unix() / 3600
	counts, err := st.Counts(t.Context(), "small-boats", now-48, now+1)
	if errors.Is(err, store.ErrUnavailable) {
		return 0, 0, false
	}
	if err != nil {
		t.Fatalf("Counts: %v", err)
	}
	for _, c := range counts {
		switch {
		case c.Key.Platform != platform:
		case c.Key.Event == track.EventServed:
			served += c.N
		case c.Key.Event == track.EventImpression:
			impressions += c.N
		}
	}
	return served, impressions, true
}

// ready reports whether in's /readyz answers 200 with its store back.
func ready(t *testing.T, in *instance) bool {
	t.Helper()
	resp, body := in.do(t, "GET", "/readyz", "", nil)
	var r struct{ Store string }
	return resp.StatusCode == http.StatusOK && json.Unmarshal(body, &r) == nil && r.Store == "ok"
}

// waitTotals waits until the store's counts equal served and
// impressions, failing t after limit or if they ever exceed them (a
// double count).
func waitTotals(t *testing.T, st *redisstore.Store, served, impressions int64, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		s, i, ok := totals(t, st, loadPlatform)
		if ok && (s > served || i > impressions) {
			t.Fatalf("the store counts served %d, impressions %d; only %d and %d were sent: counted twice", s, i, served, impressions)
		}
		if ok && s == served && i == impressions {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v the store counts served %d, impressions %d (answering: %v); want %d and %d", limit, s, i, ok, served, impressions)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
