package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"signpost/app"
)

const uiAdmin = "ui-campaigns-test-bootstrap-0123456789abcdef"

// uiApp is the real service in process, with people who can sign in.
type uiApp struct {
	f *fiber.App
}

func newUIApp(t *testing.T) *uiApp {
	t.Helper()
	cfg := app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.BootstrapToken = uiAdmin
	cfg.Stdout = io.Discard
	a, err := app.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	u := &uiApp{f: a.Fiber()}
	for name, role := range map[string]string{"eddie": "editor", "rita": "reviewer", "rob": "reviewer"} {
		body, _ := json.Marshal(map[string]string{"name": name, "role": role, "password": "a long enough passphrase"})
		if st, b := u.api(t, "POST", "/v1/users", "application/json", body); st != 201 {
			t.Fatalf("create %s: %d %s", name, st, b)
		}
	}
	return u
}

func (u *uiApp) do(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := u.f.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (u *uiApp) api(t *testing.T, method, path, ct string, body []byte) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+uiAdmin)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, b := u.do(t, req)
	return resp.StatusCode, b
}

// person is a signed-in browser.
type person struct {
	u            *uiApp
	cookie, csrf string
}

func (u *uiApp) signIn(t *testing.T, name string) *person {
	t.Helper()
	req := httptest.NewRequest("POST", "/ui/signin", strings.NewReader(url.Values{"name": {name}, "password": {"a long enough passphrase"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, body := u.do(t, req)
	p := &person{u: u}
	for _, c := range resp.Cookies() {
		if c.Name == "__Host-signpost_session" {
			p.cookie = c.Value
		}
	}
	var out struct{ CSRF string }
	if err := json.Unmarshal([]byte(body), &out); err != nil || p.cookie == "" {
		t.Fatalf("sign in %s: %d %s", name, resp.StatusCode, body)
	}
	p.csrf = out.CSRF
	return p
}

func (p *person) send(t *testing.T, method, path, ct string, body io.Reader) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, body)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Accept", "text/html")
	req.AddCookie(&http.Cookie{Name: "__Host-signpost_session", Value: p.cookie})
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	return p.u.do(t, req)
}

func (p *person) get(t *testing.T, path string, want int) string {
	t.Helper()
	resp, body := p.send(t, "GET", path, "", nil)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: %d, want %d\n%s", path, resp.StatusCode, want, body)
	}
	return body
}

// post sends a urlencoded form with the CSRF token.
func (p *person) post(t *testing.T, path string, form url.Values, want int) string {
	t.Helper()
	form.Set("csrf", p.csrf)
	resp, body := p.send(t, "POST", path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if resp.StatusCode != want {
		t.Fatalf("POST %s: %d, want %d\n%s", path, resp.StatusCode, want, body)
	}
	return body
}

// upload posts the content form (multipart) with pasted text.
func (p *person) upload(t *testing.T, id, rev, locale, format, text string, want int) string {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range map[string]string{"csrf": p.csrf, "rev": rev, "locale": locale, "format": format, "text": text} {
		_ = w.WriteField(k, v)
	}
	w.Close()
	resp, body := p.send(t, "POST", "/ui/campaigns/"+id+"/content", w.FormDataContentType(), &buf)
	if resp.StatusCode != want {
		t.Fatalf("upload %s: %d, want %d\n%s", locale, resp.StatusCode, want, body)
	}
	return body
}

var revRe = regexp.MustCompile(`name="rev" value="(\d+)"`)

func rev(t *testing.T, page string) string {
	t.Helper()
	m := revRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no revision on the page")
	}
	return m[1]
}

// editorForm is the structured form of a small valid definition.
func editorForm(rev string) url.Values {
	return url.Values{
		"rev": {rev}, "mode": {"form"}, "name": {"Winter crossings"}, "default_locale": {"en"}, "priority": {"0"},
		"category": {"crossing"}, "coverage": {"1"}, "variant_key": {"a", ""}, "variant_weight": {"1", ""},
		"action_id": {"help", ""}, "action_url": {"https://help.example.org/winter", ""}, "action_kind": {"link", "link"},
		"action_verified_at": {"", ""}, "allowed_hosts": {"help.example.org"},
		"rollout_platform": {"acme", ""}, "rollout_percent": {"50", ""},
	}
}

const validJSON = `{"id": "winter", "name": "JSON typed", "default_locale": "en",
  "experiment": {"coverage": 1, "variants": [{"key": "a", "weight": 1}]},
  "allowed_hosts": ["help.example.org"], "actions": [{"id": "help", "url": "https://help.example.org/"}]}`

const goodEN = `"a.title" = "The sea in winter kills"
"a.body" = "In winter the Channel is colder and rougher."
"a.action.help.label" = "Get help"
"a.dismiss" = "Close"
"a.continue" = "Continue"
`

func create(t *testing.T, p *person, id string) {
	t.Helper()
	p.post(t, "/ui/campaigns", url.Values{"id": {id}, "name": {"Winter"}, "default_locale": {"en"}, "url": {"https://help.example.org/"}}, 303)
}

// TestCampaignPagesForEditorAndReviewer walks the pages: an editor
// creates, edits, uploads and submits, sees no reviewer button and no
// publish; a reviewer publishes; the history has the version.
func TestCampaignPagesForEditorAndReviewer(t *testing.T) {
	u := newUIApp(t)
	ed := u.signIn(t, "eddie")
	create(t, ed, "winter")
	list := ed.get(t, "/ui/campaigns", 200)
	for _, want := range []string{`href="/ui/campaigns/winter"`, "Draft", "eddie"} {
		if !strings.Contains(list, want) {
			t.Errorf("list lacks %q", want)
		}
	}
	page := ed.get(t, "/ui/campaigns/winter", 200)
	for _, want := range []string{`name="variant_key"`, `name="action_url"`, `type="datetime-local"`, `name="rollout_percent"`, `name="allowed_hosts"`, `name="category"`, `value="submit"`} {
		if !strings.Contains(page, want) {
			t.Errorf("editor page lacks %q", want)
		}
	}
	ed.post(t, "/ui/campaigns/winter", editorForm(rev(t, page)), 303)
	page = ed.get(t, "/ui/campaigns/winter?done=save", 200)
	if !strings.Contains(page, `value="acme"`) || !strings.Contains(page, "The definition was saved.") {
		t.Errorf("saved rollout or confirmation missing")
	}
	ed.upload(t, "winter", rev(t, page), "en", "toml", goodEN, 303)
	content := ed.get(t, "/ui/campaigns/winter/content", 200)
	if !strings.Contains(content, `/v1/campaigns/winter/content/en.json`) {
		t.Errorf("content page lacks the export links")
	}
	preview := ed.get(t, "/ui/campaigns/winter/preview", 200)
	if !strings.Contains(preview, `<iframe class="camp-frame" src="/v1/campaigns/winter/preview?locale=en&amp;variant=a"`) || !strings.Contains(preview, `title="Card preview: variant a, language en"`) {
		t.Errorf("preview page lacks the framed card:\n%s", preview)
	}
	ed.post(t, "/ui/campaigns/winter/workflow", url.Values{"rev": {rev(t, content)}, "step": {"submit"}}, 303)
	page = ed.get(t, "/ui/campaigns/winter", 200)
	for _, step := range []string{"publish", "reject", "archive", "resume"} {
		if strings.Contains(page, `value="`+step+`"`) {
			t.Errorf("the editor is offered %s", step)
		}
	}
	// An editor posting a reviewer step anyway is refused.
	ed.post(t, "/ui/campaigns/winter/workflow", url.Values{"rev": {rev(t, page)}, "step": {"publish"}}, 403)

	rita := u.signIn(t, "rita")
	page = rita.get(t, "/ui/campaigns/winter", 200)
	if !strings.Contains(page, `value="publish"`) || strings.Contains(page, "another reviewer must publish") {
		t.Fatalf("the reviewer is not offered publish")
	}
	rita.post(t, "/ui/campaigns/winter/workflow", url.Values{"rev": {rev(t, page)}, "step": {"publish"}}, 303)
	versions := rita.get(t, "/ui/campaigns/winter/versions?diff=1", 200)
	for _, want := range []string{"Version 1", "(live)", "<ins>+ ", "The sea in winter kills"} {
		if !strings.Contains(versions, want) {
			t.Errorf("versions page lacks %q", want)
		}
	}

	// Rita edits and submits: she made the last change, so the page says
	// so and offers no publish; a second reviewer may.
	page = rita.get(t, "/ui/campaigns/winter", 200)
	f := editorForm(rev(t, page))
	f.Set("name", "Winter crossings, again")
	rita.post(t, "/ui/campaigns/winter", f, 303)
	page = rita.get(t, "/ui/campaigns/winter", 200)
	rita.post(t, "/ui/campaigns/winter/workflow", url.Values{"rev": {rev(t, page)}, "step": {"submit"}}, 303)
	page = rita.get(t, "/ui/campaigns/winter", 200)
	if !strings.Contains(page, "You made the last change; another reviewer must publish it.") || strings.Contains(page, `value="publish"`) {
		t.Errorf("two-person rule not shown to its last editor")
	}
	// Posting publish anyway: the service's 403 becomes a message.
	body := rita.post(t, "/ui/campaigns/winter/workflow", url.Values{"rev": {rev(t, page)}, "step": {"publish"}}, 403)
	if !strings.Contains(body, `class="error"`) || strings.Contains(body, `"code"`) {
		t.Errorf("two-person refusal is not a page message")
	}
	rob := u.signIn(t, "rob")
	page = rob.get(t, "/ui/campaigns/winter", 200)
	if !strings.Contains(page, `value="publish"`) {
		t.Errorf("another reviewer is not offered publish")
	}
	// A step on a stale page: 412 and a message, nothing done.
	rob.post(t, "/ui/campaigns/winter/workflow", url.Values{"rev": {"1"}, "step": {"publish"}}, 412)
	// Rollback to version 1, from the history.
	page = rob.get(t, "/ui/campaigns/winter", 200)
	rob.post(t, "/ui/campaigns/winter/workflow", url.Values{"rev": {rev(t, page)}, "step": {"publish"}}, 303)
	versions = rob.get(t, "/ui/campaigns/winter/versions", 200)
	if !strings.Contains(versions, `value="rollback"`) {
		t.Errorf("no rollback button for a reviewer")
	}
	rob.post(t, "/ui/campaigns/winter/workflow", url.Values{"rev": {rev(t, versions)}, "step": {"rollback"}, "version": {"1"}}, 303)
	if v := rob.get(t, "/ui/campaigns/winter/versions", 200); !strings.Contains(v, "Version 3") {
		t.Errorf("rollback made no version 3")
	}
	if v := ed.get(t, "/ui/campaigns/winter/versions", 200); strings.Contains(v, `value="rollback"`) {
		t.Errorf("an editor is offered rollback")
	}
}

// TestCampaignStaleSaveLosesNothing: a save from a page opened before
// someone else's change stores nothing, keeps what was typed, and shows
// what is stored; the same for content.
func TestCampaignStaleSaveLosesNothing(t *testing.T) {
	u := newUIApp(t)
	ed := u.signIn(t, "eddie")
	rita := u.signIn(t, "rita")
	create(t, ed, "winter")
	old := ed.get(t, "/ui/campaigns/winter", 200)
	oldRev := rev(t, old)
	// Rita saves first.
	f := editorForm(oldRev)
	f.Set("name", "Rita's name")
	rita.post(t, "/ui/campaigns/winter", f, 303)
	// Eddie saves from his old page.
	f = editorForm(oldRev)
	f.Set("name", "Eddie's typed name")
	f.Set("description", "Eddie's long description")
	body := ed.post(t, "/ui/campaigns/winter", f, 412)
	for _, want := range []string{"changed since you opened it", `value="Eddie&#39;s typed name"`, "Eddie&#39;s long description", "<del>- ", "Rita&#39;s name"} {
		if !strings.Contains(body, want) {
			t.Errorf("stale page lacks %q", want)
		}
	}
	if rev(t, body) == oldRev {
		t.Errorf("the stale page keeps the old revision")
	}
	if st, stored := u.api(t, "GET", "/v1/campaigns/winter", "", nil); st != 200 || !strings.Contains(stored, "Rita's name") || strings.Contains(stored, "Eddie") {
		t.Errorf("stored definition changed: %d %s", st, stored)
	}
	// Content: a stale upload keeps the text.
	body = ed.upload(t, "winter", oldRev, "en", "toml", goodEN, 412)
	if !strings.Contains(body, "The sea in winter kills") || !strings.Contains(body, "changed since you opened it") {
		t.Errorf("stale upload lost the text")
	}
	if _, stored := u.api(t, "GET", "/v1/campaigns/winter", "", nil); !strings.Contains(stored, `"locales":[]`) {
		t.Errorf("stale upload was stored")
	}
	// The JSON editor too.
	body = ed.post(t, "/ui/campaigns/winter", url.Values{"rev": {oldRev}, "mode": {"json"}, "definition": {validJSON}}, 412)
	if !strings.Contains(body, "JSON typed") {
		t.Errorf("stale JSON save lost the text")
	}
}

// TestCampaignUploadProblemsNextToMessages: an invalid file comes back
// with each problem beside its message and line, the text kept.
func TestCampaignUploadProblemsNextToMessages(t *testing.T) {
	u := newUIApp(t)
	ed := u.signIn(t, "eddie")
	create(t, ed, "winter")
	page := ed.get(t, "/ui/campaigns/winter/content", 200)
	bad := "\"a.title\" = \"The sea\"\n\"a.body\" = \"\"\n\"a.nope\" = \"What is this\"\n"
	body := ed.upload(t, "winter", rev(t, page), "en", "toml", bad, 422)
	for _, want := range []string{`class="camp-group"`, "<code dir=\"ltr\">a.nope</code>", "What is this", "line 3", "Language en"} {
		if !strings.Contains(body, want) {
			t.Errorf("upload problems lack %q", want)
		}
	}
	if !strings.Contains(body, "&#34;a.nope&#34; = &#34;What is this&#34;") {
		t.Errorf("the text is not kept in the form")
	}
}

const xss = `<script>alert(1)</script>"'><img src=x onerror=alert(1)>`

// noRawXSS fails unless page shows the payload only escaped.
func noRawXSS(t *testing.T, what, page string) {
	t.Helper()
	for _, raw := range []string{"<script>alert(1)", "<img src=x", `"'><img`} {
		if strings.Contains(page, raw) {
			t.Errorf("%s: raw %q in the page", what, raw)
		}
	}
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("%s: the payload is not shown (escaped) at all", what)
	}
}

