package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"signpost/app"
	"signpost/internal/redistest"
)

// send is do with raw bytes, a Content-Type and an optional If-Match.
func (in *instance) send(t *testing.T, method, path, secret, contentType, ifMatch string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, in.base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
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
	contract.Check(t, req, body, resp, data)
	return resp, data
}

// want fails t unless resp has status; it returns the ETag.
func want(t *testing.T, what string, resp *http.Response, body []byte, status int) string {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("%s: %d %s, want %d", what, resp.StatusCode, body, status)
	}
	return resp.Header.Get("ETag")
}

// apiError is the JSON error body.
type apiError struct {
	Error struct {
		Code     string
		Message  string
		Problems []struct {
			Locale, File, Field, Message string
			MessageID                    string `json:"message_id"`
			Line                         int
		}
	}
}

func winterDefinition() string {
	verified := time.Now().AddDate(0, 0, -10).Format("2006-01-02")
	return `{
  "id": "winter",
  "name": "Winter crossings",
  "default_locale": "en",
  "fallbacks": {"prs": ["fa"]},
  "targeting": {"categories": ["crossing", "smuggler"]},
  "priority": 10,
  "experiment": {"coverage": 1, "variants": [{"key": "a", "weight": 1}]},
  "allowed_hosts": ["help.example.org"],
  "freshness_days": 90,
  "actions": [{"id": "help", "url": "https://help.example.org/winter", "kind": "helpline", "verified_at": "` + verified + `"}]
}`
}

const winterEN = `# English
"a.title" = "The sea in winter kills"
"a.body" = "In winter the Channel is colder and rougher. Small boats capsize."
"a.action.help.label" = "Get help"
"a.dismiss" = "Close"
"a.continue" = "Continue"
`

const winterAR = `{
  "a.title": "البحر في الشتاء يقتل",
  "a.body": "في الشتاء تكون القناة أبرد وأكثر اضطرابا. القوارب الصغيرة تنقلب.",
  "a.action.help.label": "احصل على المساعدة",
  "a.dismiss": "إغلاق",
  "a.continue": "متابعة"
}`

// Broken: Latin text uploaded as Arabic, on line 3.
const winterARBroken = `{
  "a.title": "البحر في الشتاء يقتل",
  "a.body": "This is English text, not Arabic at all.",
  "a.dismiss": "إغلاق"
}`

const winterCKB = `a.title: "دەریا لە زستاندا دەکوژێت"
a.body: "لە زستاندا کەناڵەکە ساردترە. بەلەمە بچووکەکان وەردەگەڕێن."
a.dismiss: "داخستن"
`

