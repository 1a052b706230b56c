package match

// scratch holds the per-call buffers of a match. Matchers pool them so
// that steady-state matching does not allocate.
type scratch struct {
	// views are the renderings of the text that are matched: the base
	// view, then, only when the text calls for them, its one-letter runs
	// joined, the leet view, and the leet view's runs joined.
	views [4]view
	hits  []hit

	// Spans found per leaf, as linked lists in links; leafFirst[l] is the
	// head for leaf l or -1. touched lists the leaves to reset.
	leafFirst []int32
	links     []spanLink
	touched   []int32

	// candidates are the rules with at least one positive leaf hit;
	// isCand marks them.
	isCand     []bool
	candidates []int32

	arena      []span
	matched    []int32
	matchView  []int8 // view each matched rule matched in
	matchSpans [][]span
	isMatched  []bool
}

type spanLink struct {
	sp   span
	next int32
}

func newScratch(nLeaves, nRules int) *scratch {
	sc := &scratch{leafFirst: make([]int32, nLeaves), isCand: make([]bool, nRules), isMatched: make([]bool, nRules)}
	sc.views[2].leet, sc.views[3].leet = true, true
	for i := range sc.leafFirst {
		sc.leafFirst[i] = -1
	}
	return sc
}

func (sc *scratch) reset() {
	sc.resetView()
	for _, r := range sc.matched {
		sc.isMatched[r] = false
	}
	sc.arena = sc.arena[:0]
	sc.matched = sc.matched[:0]
	sc.matchView = sc.matchView[:0]
	clear(sc.matchSpans)
	sc.matchSpans = sc.matchSpans[:0]
}

// resetView clears what one view's evaluation leaves behind, keeping the
// matches found so far.
func (sc *scratch) resetView() {
	for _, l := range sc.touched {
		sc.leafFirst[l] = -1
	}
	for _, r := range sc.candidates {
		sc.isCand[r] = false
	}
	sc.touched = sc.touched[:0]
	sc.links = sc.links[:0]
	sc.candidates = sc.candidates[:0]
}

func (sc *scratch) addLeafSpan(leaf int32, sp span) {
	if sc.leafFirst[leaf] < 0 {
		sc.touched = append(sc.touched, leaf)
	}
	sc.links = append(sc.links, spanLink{sp: sp, next: sc.leafFirst[leaf]})
	sc.leafFirst[leaf] = int32(len(sc.links) - 1)
}

func (sc *scratch) markCandidate(ri int32) {
	if !sc.isCand[ri] {
		sc.isCand[ri] = true
		sc.candidates = append(sc.candidates, ri)
	}
}
