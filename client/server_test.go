package client_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"signpost/app"
	"signpost/internal/servetest"
)

// adminSecret is the bootstrap admin secret of every test server.
const adminSecret = "client-test-bootstrap-secret-0123456789"

// server is the real signpost service on a loopback port, started as
// `signpost serve` starts it (app.New and Serve).
type server struct {
	base string
	stop func()
}

// startServer runs a fresh service with its own embedded store, and stops
// it at cleanup (or earlier through stop). Counts are flushed every
// 100 ms so that stats show reported interactions quickly.
func startServer(t *testing.T) *server {
	t.Helper()
	cfg := app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.BootstrapToken = adminSecret
	cfg.DrainDelay = 0
	cfg.FlushEvery = 100 * time.Millisecond
	cfg.Stdout = io.Discard
	cfg.PublicURL = "http://signpost.test"
	in := servetest.Start(t, cfg, nil)
	s := &server{base: in.URL, stop: in.Stop}
	s.waitReady(t)
	return s
}

// waitReady waits until /readyz says the catalog is loaded.
func (s *server) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("signpost not ready after 30s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// do sends one JSON request with a generous deadline and returns the
// status and body.
func (s *server) do(t *testing.T, method, path, secret string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.base+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, data
}

// token creates an API token and returns its secret.
func (s *server) token(t *testing.T, role, platform string) string {
	t.Helper()
	status, body := s.do(t, "POST", "/v1/tokens", adminSecret, map[string]string{"name": "client test " + role, "role": role, "platform": platform})
	if status != http.StatusCreated {
		t.Fatalf("POST /v1/tokens: %d %s", status, body)
	}
	var tok struct{ Secret string }
	if err := json.Unmarshal(body, &tok); err != nil || tok.Secret == "" {
		t.Fatalf("token answer %s: %v", body, err)
	}
	return tok.Secret
}

// impressions polls the platform's own stats of the shipped campaign
// until its total impressions reach want, and returns the last figure
// seen (nil while the cell is suppressed, under 10 people).
func (s *server) impressions(t *testing.T, secret string, want int64) *int64 {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		status, body := s.do(t, "GET", "/v1/stats/campaigns/small-boats", secret, nil)
		if status != http.StatusOK {
			t.Fatalf("stats: %d %s", status, body)
		}
		var rep struct {
			Total struct{ Impressions *int64 }
		}
		if err := json.Unmarshal(body, &rep); err != nil {
			t.Fatalf("stats %s: %v", body, err)
		}
		got := rep.Total.Impressions
		if (got != nil && *got >= want) || time.Now().After(deadline) {
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// requireIntegration reports whether a missing tool must fail the test
// instead of skipping it (CI sets SIGNPOST_REQUIRE_INTEGRATION=1).
func requireIntegration() bool { return os.Getenv("SIGNPOST_REQUIRE_INTEGRATION") == "1" }

// Texts the shipped rules and campaign answer, or leave alone.
const (
	matchingSearch = "small boat to uk price"
	benignSearch   = "dover to calais ferry price"
	matchingView   = "boat from france to uk cost"
)

// falsePositives reads the false-positive count of rule from the
// editors' activity route's answer.
func falsePositives(doc []byte, rule string) int64 {
	var act struct {
		Rules []struct {
			Rule           string
			FalsePositives int64 `json:"false_positives"`
		}
	}
	if json.Unmarshal(doc, &act) != nil {
		return 0
	}
	for _, r := range act.Rules {
		if r.Rule == rule {
			return r.FalsePositives
		}
	}
	return 0
}