// exerciseEditing is the end-to-end test of campaign editing: create,
// upload in three formats, validation, review, the two-person rule,
// publish, serve, edit, rollback, pause, the audit log.
func exerciseEditing(t *testing.T, in *instance) {
	ann := in.createToken(t, "editor", "")
	bob := in.createToken(t, "reviewer", "")
	carol := in.createToken(t, "reviewer", "")
	platform := in.createToken(t, "platform", "acme")
	event := func() *card {
		t.Helper()
		resp, body := in.do(t, "POST", "/v1/events", platform, map[string]string{"kind": "search", "text": "رقم مهرب الى انجلترا", "locale": "ar", "subject": "s1"})
		var er eventResponse
		if err := json.Unmarshal(body, &er); err != nil || resp.StatusCode != 200 || !er.Matched {
			t.Fatalf("event: %d %s", resp.StatusCode, body)
		}
		return er.Card
	}
	if c := event(); c == nil || c.Campaign != "small-boats" {
		t.Fatalf("before: card = %+v, want the shipped small-boats campaign", c)
	}

	// Create.
	resp, body := in.send(t, "POST", "/v1/campaigns", ann, "application/json", "", []byte(winterDefinition()))
	tag := want(t, "create", resp, body, 201)
	resp, body = in.send(t, "POST", "/v1/campaigns", ann, "application/json", "", []byte(winterDefinition()))
	want(t, "create twice", resp, body, 409)
	resp, body = in.send(t, "POST", "/v1/campaigns", ann, "text/plain", "", []byte(winterDefinition()))
	want(t, "create as text/plain", resp, body, 415)
	resp, body = in.send(t, "POST", "/v1/campaigns", ann, "application/json", "", []byte(strings.Replace(winterDefinition(), `"priority"`, `"priorty"`, 1)))
	want(t, "create with a misspelt field", resp, body, 400)

	// Upload en (TOML by Content-Type), ar (JSON), ckb (YAML by extension).
	resp, body = in.send(t, "PUT", "/v1/campaigns/winter/content/en", ann, "application/toml", "", []byte(winterEN))
	want(t, "upload without If-Match", resp, body, 428)
	resp, body = in.send(t, "PUT", "/v1/campaigns/winter/content/en", ann, "application/toml", tag, []byte(winterEN))
	tag = want(t, "upload en", resp, body, 200)
	resp, body = in.send(t, "PUT", "/v1/campaigns/winter/content/ar", ann, "application/json", tag, []byte(winterAR))
	tag = want(t, "upload ar", resp, body, 200)
	resp, body = in.send(t, "PUT", "/v1/campaigns/winter/content/ckb.yaml", ann, "application/octet-stream", tag, []byte(winterCKB))
	tag = want(t, "upload ckb", resp, body, 200)

	// A broken file gets precise problems and changes nothing.
	resp, body = in.send(t, "PUT", "/v1/campaigns/winter/content/ar", ann, "application/json", tag, []byte(winterARBroken))
	want(t, "upload broken ar", resp, body, 422)
	var ae apiError
	if err := json.Unmarshal(body, &ae); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range ae.Error.Problems {
		if p.Locale == "ar" && p.MessageID == "a.body" && p.Line == 3 && strings.Contains(strings.ToLower(p.Message), "script") {
			found = true
		}
	}
	if !found {
		t.Errorf("broken ar: problems %s; want one for ar, a.body, line 3, about the script", body)
	}
	resp, body = in.send(t, "PUT", "/v1/campaigns/winter/content/fr", ann, "application/toml", tag, []byte("\"a.title\" = \"Titre\nsans fin"))
	want(t, "upload fr with a TOML syntax error", resp, body, 422)
	if !strings.Contains(string(body), `"line":`) {
		t.Errorf("TOML syntax error without a line: %s", body)
	}
	resp, body = in.send(t, "PUT", "/v1/campaigns/winter/content/fr", ann, "image/png", tag, []byte(winterEN))
	want(t, "upload as image/png", resp, body, 415)
	resp, body = in.send(t, "PUT", "/v1/campaigns/winter/content/fr", ann, "application/toml", tag, bytes.Repeat([]byte("#"), 1<<20+1))
	want(t, "upload over 1 MiB", resp, body, 413)
	resp, body = in.send(t, "PUT", "/v1/campaigns/winter/content/en", ann, "application/toml", `"rev-1"`, []byte(winterEN))
	want(t, "upload with a stale If-Match", resp, body, 412)
	resp, body = in.send(t, "GET", "/v1/campaigns/winter/content/ar", ann, "", "", nil)
	if want(t, "get ar", resp, body, 200); string(body) != winterAR {
		t.Errorf("ar after rejected uploads = %s, want the first upload", body)
	}

	// Review, the two-person rule, publish.
	resp, body = in.send(t, "POST", "/v1/campaigns/winter/submit", ann, "", "", nil)
	tag = want(t, "submit", resp, body, 200)
	resp, body = in.send(t, "POST", "/v1/campaigns/winter/publish", ann, "", tag, nil)
	if want(t, "publish by an editor", resp, body, 403); !strings.Contains(string(body), `"forbidden"`) {
		t.Errorf("publish by an editor: %s, want the role refused", body)
	}
	resp, body = in.send(t, "POST", "/v1/campaigns/winter/publish", bob, "", tag, nil)
	tag = want(t, "publish by a reviewer", resp, body, 200)
	if c := event(); c == nil || c.Campaign != "winter" || c.Locale != "ar" || c.Dir != "rtl" || c.Title != "البحر في الشتاء يقتل" {
		t.Fatalf("after publish: card = %+v", c)
	}

	// Preview renders the card page, right-to-left for ckb.
	resp, body = in.send(t, "GET", "/v1/campaigns/winter/preview?locale=ckb&variant=a", ann, "", "", nil)
	want(t, "preview", resp, body, 200)
	for _, s := range []string{`lang="ckb"`, `dir="rtl"`, "دەریا لە زستاندا دەکوژێت", "Get help"} {
		if !strings.Contains(string(body), s) {
			t.Errorf("preview lacks %q", s)
		}
	}

	// Exports: converted formats and XLIFF.
	resp, body = in.send(t, "GET", "/v1/campaigns/winter/content/ar.yaml", ann, "", "", nil)
	if want(t, "export ar.yaml", resp, body, 200); !strings.Contains(string(body), "البحر في الشتاء يقتل") {
		t.Errorf("ar.yaml export = %s", body)
	}
	resp, body = in.send(t, "GET", "/v1/campaigns/winter/content/ckb.xliff", ann, "", "", nil)
	want(t, "export ckb.xliff", resp, body, 200)
	if !strings.Contains(string(body), `trgLang="ckb"`) || !strings.Contains(string(body), "The sea in winter kills") {
		t.Errorf("ckb.xliff export = %s", body)
	}

	// A second version, then roll back to the first.
	v2 := strings.Replace(winterAR, "البحر في الشتاء يقتل", "الشتاء أخطر", 1)
	resp, body = in.send(t, "PUT", "/v1/campaigns/winter/content/ar", bob, "application/json", tag, []byte(v2))
	tag = want(t, "upload ar v2 (by a reviewer)", resp, body, 200)
	resp, body = in.send(t, "POST", "/v1/campaigns/winter/submit", bob, "", tag, nil)
	tag = want(t, "submit v2", resp, body, 200)
	resp, body = in.send(t, "POST", "/v1/campaigns/winter/publish", bob, "", tag, nil)
	if want(t, "publish by the reviewer who made the change", resp, body, 403); !strings.Contains(string(body), "two_person_rule") {
		t.Errorf("publish own change: %s, want the two-person rule", body)
	}
	resp, body = in.send(t, "POST", "/v1/campaigns/winter/publish", carol, "", tag, nil)
	tag = want(t, "publish v2 by another reviewer", resp, body, 200)
	if c := event(); c == nil || c.Title != "الشتاء أخطر" {
		t.Fatalf("after v2: card = %+v", c)
	}
	resp, body = in.send(t, "POST", "/v1/campaigns/winter/rollback", ann, "application/json", tag, []byte(`{"version":1}`))
	want(t, "rollback by an editor", resp, body, 403)
	resp, body = in.send(t, "POST", "/v1/campaigns/winter/rollback", bob, "application/json", tag, []byte(`{"version":1}`))
	want(t, "rollback", resp, body, 200)
	if c := event(); c == nil || c.Title != "البحر في الشتاء يقتل" {
		t.Fatalf("after rollback: card = %+v", c)
	}
	for _, loc := range []string{"en", "ar", "ckb"} {
		_, v1 := in.send(t, "GET", "/v1/campaigns/winter/content/"+loc+"?version=1", ann, "", "", nil)
		_, v3 := in.send(t, "GET", "/v1/campaigns/winter/content/"+loc+"?version=3", ann, "", "", nil)
		if len(v1) == 0 || !bytes.Equal(v1, v3) {
			t.Errorf("%s: version 3 (the rollback) = %q, want version 1's %q", loc, v3, v1)
		}
	}

	// Pause: the card vanishes.
	resp, body = in.send(t, "POST", "/v1/campaigns/winter/pause", ann, "", "", nil)
	want(t, "pause", resp, body, 200)
	if c := event(); c != nil && c.Campaign == "winter" {
		t.Fatalf("after pause: card = %+v, want no winter card", c)
	}

	// The audit log has every step, with live versions before and after.
	resp, body = in.send(t, "GET", "/v1/audit?campaign=winter", ann, "", "", nil)
	want(t, "audit as an editor", resp, body, 403)
	resp, body = in.send(t, "GET", "/v1/audit?campaign=winter", bootstrap, "", "", nil)
	want(t, "audit", resp, body, 200)
	var log struct {
		Entries []struct {
			Action     string
			LiveBefore int64 `json:"live_version_before"`
			LiveAfter  int64 `json:"live_version_after"`
		}
	}
	if err := json.Unmarshal(body, &log); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range log.Entries {
		got = append(got, fmt.Sprintf("%s %d→%d", e.Action, e.LiveBefore, e.LiveAfter))
	}
	wantLog := []string{"create 0→0", "put_content 0→0", "put_content 0→0", "put_content 0→0", "submit 0→0", "publish 0→1",
		"put_content 1→1", "submit 1→1", "publish 1→2", "rollback 2→3", "pause 3→0"}
	if strings.Join(got, ", ") != strings.Join(wantLog, ", ") {
		t.Errorf("audit log:\n got %s\nwant %s", strings.Join(got, ", "), strings.Join(wantLog, ", "))
	}
}

