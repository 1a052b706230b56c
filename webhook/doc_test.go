package webhook_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"signpost/webhook"
)

// TestDocJavaScriptVerify runs the JavaScript verifier of
// docs/webhooks.md with Node against signatures this package makes, so
// the example cannot drift from the Go side.
func TestDocJavaScriptVerify(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("SIGNPOST_REQUIRE_INTEGRATION") == "1" {
			t.Fatal("node is required (SIGNPOST_REQUIRE_INTEGRATION=1)")
		}
		t.Skip("node not installed")
	}
	doc, err := os.ReadFile("../docs/webhooks.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```js\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/webhooks.md has no ```js block")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "verify.mjs"), m[1], 0o600); err != nil {
		t.Fatal(err)
	}
	const secret = "whsec_doc"
	body := []byte(`{"id":"evt_doc","type":"ping","created":"2026-01-01T10:00:00Z","data":{"webhook":"wh_1"}}`)
	now := time.Now()
	type tc struct {
		Name, Secret, Header, Body string
		NowMs                      int64
		Want                       string // "ok" or the start of the error
	}
	cases := []tc{
		{"valid", secret, webhook.Sign(secret, now, body), string(body), now.UnixMilli(), "ok"},
		{"tampered", secret, webhook.Sign(secret, now, body), strings.Replace(string(body), "ping", "pong", 1), now.UnixMilli(), "signature mismatch"},
		{"wrong secret", "whsec_other", webhook.Sign(secret, now, body), string(body), now.UnixMilli(), "signature mismatch"},
		{"stale", secret, webhook.Sign(secret, now.Add(-10*time.Minute), body), string(body), now.UnixMilli(), "timestamp outside tolerance"},
		{"malformed", secret, "v1=abc", string(body), now.UnixMilli(), "malformed"},
	}
	input, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	driver := `import { verify } from './verify.mjs';
const cases = JSON.parse(process.argv[2]);
for (const c of cases) {
  let got;
  try { const ev = verify(c.Secret, c.Header, Buffer.from(c.Body), c.NowMs); got = ev.id === 'evt_doc' ? 'ok' : 'wrong event'; }
  catch (e) { got = e.message; }
  console.log(JSON.stringify({name: c.Name, got}));
}`
	if err := os.WriteFile(filepath.Join(dir, "driver.mjs"), []byte(driver), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, filepath.Join(dir, "driver.mjs"), string(input)).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(cases) {
		t.Fatalf("node printed %d lines for %d cases:\n%s", len(lines), len(cases), out)
	}
	for i, l := range lines {
		var r struct{ Name, Got string }
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("node output %q: %v", l, err)
		}
		if !strings.HasPrefix(r.Got, cases[i].Want) {
			t.Errorf("%s: JavaScript verify says %q, want %q", cases[i].Name, r.Got, cases[i].Want)
		}
	}
}
