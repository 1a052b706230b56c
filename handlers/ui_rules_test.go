package handlers

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"signpost/auth"
	"signpost/editing"
	"signpost/locales"
	"signpost/match"
	"signpost/messages"
	"signpost/store"
	"signpost/web"
)

func TestHighlightSpans(t *testing.T) {
	const ar = "قارب إلى بريطانيا" // "boat to Britain"
	arBoat := len("قارب")
	arUK := strings.Index(ar, "بريطانيا")
	for _, tc := range []struct {
		name, text string
		spans      []match.Span
		want       string
	}{
		{"no match", "ferry times", nil, "ferry times"},
		{"one span", "small boat to uk", []match.Span{{Start: 6, End: 10}}, "small <mark>boat</mark> to uk"},
		{"overlapping spans merge", "small boat to uk", []match.Span{{Start: 0, End: 10}, {Start: 6, End: 13}}, "<mark>small boat to</mark> uk"},
		{"contained span", "small boat to uk", []match.Span{{Start: 0, End: 16}, {Start: 6, End: 10}}, "<mark>small boat to uk</mark>"},
		{"adjacent spans stay apart", "boatuk", []match.Span{{Start: 4, End: 6}, {Start: 0, End: 4}}, "<mark>boat</mark><mark>uk</mark>"},
		{"arabic", ar, []match.Span{{Start: 0, End: arBoat}, {Start: arUK, End: len(ar)}}, "<mark>قارب</mark> إلى <mark>بريطانيا</mark>"},
		{"span ending at the end", "to uk", []match.Span{{Start: 3, End: 5}}, "to <mark>uk</mark>"},
		{"invalid offsets ignored", "boat uk", []match.Span{{Start: -1, End: 2}, {Start: 5, End: 99}, {Start: 3, End: 3}, {Start: 4, End: 2}}, "boat uk"},
		{"mid-character offsets ignored", ar, []match.Span{{Start: 1, End: arBoat}, {Start: 0, End: 3}}, ar},
		{"text is escaped", `<b>"boat"</b> & 'uk'`, []match.Span{{Start: 4, End: 8}}, `&lt;b&gt;&#34;<mark>boat</mark>&#34;&lt;/b&gt; &amp; &#39;uk&#39;`},
		{"markup inside a span is escaped", "<script>alert(1)</script>", []match.Span{{Start: 0, End: 8}}, "<mark>&lt;script&gt;</mark>alert(1)&lt;/script&gt;"},
		{"invalid UTF-8 replaced", "boat \xff uk", []match.Span{{Start: 0, End: 4}}, "<mark>boat</mark> \uFFFD uk"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(highlightSpans(tc.text, tc.spans)); got != tc.want {
				t.Errorf("highlightSpans(%q, %v)\n got %s\nwant %s", tc.text, tc.spans, got, tc.want)
			}
		})
	}
}

// rulesUntranslated finds a message id shown instead of its text (asset
// URLs such as /assets/rules.<hash>.css are preceded by a slash).
var rulesUntranslated = regexp.MustCompile(`[^/a-z]rules\.[a-z]`)

const rulesXSS = `<script>alert(1)</script>"'><img src=x onerror=alert(1)>`

// fakeRules is one rule set, "en", in memory.
type fakeRules struct {
	rev           int64
	state         editing.State
	file, samples []byte
	puts          int
}

func (f *fakeRules) set() *editing.RuleSet {
	return &editing.RuleSet{Name: "en", Rev: f.rev, Status: f.state.Status(), State: f.state, Rules: 3, Problems: []messages.Problem{}}
}

func (f *fakeRules) ListRules(context.Context) ([]editing.RuleSetSummary, error) {
	return []editing.RuleSetSummary{{Name: "en", Rev: f.rev, Status: f.state.Status(), LiveVersion: f.state.LiveVersion, Serving: f.state.Serving()}}, nil
}

func (f *fakeRules) GetRules(_ context.Context, name string) (*editing.RuleSet, error) {
	if name != "en" {
		return nil, editing.ErrNotFound
	}
	return f.set(), nil
}

