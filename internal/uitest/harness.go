// Package uitest drives the real service in headless Chromium: the web
// UI, the hosted card and the widget, as people use them. Each test
// starts its own service on a loopback port with an embedded store in a
// temporary directory, and its own browser.
//
// Chromium is optional locally (the tests skip without it) and required
// in CI (SIGNPOST_REQUIRE_INTEGRATION=1 turns the skip into a failure).
// A browser fails its test on any console error, uncaught exception or
// Content-Security-Policy violation, so a page that works only by
// breaking its own policy does not pass.
package uitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"signpost/app"
	"signpost/internal/servetest"
)

// Env is a running service with an admin token, a platform token and
// three people who can sign in.
type Env struct {
	URL string
	// Admin and Platform are bearer secrets: an admin token and a
	// platform token for the platform "test".
	Admin, Platform string
	// People maps a name to its password: eddie (editor), rita
	// (reviewer), ana (analyst).
	People map[string]string
	// Logs holds what the service logged, for tests that check it.
	Logs *SyncBuffer
}

const bootstrap = "uitest-bootstrap-secret-0123456789abcdef"

// Start runs the service (app.New and Serve, as `signpost serve` does)
// on a free loopback port and stops it at cleanup. Counts flush every
// 200 ms so dashboards catch up quickly.
func Start(t *testing.T) *Env {
	t.Helper()
	ln, base := servetest.Listen(t)
	cfg := app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.BootstrapToken = bootstrap
	cfg.PublicURL = base
	cfg.FlushEvery = 200 * time.Millisecond
	cfg.APIRate = 1000
	cfg.DrainDelay = 0
	logs := &SyncBuffer{}
	cfg.Stdout = io.Discard
	a, err := app.New(cfg, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	servetest.Serve(t, a, ln)
	e := &Env{URL: base, Admin: bootstrap, People: map[string]string{}, Logs: logs}
	status, body := e.API(t, "POST", "/v1/tokens", e.Admin, "application/json", []byte(`{"name":"uitest platform","role":"platform","platform":"test"}`))
	if status != http.StatusCreated && status != http.StatusOK {
		t.Fatalf("create platform token: %d %s", status, body)
	}
	var tok struct{ Secret string }
	if err := json.Unmarshal(body, &tok); err != nil || tok.Secret == "" {
		t.Fatalf("platform token: %v %s", err, body)
	}
	e.Platform = tok.Secret
	for name, role := range map[string]string{"eddie": "editor", "rita": "reviewer", "ana": "analyst"} {
		pw := "correct horse " + name + " battery staple"
		req, _ := json.Marshal(map[string]string{"name": name, "role": role, "password": pw})
		if status, body := e.API(t, "POST", "/v1/users", e.Admin, "application/json", req); status != http.StatusCreated {
			t.Fatalf("create user %s: %d %s", name, status, body)
		}
		e.People[name] = pw
	}
	return e
}

// API sends one request with a bearer secret (none when secret is "")
// and returns the status and body.
func (e *Env) API(t *testing.T, method, path, secret, contentType string, body []byte) (int, []byte) {
	t.Helper()
	status, b, _ := e.Send(t, method, path, secret, contentType, "", body)
	return status, b
}

// Send is API with an If-Match header (none when ifMatch is ""), also
// returning the ETag; it does not follow redirects.
func (e *Env) Send(t *testing.T, method, path, secret, contentType, ifMatch string, body []byte) (int, []byte, string) {
	t.Helper()
	req, err := http.NewRequest(method, e.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	client := &http.Client{Timeout: time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header.Get("ETag")
}

// Browser is one headless Chromium (its own profile: cookies are not
// shared with other browsers of the test).
type Browser struct {
	env *Env
	ctx context.Context
	mu  sync.Mutex
	// problems are console errors, exceptions and CSP violations seen.
	problems []string
	// documents are the network requests that loaded pages: their
	// status is the page's answer (a 401 for a wrong password, a 422
	// for a refused upload), which Chromium logs as an error although
	// nothing failed. Failed subresources still count.
	documents map[network.RequestID]bool
}

// chromium returns the browser to run, or "" when there is none.
func chromium() string {
	if p := os.Getenv("SIGNPOST_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Browser starts a headless Chromium with a window of width x height
// CSS pixels. Without Chromium the test is skipped, unless
// SIGNPOST_REQUIRE_INTEGRATION=1, when it fails.
func (e *Env) Browser(t *testing.T, width, height int) *Browser {
	t.Helper()
	path := chromium()
	if path == "" {
		if os.Getenv("SIGNPOST_REQUIRE_INTEGRATION") == "1" {
			t.Fatal("Chromium is required (apt-get install chromium) and was not found")
		}
		t.Skip("no Chromium: apt-get install chromium to run the browser tests")
	}
	// Chromium's helper processes may still be writing its profile when
	// the browser is told to stop, which t.TempDir's strict cleanup
	// reports as a failure: the profile is removed here, retrying.
	profile, err := os.MkdirTemp("", "uitest-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // CI runs as root in a container
		chromedp.WindowSize(width, height),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "en-GB"),
		chromedp.UserDataDir(profile),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	b := &Browser{env: e, ctx: ctx, documents: map[network.RequestID]bool{}}
	chromedp.ListenTarget(ctx, b.listen)
	if err := chromedp.Run(ctx, network.Enable(), log.Enable(), runtime.Enable()); err != nil {
		cancelCtx()
		cancelAlloc()
		t.Fatalf("start Chromium: %v", err)
	}
	t.Cleanup(func() {
		// Let late console messages arrive before judging.
		time.Sleep(100 * time.Millisecond)
		for _, p := range b.Problems() {
			t.Errorf("browser: %s", p)
		}
		cancelCtx()
		cancelAlloc()
		for i := 0; i < 20 && os.RemoveAll(profile) != nil; i++ {
			time.Sleep(50 * time.Millisecond)
		}
	})
	return b
}

// listen records console errors, uncaught exceptions and CSP
// violations (Chromium logs those as errors of the "security" source).
func (b *Browser) listen(ev any) {
	var p string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.APITypeError || ev.Type == runtime.APITypeAssert {
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, strings.Trim(string(a.Value), `"`)+a.Description)
			}
			p = "console." + string(ev.Type) + ": " + strings.Join(parts, " ")
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		p = "uncaught exception: " + d.Text
		if d.Exception != nil {
			p += " " + d.Exception.Description
		}
	case *network.EventRequestWillBeSent:
		if ev.Type == network.ResourceTypeDocument {
			b.mu.Lock()
			b.documents[ev.RequestID] = true
			b.mu.Unlock()
		}
	case *log.EventEntryAdded:
		b.mu.Lock()
		doc := ev.Entry.Source == log.SourceNetwork && b.documents[ev.Entry.NetworkRequestID]
		b.mu.Unlock()
		if doc {
			return
		}
		if ev.Entry.Level == log.LevelError || ev.Entry.Source == log.SourceSecurity {
			p = fmt.Sprintf("%s %s: %s %s", ev.Entry.Source, ev.Entry.Level, ev.Entry.Text, ev.Entry.URL)
		}
	}
	if p != "" {
		b.mu.Lock()
		b.problems = append(b.problems, p)
		b.mu.Unlock()
	}
}

// Problems returns the console errors, exceptions and CSP violations
// seen so far.
func (b *Browser) Problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.problems...)
}

// Ctx is the browser's chromedp context.
func (b *Browser) Ctx() context.Context { return b.ctx }

// Run runs actions with a 60-second limit (generous: CI runs them under
// -race on two busy cores) and fails the test on error.
func (b *Browser) Run(t *testing.T, actions ...chromedp.Action) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		t.Fatalf("browser: %v (problems so far: %v)", err, b.Problems())
	}
}

