package catalog

import (
	"slices"
	"testing"

	"signpost/match"
	"signpost/messages"
)

// TestPausedRulesDoNotFire: a paused rule is left out of the decision as
// if it had not matched, with the categories only it gave; other rules
// keep working.
func TestPausedRulesDoNotFire(t *testing.T) {
	base, err := New(testMatcher(t), []*messages.Campaign{
		testCampaign(t, "docs", 5, `{"categories":["documents"]}`),
		testCampaign(t, "general", 1, `{}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	cat := base.WithPaused([]string{"en.doc"})
	tests := []struct {
		name       string
		cat        *Catalog
		text       string
		rules      []string
		categories []string
		campaign   string
	}{
		{"unpaused: both rules", base, "fake passport on a boat to uk", []string{"en.boat", "en.doc"}, []string{"crossing", "documents"}, "docs"},
		{"paused rule alone: no match", cat, "fake passport", nil, nil, ""},
		{"paused rule with another: its category goes", cat, "fake passport on a boat to uk", []string{"en.boat"}, []string{"crossing"}, "general"},
		{"other rules keep working", cat, "boat to uk", []string{"en.boat"}, []string{"crossing"}, "general"},
		{"resumed", cat.WithPaused(nil), "fake passport", []string{"en.doc"}, []string{"documents"}, "docs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.cat.Decide(Event{Kind: match.KindSearch, KindName: "search", Text: tt.text})
			if !slices.Equal(d.Match.Rules, tt.rules) || !slices.Equal(d.Match.Categories, tt.categories) || d.Match.Matched != (tt.rules != nil) {
				t.Errorf("match %+v, want rules %v categories %v", d.Match, tt.rules, tt.categories)
			}
			got := ""
			if d.Campaign != nil {
				got = d.Campaign.Def.ID
			}
			if got != tt.campaign || (d.Card != nil) != (tt.campaign != "") {
				t.Errorf("campaign %q (card %v), want %q", got, d.Card != nil, tt.campaign)
			}
		})
	}
	if !cat.Paused("en.doc") || base.Paused("en.doc") {
		t.Error("WithPaused changed the catalog it copied, or did not pause")
	}
}
