package app_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"signpost/app"
)

// browser is a minimal browser: it keeps one session cookie and sends the
// headers a real one sends on same-origin requests.
type browser struct {
	in     *instance
	cookie string
	csrf   string
}

func (b *browser) req(t *testing.T, method, path string, form url.Values, header map[string]string) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.in.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if b.cookie != "" {
		req.AddCookie(&http.Cookie{Name: "__Host-signpost_session", Value: b.cookie})
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	// The client follows redirects: check the exchange that produced
	// this response (a redirected request is a GET without a body).
	var sent []byte
	if resp.Request == req && form != nil {
		sent = []byte(form.Encode())
	}
	contract.Check(t, resp.Request, sent, resp, data)
	return resp, string(data)
}

// signIn posts the sign-in form; on success it keeps the new cookie.
func (b *browser) signIn(t *testing.T, name, password string) (*http.Response, string) {
	t.Helper()
	resp, body := b.req(t, "POST", "/ui/signin", url.Values{"name": {name}, "password": {password}}, nil)
	for _, c := range resp.Cookies() {
		if c.Name == "__Host-signpost_session" {
			b.cookie = c.Value
		}
	}
	if i := strings.Index(body, `"csrf":"`); i >= 0 {
		b.csrf = body[i+8 : i+8+strings.IndexByte(body[i+8:], '"')]
	}
	return resp, body
}

// TestPeopleSignIn: accounts, the session cookie, fixation, CSRF, origin
// checks, rate-limited guessing, idle timeout and sign-out everywhere.
func TestPeopleSignIn(t *testing.T) {
	cfg := app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.BootstrapToken = bootstrap
	cfg.SessionIdle = 2 * time.Second
	in := start(t, cfg)
	const pw = "a long enough passphrase"
	resp, body := in.do(t, "POST", "/v1/users", bootstrap, map[string]string{"name": "ann@example.org", "role": "editor", "password": pw})
	if resp.StatusCode != 201 || strings.Contains(string(body), "password") {
		t.Fatalf("create user: %d %s", resp.StatusCode, body)
	}
	if resp, _ := in.do(t, "POST", "/v1/users", bootstrap, map[string]string{"name": "bob@example.org", "role": "editor", "password": "short"}); resp.StatusCode != 400 {
		t.Errorf("short password: %d, want 400", resp.StatusCode)
	}

	// Session fixation: a cookie planted before sign-in is not adopted.
	b := &browser{in: in, cookie: "planted-by-an-attacker"}
	resp, _ = b.signIn(t, "ann@example.org", pw)
	if resp.StatusCode != 200 || b.cookie == "planted-by-an-attacker" || b.csrf == "" {
		t.Fatalf("sign in: %d, cookie %q", resp.StatusCode, b.cookie)
	}
	var set string
	for _, h := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(h, "__Host-signpost_session=") {
			set = strings.ToLower(h)
		}
	}
	for _, attr := range []string{"secure", "httponly", "samesite=strict", "path=/"} {
		if !strings.Contains(set, attr) {
			t.Errorf("session cookie %q lacks %s", set, attr)
		}
	}
	if strings.Contains(set, "domain=") {
		t.Errorf("session cookie %q has a domain: __Host- cookies must not", set)
	}
	planted := &browser{in: in, cookie: "planted-by-an-attacker"}
	if resp, _ := planted.req(t, "GET", "/v1/campaigns", nil, nil); resp.StatusCode != 401 {
		t.Errorf("the planted cookie authenticates: %d", resp.StatusCode)
	}

	// Reading with the session works; writing needs the CSRF token and
	// the same origin.
	if resp, text := b.req(t, "GET", "/v1/campaigns", nil, nil); resp.StatusCode != 200 {
		t.Fatalf("GET with the session: %d %s", resp.StatusCode, text)
	}
	def := map[string]string{"Content-Type": "application/json"}
	resp, _ = b.req(t, "POST", "/v1/campaigns/small-boats/pause", nil, def)
	if resp.StatusCode != 403 {
		t.Errorf("state change without the CSRF token: %d, want 403", resp.StatusCode)
	}
	crossSite := map[string]string{"X-CSRF-Token": b.csrf, "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
	resp, text := b.req(t, "POST", "/v1/campaigns/small-boats/pause", url.Values{"csrf": {b.csrf}}, crossSite)
	if resp.StatusCode != 403 || !strings.Contains(text, "cross_site") {
		t.Errorf("cross-origin form post: %d %s, want 403 cross_site", resp.StatusCode, text)
	}
	resp, text = b.req(t, "POST", "/v1/campaigns/nope/pause", nil, map[string]string{"X-CSRF-Token": b.csrf})
	if resp.StatusCode != 404 {
		t.Errorf("same-origin request with the CSRF token: %d %s, want 404 (admitted, no such campaign)", resp.StatusCode, text)
	}

	// Guessing passwords is slowed per account.
	guesser := &browser{in: in}
	codes := map[int]int{}
	for range 7 {
		resp, _ := guesser.signIn(t, "ann@example.org", "wrong password guess")
		codes[resp.StatusCode]++
	}
	if codes[401] == 0 || codes[429] == 0 {
		t.Errorf("seven wrong passwords: %v, want 401s then 429s", codes)
	}

	// Idle timeout.
	time.Sleep(2500 * time.Millisecond)
	if resp, _ := b.req(t, "GET", "/v1/campaigns", nil, nil); resp.StatusCode != 401 {
		t.Errorf("after the idle timeout: %d, want 401", resp.StatusCode)
	}
}