func (f *fakeRules) PutRuleFile(_ context.Context, _ editing.Actor, name string, rev int64, key string, data []byte) (*editing.RuleSet, error) {
	if name != "en" {
		return nil, editing.ErrNotFound
	}
	if rev != f.rev {
		return nil, editing.ErrConflict
	}
	if strings.Contains(string(data), "BROKEN") {
		return nil, &messages.ValidationError{Problems: []error{&messages.ContentError{Locale: "en", File: "en.rules", Line: 2, Msg: "unbalanced parenthesis"}}}
	}
	f.puts++
	f.rev++
	if key == editing.RuleFileKey {
		f.file = data
	} else {
		f.samples = data
	}
	return f.set(), nil
}

func (f *fakeRules) RulesStep(context.Context, editing.Actor, string, int64, string, int64) (*editing.RuleSet, error) {
	return f.set(), nil
}

// TryRules marks every "boat" and "uk" of the text.
func (f *fakeRules) TryRules(_ context.Context, name string, qs []match.Query) ([]match.Explanation, error) {
	if name != "en" {
		return nil, editing.ErrNotFound
	}
	var out []match.Explanation
	for _, q := range qs {
		ex := match.Explanation{Normalized: strings.ToLower(q.Text), Views: map[string]string{}}
		rm := match.RuleMatch{Rule: "en.crossing.boat_uk", Category: "crossing", View: "canonical"}
		for _, w := range []string{"boat", "uk"} {
			if i := strings.Index(q.Text, w); i >= 0 {
				rm.Spans = append(rm.Spans, match.Span{Start: i, End: i + len(w), Text: w})
			}
		}
		if len(rm.Spans) > 0 {
			ex.Result = match.Result{Matched: true, Categories: []string{"crossing"}, Rules: []string{rm.Rule}}
			ex.Matches = []match.RuleMatch{rm}
			ex.Suppressed = []match.Suppression{{Rule: "en.crossing.ferry", View: "canonical", By: "the exclusion of en.rules"}}
		}
		out = append(out, ex)
	}
	return out, nil
}

func (f *fakeRules) RuleFile(_ context.Context, name string, _ int64, key string) ([]byte, error) {
	if key == editing.RuleFileKey {
		return f.file, nil
	}
	return f.samples, nil
}

func (f *fakeRules) RuleVersions(context.Context, string) ([]store.CampaignVersion, error) {
	return []store.CampaignVersion{{CampaignID: "rules.en", Version: 1, CreatedAt: time.Unix(0, 0), CreatedBy: "system"}}, nil
}

// rulesFakeTokens admits three bearer secrets, named by their role.
type rulesFakeTokens struct{}

func (rulesFakeTokens) Authenticate(secret string) (auth.Principal, bool) {
	switch secret {
	case auth.RoleEditor, auth.RoleReviewer, auth.RoleAnalyst:
		return auth.Principal{TokenID: "tok_" + secret, Name: secret, Role: secret}, true
	}
	return auth.Principal{}, false
}
func (rulesFakeTokens) Create(context.Context, store.Token) error { return nil }
func (rulesFakeTokens) Revoke(context.Context, string) (store.Token, error) {
	return store.Token{}, nil
}
func (rulesFakeTokens) List() []store.Token {
	return []store.Token{{ID: "tok_editor", Name: "eddie"}, {ID: "tok_reviewer", Name: "rita"}}
}

func newRulesTestApp(t *testing.T, rules *fakeRules) *fiber.App {
	t.Helper()
	return rulePagesApp(t, &Server{Rules: rules})
}

// rulePagesApp completes s (tokens, UI, assets, a silent log) and serves
// the rule pages from it.
func rulePagesApp(t *testing.T, s *Server) *fiber.App {
	t.Helper()
	assets, err := web.NewAssets()
	if err != nil {
		t.Fatal(err)
	}
	ui, err := web.NewUI(assets, locales.UI())
	if err != nil {
		t.Fatal(err)
	}
	s.Tokens, s.UI, s.Assets, s.Log = rulesFakeTokens{}, ui, assets, slog.New(slog.NewTextHandler(io.Discard, nil))
	app := fiber.New(fiber.Config{ErrorHandler: ErrorHandler(s.Log)})
	s.registerRulePages(app)
	return app
}

