package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

func TestValidate(t *testing.T) {
	ok := DefaultConfig()
	ok.URLs, ok.Token = []string{"http://localhost:8080"}, "sp_x"
	tests := []struct {
		name    string
		edit    func(*Config)
		wantErr string
	}{
		{"defaults with url and token", func(*Config) {}, ""},
		{"closed loop", func(c *Config) { c.Rate = 0 }, ""},
		{"no url", func(c *Config) { c.URLs = nil }, "--url"},
		{"url without scheme", func(c *Config) { c.URLs = []string{"localhost:8080"} }, "--url"},
		{"no token", func(c *Config) { c.Token = "" }, "--token"},
		{"negative rate", func(c *Config) { c.Rate = -1 }, "--rate"},
		{"zero duration", func(c *Config) { c.Duration = 0 }, "--duration"},
		{"no workers", func(c *Config) { c.Workers = 0 }, "--workers"},
		{"match share above 1", func(c *Config) { c.MatchShare = 2 }, "--match-share"},
		{"negative views share", func(c *Config) { c.ViewsShare = -0.1 }, "--views-share"},
		{"interactions share above 1", func(c *Config) { c.InteractionsShare = 1.1 }, "--interactions-share"},
		{"zero timeout", func(c *Config) { c.Timeout = 0 }, "--timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.edit(&c)
			err := c.Validate()
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("Validate() = %v, want error mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestErrorKind(t *testing.T) {
	tests := []struct {
		err    error
		status int
		want   string
	}{
		{nil, 200, ""},
		{nil, 204, ""},
		{nil, 429, "status_429"},
		{nil, 503, "status_503"},
		{fasthttp.ErrTimeout, 0, "timeout"},
		{fasthttp.ErrDialTimeout, 0, "timeout"},
		{fasthttp.ErrNoFreeConns, 0, "no_free_connection"},
		{errors.New("connection refused"), 0, "connection"},
	}
	for _, tt := range tests {
		if got := errorKind(tt.err, tt.status); got != tt.want {
			t.Errorf("errorKind(%v, %d) = %q, want %q", tt.err, tt.status, got, tt.want)
		}
	}
}

// fakeService answers events like signpost (a card for texts the corpus
// marks as matching, which it cannot know, so: for every tenth event) and
// records what arrived.
type fakeService struct {
	delay time.Duration
	mu    sync.Mutex
	paths map[string]int
	texts []string
}

func (f *fakeService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.Header.Get("Authorization") != "Bearer sp_test" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	time.Sleep(f.delay)
	f.mu.Lock()
	f.paths[r.URL.Path]++
	n := f.paths[r.URL.Path]
	var ev Event
	_ = json.Unmarshal(body, &ev)
	f.texts = append(f.texts, ev.Text)
	f.mu.Unlock()
	switch {
	case r.URL.Path == "/v1/interactions":
		w.WriteHeader(http.StatusNoContent)
	case n%10 == 0:
		io.WriteString(w, `{"matched":true,"card":{"token":"tok-secret-value"}}`)
	default:
		io.WriteString(w, `{"matched":false,"card":null}`)
	}
}

// TestRunIsOpenLoop runs against a service that takes 40 ms per request
// with two workers: a closed-loop generator would manage 50 requests a
// second, but an open-loop one keeps the schedule and reports the queueing
// as latency.
func TestRunIsOpenLoop(t *testing.T) {
	fake := &fakeService{delay: 40 * time.Millisecond, paths: map[string]int{}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	cfg := DefaultConfig()
	cfg.URLs, cfg.Token = []string{srv.URL}, "sp_test"
	cfg.Rate, cfg.Duration, cfg.Workers, cfg.InteractionsShare = 200, 500*time.Millisecond, 2, 1
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// 100 slots; each worker takes 40 ms a request, so the last ones are
	// sent up to a second late, and that lateness is their latency.
	if rep.Requests != 100 || rep.OK != 100 {
		t.Errorf("requests %d ok %d, want all 100 scheduled slots sent and answered", rep.Requests, rep.OK)
	}
	if rep.Latency.Max < 1000 || rep.Latency.P50 < 300 {
		t.Errorf("latency %+v: want the queueing behind a 40 ms service counted (max over 1 s, p50 over 300 ms)", rep.Latency)
	}
	if rep.LateSends == 0 {
		t.Error("no late sends reported although the workers fell behind")
	}
	if rep.Classes["interaction"].Requests == 0 {
		t.Error("no interactions sent for the cards received")
	}
	if rep.MatchedShare <= 0 || rep.MatchedShare > 0.2 {
		t.Errorf("matched share %v, want about 0.1", rep.MatchedShare)
	}
}

// TestRunReportsErrorsAndHidesTexts checks error kinds, that a run at a
// rate the service keeps up with has low latency, and that neither the
// texts sent nor the tokens received appear in the report.
func TestRunReportsErrorsAndHidesTexts(t *testing.T) {
	fake := &fakeService{paths: map[string]int{}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	cfg := DefaultConfig()
	cfg.URLs, cfg.Token = []string{srv.URL, srv.URL + "/"}, "sp_test"
	cfg.Rate, cfg.Duration, cfg.Workers = 400, 250*time.Millisecond, 4
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Requests != 100 || len(rep.Errors) != 0 || rep.Mode != "open-loop" || rep.Instances != 2 {
		t.Errorf("report %+v: want 100 requests without errors, open loop, 2 instances", rep)
	}
	var out bytes.Buffer
	if err := rep.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(rep)
	for _, text := range fake.texts {
		if text != "" && (strings.Contains(out.String(), text) || strings.Contains(string(js), text)) {
			t.Fatalf("report contains a text it sent: %q", text)
		}
	}
	if strings.Contains(out.String()+string(js), "tok-secret-value") {
		t.Error("report contains a card token")
	}

	cfg.Token, cfg.Rate = "wrong", 0 // closed loop, every answer 401
	cfg.URLs = []string{srv.URL}
	rep, err = Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK != 0 || rep.Errors["status_401"] != rep.Requests || rep.Requests == 0 || rep.Mode != "closed-loop" {
		t.Errorf("report %+v: want every request counted as status_401 in closed loop", rep)
	}

	cfg.URLs = []string{"http://127.0.0.1:1"} // nothing listens there
	rep, err = Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Errors["connection"] == 0 {
		t.Errorf("errors %v: want connection errors against a closed port", rep.Errors)
	}
}
