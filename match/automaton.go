package match

import (
	"bytes"
	"slices"
	"strings"
)

// automaton is an Aho-Corasick automaton over the bytes of normalised
// text. All matches are reported, overlapping ones included: "small boat"
// and "boat" both match in "small boat".
//
// Its layout is chosen for speed where texts spend their time and for
// size everywhere else. States near the root (every word start passes
// through them) have dense rows: one table lookup per byte, whatever the
// number of patterns. Deeper states, which a text reaches only while it
// follows a term, keep just their trie edges and a failure link, so tens
// of thousands of rules cost megabytes, not the hundreds a full DFA would
// take. Bytes that occur in no pattern share one class.
type automaton struct {
	class    [256]uint16
	nClasses int

	// States are numbered breadth first, so the nDense shallowest ones
	// have dense rows: dense[s*nClasses+class] = next state.
	//
	// Once built, transitions (in dense and edgeNext) hold an encoded
	// state rather than its number: a dense state as the offset of its
	// row (s*nClasses), a sparse one as denseLimit+(s-nDense). The scan
	// then indexes the next row without a multiplication on its critical
	// path, which is a chain of dependent loads, one per byte.
	nDense     int32
	denseLimit int32 // nDense*nClasses: encodings below it are dense rows
	dense      []int32
	// Sparse states: edges edgeStart[s]..edgeStart[s+1] (classes in
	// edgeClass, targets in edgeNext) and the failure link.
	edgeStart []int32
	edgeClass []uint16
	edgeNext  []int32
	fail      []int32

	outStart []int32 // outputs of state s are outs[outStart[s]:outStart[s+1]]
	outs     []int32 // pattern ids
}

// denseDepth is the depth up to which states get dense rows: the space
// that starts every pattern plus seven bytes, the prefixes most words of
// a text share with some term (measured best among 3, 5, 8 and 12).
const denseDepth = 8

// hit is one pattern occurrence: the pattern and the end offset (exclusive)
// in the scanned bytes.
type hit struct {
	pat int32
	end int32
}

// buildAutomaton builds the automaton of patterns, reporting patterns[i]
// as ids[i].
func buildAutomaton(patterns []string, ids []int32) *automaton {
	a := &automaton{}
	// Byte classes: 0 for bytes in no pattern.
	for _, p := range patterns {
		for i := 0; i < len(p); i++ {
			if a.class[p[i]] == 0 {
				a.nClasses++
				a.class[p[i]] = uint16(a.nClasses)
			}
		}
	}
	a.nClasses++
	nc := a.nClasses

	// Trie, built from the patterns in sorted order: a pattern shares
	// with the one before it the path of their common prefix, so each
	// new byte is a new state and no lookup is needed (a map of edges
	// was a third of compiling the shipped rules).
	type edge struct {
		from int32
		c    uint16
		to   int32
	}
	type owned struct{ state, id int32 }
	sorted := make([]int32, len(patterns))
	for i := range sorted {
		sorted[i] = int32(i)
	}
	// Patterns are distinct, so an unstable sort orders them the same.
	slices.SortFunc(sorted, func(x, y int32) int { return strings.Compare(patterns[x], patterns[y]) })
	// Each byte of a pattern adds at most one edge: sized once, the
	// slice does not grow through a dozen copies of a few megabytes.
	total := 0
	for _, p := range patterns {
		total += len(p)
	}
	edges := make([]edge, 0, total)
	own := make([]owned, 0, len(patterns))
	nStates := int32(1)
	path := []int32{0} // path[d]: the state after d bytes of the previous pattern
	prev := ""
	for _, pi := range sorted {
		p := patterns[pi]
		l := 0
		for l < len(p) && l < len(prev) && p[l] == prev[l] {
			l++
		}
		path = path[:l+1]
		s := path[l]
		for i := l; i < len(p); i++ {
			edges = append(edges, edge{s, a.class[p[i]], nStates})
			s = nStates
			nStates++
			path = append(path, s)
		}
		own = append(own, owned{s, ids[pi]})
		prev = p
	}
	// Group the edges by their source state, each state's by class: a
	// count per state places them (a sort of the few million edges was a
	// sixth of building the automaton), and a state's edges, few but for
	// the shallowest states', are then put in class order in place.
	a.edgeStart = make([]int32, nStates+1)
	for _, e := range edges {
		a.edgeStart[e.from+1]++
	}
	for s := int32(1); s <= nStates; s++ {
		a.edgeStart[s] += a.edgeStart[s-1]
	}
	a.edgeClass = make([]uint16, len(edges))
	a.edgeNext = make([]int32, len(edges))
	fill := slices.Clone(a.edgeStart[:nStates])
	for _, e := range edges {
		i := fill[e.from]
		fill[e.from]++
		// Insert in class order among the state's edges so far.
		for ; i > a.edgeStart[e.from] && a.edgeClass[i-1] > e.c; i-- {
			a.edgeClass[i], a.edgeNext[i] = a.edgeClass[i-1], a.edgeNext[i-1]
		}
		a.edgeClass[i], a.edgeNext[i] = e.c, e.to
	}
	edges = nil

	// Breadth first: renumber states so that shallower states have lower
	// numbers (dense states are then a prefix), then compute failure links,
	// dense rows and merged outputs. A state's failure state is
	// shallower, so it is complete when reached.
	order := make([]int32, 0, nStates)
	order = append(order, 0)
	depth := make([]uint8, nStates)
	for qi := 0; qi < len(order); qi++ {
		s := order[qi]
		for e := a.edgeStart[s]; e < a.edgeStart[s+1]; e++ {
			child := a.edgeNext[e]
			depth[child] = min(depth[s]+1, 255)
			order = append(order, child)
		}
	}
	renum := make([]int32, nStates)
	for newID, old := range order {
		renum[old] = int32(newID)
		if depth[old] < denseDepth {
			a.nDense = int32(newID) + 1
		}
	}
	// Rebuild the edge arrays under the new numbering.
	es, ec, en := make([]int32, nStates+1), make([]uint16, len(a.edgeClass)), make([]int32, len(a.edgeNext))
	k := int32(0)
	for newID, old := range order {
		es[newID] = k
		for e := a.edgeStart[old]; e < a.edgeStart[old+1]; e++ {
			ec[k], en[k] = a.edgeClass[e], renum[a.edgeNext[e]]
			k++
		}
	}
	es[nStates] = k
	a.edgeStart, a.edgeClass, a.edgeNext = es, ec, en
	// Each state's own pattern under the new numbering, or -1: patterns
	// are distinct, so a state ends at most one. (A slice per state, as
	// before, was millions of mostly empty slices for the garbage
	// collector to scan while the automaton is built.)
	ownID := make([]int32, nStates)
	for i := range ownID {
		ownID[i] = -1
	}
	for _, o := range own {
		ownID[renum[o.state]] = o.id
	}
	own = nil

	a.fail = make([]int32, nStates)
	a.dense = make([]int32, int(a.nDense)*nc)
	// A state's outputs are its own patterns and its failure state's
	// outputs. States are visited breadth first, so the failure state,
	// shallower, has its outputs written already, in one piece of outs.
	a.outStart = make([]int32, nStates+1)
	for s := int32(0); s < nStates; s++ { // breadth-first order
		a.outStart[s] = int32(len(a.outs))
		if s != 0 {
			if id := ownID[s]; id >= 0 {
				a.outs = append(a.outs, id)
			}
			f := a.fail[s]
			a.outs = append(a.outs, a.outs[a.outStart[f]:a.outStart[f+1]]...)
		}
		if s < a.nDense {
			r := a.dense[int(s)*nc : int(s+1)*nc]
			if s != 0 {
				copy(r, a.dense[int(a.fail[s])*nc:int(a.fail[s]+1)*nc])
			}
			for e := a.edgeStart[s]; e < a.edgeStart[s+1]; e++ {
				r[a.edgeClass[e]] = a.edgeNext[e]
			}
		}
		for e := a.edgeStart[s]; e < a.edgeStart[s+1]; e++ {
			if s != 0 {
				a.fail[a.edgeNext[e]] = a.step(a.fail[s], int32(a.edgeClass[e]))
			}
		}
	}
	a.outStart[nStates] = int32(len(a.outs))
	// Mark transitions into states with outputs, so the scan knows from
	// the transition itself, without a lookup in outStart per byte.
	mark := func(t []int32) {
		for i, x := range t {
			if a.outStart[x] != a.outStart[x+1] {
				t[i] = x | outFlag
			}
		}
	}
	mark(a.dense)
	mark(a.edgeNext)
	a.denseLimit = a.nDense * int32(nc)
	for _, t := range [][]int32{a.dense, a.edgeNext} {
		for i, x := range t {
			t[i] = a.encode(x&stateMask) | x&outFlag
		}
	}
	return a
}

