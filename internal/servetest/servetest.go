// Package servetest runs the real service for tests, the way `signpost
// serve` does (app.New, then Serve on a listener), on a free loopback
// port, and stops it at cleanup. Tests of the app, the clients, the
// deployment files, the CLI and the browser UI all start it the same way,
// so that a change to the service's lifecycle is made here once.
package servetest

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"testing"

	"signpost/app"
	"signpost/match"
	"signpost/rules"
)

// matchers is shared by every app a test binary starts without a cache
// of its own: each app compiles the rules it serves, most of them the
// same shipped rules, which takes seconds under the race detector. A
// compiled matcher is immutable, so apps can share it.
var matchers = match.NewCache(8, 0, shippedScorer())

// shippedScorer is the scorer the app serves with by default.
func shippedScorer() *match.Scorer {
	s, err := match.LoadScorer(rules.FS)
	if err != nil {
		panic(err)
	}
	return s
}

// Listen returns a listener on a free loopback port and the base URL
// that reaches it, for a test that must know the URL before it builds
// the app (as SIGNPOST_PUBLIC_URL, say).
func Listen(tb testing.TB) (net.Listener, string) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen on loopback: %v", err)
	}
	return ln, "http://" + ln.Addr().String()
}

// Serve runs a on ln until the test ends or stop is called, whichever is
// first: Serve's context is cancelled (it drains and stops accepting),
// then the app is closed. An error from either fails the test. stop may
// be called more than once.
func Serve(tb testing.TB, a *app.App, ln net.Listener) (stop func()) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				tb.Errorf("Serve: %v", err)
			}
			if err := a.Close(); err != nil {
				tb.Errorf("Close: %v", err)
			}
		})
	}
	tb.Cleanup(stop)
	return stop
}

// Instance is a running service.
type Instance struct {
	App *app.App
	// URL is the base URL, http://127.0.0.1:PORT.
	URL string
	// Stop stops the service before the test ends (at cleanup otherwise).
	Stop func()
}

// Start builds the app from cfg (which should name a temporary data
// directory) and serves it; app.New failing fails the test at once. A
// nil log discards the service's logs. Apps started here share compiled
// rules unless cfg.Matchers is set.
func Start(tb testing.TB, cfg app.Config, log *slog.Logger) *Instance {
	tb.Helper()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Matchers == nil {
		cfg.Matchers = matchers
	}
	a, err := app.New(cfg, log)
	if err != nil {
		tb.Fatalf("app.New: %v", err)
	}
	ln, url := Listen(tb)
	return &Instance{App: a, URL: url, Stop: Serve(tb, a, ln)}
}
