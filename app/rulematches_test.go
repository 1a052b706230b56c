package app

import (
	"maps"
	"testing"

	"signpost/store"
)

// TestRuleMatchesTwoReaders: the event path counts each matched rule
// once, and each reader (rule activity, flood guard) gets every match
// exactly once through its own cursor, whenever it looks.
func TestRuleMatchesTwoReaders(t *testing.T) {
	var r ruleMatches
	take := func(c matchCursor) map[string][2]int64 {
		got := map[string][2]int64{}
		r.delta(c, func(rule string, search, view int64) { got[rule] = [2]int64{search, view} })
		return got
	}
	activity, flood := matchCursor{}, matchCursor{}

	r.add("search", []string{"en.a", "en.b"})
	r.add(store.ActivityView, []string{"en.a"})
	want := map[string][2]int64{"en.a": {1, 1}, "en.b": {1, 0}}
	if got := take(activity); !maps.Equal(got, want) {
		t.Fatalf("activity's first look: %v, want %v", got, want)
	}
	r.add("search", []string{"en.a"})
	if got, want := take(activity), map[string][2]int64{"en.a": {1, 0}}; !maps.Equal(got, want) {
		t.Errorf("activity's second look: %v, want only the new match %v", got, want)
	}
	if got, want := take(flood), map[string][2]int64{"en.a": {2, 1}, "en.b": {1, 0}}; !maps.Equal(got, want) {
		t.Errorf("the flood guard's first look: %v, want everything so far %v", got, want)
	}
	if got := take(flood); len(got) != 0 {
		t.Errorf("nothing new, yet the flood guard got %v", got)
	}
}