// encode returns the encoding of state s in transitions.
func (a *automaton) encode(s int32) int32 {
	if s < a.nDense {
		return s * int32(a.nClasses)
	}
	return a.denseLimit + s - a.nDense
}

// decode returns the state an encoded transition (without outFlag) leads
// to.
func (a *automaton) decode(r int32) int32 {
	if r < a.denseLimit {
		return r / int32(a.nClasses)
	}
	return r - a.denseLimit + a.nDense
}

// outFlag is set on a transition whose target state has outputs.
const outFlag = -1 << 31

// stateMask strips outFlag from a transition.
const stateMask = 1<<31 - 1

// step returns the transition (the next state, with outFlag if it has
// outputs) after reading class c in state s: the state's number while
// the automaton is being built, its encoding afterwards.
func (a *automaton) step(s, c int32) int32 {
	nc := int32(a.nClasses)
	for {
		if s < a.nDense {
			return a.dense[s*nc+c]
		}
		for e, end := a.edgeStart[s], a.edgeStart[s+1]; e < end; e++ {
			if int32(a.edgeClass[e]) == c {
				return a.edgeNext[e]
			}
		}
		s = a.fail[s]
	}
}

// scan appends every pattern occurrence in text to hits.
//
// Every pattern starts with the space before a word, and every failure
// link leads to the root or to a state that began at a space, so at the
// root nothing can happen before the next space: the scan jumps there
// with bytes.IndexByte, which is vectorised. Words that share no prefix
// with a term are skipped almost for free.
func (a *automaton) scan(text []byte, hits []hit) []hit {
	r := int32(0) // the current state, encoded
	limit, dense := a.denseLimit, a.dense
	for i := 0; i < len(text); i++ {
		if r == 0 {
			j := bytes.IndexByte(text[i:], ' ')
			if j < 0 {
				break
			}
			i += j
		}
		var t int32
		if c := int32(a.class[text[i]]); r < limit {
			t = dense[r+c]
		} else {
			t = a.step(r-limit+a.nDense, c)
		}
		r = t & stateMask
		if t < 0 {
			s := a.decode(r)
			for _, p := range a.outs[a.outStart[s]:a.outStart[s+1]] {
				hits = append(hits, hit{pat: p, end: int32(i + 1)})
			}
		}
	}
	return hits
}
