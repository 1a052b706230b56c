package main

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"signpost/app"
	"signpost/internal/servetest"
)

// TestHealthcheckCommand runs `signpost healthcheck` against a real
// instance found through SIGNPOST_ADDR, as the container HEALTHCHECK does.
func TestHealthcheckCommand(t *testing.T) {
	cfg := app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.BootstrapToken = "healthcheck-bootstrap-secret-0123456789"
	cfg.DrainDelay = 0
	in := servetest.Start(t, cfg, nil)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(in.URL, "http://"))
	vars := map[string]string{"SIGNPOST_ADDR": ":" + port}

	for _, args := range [][]string{{"healthcheck"}, {"healthcheck", "--live"}} {
		var out, errb bytes.Buffer
		if code := run(args, nil, &out, &errb, env(vars)); code != 0 {
			t.Errorf("%v: exit %d: %s", args, code, errb.String())
		}
		want := "/readyz"
		if len(args) > 1 {
			want = "/livez"
		}
		if !strings.Contains(out.String(), "http://127.0.0.1:"+port+want) {
			t.Errorf("%v printed %q, want the checked URL", args, out.String())
		}
	}
}

func TestHealthcheckFailures(t *testing.T) {
	unready := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"error":{"code":"shutting_down"}}`))
	}))
	defer unready.Close()
	release := make(chan struct{})
	frozen := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer frozen.Close()
	defer close(release)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()

	tests := []struct {
		name string
		args []string
		vars map[string]string
		want string
	}{
		{"503", []string{"healthcheck", "--url", unready.URL + "/readyz"}, nil, "answered 503: {\"error\":{\"code\":\"shutting_down\"}}"},
		{"nothing listening", []string{"healthcheck"}, map[string]string{"SIGNPOST_ADDR": closedAddr}, "connection refused"},
		{"frozen server", []string{"healthcheck", "--url", frozen.URL + "/readyz"}, nil, "deadline exceeded"},
		{"bad SIGNPOST_ADDR", []string{"healthcheck"}, map[string]string{"SIGNPOST_ADDR": "8080"}, "SIGNPOST_ADDR"},
		{"stray argument", []string{"healthcheck", "now"}, nil, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			began := time.Now()
			code := run(tt.args, nil, &out, &errb, env(tt.vars))
			took := time.Since(began)
			if code != 1 || !strings.Contains(errb.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, errb.String(), tt.want)
			}
			// The 2 s deadline is the behaviour under test; generous
			// slack for a loaded CI machine.
			if took > 2*time.Second+3*time.Second {
				t.Errorf("took %v, want about the 2 s deadline at most", took)
			}
		})
	}
}

func TestHealthURL(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"", "http://127.0.0.1:8080/readyz"},
		{":9090", "http://127.0.0.1:9090/readyz"},
		{"0.0.0.0:8081", "http://127.0.0.1:8081/readyz"},
		{"[::]:8082", "http://127.0.0.1:8082/readyz"},
		{"10.1.2.3:8083", "http://10.1.2.3:8083/readyz"},
		{"[::1]:8084", "http://[::1]:8084/readyz"},
	}
	for _, tt := range tests {
		if got, err := healthURL(tt.addr, "/readyz"); err != nil || got != tt.want {
			t.Errorf("healthURL(%q) = %q, %v; want %q", tt.addr, got, err, tt.want)
		}
	}
}