// TestSignOutEverywhere ends every session of a person at once.
func TestSignOutEverywhere(t *testing.T) {
	cfg := app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.BootstrapToken = bootstrap
	in := start(t, cfg)
	const pw = "a long enough passphrase"
	if resp, body := in.do(t, "POST", "/v1/users", bootstrap, map[string]string{"name": "cat@example.org", "role": "analyst", "password": pw}); resp.StatusCode != 201 {
		t.Fatalf("create user: %d %s", resp.StatusCode, body)
	}
	phone, laptop := &browser{in: in}, &browser{in: in}
	for _, br := range []*browser{phone, laptop} {
		if resp, body := br.signIn(t, "cat@example.org", pw); resp.StatusCode != 200 {
			t.Fatalf("sign in: %d %s", resp.StatusCode, body)
		}
	}
	if resp, body := phone.req(t, "POST", "/ui/signout-everywhere", nil, map[string]string{"X-CSRF-Token": phone.csrf}); resp.StatusCode != 204 {
		t.Fatalf("sign out everywhere: %d %s", resp.StatusCode, body)
	}
	for name, br := range map[string]*browser{"phone": phone, "laptop": laptop} {
		if resp, _ := br.req(t, "GET", "/v1/stats/campaigns/small-boats", nil, nil); resp.StatusCode != 401 {
			t.Errorf("%s after sign-out everywhere: %d, want 401", name, resp.StatusCode)
		}
	}
}

// TestSecurityEventsAreAudited: sign-ins, failed ones, token changes and
// permission denials reach the audit log admins read.
func TestSecurityEventsAreAudited(t *testing.T) {
	cfg := app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.BootstrapToken = bootstrap
	in := start(t, cfg)
	const pw = "a long enough passphrase"
	if resp, body := in.do(t, "POST", "/v1/users", bootstrap, map[string]string{"name": "dan@example.org", "role": "analyst", "password": pw}); resp.StatusCode != 201 {
		t.Fatalf("create user: %d %s", resp.StatusCode, body)
	}
	b := &browser{in: in}
	b.signIn(t, "dan@example.org", "not the password")
	b.signIn(t, "dan@example.org", pw)
	analyst := in.createToken(t, "analyst", "")
	if resp, _ := in.do(t, "GET", "/v1/campaigns", analyst, nil); resp.StatusCode != 403 {
		t.Fatalf("analyst on campaigns: %d", resp.StatusCode)
	}
	want := []string{`"action":"user_created"`, `"action":"sign_in_failed"`, `"action":"sign_in"`, `"action":"token_created"`, `"action":"denied"`}
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, body := in.do(t, "GET", "/v1/audit?campaign=security", bootstrap, nil)
		missing := ""
		for _, w := range want {
			if !strings.Contains(string(body), w) {
				missing = w
			}
		}
		if resp.StatusCode == 200 && missing == "" {
			if strings.Contains(string(body), pw) {
				t.Error("the audit log holds a password")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("security log lacks %s: %d %s", missing, resp.StatusCode, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	assertCleanLogs(t, in, pw)
}