// TestCampaignPagesEscapeEveryField: the payload in every editable field
// (stored, or rejected and shown back) is inert on every page.
func TestCampaignPagesEscapeEveryField(t *testing.T) {
	u := newUIApp(t)
	ed := u.signIn(t, "eddie")
	// Rejected on creation: the id and the typed values come back.
	body := ed.post(t, "/ui/campaigns", url.Values{"id": {xss}, "name": {xss}, "default_locale": {xss}, "url": {"https://x.example.org/" + xss}}, 422)
	noRawXSS(t, "create form", body)

	create(t, ed, "xss")
	page := ed.get(t, "/ui/campaigns/xss", 200)
	// Stored: free text fields and unchecked lists.
	f := editorForm(rev(t, page))
	f.Set("name", xss)
	f.Set("description", xss)
	f.Set("seed", xss)
	f.Set("countries", xss)
	f.Set("platforms", xss)
	f["action_url"] = []string{"https://help.example.org/?q=" + url.QueryEscape(xss), ""}
	ed.post(t, "/ui/campaigns/xss", f, 303)
	page = ed.get(t, "/ui/campaigns/xss", 200)
	noRawXSS(t, "editor page", page)
	noRawXSS(t, "list page", ed.get(t, "/ui/campaigns", 200))

	// Rejected: every other field comes back as typed, escaped, with
	// problems that quote it.
	g := editorForm(rev(t, page))
	for _, k := range []string{"default_locale", "priority", "freshness_days", "fallbacks", "locales", "start", "end", "coverage", "allowed_hosts"} {
		g.Set(k, xss)
	}
	g["category"] = []string{xss}
	g["kind"] = []string{xss}
	g["rollout_platform"] = []string{xss, ""}
	g["rollout_percent"] = []string{xss, ""}
	g["variant_key"] = []string{xss, ""}
	g["variant_weight"] = []string{xss, ""}
	g["action_id"] = []string{xss, ""}
	g["action_url"] = []string{xss, ""}
	g["action_kind"] = []string{xss, "link"}
	g["action_verified_at"] = []string{xss, ""}
	noRawXSS(t, "rejected form", ed.post(t, "/ui/campaigns/xss", g, 422))
	// The JSON editor, rejected and shown back.
	noRawXSS(t, "rejected JSON", ed.post(t, "/ui/campaigns/xss", url.Values{"rev": {rev(t, page)}, "mode": {"json"}, "definition": {`{"id":"xss","name":` + fmt.Sprintf("%q", xss) + `,"nope":1}`}}, 400+22))

	// Card text in a locale file: refused (HTML is not allowed in card
	// text), and shown back escaped, beside each message and in the form.
	content := ed.get(t, "/ui/campaigns/xss/content", 200)
	card := fmt.Sprintf("\"a.title\" = %q\n\"a.body\" = %q\n\"a.action.help.label\" = %q\n\"a.dismiss\" = %q\n\"a.continue\" = %q\n", xss, xss, xss, xss, xss)
	noRawXSS(t, "rejected upload", ed.upload(t, "xss", rev(t, content), "en", "toml", card, 422))
	noRawXSS(t, "upload with a bad locale", ed.upload(t, "xss", rev(t, content), xss, "toml", card, 400))
	ed.upload(t, "xss", rev(t, content), "en", "toml", goodEN, 303)
	content = ed.get(t, "/ui/campaigns/xss/content?edit=en", 200)

	// Published, so that history and diffs show it all.
	ed.post(t, "/ui/campaigns/xss/workflow", url.Values{"rev": {rev(t, content)}, "step": {"submit"}}, 303)
	rita := u.signIn(t, "rita")
	page = rita.get(t, "/ui/campaigns/xss", 200)
	rita.post(t, "/ui/campaigns/xss/workflow", url.Values{"rev": {rev(t, page)}, "step": {"publish"}}, 303)
	noRawXSS(t, "versions diff", rita.get(t, "/ui/campaigns/xss/versions?diff=1", 200))
	preview := rita.get(t, "/ui/campaigns/xss/preview?version=1", 200)
	noRawXSS(t, "preview page", preview)
	// The stale-save diff shows both versions.
	f.Set("rev", "1")
	noRawXSS(t, "stale diff", ed.post(t, "/ui/campaigns/xss", f, 412))
}
