package app_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"signpost/app"
	"signpost/internal/redistest"
	"signpost/internal/servetest"
)

const bootstrap = "test-bootstrap-secret-0123456789"

// instance is a running signpost on a loopback port.
type instance struct {
	base string
	logs *syncBuffer
	out  *syncBuffer
	stop func()
}

// start runs app.New and Serve exactly as `signpost serve` does, on a
// free port, and stops it at cleanup (or earlier through stop).
func start(t *testing.T, cfg app.Config) *instance {
	t.Helper()
	logs, out := &syncBuffer{}, &syncBuffer{}
	cfg.Stdout = out
	if cfg.DrainDelay == app.DefaultConfig().DrainDelay {
		cfg.DrainDelay = 0 // no load balancer to wait for; a test that wants one sets it
	}
	in := servetest.Start(t, cfg, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	return &instance{base: in.URL, logs: logs, out: out, stop: in.Stop}
}

// syncBuffer lets the test read what the server writes concurrently.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) Len() int { return len(b.String()) }

func writeFile(name, data string) error { return os.WriteFile(name, []byte(data), 0o600) }

func (in *instance) do(t *testing.T, method, path, secret string, body any) (*http.Response, []byte) {
	t.Helper()
	var reqBody []byte // kept for the contract check
	switch b := body.(type) {
	case nil:
	case string:
		reqBody = []byte(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		reqBody = data
	}
	req, err := http.NewRequest(method, in.base+path, bytes.NewReader(reqBody))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	// Generous: under -race on a busy 2-core CI machine, a rules upload
	// (compiling every rule set and checking every sample) takes seconds.
	client := &http.Client{Timeout: 60 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	contract.Check(t, req, reqBody, resp, data)
	return resp, data
}

func (in *instance) createToken(t *testing.T, role, platform string) string {
	t.Helper()
	resp, body := in.do(t, "POST", "/v1/tokens", bootstrap, map[string]string{"name": "test " + role, "role": role, "platform": platform})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /v1/tokens: %d %s", resp.StatusCode, body)
	}
	var tok struct{ ID, Secret string }
	if err := json.Unmarshal(body, &tok); err != nil || !strings.HasPrefix(tok.Secret, "sp_") || tok.ID == "" {
		t.Fatalf("token response %s (%v)", body, err)
	}
	return tok.Secret
}

type card struct {
	Token, Campaign, Variant, Locale, Dir, Title, Body string
	Actions                                            []struct{ ID, Label, URL string }
	Dismiss, Continue                                  struct{ Label string }
}

type eventResponse struct {
	Matched bool
	Match   *struct {
		Categories, Rules []string
		RulesVersion      string `json:"rules_version"`
	}
	Card *card
}

// positives holds, per shipped language, a query that must get a card in
// that language.
var positives = []struct{ locale, text, dir string }{
	{"en-GB", "boat from france to uk cost", "ltr"},
	{"fr-FR,fr;q=0.9", "contact passeur angleterre", "ltr"},
	{"ar-IQ,ar;q=0.9,en;q=0.5", "رقم مهرب الى انجلترا", "rtl"},
	{"fa-IR", "قیمت قایق انگلیس", "rtl"},
	{"ckb-IQ", "قاچاخ بۆ بەریتانیا", "rtl"},
	{"ps-AF", "د انګلستان قاچاقبر", "rtl"},
	{"sq-AL", "skafist angli cmimi", "ltr"},
	{"vi-VN", "sang anh bằng thuyền giá", "ltr"},
	{"ti-ER", "ብጃልባ ናብ ብሪጣንያ", "ltr"},
	{"tr-TR", "ingiltereye kaçak geçiş", "ltr"},
}

var benign = []string{"ferry timetable", "dover to calais ferry price", "uk skilled worker visa", "cheap hotels in calais", "تور لندن", "visa de travail angleterre"}

// exerciseIntercept is the end-to-end test of the intercept path; it runs
// on every store.
func exerciseIntercept(t *testing.T, in *instance) {
	platform := in.createToken(t, "platform", "acme")

	t.Run("cards in every language", func(t *testing.T) {
		for _, p := range positives {
			resp, body := in.do(t, "POST", "/v1/events", platform, map[string]string{"kind": "search", "text": p.text, "locale": p.locale, "subject": "subject-" + p.locale, "country": "FR"})
			if resp.StatusCode != 200 {
				t.Fatalf("%s: status %d %s", p.locale, resp.StatusCode, body)
			}
			var er eventResponse
			if err := json.Unmarshal(body, &er); err != nil {
				t.Fatal(err)
			}
			lang, _, _ := strings.Cut(strings.SplitN(p.locale, ",", 2)[0], "-")
			if !er.Matched || er.Card == nil {
				t.Errorf("%s %q: matched=%v card=%v", p.locale, p.text, er.Matched, er.Card != nil)
				continue
			}
			c := er.Card
			if c.Locale != lang || c.Dir != p.dir || c.Campaign != "small-boats" || (c.Variant != "a" && c.Variant != "b") {
				t.Errorf("%s: card locale=%s dir=%s campaign=%s variant=%s", p.locale, c.Locale, c.Dir, c.Campaign, c.Variant)
			}
			if c.Title == "" || c.Body == "" || len(c.Actions) != 2 || c.Dismiss.Label == "" || c.Continue.Label == "" {
				t.Errorf("%s: incomplete card %+v", p.locale, c)
			}
			if bytes.Contains(body, []byte(p.text)) {
				t.Errorf("%s: the response echoes the user's text", p.locale)
			}
			for _, a := range c.Actions {
				if !strings.HasPrefix(a.URL, "http://localhost:8080/r/"+c.Token+"?a=") {
					t.Errorf("%s: action URL %q does not go through /r/{token}", p.locale, a.URL)
				}
			}
		}
	})

	t.Run("benign queries get no card", func(t *testing.T) {
		for _, text := range benign {
			resp, body := in.do(t, "POST", "/v1/events", platform, map[string]string{"kind": "search", "text": text, "locale": "en"})
			if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != `{"matched":false,"card":null}` {
				t.Errorf("%q: %d %s", text, resp.StatusCode, body)
			}
		}
	})

	t.Run("sorani never gets arabic, dari gets persian, unknown gets english", func(t *testing.T) {
		for locale, want := range map[string]string{"ckb": "ckb", "prs-AF": "fa", "ja-JP": "en", "ku-Latn-TR": "en"} {
			_, body := in.do(t, "POST", "/v1/events", platform, map[string]string{"kind": "search", "text": "smuggler number calais", "locale": locale})
			var er eventResponse
			if err := json.Unmarshal(body, &er); err != nil || er.Card == nil || er.Card.Locale != want {
				t.Errorf("locale %s: got %s, want card locale %s", locale, body, want)
			}
		}
	})

	t.Run("same subject same variant", func(t *testing.T) {
		seen := map[string]bool{}
		for i := 0; i < 3; i++ {
			_, body := in.do(t, "POST", "/v1/events", platform, map[string]string{"kind": "search", "text": "smuggler number calais", "subject": "stable-subject"})
			var er eventResponse
			_ = json.Unmarshal(body, &er)
			if er.Card == nil {
				t.Fatalf("no card: %s", body)
			}
			seen[er.Card.Variant] = true
		}
		if len(seen) != 1 {
			t.Errorf("one subject got variants %v", seen)
		}
	})

	t.Run("batch", func(t *testing.T) {
		resp, body := in.do(t, "POST", "/v1/events/batch", platform, map[string]any{"events": []map[string]string{
			{"kind": "search", "text": "smuggler number calais"},
			{"kind": "view", "text": "ferry timetable"},
		}})
		var br struct{ Results []eventResponse }
		if err := json.Unmarshal(body, &br); err != nil || resp.StatusCode != 200 || len(br.Results) != 2 {
			t.Fatalf("batch: %d %s", resp.StatusCode, body)
		}
		if !br.Results[0].Matched || br.Results[0].Card == nil || br.Results[1].Matched {
			t.Errorf("batch results in wrong order or wrong: %s", body)
		}
	})

	t.Run("redirect goes to the stored action URL", func(t *testing.T) {
		_, body := in.do(t, "POST", "/v1/events", platform, map[string]string{"kind": "search", "text": "smuggler number calais"})
		var er eventResponse
		_ = json.Unmarshal(body, &er)
		if er.Card == nil {
			t.Fatalf("no card: %s", body)
		}
		resp, _ := in.do(t, "GET", "/r/"+er.Card.Token+"?a=help", "", nil)
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "https://help.unhcr.org/" {
			t.Errorf("redirect: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		for _, path := range []string{"/r/" + er.Card.Token + "?a=evil", "/r/forged.token?a=help", "/r/" + er.Card.Token[:20] + "?a=help"} {
			resp, page := in.do(t, "GET", path, "", nil)
			if resp.StatusCode != 200 || resp.Header.Get("Location") != "" || !bytes.Contains(page, []byte("no longer available")) {
				t.Errorf("%s: %d location=%q", path, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
	})

	t.Run("bad input", func(t *testing.T) {
		many := make([]map[string]string, 501)
		for i := range many {
			many[i] = map[string]string{"kind": "search", "text": "x"}
		}
		tests := []struct {
			name, path, secret string
			body               any
			status             int
			code               string
		}{
			{"broken json", "/v1/events", platform, `{"kind":`, 400, "invalid_json"},
			{"missing text", "/v1/events", platform, map[string]string{"kind": "search"}, 400, "missing_text"},
			{"unknown kind", "/v1/events", platform, map[string]string{"kind": "click", "text": "boat"}, 400, "invalid_kind"},
			{"wrong type", "/v1/events", platform, `{"kind":"search","text":5}`, 400, "invalid_json"},
			{"bad country", "/v1/events", platform, map[string]string{"kind": "search", "text": "boat", "country": "France"}, 400, "invalid_country"},
			{"batch over 500", "/v1/events/batch", platform, map[string]any{"events": many}, 400, "batch_too_large"},
			{"empty batch", "/v1/events/batch", platform, map[string]any{"events": []any{}}, 400, "empty_batch"},
			{"search over 4 KiB", "/v1/events", platform, map[string]string{"kind": "search", "text": strings.Repeat("a", 4097)}, 413, "text_too_large"},
			{"view over 64 KiB", "/v1/events", platform, map[string]string{"kind": "view", "text": strings.Repeat("a", 64<<10+1)}, 413, "text_too_large"},
			{"no token", "/v1/events", "", map[string]string{"kind": "search", "text": "boat"}, 401, "unauthorized"},
			{"wrong token", "/v1/events", "sp_wrong", map[string]string{"kind": "search", "text": "boat"}, 401, "unauthorized"},
			{"platform may not create tokens", "/v1/tokens", platform, map[string]string{"name": "x", "role": "admin"}, 403, "forbidden"},
			{"unknown field in admin API", "/v1/tokens", bootstrap, `{"name":"x","role":"admin","rol":"x"}`, 400, "invalid_json"},
			{"bad role", "/v1/tokens", bootstrap, map[string]string{"name": "x", "role": "root"}, 400, "invalid_token_request"},
			{"platform token without platform", "/v1/tokens", bootstrap, map[string]string{"name": "x", "role": "platform"}, 400, "invalid_token_request"},
			{"unknown route", "/v1/nothing", platform, nil, 404, "not_found"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp, body := in.do(t, "POST", tt.path, tt.secret, tt.body)
				var eb struct {
					Error struct{ Code, Message string }
				}
				if err := json.Unmarshal(body, &eb); err != nil {
					t.Fatalf("body is not JSON: %s", body)
				}
				if resp.StatusCode != tt.status || eb.Error.Code != tt.code || eb.Error.Message == "" {
					t.Errorf("got %d %s, want %d %s", resp.StatusCode, body, tt.status, tt.code)
				}
			})
		}
	})

	t.Run("explain for editors", func(t *testing.T) {
		editor := in.createToken(t, "editor", "")
		resp, body := in.do(t, "POST", "/v1/match/explain", editor, map[string]string{"text": "$mu99l3r numb3r calais", "kind": "search"})
		var ex struct {
			Matched      bool
			Rules        []string
			RulesVersion string `json:"rules_version"`
			Views        map[string]string
			Matches      []struct{ Rule, View string }
		}
		if err := json.Unmarshal(body, &ex); err != nil || resp.StatusCode != 200 {
			t.Fatalf("explain: %d %s", resp.StatusCode, body)
		}
		if !ex.Matched || len(ex.Matches) == 0 || ex.Matches[0].View != "leet" || ex.Views["leet"] == "" || ex.RulesVersion == "" {
			t.Errorf("explain = %s", body)
		}
		if resp, _ := in.do(t, "POST", "/v1/match/explain", platform, map[string]string{"text": "x"}); resp.StatusCode != 403 {
			t.Errorf("platform token on explain: %d, want 403", resp.StatusCode)
		}
		if resp, _ := in.do(t, "POST", "/v1/match/explain", editor, map[string]string{"kind": "search"}); resp.StatusCode != 400 {
			t.Errorf("explain without text: %d, want 400", resp.StatusCode)
		}
	})

	t.Run("health and metrics", func(t *testing.T) {
		for _, path := range []string{"/livez", "/readyz"} {
			if resp, body := in.do(t, "GET", path, "", nil); resp.StatusCode != 200 {
				t.Errorf("%s: %d %s", path, resp.StatusCode, body)
			}
		}
		resp, body := in.do(t, "GET", "/metrics", "", nil)
		if resp.StatusCode != 200 || !bytes.Contains(body, []byte(`signpost_events_total{kind="search",matched="true"}`)) ||
			!bytes.Contains(body, []byte(`signpost_cards_served_total{campaign="small-boats"`)) {
			t.Errorf("metrics: %d, missing event counters", resp.StatusCode)
		}
	})

	t.Run("logs never contain text or subjects", func(t *testing.T) {
		logs := in.logs.String()
		if !strings.Contains(logs, `"route":"/v1/events"`) {
			t.Fatalf("request log missing; logs:\n%s", logs)
		}
		for _, p := range positives {
			if strings.Contains(logs, p.text) || strings.Contains(logs, "subject-"+p.locale) {
				t.Errorf("logs contain event text or subject for %s", p.locale)
			}
		}
		if strings.Contains(logs, bootstrap) || strings.Contains(logs, "stable-subject") {
			t.Error("logs contain a secret or a subject id")
		}
	})
}

func TestInterceptEmbedded(t *testing.T) {
	cfg := app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.BootstrapToken = bootstrap
	in := start(t, cfg)
	exerciseIntercept(t, in)
}

func TestInterceptRedis(t *testing.T) {
	srv := redistest.Start(t)
	cfg := app.DefaultConfig()
	cfg.RedisURL = srv.URL()
	cfg.BootstrapToken = bootstrap
	in := start(t, cfg)
	exerciseIntercept(t, in)
}

// TestEmbeddedStoreSurvivesRestart checks that tokens and the campaign
// persist, and that the admin secret is printed once only.
func TestEmbeddedStoreSurvivesRestart(t *testing.T) {
	cfg := app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	first := start(t, cfg)
	secret := strings.TrimSpace(strings.TrimPrefix(first.out.String(), "signpost: admin secret (shown once, store it now): "))
	if !strings.HasPrefix(secret, "sp_") {
		t.Fatalf("no admin secret printed on first start: %q", first.out.String())
	}
	resp, body := first.do(t, "POST", "/v1/tokens", secret, map[string]string{"name": "p", "role": "platform", "platform": "acme"})
	if resp.StatusCode != 201 {
		t.Fatalf("create token: %d %s", resp.StatusCode, body)
	}
	var tok struct{ Secret string }
	_ = json.Unmarshal(body, &tok)
	first.stop()

	second := start(t, cfg)
	if second.out.Len() != 0 {
		t.Errorf("second start printed %q; the admin secret must be shown once", second.out.String())
	}
	resp, body = second.do(t, "POST", "/v1/events", tok.Secret, map[string]string{"kind": "search", "text": "smuggler number calais", "locale": "fr"})
	var er eventResponse
	if err := json.Unmarshal(body, &er); err != nil || resp.StatusCode != 200 || er.Card == nil || er.Card.Locale != "fr" {
		t.Fatalf("after restart: %d %s", resp.StatusCode, body)
	}
}

func TestBadConfigRefusesToStart(t *testing.T) {
	cfg := app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.BootstrapToken = "short"
	if _, err := app.New(cfg, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "SIGNPOST_BOOTSTRAP_TOKEN") {
		t.Errorf("short bootstrap token: err = %v", err)
	}
	cfg = app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.RulesDir = t.TempDir()
	if err := writeFile(cfg.RulesDir+"/en.rules", "lang: en\nrule: x\ncategory: crossing\nmatch: boat uk\n"); err != nil {
		t.Fatal(err)
	}
	_, err := app.New(cfg, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "en.rules:4:") || !strings.Contains(err.Error(), "missing operator") {
		t.Errorf("bad rule file: err = %v, want file:line and the problem", err)
	}
}

// TestShutdownDrains: asked to stop, the service first answers /readyz
// with 503 while it keeps serving for the drain delay, then stops
// accepting, and what was counted before is flushed to the store.
func TestShutdownDrains(t *testing.T) {
	cfg := app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.BootstrapToken = bootstrap
	cfg.DrainDelay = time.Second
	in := start(t, cfg)
	plat := in.createToken(t, "platform", "acme")
	if resp, body := in.send(t, "GET", "/readyz", "", "", "", nil); resp.StatusCode != 200 {
		t.Fatalf("readyz before: %d %s", resp.StatusCode, body)
	}
	stopped := make(chan struct{})
	go func() { in.stop(); close(stopped) }()
	deadline := time.Now().Add(500 * time.Millisecond)
	for {
		resp, body := in.send(t, "GET", "/readyz", "", "", "", nil)
		if resp.StatusCode == 503 && strings.Contains(string(body), "shutting_down") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz while draining: %d %s, want 503 shutting_down", resp.StatusCode, body)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Still serving while it drains.
	if resp, body := in.send(t, "POST", "/v1/events", plat, "application/json", "", []byte(`{"kind":"search","text":"weather tomorrow","locale":"en","subject":"s1"}`)); resp.StatusCode != 200 {
		t.Errorf("an event while draining: %d %s", resp.StatusCode, body)
	}
	select {
	case <-stopped:
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not return")
	}
	if _, err := net.DialTimeout("tcp", strings.TrimPrefix(in.base, "http://"), time.Second); err == nil {
		t.Error("the port still accepts connections after shutdown")
	}
}

// TestDurationsFromEnv: SIGNPOST_FLUSH_EVERY and SIGNPOST_DRAIN_DELAY
// are read as durations, and nonsense is refused with the variable's name.
func TestDurationsFromEnv(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	cfg, err := app.ConfigFromEnv(env(map[string]string{"SIGNPOST_FLUSH_EVERY": "250ms", "SIGNPOST_DRAIN_DELAY": "0s"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.FlushEvery != 250*time.Millisecond || cfg.DrainDelay != 0 {
		t.Errorf("FlushEvery %v, DrainDelay %v", cfg.FlushEvery, cfg.DrainDelay)
	}
	if cfg, _ := app.ConfigFromEnv(env(nil)); cfg.FlushEvery != time.Second || cfg.DrainDelay != 2*time.Second {
		t.Errorf("defaults: FlushEvery %v, DrainDelay %v", cfg.FlushEvery, cfg.DrainDelay)
	}
	for key, v := range map[string]string{"SIGNPOST_FLUSH_EVERY": "10ms", "SIGNPOST_DRAIN_DELAY": "-1s"} {
		if _, err := app.ConfigFromEnv(env(map[string]string{key: v})); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s=%s: %v, want an error naming it", key, v, err)
		}
	}
	if _, err := app.ConfigFromEnv(env(map[string]string{"SIGNPOST_FLUSH_EVERY": "often"})); err == nil {
		t.Error("SIGNPOST_FLUSH_EVERY=often accepted")
	}
}
