package messages

import (
	"strings"
	"testing"
	"time"
)

// defJSON returns a valid definition with rest (allowed_hosts, actions and
// any other top-level fields) appended.
func defJSON(rest string) string {
	return `{"id":"t","name":"T","default_locale":"en",
"experiment":{"coverage":1,"variants":[{"key":"a","weight":1}]},
` + rest + `}`
}

func TestParseDefinitionProblems(t *testing.T) {
	help := func(url string) string { return `"actions":[{"id":"help","url":"` + url + `"}]` }
	tests := []struct {
		name string
		json string
		want []wantProblem
	}{
		{"valid", defJSON(`"allowed_hosts":["example.org"],` + help("https://example.org/help")), nil},
		{"wildcard subdomain", defJSON(`"allowed_hosts":["*.example.org"],` + help("https://help.example.org/x")), nil},
		{"wildcard deep subdomain", defJSON(`"allowed_hosts":["*.example.org"],` + help("https://a.b.example.org/")), nil},
		{"host case and port 443", defJSON(`"allowed_hosts":["example.org"],` + help("https://Example.ORG:443/")), nil},
		{"helpline verified", defJSON(`"allowed_hosts":["example.org"],"freshness_days":90,"actions":[{"id":"call","url":"https://example.org/","kind":"helpline","verified_at":"2026-01-31"}]`), nil},
		{"no allowed hosts", defJSON(help("https://example.org/")),
			[]wantProblem{{Field: "allowed_hosts", Msg: "allowed_hosts is empty"}}},
		{"host not allowed", defJSON(`"allowed_hosts":["example.org"],` + help("https://evil.org/")),
			[]wantProblem{{Field: "actions[0].url", Msg: `host "evil.org" of url "https://evil.org/" is not in allowed_hosts`}}},
		{"wildcard is not the apex", defJSON(`"allowed_hosts":["*.example.org"],` + help("https://example.org/")),
			[]wantProblem{{Field: "actions[0].url", Msg: `host "example.org"`}}},
		{"suffix is not a subdomain", defJSON(`"allowed_hosts":["*.example.org"],` + help("https://evilexample.org/")),
			[]wantProblem{{Field: "actions[0].url", Msg: `host "evilexample.org"`}}},
		{"http", defJSON(`"allowed_hosts":["example.org"],` + help("http://example.org/")),
			[]wantProblem{{Field: "actions[0].url", Msg: "must be an absolute https URL"}}},
		{"relative", defJSON(`"allowed_hosts":["example.org"],` + help("/help")),
			[]wantProblem{{Field: "actions[0].url", Msg: "must be an absolute https URL"}}},
		{"user info", defJSON(`"allowed_hosts":["example.org"],` + help("https://example.org@evil.org/")),
			[]wantProblem{{Field: "actions[0].url", Msg: "must not contain a user name"}}},
		{"port", defJSON(`"allowed_hosts":["example.org"],` + help("https://example.org:8443/")),
			[]wantProblem{{Field: "actions[0].url", Msg: "must not name a port"}}},
		{"bad host patterns", defJSON(`"allowed_hosts":["example.org","Example.org","https://x.org","x.org/p","x.org:443","*.org","*",""],` + help("https://example.org/")),
			[]wantProblem{
				{Field: "allowed_hosts[1]", Msg: `"Example.org" must be a lower-case host name`},
				{Field: "allowed_hosts[2]", Msg: `"https://x.org"`},
				{Field: "allowed_hosts[3]", Msg: `"x.org/p"`},
				{Field: "allowed_hosts[4]", Msg: `"x.org:443"`},
				{Field: "allowed_hosts[5]", Msg: `"*.org"`},
				{Field: "allowed_hosts[6]", Msg: `"*"`},
				{Field: "allowed_hosts[7]", Msg: `""`},
			}},
		{"kind", defJSON(`"allowed_hosts":["example.org"],"actions":[{"id":"help","url":"https://example.org/","kind":"phone"}]`),
			[]wantProblem{{Field: "actions[0].kind", Msg: `kind "phone" must be link or helpline`}}},
		{"verified_at", defJSON(`"allowed_hosts":["example.org"],"actions":[{"id":"help","url":"https://example.org/","verified_at":"31/01/2026"}]`),
			[]wantProblem{{Field: "actions[0].verified_at", Msg: `verified_at "31/01/2026" must be a date like 2025-01-31`}}},
		{"schedule and rollout", defJSON(`"allowed_hosts":["example.org"],"schedule":{"start":"2026-12-01T00:00:00Z","end":"2027-03-01T00:00:00Z"},"rollout":{"acme":25,"*":100},` + help("https://example.org/")), nil},
		{"schedule ends before it starts", defJSON(`"allowed_hosts":["example.org"],"schedule":{"start":"2027-03-01T00:00:00Z","end":"2026-12-01T00:00:00Z"},` + help("https://example.org/")),
			[]wantProblem{{Field: "schedule.end", Msg: "schedule: end 2026-12-01T00:00:00Z is not after start 2027-03-01T00:00:00Z"}}},
		{"rollout out of range and bad platform", defJSON(`"allowed_hosts":["example.org"],"rollout":{"acme":150,"Bad Platform":10},` + help("https://example.org/")),
			[]wantProblem{
				{Field: "rollout.Bad Platform", Msg: `rollout: "Bad Platform" is not a platform id`},
				{Field: "rollout.acme", Msg: "rollout: 150% for acme must be between 0 and 100"},
			}},
		{"freshness too long", defJSON(`"allowed_hosts":["example.org"],"freshness_days":4000,` + help("https://example.org/")),
			[]wantProblem{{Field: "freshness_days", Msg: "freshness_days is 4000: use 1 to 3650 days"}}},
		{"freshness negative", defJSON(`"allowed_hosts":["example.org"],"freshness_days":-1,` + help("https://example.org/")),
			[]wantProblem{{Field: "freshness_days", Msg: "freshness_days is -1"}}},
		{"existing checks have fields", `{"id":"Bad Id","name":"","default_locale":"english","allowed_hosts":["example.org"],
			"targeting":{"categories":["boats"],"kinds":["click"]},
			"experiment":{"coverage":1,"variants":[{"key":"a","weight":0.7},{"key":"a","weight":0.7}]},
			"actions":[{"id":"help","url":"https://example.org"},{"id":"help","url":"https://example.org"}]}`,
			[]wantProblem{
				{Field: "actions[1].id", Msg: `action id "help" is used twice`},
				{Field: "default_locale", Msg: `default_locale "english"`},
				{Field: "experiment", Msg: "experiment:"},
				{Field: "experiment.variants[1].key", Msg: `variant key "a" is used twice`},
				{Field: "id", Msg: `id "Bad Id" must be`},
				{Field: "name", Msg: "name is empty"},
				{Field: "targeting.categories[0]", Msg: `unknown category "boats"`},
				{Field: "targeting.kinds[0]", Msg: `unknown kind "click"`},
			}},
		{"syntax error", "{\"id\":\"t\",\n\"name\":\"T\"\n\"x\":1}",
			[]wantProblem{{Line: 3, Msg: "invalid JSON"}}},
		{"unknown field", "{\"id\":\"t\",\n  \"nmae\":\"T\"}",
			[]wantProblem{{Field: "nmae", Line: 2, Msg: `unknown field "nmae"`}}},
		{"unknown nested field", "{\"id\":\"t\",\n\"actions\":[\n{\"id\":\"help\",\n \"link\":\"x\"}]}",
			[]wantProblem{{Field: "link", Line: 4, Msg: `unknown field "link"`}}},
		{"wrong type", "{\"id\":\"t\",\n\"priority\":\"high\"}",
			[]wantProblem{{Field: "priority", Line: 2, Msg: "priority must be a number, not a JSON string"}}},
		{"trailing data", defJSON(`"allowed_hosts":["example.org"],`+help("https://example.org/")) + "\n{}",
			[]wantProblem{{Line: 4, Msg: "unexpected data after"}}},
		{"empty", "", []wantProblem{{Line: 1, Msg: "empty or cut short"}}},
		{"cut short", "{\"id\":\"t\",\n", []wantProblem{{Line: 2, Msg: "empty or cut short"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDefinition([]byte(tt.json))
			checkProblems(t, err, tt.want)
		})
	}
}

func TestCheckFreshness(t *testing.T) {
	now := time.Date(2026, 6, 30, 15, 0, 0, 0, time.UTC)
	action := func(kind, verified string) Action {
		return Action{ID: "call", URL: "https://example.org/", Kind: kind, VerifiedAt: verified}
	}
	tests := []struct {
		name      string
		freshness int
		actions   []Action
		want      []wantProblem
	}{
		{"fresh", 0, []Action{action(KindHelpline, "2026-06-01")}, nil},
		{"exactly 180 days", 0, []Action{action(KindHelpline, "2026-01-01")}, nil},
		{"181 days", 0, []Action{action(KindHelpline, "2025-12-31")},
			[]wantProblem{{Field: "actions[0].verified_at", Msg: `helpline action "call" was last verified on 2025-12-31, 181 days ago: check it again (helplines must be re-checked every 180 days)`}}},
		{"own window", 30, []Action{action(KindLink, "2020-01-01"), action(KindHelpline, "2026-05-01")},
			[]wantProblem{{Field: "actions[1].verified_at", Msg: "2026-05-01, 60 days ago: check it again (helplines must be re-checked every 30 days)"}}},
		{"never verified", 0, []Action{action(KindHelpline, "")},
			[]wantProblem{{Field: "actions[0].verified_at", Msg: `helpline action "call" has no verified_at date`}}},
		{"in the future", 0, []Action{action(KindHelpline, "2026-07-05")},
			[]wantProblem{{Field: "actions[0].verified_at", Msg: "2026-07-05 is in the future"}}},
		{"tomorrow is time-zone slack", 0, []Action{action(KindHelpline, "2026-07-01")}, nil},
		{"links are not checked", 0, []Action{action("", ""), action(KindLink, "2001-01-01")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &Definition{ID: "t", FreshnessDays: tt.freshness, Actions: tt.actions}
			checkProblems(t, d.CheckFreshness(now), tt.want)
		})
	}
}

func TestShippedDefinitionIsFresh(t *testing.T) {
	// The shipped campaign has no helplines yet; when one is added it must
	// carry a recent verified_at. CheckFreshness is time-dependent, so
	// this only checks that a definition without helplines always passes.
	d, err := ParseDefinition([]byte(defJSON(`"allowed_hosts":["example.org"],"actions":[{"id":"help","url":"https://example.org/"}]`)))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.CheckFreshness(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Errorf("CheckFreshness = %v", err)
	}
}

func TestValidationErrorList(t *testing.T) {
	ve := &ValidationError{Campaign: "c", Problems: []error{
		&ContentError{Locale: "fr", MessageID: "b", Line: 3, Msg: "z"},
		&ContentError{Locale: "ar", MessageID: "a", Line: 9, Msg: "y"},
		&DefinitionError{Field: "name", Msg: "name is empty"},
		&ContentError{Locale: "fr", MessageID: "a", Line: 3, Msg: "x"},
		&ContentError{Locale: "fr", MessageID: "a", Line: 1, Msg: "w"},
	}}
	var got []string
	for _, p := range ve.List() {
		got = append(got, p.Locale+"/"+p.MessageID+"/"+p.Field+"/"+p.Message)
	}
	want := "//name/name is empty ar/a//y fr/a//w fr/a//x fr/b//z"
	if strings.Join(got, " ") != want {
		t.Errorf("List() order = %v, want %v", got, want)
	}
}