// SignIn signs name in through the sign-in page and waits for the page
// it lands on.
func (b *Browser) SignIn(t *testing.T, name string) {
	t.Helper()
	pw, ok := b.env.People[name]
	if !ok {
		t.Fatalf("no person %q", name)
	}
	b.Run(t,
		chromedp.Navigate(b.env.URL+"/ui/signin"),
		chromedp.WaitVisible(`#name`, chromedp.ByQuery),
		chromedp.SendKeys(`#name`, name, chromedp.ByQuery),
		chromedp.SendKeys(`#password`, pw, chromedp.ByQuery),
		chromedp.Submit(`form.signin`, chromedp.ByQuery),
		chromedp.WaitNotPresent(`form.signin`, chromedp.ByQuery),
	)
}

// Screenshot saves a full-page PNG as docs/screenshots/name.png in the
// repository, so the docs show the UI as the tests last saw it.
func (b *Browser) Screenshot(t *testing.T, name string) {
	t.Helper()
	var png []byte
	// Quality 100 makes Chromium encode PNG (below it, JPEG).
	b.Run(t, chromedp.FullScreenshot(&png, 100))
	dir := filepath.Join(repoRoot(t), "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// repoRoot finds the directory holding go.mod above the test's.
func repoRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
}

// Nodes is a convenience for chromedp.Nodes by CSS selector.
func Nodes(sel string, nodes *[]*cdp.Node) chromedp.QueryAction {
	return chromedp.Nodes(sel, nodes, chromedp.ByQueryAll)
}

// SyncBuffer collects what the service writes concurrently.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}
