package app_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"signpost/app"
)

// matchedRules sends a search to in and returns the rule ids that fired.
func matchedRules(t *testing.T, in *instance, platform, text string) []string {
	t.Helper()
	resp, body := in.do(t, "POST", "/v1/events", platform, map[string]string{"kind": "search", "text": text, "locale": "en", "subject": "s"})
	var er eventResponse
	if err := json.Unmarshal(body, &er); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("event: %d %s", resp.StatusCode, body)
	}
	if er.Match == nil {
		return nil
	}
	return er.Match.Rules
}

func hasRule(rules []string, id string) bool {
	for _, r := range rules {
		if r == id {
			return true
		}
	}
	return false
}

// TestRulesEditing takes a language's rule set through the lifecycle: a
// new rule is tested against samples and the benign corpus before it is
// stored, tried on the working copy, published by a second editor,
// served, and rolled back.
func TestRulesEditing(t *testing.T) {
	cfg := app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.BootstrapToken = bootstrap
	in := start(t, cfg)
	ann := in.createToken(t, "editor", "")
	bob := in.createToken(t, "reviewer", "")
	platform := in.createToken(t, "platform", "acme")
	const rule = "\nrule: crossing.test_zorblax\ncategory: crossing\nmatch: zorblax NEAR/3 (uk OR england)\n"
	const text = "zorblax to uk"

	resp, body := in.send(t, "GET", "/v1/rules", ann, "", "", nil)
	want(t, "list rule sets", resp, body, 200)
	if !strings.Contains(string(body), `"name":"en"`) || !strings.Contains(string(body), `"serving":true`) {
		t.Fatalf("rule sets: %s", body)
	}
	resp, body = in.send(t, "GET", "/v1/rules/en", ann, "", "", nil)
	tag := want(t, "get en", resp, body, 200)
	resp, file := in.send(t, "GET", "/v1/rules/en/file", ann, "", "", nil)
	want(t, "get en.rules", resp, file, 200)
	resp, samples := in.send(t, "GET", "/v1/rules/en/samples", ann, "", "", nil)
	want(t, "get en samples", resp, samples, 200)

	// A syntax error is located; a sample the rules cannot meet is refused.
	resp, body = in.send(t, "PUT", "/v1/rules/en/file", ann, "text/plain", tag, append(append([]byte{}, file...), "\nrule: x\ncategory: crossing\nmatch: (boat\n"...))
	want(t, "broken rule file", resp, body, 422)
	if !strings.Contains(string(body), `"file":"en.rules"`) || !strings.Contains(string(body), `"line":`) {
		t.Errorf("broken rule file problems: %s", body)
	}
	resp, body = in.send(t, "PUT", "/v1/rules/en/samples", ann, "text/tab-separated-values", tag, append(append([]byte{}, samples...), "1\tsearch\tcrossing\t"+text+"\n"...))
	want(t, "a sample no rule meets", resp, body, 422)
	if !strings.Contains(string(body), "must match, but no rule does") {
		t.Errorf("sample problem: %s", body)
	}
	resp, body = in.send(t, "PUT", "/v1/rules/en/file", ann, "text/plain", "", file)
	want(t, "change without If-Match", resp, body, 428)

	// The new rule, then a sample for it.
	resp, body = in.send(t, "PUT", "/v1/rules/en/file", ann, "text/plain", tag, append(append([]byte{}, file...), rule...))
	tag = want(t, "upload the new rule", resp, body, 200)
	resp, body = in.send(t, "PUT", "/v1/rules/en/samples", ann, "text/plain", tag, append(append([]byte{}, samples...), "1\tsearch\tcrossing\t"+text+"\n"...))
	tag = want(t, "upload its sample", resp, body, 200)

	// Not live yet, but the working copy can be tried.
	if got := matchedRules(t, in, platform, text); hasRule(got, "en.crossing.test_zorblax") {
		t.Fatalf("draft rule served before publishing: %v", got)
	}
	resp, body = in.send(t, "POST", "/v1/rules/en/try", ann, "application/json", "", []byte(`{"texts":[{"text":"`+text+`"},{"text":"ferry timetable"}]}`))
	want(t, "try", resp, body, 200)
	var tried struct{ Results []struct{ Matched bool } }
	if err := json.Unmarshal(body, &tried); err != nil || len(tried.Results) != 2 || !tried.Results[0].Matched || tried.Results[1].Matched {
		t.Errorf("try: %s", body)
	}

	// Review and publish by a second editor: served.
	resp, body = in.send(t, "POST", "/v1/rules/en/submit", ann, "", tag, nil)
	tag = want(t, "submit", resp, body, 200)
	resp, body = in.send(t, "POST", "/v1/rules/en/publish", ann, "", tag, nil)
	want(t, "publish by the last editor", resp, body, 403)
	resp, body = in.send(t, "POST", "/v1/rules/en/publish", bob, "", tag, nil)
	tag = want(t, "publish", resp, body, 200)
	if got := matchedRules(t, in, platform, text); !hasRule(got, "en.crossing.test_zorblax") {
		t.Fatalf("after publish: rules %v, want en.crossing.test_zorblax", got)
	}

	// Roll back to the shipped version 1: gone again, exactly the old file.
	resp, body = in.send(t, "POST", "/v1/rules/en/rollback", bob, "application/json", tag, []byte(`{"version":1}`))
	want(t, "rollback", resp, body, 200)
	if got := matchedRules(t, in, platform, text); hasRule(got, "en.crossing.test_zorblax") {
		t.Fatalf("after rollback: rules %v", got)
	}
	_, v3 := in.send(t, "GET", "/v1/rules/en/file?version=3", ann, "", "", nil)
	if string(v3) != string(file) {
		t.Errorf("version 3 (the rollback) differs from version 1")
	}
	resp, body = in.send(t, "GET", "/v1/audit?campaign=rules.en", bootstrap, "", "", nil)
	want(t, "audit", resp, body, 200)
	for _, action := range []string{`"import"`, `"put_content"`, `"submit"`, `"publish"`, `"rollback"`} {
		if !strings.Contains(string(body), `"action":`+action) {
			t.Errorf("audit log lacks %s: %s", action, body)
		}
	}
}

// TestRulesFromFilesAreReadOnly: with SIGNPOST_RULES_DIR the files are the
// truth, and the API says so instead of accepting edits it would lose.
func TestRulesFromFilesAreReadOnly(t *testing.T) {
	cfg := app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.BootstrapToken = bootstrap
	cfg.RulesDir = t.TempDir()
	if err := writeFile(cfg.RulesDir+"/en.rules", "lang: en\nrule: r\ncategory: crossing\nmatch: zorblax\n"); err != nil {
		t.Fatal(err)
	}
	in := start(t, cfg)
	platform := in.createToken(t, "platform", "acme")
	if got := matchedRules(t, in, platform, "zorblax"); !hasRule(got, "en.r") {
		t.Fatalf("rules from the directory not served: %v", got)
	}
	resp, body := in.send(t, "PUT", "/v1/rules/en/file", bootstrap, "text/plain", "", []byte("lang: en\n"))
	if want(t, "edit", resp, body, 409); !strings.Contains(string(body), "rules_from_files") {
		t.Errorf("edit: %s", body)
	}
}
