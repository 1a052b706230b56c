package app_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// activityRow is one rule of GET /v1/rules/{name}/activity.
type activityRow struct {
	Rule           string
	Category       string
	Current        bool
	Paused         bool
	Searches       int64            `json:"matches_search"`
	Views          int64            `json:"matches_view"`
	FalsePositives int64            `json:"false_positives"`
	Missed         int64            `json:"missed"`
	ByPlatform     map[string]int64 `json:"false_positives_by_platform"`
}

type activityBody struct {
	RuleSet    string `json:"rule_set"`
	Days       int
	Rules      []activityRow
	Categories []struct {
		Category, Language string
		Missed             int64
	}
}

func (in *instance) activity(t *testing.T, secret, set string) activityBody {
	t.Helper()
	resp, body := in.do(t, "GET", "/v1/rules/"+set+"/activity?days=2", secret, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET activity: %d %s", resp.StatusCode, body)
	}
	var out activityBody
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func (a activityBody) row(rule string) activityRow {
	if i := slices.IndexFunc(a.Rules, func(r activityRow) bool { return r.Rule == rule }); i >= 0 {
		return a.Rules[i]
	}
	return activityRow{}
}

// eventually retries check until it returns "" or limit passes.
func eventually(t *testing.T, limit time.Duration, check func() string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		msg := check()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestFeedbackEndToEnd: a platform reports a served card's token and a
// rule id; the activity route shows the reports next to the rule's match
// counts; a paused rule's listing shows the reports, and the editor's
// verdict records them in the audit log.
func TestFeedbackEndToEnd(t *testing.T) {
	cfg := floodConfig(t)
	cfg.FlushEvery = 100 * time.Millisecond
	in := start(t, cfg)
	platform := in.createToken(t, "platform", "acme")
	other := in.createToken(t, "platform", "zeta")
	editor := in.createToken(t, "editor", "")

	er := in.event(t, platform, floodText)
	if er.Card == nil || er.Match == nil || len(er.Match.Rules) == 0 {
		t.Fatalf("no card for %q: %+v", floodText, er)
	}
	rules := er.Match.Rules
	rule := rules[0]
	lang, _, _ := strings.Cut(rule, ".")

	// The card token names the rules that fired (at most three).
	payload, _, _ := strings.Cut(er.Card.Token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		t.Fatal(err)
	}
	var claims struct{ M []string }
	if err := json.Unmarshal(raw, &claims); err != nil || len(claims.M) == 0 || len(claims.M) > 3 || claims.M[0] != rule {
		t.Fatalf("token claims %s: want the matched rules %v in \"m\"", raw, rules)
	}

	send := func(secret string, body any) (int, string) {
		resp, data := in.do(t, "POST", "/v1/feedback", secret, body)
		return resp.StatusCode, string(data)
	}
	for _, body := range []any{
		map[string]string{"type": "false_positive", "token": er.Card.Token},
		map[string]string{"type": "false_positive", "rule": rule},
		map[string]string{"type": "missed", "category": "crossing", "language": lang},
	} {
		if code, data := send(platform, body); code != http.StatusAccepted || !strings.Contains(data, `"accepted":true`) {
			t.Fatalf("POST /v1/feedback %v: %d %s", body, code, data)
		}
	}
	// Another platform cannot report this platform's card.
	if code, data := send(other, map[string]string{"type": "false_positive", "token": er.Card.Token}); code != http.StatusBadRequest || !strings.Contains(data, "invalid_token") {
		t.Errorf("another platform's token: %d %s", code, data)
	}

	eventually(t, 15*time.Second, func() string {
		a := in.activity(t, editor, lang)
		r := a.row(rule)
		// Two false positives: the token's (each rule it names) and the rule id's.
		if r.FalsePositives != 2 || r.ByPlatform["acme"] != 2 || r.Searches < 1 || !r.Current || r.Category == "" {
			return "activity row " + rule + ": " + jsonString(r) + "; want 2 false positives from acme next to at least 1 search match"
		}
		for _, other := range rules[1:] {
			if o := a.row(other); o.FalsePositives != 1 {
				return "activity row " + other + ": " + jsonString(o) + "; want the token's 1 false positive"
			}
		}
		if i := slices.IndexFunc(a.Categories, func(c struct {
			Category, Language string
			Missed             int64
		}) bool {
			return c.Category == "crossing" && c.Language == lang
		}); i < 0 || a.Categories[i].Missed != 1 {
			return "categories: " + jsonString(a.Categories) + "; want 1 missed report for crossing"
		}
		return ""
	})

	// Pause the rule with a spike; the listing shows the reports.
	spike(t, in, platform)
	waitPaused(t, in, editor, rules, 15*time.Second)
	if code, data := send(platform, map[string]string{"type": "false_positive", "rule": rule}); code != http.StatusAccepted {
		t.Fatalf("feedback on a paused rule: %d %s", code, data)
	}
	var fb struct {
		Since     int64 `json:"false_positives_since_pause"`
		DayBefore int64 `json:"false_positives_day_before"`
	}
	eventually(t, 15*time.Second, func() string {
		resp, body := in.do(t, "GET", "/v1/rules/paused", editor, nil)
		var out struct {
			Paused []struct {
				Rule     string
				Feedback *json.RawMessage
			} `json:"paused_rules"`
		}
		if err := json.Unmarshal(body, &out); err != nil || resp.StatusCode != http.StatusOK {
			return "GET /v1/rules/paused: " + string(body)
		}
		for _, p := range out.Paused {
			if p.Rule == rule && p.Feedback != nil {
				if err := json.Unmarshal(*p.Feedback, &fb); err != nil {
					return err.Error()
				}
				// Counted to the hour: reports in the hour of the pause
				// count as since it.
				if fb.Since >= 1 && fb.Since+fb.DayBefore == 3 {
					return ""
				}
			}
		}
		return "paused rules: " + string(body) + "; want 3 false positives around the pause of " + rule
	})
	// The activity route reads the pause from the catalog, which every
	// instance rebuilds after the pause is stored: eventually, then.
	eventually(t, 15*time.Second, func() string {
		if a := in.activity(t, editor, lang); !a.row(rule).Paused {
			return fmt.Sprintf("activity does not show %s paused: %+v", rule, a.row(rule))
		}
		return ""
	})

	resp, body := in.do(t, "POST", "/v1/rules/paused/"+rule+"/confirm", editor, map[string]string{"action": "keep_paused"})
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "false_positives_since_pause") {
		t.Fatalf("keep_paused: %d %s", resp.StatusCode, body)
	}
	resp, body = in.do(t, "GET", "/v1/audit?campaign=rules."+lang+"&action=rule_kept_paused", bootstrap, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "platforms reported ") {
		t.Errorf("audit of the verdict: %d %s; want the feedback counts in its detail", resp.StatusCode, body)
	}
}

// TestFeedbackValidation: every malformed or unknown report is refused
// with its code, and nothing about it is counted.
func TestFeedbackValidation(t *testing.T) {
	cfg := floodConfig(t)
	in := start(t, cfg)
	platform := in.createToken(t, "platform", "acme")
	er := in.event(t, platform, floodText)
	if er.Card == nil {
		t.Fatal("no card")
	}
	rule := er.Match.Rules[0]
	tampered := er.Card.Token[:len(er.Card.Token)-2] + "AA"
	if tampered == er.Card.Token {
		tampered = er.Card.Token[:len(er.Card.Token)-2] + "BB"
	}
	for _, tc := range []struct {
		name, body, code string
		status           int
	}{
		{"empty", ``, "invalid_json", 400},
		{"text field", `{"type":"missed","category":"crossing","text":"a post"}`, "invalid_json", 400},
		{"unknown type", `{"type":"spam","rule":"` + rule + `"}`, "invalid_feedback", 400},
		{"no type", `{"rule":"` + rule + `"}`, "invalid_feedback", 400},
		{"false positive without token or rule", `{"type":"false_positive"}`, "invalid_feedback", 400},
		{"false positive with category", `{"type":"false_positive","rule":"` + rule + `","category":"crossing"}`, "invalid_feedback", 400},
		{"missed without rule or category", `{"type":"missed","language":"en"}`, "invalid_feedback", 400},
		{"missed with token", `{"type":"missed","category":"crossing","token":"` + er.Card.Token + `"}`, "invalid_feedback", 400},
		{"unknown rule", `{"type":"false_positive","rule":"en.no_such_rule"}`, "unknown_rule", 400},
		{"unknown category", `{"type":"missed","category":"weather"}`, "unknown_category", 400},
		{"unknown language", `{"type":"missed","category":"crossing","language":"xx"}`, "unknown_language", 400},
		{"tampered token", `{"type":"false_positive","token":"` + tampered + `"}`, "invalid_token", 400},
		{"garbage token", `{"type":"false_positive","token":"not.a.token"}`, "invalid_token", 400},
		{"long id", `{"type":"false_positive","rule":"` + strings.Repeat("x", 300) + `"}`, "invalid_feedback", 400},
		{"wrong type", `{"type":"missed","category":7}`, "invalid_json", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := in.do(t, "POST", "/v1/feedback", platform, tc.body)
			if resp.StatusCode != tc.status || !strings.Contains(string(body), `"code":"`+tc.code+`"`) {
				t.Errorf("%s: %d %s, want %d %s", tc.body, resp.StatusCode, body, tc.status, tc.code)
			}
		})
	}
	for _, q := range []string{"0", "91", "x", "-1"} {
		if resp, body := in.do(t, "GET", "/v1/rules/en/activity?days="+q, bootstrap, nil); resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "invalid_days") {
			t.Errorf("days=%s: %d %s", q, resp.StatusCode, body)
		}
	}
	if resp, body := in.do(t, "GET", "/v1/rules/xx/activity", bootstrap, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("activity of a rule set with no rules: %d %s", resp.StatusCode, body)
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
