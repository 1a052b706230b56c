package app

import (
	"sync"
	"sync/atomic"

	"signpost/store"
)

// ruleMatches counts every matched rule once on the hot path, for the two
// readers that need per-rule match counts: the rule-activity counter
// (flushed to the store for editors) and the flood guard (spike
// detection). The totals only grow; each reader keeps its own cursor
// (delta) and takes what is new since its last look, so neither has to
// count on the event path a second time.
type ruleMatches struct {
	m sync.Map // rule id -> *ruleTally
}

// ruleTally is one rule's matches since the process started.
type ruleTally struct{ search, view atomic.Int64 }

// add counts one event's matched rules: a sync.Map load and an atomic
// add per rule, no lock, and no allocation for a rule seen before. The
// ids are the matcher's own strings, not the request's, so they may be
// kept.
func (r *ruleMatches) add(kind string, rules []string) {
	for _, id := range rules {
		v, ok := r.m.Load(id)
		if !ok {
			v, _ = r.m.LoadOrStore(id, new(ruleTally))
		}
		t := v.(*ruleTally)
		if kind == store.ActivityView {
			t.view.Add(1)
		} else {
			t.search.Add(1)
		}
	}
}

// matchCursor is one reader's position in the totals: what it has taken
// per rule. It belongs to that reader alone (not safe for concurrent
// use).
type matchCursor map[string][2]int64

// delta calls fn with each rule's searches and views counted since the
// cursor's last call, for the rules that have new ones, and advances the
// cursor.
func (r *ruleMatches) delta(seen matchCursor, fn func(rule string, search, view int64)) {
	r.m.Range(func(k, v any) bool {
		rule, t := k.(string), v.(*ruleTally)
		now := [2]int64{t.search.Load(), t.view.Load()}
		was := seen[rule]
		if now != was {
			seen[rule] = now
			fn(rule, now[0]-was[0], now[1]-was[1])
		}
		return true
	})
}
