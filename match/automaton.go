package match

// automaton is an Aho-Corasick automaton over the bytes of normalised
// text, compiled to a dense DFA so that a scan is one table lookup per byte
// whatever the number of patterns. Bytes that occur in no pattern share one
// class, which keeps the table small (a few hundred classes at most).
//
// All matches are reported, overlapping ones included: "small boat" and
// "boat" both match in "small boat".
type automaton struct {
	class    [256]uint16
	nClasses int
	delta    []int32 // delta[state*nClasses+class] = next state
	outStart []int32 // outputs of state s are outs[outStart[s]:outStart[s+1]]
	outs     []int32 // pattern indices
	patLen   []int32
}

// hit is one pattern occurrence: the pattern and the end offset (exclusive)
// in the scanned bytes.
type hit struct {
	pat int32
	end int32
}

func buildAutomaton(patterns []string) *automaton {
	a := &automaton{patLen: make([]int32, len(patterns))}
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

	// Trie.
	type node struct {
		next map[uint16]int32
		out  []int32
	}
	nodes := []node{{next: map[uint16]int32{}}}
	for pi, p := range patterns {
		a.patLen[pi] = int32(len(p))
		s := int32(0)
		for i := 0; i < len(p); i++ {
			c := a.class[p[i]]
			nx, ok := nodes[s].next[c]
			if !ok {
				nx = int32(len(nodes))
				nodes = append(nodes, node{next: map[uint16]int32{}})
				nodes[s].next[c] = nx
			}
			s = nx
		}
		nodes[s].out = append(nodes[s].out, int32(pi))
	}

	// Breadth-first: fail links, dense transitions and merged outputs. A
	// state's fail state is shallower, so it is complete when reached.
	n := len(nodes)
	nc := a.nClasses
	a.delta = make([]int32, n*nc)
	fail := make([]int32, n)
	order := make([]int32, 0, n)
	for c, child := range nodes[0].next {
		a.delta[int(c)] = child
		order = append(order, child)
	}
	for qi := 0; qi < len(order); qi++ {
		s := order[qi]
		f := fail[s]
		nodes[s].out = append(nodes[s].out, nodes[f].out...)
		copy(a.delta[int(s)*nc:int(s+1)*nc], a.delta[int(f)*nc:int(f+1)*nc])
		for c, child := range nodes[s].next {
			fail[child] = a.delta[int(f)*nc+int(c)]
			a.delta[int(s)*nc+int(c)] = child
			order = append(order, child)
		}
	}
	a.outStart = make([]int32, n+1)
	for s := range nodes {
		a.outStart[s] = int32(len(a.outs))
		a.outs = append(a.outs, nodes[s].out...)
	}
	a.outStart[n] = int32(len(a.outs))
	return a
}

// scan appends every pattern occurrence in text to hits.
func (a *automaton) scan(text []byte, hits []hit) []hit {
	s := int32(0)
	nc := int32(a.nClasses)
	for i, b := range text {
		s = a.delta[s*nc+int32(a.class[b])]
		if o, e := a.outStart[s], a.outStart[s+1]; o != e {
			for _, p := range a.outs[o:e] {
				hits = append(hits, hit{pat: p, end: int32(i + 1)})
			}
		}
	}
	return hits
}

// size reports the automaton's table size in bytes, for metrics and tests.
func (a *automaton) size() int {
	return len(a.delta)*4 + len(a.outStart)*4 + len(a.outs)*4
}