func newFakeRules() *fakeRules {
	st := editing.NewState("tok_editor", time.Unix(0, 0))
	st.Work, st.Live, st.LiveVersion, st.LatestVersion = editing.WorkInReview, editing.LiveServing, 1, 1
	return &fakeRules{rev: 7, state: st, file: []byte("lang: en\nrule: boat\n"), samples: []byte("1\tsearch\tcrossing\tboat uk\n")}
}

// rulesDo sends a request as role and returns the status and body.
func rulesDo(t *testing.T, app *fiber.App, role, method, path string, form url.Values, hx bool) (int, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+role)
	}
	if hx {
		req.Header.Set("HX-Request", "true")
	}
	resp, err := app.Test(req, 10000)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestRulePagesRender(t *testing.T) {
	app := newRulesTestApp(t, newFakeRules())
	status, body := rulesDo(t, app, auth.RoleEditor, "GET", "/ui/rules", nil, false)
	if status != http.StatusOK || !strings.Contains(body, `href="/ui/rules/en"`) || rulesUntranslated.MatchString(body) {
		t.Fatalf("list: %d (want 200, a link to en and no untranslated id)\n%s", status, body)
	}
	status, body = rulesDo(t, app, auth.RoleEditor, "GET", "/ui/rules/en", nil, false)
	if status != http.StatusOK {
		t.Fatalf("rule set page: %d", status)
	}
	for _, want := range []string{`<textarea id="file-text" name="text" dir="ltr"`, `<textarea id="samples-text"`, `<textarea id="try-text" name="text" dir="auto"`,
		`hx-post="/ui/rules/en/try"`, `hx-trigger="input changed delay:400ms, submit"`, `hx-target="#try-result"`, `name="rev" value="7"`, "/ui/rules/en/pause", "<bdi>signpost</bdi>"} {
		if !strings.Contains(body, want) {
			t.Errorf("editor's page lacks %s", want)
		}
	}
	// Reviewer-only steps are not offered to an editor (the routes refuse
	// them too), and the two-person rule is spelt out to its last editor.
	for _, reviewerOnly := range []string{"/ui/rules/en/publish", "/ui/rules/en/reject", "/ui/rules/en/archive", "/ui/rules/en/rollback", "/ui/rules/en/resume"} {
		if strings.Contains(body, reviewerOnly) {
			t.Errorf("editor's page offers %s", reviewerOnly)
		}
	}
	if !strings.Contains(body, `id="twoperson-note"`) {
		t.Error("no two-person note on the page of the last editor")
	}
	if status, _ := rulesDo(t, app, auth.RoleEditor, "POST", "/ui/rules/en/publish", url.Values{"rev": {"7"}}, false); status != http.StatusForbidden {
		t.Errorf("editor publishing: %d, want 403", status)
	}
	_, body = rulesDo(t, app, auth.RoleReviewer, "GET", "/ui/rules/en", nil, false)
	for _, want := range []string{"/ui/rules/en/publish", "/ui/rules/en/reject", "/ui/rules/en/archive"} {
		if !strings.Contains(body, want) {
			t.Errorf("reviewer's page lacks %s", want)
		}
	}
	if status, _ := rulesDo(t, app, auth.RoleAnalyst, "GET", "/ui/rules/en", nil, false); status != http.StatusForbidden {
		t.Errorf("analyst: %d, want 403", status)
	}
	for _, lang := range []string{"fr", "ar"} {
		_, body := rulesDo(t, app, auth.RoleEditor, "GET", "/ui/rules/en?lang="+lang, nil, false)
		if !strings.Contains(body, `<html lang="`+lang+`"`) || rulesUntranslated.MatchString(body) {
			t.Errorf("%s page: wrong language or an untranslated id", lang)
		}
	}
}

// rulesAssertInert fails if the XSS payload appears unescaped in body.
func rulesAssertInert(t *testing.T, what, body string) {
	t.Helper()
	for _, raw := range []string{"<script>alert(1)", "<img src=x", `"'><img`} {
		if strings.Contains(body, raw) {
			t.Errorf("%s: the payload is not escaped (%s)", what, raw)
		}
	}
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("%s: the escaped payload is not shown back", what)
	}
}