func TestEditingEmbedded(t *testing.T) {
	cfg := app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.BootstrapToken = bootstrap
	exerciseEditing(t, start(t, cfg))
}

func TestEditingRedis(t *testing.T) {
	srv := redistest.Start(t)
	cfg := app.DefaultConfig()
	cfg.RedisURL = srv.URL()
	cfg.BootstrapToken = bootstrap
	exerciseEditing(t, start(t, cfg))
}

// TestPublishReachesOtherInstances: with two instances on one Redis, a
// publish or a pause on one is served by the other within a second.
func TestPublishReachesOtherInstances(t *testing.T) {
	srv := redistest.Start(t)
	cfg := app.DefaultConfig()
	cfg.RedisURL = srv.URL()
	cfg.BootstrapToken = bootstrap
	cfg.TwoPersonRule = false
	publishReachesOtherInstances(t, start(t, cfg), start(t, cfg))
}

// publishReachesOtherInstances is TestPublishReachesOtherInstances for
// two instances sharing one Redis (standalone, Sentinel or Cluster),
// started with the bootstrap secret and the two-person rule off.
func publishReachesOtherInstances(t *testing.T, a, b *instance) {
	ed := a.createToken(t, "reviewer", "")
	platform := a.createToken(t, "platform", "acme")
	// b learns of tokens created on a at its next token refresh.
	waitFor(t, b, 10*time.Second, func(c *card) bool { return c != nil }, platform)

	resp, body := a.send(t, "POST", "/v1/campaigns", ed, "application/json", "", []byte(winterDefinition()))
	tag := want(t, "create", resp, body, 201)
	resp, body = a.send(t, "PUT", "/v1/campaigns/winter/content/en", ed, "application/toml", tag, []byte(winterEN))
	tag = want(t, "upload en", resp, body, 200)
	resp, body = a.send(t, "PUT", "/v1/campaigns/winter/content/ar", ed, "application/json", tag, []byte(winterAR))
	tag = want(t, "upload ar", resp, body, 200)

	resp, body = a.send(t, "POST", "/v1/campaigns/winter/publish", ed, "", tag, nil)
	want(t, "publish on a", resp, body, 200)
	took := waitFor(t, b, time.Second, func(c *card) bool { return c != nil && c.Campaign == "winter" }, platform)
	t.Logf("publish on a served by b after %v", took)

	resp, body = a.send(t, "POST", "/v1/campaigns/winter/pause", ed, "", "", nil)
	want(t, "pause on a", resp, body, 200)
	took = waitFor(t, b, time.Second, func(c *card) bool { return c == nil || c.Campaign != "winter" }, platform)
	t.Logf("pause on a served by b after %v", took)
}

// waitFor sends a matching Arabic search to in until ok accepts the card,
// failing t if that takes longer than limit; it returns how long it took.
func waitFor(t *testing.T, in *instance, limit time.Duration, ok func(*card) bool, platform string) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		resp, body := in.do(t, "POST", "/v1/events", platform, map[string]string{"kind": "search", "text": "رقم مهرب الى انجلترا", "locale": "ar", "subject": "s1"})
		var er eventResponse
		if resp.StatusCode == 200 && json.Unmarshal(body, &er) == nil && ok(er.Card) {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("not served within %v: last answer %d %s", limit, resp.StatusCode, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
