package catalog

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"signpost/match"
	"signpost/messages"
)

func testMatcher(t *testing.T) *match.Matcher {
	t.Helper()
	f, err := match.ParseRuleFile("t.rules", []byte("lang: en\nrule: boat\ncategory: crossing\nmatch: boat NEAR/3 uk\nrule: doc\ncategory: documents\nmatch: fake AND passport\n"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := match.Compile([]*match.RuleFile{f})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func testCampaign(t *testing.T, id string, priority int, targeting string) *messages.Campaign {
	t.Helper()
	def, err := messages.ParseDefinition([]byte(`{"id":"` + id + `","name":"T","default_locale":"en","priority":` + string(rune('0'+priority)) + `,
		"targeting":` + targeting + `,
		"experiment":{"coverage":1,"variants":[{"key":"a","weight":0.5},{"key":"b","weight":0.5}]},
		"allowed_hosts":["example.org"],"actions":[{"id":"help","url":"https://example.org/"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	msgs := ""
	for _, v := range []string{"a", "b"} {
		for _, id := range def.MessageIDs(v) {
			msgs += `"` + id + `" = "` + id + `"` + "\n"
		}
	}
	c, err := messages.Compile(def, 3, map[string]messages.LocaleFile{"en": {Format: "toml", Data: []byte(msgs)}, "fr": {Format: "toml", Data: []byte(msgs)}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDecide(t *testing.T) {
	cat, err := New(testMatcher(t), []*messages.Campaign{
		testCampaign(t, "docs", 5, `{"categories":["documents"]}`),
		testCampaign(t, "general", 1, `{}`),
		testCampaign(t, "acme-only", 9, `{"platforms":["acme"],"kinds":["view"],"countries":["FR"]}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		ev       Event
		campaign string
		locale   string
	}{
		{"no match", Event{Kind: match.KindSearch, KindName: "search", Text: "ferry"}, "", ""},
		{"priority and category", Event{Kind: match.KindSearch, KindName: "search", Text: "fake passport", Locale: "fr"}, "docs", "fr"},
		{"category not targeted falls through", Event{Kind: match.KindSearch, KindName: "search", Text: "boat to uk"}, "general", "en"},
		{"platform kind country all fit", Event{Kind: match.KindView, KindName: "view", Text: "boat to uk", Platform: "acme", Country: "FR"}, "acme-only", "en"},
		{"wrong country", Event{Kind: match.KindView, KindName: "view", Text: "boat to uk", Platform: "acme", Country: "GB"}, "general", "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := cat.Decide(tt.ev)
			got := ""
			if d.Campaign != nil {
				got = d.Campaign.Def.ID
			}
			if got != tt.campaign || d.Locale != tt.locale {
				t.Errorf("campaign %q locale %q, want %q %q", got, d.Locale, tt.campaign, tt.locale)
			}
			if (d.Card != nil) != (tt.campaign != "") {
				t.Errorf("card = %v", d.Card)
			}
		})
	}
	if d := cat.Decide(Event{Kind: match.KindSearch, KindName: "search", Text: "boat uk"}); d.InExperiment || d.Variant != 0 {
		t.Errorf("no subject: variant %d in experiment %v; want first variant, not counted", d.Variant, d.InExperiment)
	}
	if d := cat.Decide(Event{Kind: match.KindSearch, KindName: "search", Text: "boat uk", Subject: "s1"}); !d.InExperiment {
		t.Error("a subject at full coverage is not in the experiment")
	}
	ids := []string{}
	for _, c := range cat.Campaigns {
		ids = append(ids, c.Def.ID)
	}
	if !slices.Equal(ids, []string{"acme-only", "docs", "general"}) {
		t.Errorf("campaign order = %v", ids)
	}
	if _, err := New(testMatcher(t), []*messages.Campaign{testCampaign(t, "x", 1, `{}`), testCampaign(t, "x", 1, `{}`)}); err == nil {
		t.Error("duplicate campaign ids accepted")
	}
}

// TestScheduleAndRollout: a campaign answers only inside its schedule, and
// on each platform only for its rollout share of subjects; the others fall
// through to the next campaign.
func TestScheduleAndRollout(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	cat, err := New(testMatcher(t), []*messages.Campaign{
		testCampaign(t, "winter", 8, `{},"schedule":{"start":"2026-12-01T00:00:00Z","end":"2027-03-01T00:00:00Z"}`),
		testCampaign(t, "spring", 7, `{},"schedule":{"start":"2027-03-01T00:00:00Z"}`),
		testCampaign(t, "ramp", 6, `{},"rollout":{"acme":20,"blocked":0,"*":100}`),
		testCampaign(t, "general", 1, `{}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	decide := func(at time.Time, platform, subject string) string {
		d := cat.Decide(Event{Kind: match.KindSearch, KindName: "search", Text: "boat uk", Platform: platform, Subject: subject, Time: at})
		if d.Campaign == nil {
			return ""
		}
		return d.Campaign.Def.ID
	}
	for _, tt := range []struct {
		name string
		at   time.Time
		want string
	}{
		{"inside winter", now, "winter"},
		{"before winter", now.Add(-24 * time.Hour), "ramp"},
		{"winter's end is spring's start", time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), "spring"},
	} {
		if got := decide(tt.at, "other", "s"); got != tt.want {
			t.Errorf("%s: campaign %q, want %q", tt.name, got, tt.want)
		}
	}
	before := now.Add(-24 * time.Hour) // winter not started: ramp is next in line
	if got := decide(before, "blocked", "s"); got != "general" {
		t.Errorf("0%% rollout: campaign %q, want general", got)
	}
	if got := decide(before, "acme", ""); got != "general" {
		t.Errorf("partial rollout without a subject: campaign %q, want general", got)
	}
	in := 0
	for i := range 2000 {
		if decide(before, "acme", fmt.Sprint("subject-", i)) == "ramp" {
			in++
		}
	}
	if in < 330 || in > 470 {
		t.Errorf("20%% rollout served %d of 2000 subjects", in)
	}
	// A subject keeps its answer: rollout is by hash, not by chance.
	first := map[string]string{}
	for round := range 2 {
		for i := range 50 {
			s := fmt.Sprint("subject-", i)
			got := decide(before, "acme", s)
			if round == 0 {
				first[s] = got
			} else if got != first[s] {
				t.Fatalf("subject %s flips from %q to %q", s, first[s], got)
			}
		}
	}
}