func TestRulePagesEscapeTypedText(t *testing.T) {
	rules := newFakeRules()
	rules.file = []byte("lang: en\n# " + rulesXSS + "\n")
	rules.samples = []byte("1\tsearch\tcrossing\t" + rulesXSS + "\n")
	app := newRulesTestApp(t, rules)
	_, body := rulesDo(t, app, auth.RoleEditor, "GET", "/ui/rules/en", nil, false)
	rulesAssertInert(t, "rule file and samples", body)

	text := "small boat to uk " + rulesXSS
	status, frag := rulesDo(t, app, auth.RoleEditor, "POST", "/ui/rules/en/try", url.Values{"text": {text}}, true)
	if status != http.StatusOK || strings.Contains(frag, "<html") {
		t.Fatalf("try fragment: %d (want 200 and no page around it)\n%s", status, frag)
	}
	rulesAssertInert(t, "try fragment", frag)
	if !strings.Contains(frag, "small <mark>boat</mark> to <mark>uk</mark>") || !strings.Contains(frag, "en.crossing.boat_uk") || !strings.Contains(frag, "en.crossing.ferry") {
		t.Errorf("try fragment lacks the marks, the rule or the suppression:\n%s", frag)
	}
	// Without JS the whole page comes back, with the same result and the
	// text still in the box.
	status, page := rulesDo(t, app, auth.RoleEditor, "POST", "/ui/rules/en/try", url.Values{"text": {text}}, false)
	if status != http.StatusOK || !strings.Contains(page, "<html") {
		t.Fatalf("try page: %d", status)
	}
	rulesAssertInert(t, "try page", page)
	if !strings.Contains(page, strings.TrimSpace(frag)) {
		t.Errorf("the page's result differs from the fragment ")
	}
	if !strings.Contains(page, html.EscapeString(text)+"</textarea>") {
		t.Errorf("the tried text is not kept in its box")
	}

	// A refused save shows the problems and keeps what was typed.
	typed := "lang: en\nBROKEN " + rulesXSS + "\n"
	status, body = rulesDo(t, app, auth.RoleEditor, "POST", "/ui/rules/en/file", url.Values{"rev": {"7"}, "text": {typed}}, false)
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "unbalanced parenthesis") || !strings.Contains(body, `data-line="2"`) {
		t.Errorf("refused save: %d, want 422 with the located problem", status)
	}
	rulesAssertInert(t, "refused save", body)
	if !strings.Contains(body, "BROKEN") || rules.puts != 0 {
		t.Errorf("refused save: typed text lost or stored")
	}
}

func TestRuleSaveStaleLosesNothing(t *testing.T) {
	rules := newFakeRules()
	app := newRulesTestApp(t, rules)
	// Someone else saves first: the rule set moves on to rev 8.
	if status, _ := rulesDo(t, app, auth.RoleReviewer, "POST", "/ui/rules/en/samples", url.Values{"rev": {"7"}, "text": {"1\tsearch\tx\tboat uk by rita\r\n"}}, false); status != http.StatusSeeOther {
		t.Fatalf("first save: %d, want 303", status)
	}
	if string(rules.samples) != "1\tsearch\tx\tboat uk by rita\n" {
		t.Errorf("CRLF not normalised: %q", rules.samples)
	}
	typed := "lang: en\nrule: eddies_new_rule\n"
	status, body := rulesDo(t, app, auth.RoleEditor, "POST", "/ui/rules/en/file", url.Values{"rev": {"7"}, "text": {typed}}, false)
	if status != http.StatusConflict {
		t.Fatalf("stale save: %d, want 409", status)
	}
	if !strings.Contains(body, "eddies_new_rule") {
		t.Error("stale save: the typed text is lost")
	}
	if !strings.Contains(body, `class="stale"`) || !strings.Contains(body, `name="rev" value="7"`) {
		t.Error("stale save: no stale notice, or the form no longer holds the old revision (a resubmit would overwrite)")
	}
	if !strings.Contains(body, "rule: boat") {
		t.Error("stale save: the stored version is not shown for comparison")
	}
	if string(rules.file) != "lang: en\nrule: boat\n" {
		t.Errorf("stale save overwrote the file: %q", rules.file)
	}
}

