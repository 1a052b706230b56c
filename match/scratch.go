package match

// scratch holds the per-call buffers of a match. Matchers pool them so
// that steady-state matching does not allocate.
type scratch struct {
	// views are the renderings of the text (see views.go): the canonical
	// view, and the leet, segmented, fuzzy and Arabizi views when the
	// text calls for them.
	views [numViews]view
	built [numViews]bool
	// hashtag is scratch space for re-reading hashtags unsqueezed, and
	// arabiziSeg for splitting the Arabizi view's (see Matcher.run).
	hashtag, arabiziSeg view
	// altLeet is the leet or Arabizi view with leetspeak's ambiguous
	// signs read the other way (see Matcher.readAmbiguous).
	altLeet view
	hits    []hit

	// Spans found per leaf, as linked lists in links; leafFirst[l] is the
	// head for leaf l or -1. touched lists the leaves to reset.
	leafFirst []int32
	// hitBits has bit l set when leaf l has a span: the same fact as
	// leafFirst[l] >= 0 in a sixteenth of the memory, so that checking
	// the hundreds of terms of an OR (a file's exclusions) stays in the
	// first-level cache.
	hitBits []uint64
	links   []spanLink
	touched []int32

	// groupState[g].gen == gen marks group g as hit in this view.
	// candidates are the rules with a trigger whose every group has a hit;
	// isCand marks them.
	groupState []groupState
	candidates []int32
	isCand     []bool

	arena      []span
	stack      []span // partial results of OR and AND nodes being evaluated
	matched    []int32
	matchView  []int8 // view each matched rule matched in
	matchSpans [][]span
	order      []int32 // matched, sorted, for results
	isMatched  []bool

	// mainLeaves are the leaves hit in the main view, kept when the fuzzy
	// view is evaluated: a rule may only match there if one of its groups
	// had an exact hit.
	mainLeaves []int32
	// covered marks the words of the view being corrected that some term
	// matched; they are never corrected.
	covered []uint8
	// fixes is the corrections the fuzzy view is built with (and so the
	// words it corrected); probe holds that view's positive hits while
	// they are checked.
	fixes []fix
	// fixBytes holds the words of fixes that join words of the text
	// (see joinPieces).
	fixBytes []byte
	probe    []hit
	// main is the view the rules read first (canonical, leet or
	// segmented), which the scorer reads too.
	main int8
	// feats and featFrom are the scorer's features and the words they
	// came from (see features); scoreCat is the index into the scorer's
	// categories of its match, or -1.
	feats    []uint32
	featFrom []int32
	scoreCat int8
	// vetoed says the scorer suppressed the rules' match (see
	// Matcher.score).
	vetoed bool
	// rejected says that a candidate rule of the view last evaluated did
	// not match (an exclusion's hit, or terms too far apart). The
	// corrected view may lift such a veto even with no correction towards
	// a positive term: a typo in the veto's own exception (the buyer asked
	// to send a photo) let the veto through.
	rejected bool

	// explain records suppressed rules too.
	explain    bool
	suppressed []suppression

	// vetoAlso is the view whose exclusion hits the Arabizi views add to
	// their own, or -1 (see Matcher.run).
	vetoAlso int8

	// memo caches node results for the view being evaluated; an entry is
	// valid when its gen equals gen, which each view increments.
	memo []memo
	gen  uint32
}

type suppression struct {
	rule   int32
	view   int8
	byFile bool
}

type groupState struct {
	gen uint32
}

type memo struct {
	gen    uint32
	lo, hi int32
}

type spanLink struct {
	sp   span
	next int32
}

func newScratch(nLeaves, nRules, nGroups, nNodes int, emoji map[string]bool, inflect *inflectionIndex) *scratch {
	sc := &scratch{leafFirst: make([]int32, nLeaves), hitBits: make([]uint64, (nLeaves+63)/64), groupState: make([]groupState, nGroups), isCand: make([]bool, nRules), isMatched: make([]bool, nRules), memo: make([]memo, nNodes)}
	sc.views[viewLeet].mode, sc.views[viewArabizi].mode, sc.arabiziSeg.mode = modeLeet, modeArabizi, modeArabizi
	for i := range sc.views {
		sc.views[i].emoji, sc.views[i].inflect = emoji, inflect
	}
	sc.hashtag.emoji, sc.arabiziSeg.emoji, sc.altLeet.emoji = emoji, emoji, emoji
	sc.arabiziSeg.inflect = inflect
	for i := range sc.leafFirst {
		sc.leafFirst[i] = -1
	}
	return sc
}

func (sc *scratch) reset() {
	sc.resetView()
	sc.clearMatches()
	sc.mainLeaves = sc.mainLeaves[:0]
	sc.suppressed = sc.suppressed[:0]
	sc.built = [numViews]bool{}
	sc.main, sc.scoreCat, sc.vetoed = viewCanonical, -1, false
}

// clearMatches forgets the matches found so far.
func (sc *scratch) clearMatches() {
	for _, r := range sc.matched {
		sc.isMatched[r] = false
	}
	sc.arena = sc.arena[:0]
	sc.matched = sc.matched[:0]
	sc.matchView = sc.matchView[:0]
	clear(sc.matchSpans)
	sc.matchSpans = sc.matchSpans[:0]
	sc.suppressed = sc.suppressed[:0]
}

// dropViewMatches forgets the matches found in view vi, keeping the
// others in order.
func (sc *scratch) dropViewMatches(vi int8) {
	k := 0
	for i, r := range sc.matched {
		if sc.matchView[i] == vi {
			sc.isMatched[r] = false
			continue
		}
		sc.matched[k], sc.matchView[k], sc.matchSpans[k] = r, sc.matchView[i], sc.matchSpans[i]
		k++
	}
	clear(sc.matchSpans[k:])
	sc.matched, sc.matchView, sc.matchSpans = sc.matched[:k], sc.matchView[:k], sc.matchSpans[:k]
}

// keepMainLeaves remembers the leaves hit in the main view before the
// fuzzy view is evaluated.
func (sc *scratch) keepMainLeaves() {
	sc.mainLeaves = append(sc.mainLeaves[:0], sc.touched...)
}

// hasHit reports whether leaf l has a span in the view being evaluated.
func (sc *scratch) hasHit(l int32) bool { return sc.hitBits[l>>6]&(1<<(l&63)) != 0 }

// addLeafSpan records a span for leaf.
func (sc *scratch) addLeafSpan(leaf int32, sp span) {
	if sc.leafFirst[leaf] < 0 {
		sc.touched = append(sc.touched, leaf)
		sc.hitBits[leaf>>6] |= 1 << (leaf & 63)
	}
	sc.links = append(sc.links, spanLink{sp: sp, next: sc.leafFirst[leaf]})
	sc.leafFirst[leaf] = int32(len(sc.links) - 1)
}

// resetView clears what one view's evaluation leaves behind, keeping the
// matches found so far.
func (sc *scratch) resetView() {
	sc.gen++
	if sc.gen == 0 {
		// The generation wrapped (after ~4 billion views on one pooled
		// scratch): stamps from the last cycle would read as current.
		clear(sc.memo)
		clear(sc.groupState)
		sc.gen = 1
	}
	for _, l := range sc.touched {
		sc.leafFirst[l] = -1
		sc.hitBits[l>>6] = 0
	}
	for _, r := range sc.candidates {
		sc.isCand[r] = false
	}
	sc.touched = sc.touched[:0]
	sc.links = sc.links[:0]
	sc.candidates = sc.candidates[:0]
	sc.rejected = false
}
