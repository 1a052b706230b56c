package match

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// exhaustive evaluates every rule on the base view of text, without the
// trigger filter, as a reference for the filtered matcher.
func (m *Matcher) exhaustive(q Query) []string {
	sc := newScratch(len(m.leaves), len(m.rules), m.nGroups, m.nNodes, m.emoji, m.fuzzy.inflect)
	sc.reset()
	v := &sc.views[0]
	v.normalize(q.Text)
	sc.resetView()
	// Hits are recorded as the matcher records them (addHits), positive
	// and veto-only terms alike: what this test checks is the trigger
	// filter, not the rules of hits.
	sc.hits = m.ac.scan(v.buf, sc.hits[:0])
	if m.acNeg != nil {
		sc.hits = m.acNeg.scan(v.buf, sc.hits)
	}
	m.addHits(sc, v, q.Text)
	var out []string
	for ri := range m.rules {
		r := &m.rules[ri]
		if r.Kinds&q.Kind == 0 || (r.langs != nil && !slices.Contains(r.langs, q.Lang)) {
			continue
		}
		if lo, hi := m.eval(r.root, sc); lo == hi {
			continue
		}
		if ex := m.excludes[r.file]; ex != nil {
			if lo, hi := m.eval(ex, sc); lo != hi {
				continue
			}
		}
		out = append(out, r.ID)
	}
	return out
}

// TestTriggersNeverMiss checks the candidate filter on random texts built
// from the shipped rules' own terms: the filtered matcher must find
// exactly what evaluating every rule finds. It draws texts until 150 of
// them matched some rule (about one in forty does), so that rule edits,
// which change the texts drawn, do not leave it exercising too little.
func TestTriggersNeverMiss(t *testing.T) {
	m, files := shippedMatcher(t)
	var terms []string
	for _, f := range files {
		for _, r := range f.Rules {
			for _, t := range r.Expr.Terms() {
				terms = append(terms, t.Term)
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	filler := []string{"the", "a", "de", "و", "to", "x"}
	const want, most = 150, 20000
	matched, drawn := 0, 0
	for ; matched < want && drawn < most; drawn++ {
		var words []string
		for j := 0; j < 2+rng.IntN(6); j++ {
			if rng.IntN(3) == 0 {
				words = append(words, filler[rng.IntN(len(filler))])
			} else {
				words = append(words, terms[rng.IntN(len(terms))])
			}
		}
		q := Query{Text: strings.Join(words, " "), Kind: KindSearch}
		want := m.exhaustive(q)
		sc := m.pool.Get().(*scratch)
		sc.reset()
		sc.views[0].normalize(q.Text)
		m.evalView(q, sc, 0, false)
		got := m.result(sc).Rules
		m.pool.Put(sc)
		if !slices.Equal(got, want) {
			t.Fatalf("%q: filtered %v, exhaustive %v", q.Text, got, want)
		}
		if len(want) > 0 {
			matched++
		}
	}
	if matched < want {
		t.Errorf("only %d of %d random texts matched; the test exercises too little", matched, drawn)
	}
}
