package rules_test

import (
	"slices"
	"testing"

	"signpost/match"
)

// TestMatchAgreesWithExplain checks, on every labelled row and every
// obfuscated variant of it, that Match reports the rules Explain does.
// Match skips views that cannot change its answer; Explain builds them
// all, so a wrong shortcut shows as a disagreement (one did: a typo in a
// veto's own exception). It skips under the race detector; .ci/run runs
// it in a second, non-race step.
func TestMatchAgreesWithExplain(t *testing.T) {
	if raceEnabled {
		t.Skip("too slow under the race detector; .ci/run runs it without")
	}
	m, _ := shipped(t)
	differ := 0
	check := func(text string, kind match.Kind) {
		q := match.Query{Text: text, Kind: kind}
		if got, want := m.Match(q).Rules, m.Explain(q).Rules; !slices.Equal(got, want) {
			differ++
			if differ <= 20 {
				t.Errorf("%q: Match %v, Explain %v", text, got, want)
			}
		}
	}
	for _, c := range readCases(t) {
		check(c.text, c.kind)
		for _, ev := range evasions {
			if s := ev.apply(c.text); s != c.text {
				check(s, c.kind)
			}
		}
	}
	if differ > 20 {
		t.Errorf("and %d more", differ-20)
	}
}
