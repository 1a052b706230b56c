package match

import (
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
)

// exhaustive evaluates every rule on the base view of text, without the
// trigger filter, as a reference for the filtered matcher.
func (m *Matcher) exhaustive(q Query) []string {
	sc := newScratch(len(m.leaves), len(m.rules), m.nGroups, m.nNodes)
	sc.reset()
	v := &sc.views[0]
	v.normalize(q.Text)
	sc.resetView()
	hits := m.ac.scan(v.buf, nil)
	if m.acNeg != nil {
		hits = m.acNeg.scan(v.buf, hits)
	}
	for _, h := range hits {
		startByte := h.end - m.patLen[h.pat] + 1
		w := sort.Search(len(v.words), func(i int) bool { return v.words[i].start >= startByte })
		for _, ref := range m.patRefs[h.pat] {
			last := w + int(ref.words) - 1
			// As in addHits: a term's leet reading counts only for
			// text written in leetspeak (that is a rule of hits, not of
			// the trigger filter this test checks).
			if ref.leet && !leetWritten(q.Text, int(v.words[w].origS), int(v.words[last].origE)) {
				continue
			}
			sc.addLeafSpan(ref.leaf, span{int32(w), int32(last)})
		}
	}
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
// exactly what evaluating every rule finds.
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
	matched := 0
	for i := 0; i < 6000; i++ {
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
	if matched < 150 {
		t.Errorf("only %d of 6000 random texts matched; the test exercises too little", matched)
	}
}
