package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestLoadtestCommandRejectsBadFlags(t *testing.T) {
	env := func(string) string { return "" }
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no url", []string{"--token", "t"}, "--url is required"},
		{"no token", []string{"--url", "http://localhost:8080"}, "--token"},
		{"unparsable rate", []string{"--rate", "fast"}, "invalid value"},
		{"share above one", []string{"--url", "http://x", "--token", "t", "--match-share", "3"}, "--match-share"},
		{"url without scheme", []string{"--url", "localhost:8080", "--token", "t"}, "--url"},
		{"stray argument", []string{"--url", "http://x", "--token", "t", "now"}, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"loadtest"}, tt.args...), strings.NewReader(""), &stdout, &stderr, env)
			if code == 0 || !strings.Contains(stderr.String(), tt.wantErr) || stdout.Len() != 0 {
				t.Errorf("exit %d, stderr %q, stdout %q; want non-zero, %q on stderr, nothing on stdout", code, stderr.String(), stdout.String(), tt.wantErr)
			}
		})
	}
}

// TestLoadtestCommandFailsWhenNothingSucceeds runs briefly against a port
// nobody listens on: the report is printed, and the exit code says the run
// measured nothing. The token comes from the environment and is never
// printed.
func TestLoadtestCommandFailsWhenNothingSucceeds(t *testing.T) {
	env := func(k string) string {
		if k == "SIGNPOST_LOADTEST_TOKEN" {
			return "sp_secret_from_env"
		}
		return ""
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"loadtest", "--url", "http://127.0.0.1:1", "--rate", "50", "--duration", "100ms", "--workers", "2", "--json"},
		strings.NewReader(""), &stdout, &stderr, env)
	if code == 0 || !strings.Contains(stdout.String(), `"connection"`) || !strings.Contains(stderr.String(), "no request succeeded") {
		t.Errorf("exit %d, stdout %q, stderr %q; want a JSON report with connection errors and a non-zero exit", code, stdout.String(), stderr.String())
	}
	if strings.Contains(stdout.String()+stderr.String(), "sp_secret_from_env") {
		t.Error("the token was printed")
	}
}