// fakeFeedback serves one rule, en.boat, with a day of activity.
type fakeFeedback struct{ cells []store.ActivityCount }

type fakeRuleIndex struct{}

func (fakeRuleIndex) Rule(id string) (match.Rule, bool) {
	return match.Rule{ID: "en.boat", Lang: "en", Category: "crossing"}, id == "en.boat"
}
func (fakeRuleIndex) HasCategory(c string) bool { return c == "crossing" }
func (fakeRuleIndex) HasLanguage(l string) bool { return l == "en" }
func (fakeRuleIndex) SetRules(l string) []match.Rule {
	if l != "en" {
		return nil
	}
	return []match.Rule{{ID: "en.boat", Lang: "en", Category: "crossing"}}
}

func (f *fakeFeedback) Rules() RuleIndex                   { return fakeRuleIndex{} }
func (f *fakeFeedback) Report(string, []store.ActivityKey) {}
func (f *fakeFeedback) Activity(_ context.Context, langs []string, _, _ string) ([]store.ActivityCount, error) {
	var out []store.ActivityCount
	for _, c := range f.cells {
		for _, l := range langs {
			if c.Key.Language == l {
				out = append(out, c)
			}
		}
	}
	return out, nil
}

type fakeFlood struct{ paused []store.PausedRule }

func (f fakeFlood) PausedRules(context.Context) ([]store.PausedRule, error) { return f.paused, nil }
func (f fakeFlood) ConfirmPausedRule(context.Context, editing.Actor, string, string, string) (store.PausedRule, error) {
	return store.PausedRule{}, store.ErrNotFound
}

// TestRulePagesShowFeedback: the rule set page shows each rule's match
// counts next to its feedback, and the list shows paused rules with the
// reports around their pause, in every UI language.
func TestRulePagesShowFeedback(t *testing.T) {
	now := time.Now().UTC()
	day, hour := now.Format(time.DateOnly), now.Hour()
	cell := func(lang, rule, category, event, platform string, h, n int) store.ActivityCount {
		return store.ActivityCount{Key: store.ActivityKey{Language: lang, Day: day, Hour: h, Rule: rule, Category: category, Event: event, Platform: platform}, N: int64(n)}
	}
	fb := &fakeFeedback{cells: []store.ActivityCount{
		cell("en", "en.boat", "", store.ActivitySearch, "", hour, 1234),
		cell("en", "en.boat", "", store.ActivityView, "", hour, 56),
		cell("en", "en.boat", "", store.ActivityFalsePositive, "meta", hour, 7),
		cell("en", "en.old", "", store.ActivityMissed, "meta", hour, 2),
		cell("", "", "documents", store.ActivityMissed, "meta", hour, 3),
	}}
	app := rulePagesApp(t, &Server{Rules: newFakeRules(), Feedback: fb,
		Flood: fakeFlood{paused: []store.PausedRule{{Rule: "en.boat", PausedAt: now, Count: 620, KeptBy: "tok_editor"}}}})

	for _, lang := range []string{"en", "fr", "ar"} {
		status, body := rulesDo(t, app, auth.RoleEditor, "GET", "/ui/rules/en?lang="+lang, nil, false)
		if status != http.StatusOK || rulesUntranslated.MatchString(body) {
			t.Fatalf("%s rule set page: %d or an untranslated id\n%s", lang, status, body)
		}
		row := regexp.MustCompile(`(?s)<code dir="ltr">en\.boat</code>.*?</tr>`).FindString(body)
		for _, want := range []string{`<td class="num">1234</td>`, `<td class="num">56</td>`, `<td class="num has-feedback">7</td>`} {
			if !strings.Contains(row, want) {
				t.Errorf("%s: the en.boat row lacks %s:\n%s", lang, want, row)
			}
		}
		if !strings.Contains(body, `<code dir="ltr">en.old</code>`) || !strings.Contains(body, `<code dir="ltr">documents</code>`) {
			t.Errorf("%s: a rule no longer current or a category's missed reports are not shown", lang)
		}
		if strings.Contains(body, "style=") || strings.Contains(body, "<script>") {
			t.Errorf("%s: inline style or script on the page breaks the UI's CSP", lang)
		}

		status, body = rulesDo(t, app, auth.RoleEditor, "GET", "/ui/rules?lang="+lang, nil, false)
		if status != http.StatusOK || rulesUntranslated.MatchString(body) || !strings.Contains(body, `id="paused"`) {
			t.Fatalf("%s list: %d, no paused section or an untranslated id\n%s", lang, status, body)
		}
		paused := regexp.MustCompile(`(?s)<section class="rules-paused".*?</section>`).FindString(body)
		if !strings.Contains(paused, `<td class="num has-feedback">7</td>`) || !strings.Contains(paused, "<bdi>eddie</bdi>") {
			t.Errorf("%s: the paused section lacks the 7 reports since the pause or who kept it:\n%s", lang, paused)
		}
	}
}

// recordingFlood holds one paused rule and records the verdicts given.
type recordingFlood struct {
	paused   store.PausedRule
	verdicts []string
}

func (f *recordingFlood) PausedRules(context.Context) ([]store.PausedRule, error) {
	return []store.PausedRule{f.paused}, nil
}

func (f *recordingFlood) ConfirmPausedRule(_ context.Context, _ editing.Actor, rule, action, note string) (store.PausedRule, error) {
	if rule != f.paused.Rule {
		return store.PausedRule{}, store.ErrNotFound
	}
	f.verdicts = append(f.verdicts, action+": "+note)
	return f.paused, nil
}

// TestRulePagesConfirmPausedRule: the paused-rules section offers both
// verdicts, and a verdict posted from it reaches the flood guard with
// the feedback counts the editor saw, then shows the list again.
func TestRulePagesConfirmPausedRule(t *testing.T) {
	now := time.Now().UTC()
	fb := &fakeFeedback{cells: []store.ActivityCount{{Key: store.ActivityKey{Language: "en", Day: now.Format(time.DateOnly), Hour: now.Hour(),
		Rule: "en.boat", Event: store.ActivityFalsePositive, Platform: "meta"}, N: 4}}}
	flood := &recordingFlood{paused: store.PausedRule{Rule: "en.boat", PausedAt: now, Count: 620}}
	app := rulePagesApp(t, &Server{Rules: newFakeRules(), Feedback: fb, Flood: flood})

	_, body := rulesDo(t, app, auth.RoleEditor, "GET", "/ui/rules", nil, false)
	for _, want := range []string{`action="/ui/rules/paused/en.boat"`, `name="action" value="resume"`, `name="action" value="keep_paused"`} {
		if !strings.Contains(body, want) {
			t.Errorf("paused section lacks %s", want)
		}
	}
	status, _ := rulesDo(t, app, auth.RoleEditor, "POST", "/ui/rules/paused/en.boat", url.Values{"action": {"keep_paused"}}, false)
	if status != http.StatusSeeOther || len(flood.verdicts) != 1 || !strings.HasPrefix(flood.verdicts[0], "keep_paused: ") || !strings.Contains(flood.verdicts[0], "4") {
		t.Fatalf("keep paused: %d, verdicts %q (want 303 and one keep_paused noting the 4 reports)", status, flood.verdicts)
	}
	for _, c := range []struct {
		path, action string
		want         int
	}{
		{"/ui/rules/paused/en.boat", "delete", http.StatusBadRequest},
		{"/ui/rules/paused/en.other", "resume", http.StatusNotFound},
	} {
		if status, body := rulesDo(t, app, auth.RoleEditor, "POST", c.path, url.Values{"action": {c.action}}, false); status != c.want {
			t.Errorf("POST %s action=%s: %d, want %d\n%s", c.path, c.action, status, c.want, body)
		}
	}
	if status, _ := rulesDo(t, app, auth.RoleAnalyst, "POST", "/ui/rules/paused/en.boat", url.Values{"action": {"resume"}}, false); status != http.StatusForbidden {
		t.Errorf("an analyst's verdict: %d, want 403", status)
	}
	if len(flood.verdicts) != 1 {
		t.Errorf("refused posts reached the flood guard: %q", flood.verdicts)
	}
}
