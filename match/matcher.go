package match

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/bits"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
)

// Matcher decides which rules a text matches. It is immutable once
// compiled and safe for concurrent use; per-call buffers come from a pool,
// so a text that matches nothing costs no allocation.
type Matcher struct {
	// ac finds the terms that can make a rule match; acNeg (nil when
	// there are none) those that can only veto one.
	ac, acNeg *automaton
	patLen    []int32     // pattern index -> length in bytes
	patRefs   [][]leafRef // pattern index -> leaves it completes
	leaves    []leafInfo
	// leafLangs[l] has a bit (see langBit) for each language whose rules
	// use leaf l: the languages of the terms a text matched.
	leafLangs []uint32
	rules     []compiledRule
	triggers  []trigger
	nGroups   int
	excludes  []*node // per rule file; nil when the file has none
	nNodes    int
	version   string
	// vocab holds every word of every term, for splitting glued words;
	// vetoVocab those of terms that can only veto a rule, which typo
	// correction leaves alone; fuzzy finds vocabulary words near
	// misspelt ones.
	vocab, vetoVocab *hashIndex
	fuzzy            *fuzzyIndex
	// emoji holds the emoji and flags that are words of terms (🚤, 🇬🇧):
	// the only ones views keep as words. The others are decoration
	// (🔥 👉 ✅), which would otherwise stand between a term's words and
	// stretch their distance.
	emoji map[string]bool
	// scorer, when not nil, decides the texts no rule matched and
	// vetoes the rules' match on texts it reads as plainly benign.
	scorer *Scorer
	pool   sync.Pool
}

type leafRef struct {
	leaf  int32
	words int16 // number of words the pattern spans
	// leet marks a term's leet reading (7arga read targa): it counts
	// only for text written with digits or leet symbols, or the Italian
	// targa (a licence plate) would be the Arabizi 7arga.
	leet bool
}

type leafInfo struct {
	// groups are the requirement groups this leaf belongs to, sorted.
	groups []int32
	// anchors are the triggers whose anchor group holds this leaf: the
	// ones looked at when the leaf has a hit.
	anchors []int32
	// positive reports whether the leaf can make a rule match (it is not
	// only under the right side of a NOT or in an exclusion).
	positive bool
}

// A trigger is one way a rule can become true: a set of requirement
// groups, each needing a hit on one of its leaves. A rule is evaluated
// only when one of its triggers has all its groups hit, so a text that
// mentions "london" alone skips every rule that also needs a vehicle, a
// smuggler or a price.
//
// Groups are shared: the destinations of a language are one group for
// every rule that uses them. Each trigger is filed under one anchor, the
// group of its own least likely to be hit (see compiler.anchor), and is
// looked at only when its anchor is hit. A common word such as "uk", in
// groups used by hundreds of triggers but anchoring none of them, costs
// nothing unless another word of the text anchors a trigger.
type trigger struct {
	rule   int32
	n      uint8
	groups [maxGroups]int32
}

type compiledRule struct {
	Rule
	root     *node
	catIndex uint8 // index of Category in Categories
	// arabizi marks rules written for Arabizi (lang ar-latn): the only
	// ones evaluated in the Arabizi view, whose reading of digits would
	// garble other languages' terms and exclusions.
	arabizi bool
	file    int32
	// langs is the rule's language restriction; nil means any.
	langs []string
}

// node is a compiled expression: leaves refer to leaf ids. Identical
// subexpressions (a set used by many rules, or the same synonym list
// written twice) compile to one node, evaluated once per view.
type node struct {
	op   Op
	id   int32
	leaf int32
	dist int32
	kids []*node
	// kidLeaf[i] is kids[i].leaf for a term, -1 otherwise: evaluating an
	// OR of hundreds of terms (a file's exclusions) checks which have
	// hits from this one array, without loading every kid node.
	kidLeaf []int32
}

// span is a run of words [s, e] (inclusive) of the base view.
type span struct{ s, e int32 }

// arabicProclitics are the attached conjunctions, prepositions and article
// that Arabic writes as part of the following word.
var arabicProclitics = []string{"و", "ف", "ب", "ل", "ك", "ال", "وال", "فال", "بال", "كال", "لل", "ول", "وب", "فب", "فل", "ولل", "فلل", "وبال", "فبال", "وك", "وكال"}

// nodeMemo holds a value per node id, for the compiler's memoised walks.
// Node ids are dense from 0, so a slice does what a map would, faster:
// these walks run for every rule, serially.
type nodeMemo[T any] struct {
	vals []T
	done []bool
}

func (m *nodeMemo[T]) get(id int32) (T, bool) {
	if int(id) < len(m.done) && m.done[id] {
		return m.vals[id], true
	}
	var zero T
	return zero, false
}

func (m *nodeMemo[T]) put(id int32, v T) {
	if n := int(id) + 1; n > len(m.done) {
		m.vals = slices.Grow(m.vals, n-len(m.vals))[:n]
		m.done = slices.Grow(m.done, n-len(m.done))[:n]
	}
	m.vals[id], m.done[id] = v, true
}

// compiler turns rule expressions into nodes and automaton patterns,
// sharing leaves between rules that use the same term.
type compiler struct {
	nodes map[string]*node // by structure, to share identical subexpressions
	// Memoised per node id: see alternatives.
	altMemo  nodeMemo[[][][]int32]
	conjMemo nodeMemo[[][]int32]
	leafMemo nodeMemo[[]int32]
	byExpr   map[exprKey]*node
	// leafWords are each leaf's words as written (canonical view, no
	// proclitics), the words typos are corrected towards; positive marks
	// leaves that can make a rule match (not only under the right side of
	// a NOT).
	leafWords   [][]string
	positive    []bool
	groupIDs    map[string]int32
	groupLeaves [][]int32
	patIndex    map[string]int32
	patterns    []string
	patRefs     [][]leafRef
	leafKey     map[string]int32
	leaves      []leafInfo
	leafLangs   []uint32
	langBits    map[string]uint32
	// leafStem is each prefix leaf's stem ("" for others), which typos
	// are corrected towards too.
	leafStem []string
	// patFirst holds, per pattern, a bit for each kind its first word
	// was added as (1<<firstBase: a term's word as written;
	// 1<<firstProclitic: with an Arabic proclitic attached), for the
	// vocabulary's vocabProclitic flag.
	patFirst []uint8
	// prepared holds the terms compiled ahead (see prepare).
	prepared preparedTerms
	// keyBuf is scratch space for node and group keys.
	keyBuf []byte
}

// Compile builds a Matcher from parsed rule files.
func Compile(files []*RuleFile) (*Matcher, error) {
	return compile(files, rulesVersion(files))
}

// CompileScored is Compile with a scorer (nil: none) for the texts no
// rule matches, and to veto the rules on plainly benign ones. The rules
// version covers the scorer too.
func CompileScored(files []*RuleFile, s *Scorer) (*Matcher, error) {
	return compileScored(files, scoredVersion(files, s), s)
}

// compileScored is CompileScored with the version already computed.
func compileScored(files []*RuleFile, version string, s *Scorer) (*Matcher, error) {
	m, err := compile(files, version)
	if err != nil {
		return nil, err
	}
	m.scorer = s
	return m, nil
}

// scoredVersion is the rules version of files matched with s.
func scoredVersion(files []*RuleFile, s *Scorer) string {
	v := rulesVersion(files)
	if s == nil {
		return v
	}
	h := sha256.Sum256([]byte(v + "\x00" + s.version))
	return hex.EncodeToString(h[:])[:12]
}

// compile is Compile with the files' rules version already computed.
func compile(files []*RuleFile, version string) (*Matcher, error) {
	// The maps are sized from the rule count, at the shipped rules'
	// ratios (about 45 nodes a rule; the leaves' and patterns' maps are
	// sized from the prepared terms, see prepare): growing them one
	// doubling at a time was a sixth of compiling, which is what
	// `signpost match` waits for before its first line.
	n := 0
	for _, f := range files {
		n += len(f.Rules)
	}
	c := &compiler{nodes: make(map[string]*node, 45*n), groupIDs: map[string]int32{},
		byExpr:   make(map[exprKey]*node, 50*n),
		langBits: map[string]uint32{}}
	m := &Matcher{}
	c.prepare(files)
	for fi, f := range files {
		var excl *node
		if f.Exclude != nil {
			excl = c.node(f.Exclude, f.Lang)
		}
		m.excludes = append(m.excludes, excl)
		for _, r := range f.Rules {
			ri := int32(len(m.rules))
			root := c.node(r.Expr, r.Lang)
			cr := compiledRule{Rule: r, root: root, file: int32(fi), langs: r.Languages, catIndex: uint8(slices.Index(Categories, r.Category)), arabizi: strings.HasSuffix(r.Lang, "-latn")}
			// The parsed expression and its source are compiled into
			// root; keeping them would hold every rule's syntax tree for
			// the matcher's life (a third of its memory with 50,000
			// rules).
			cr.Rule.Expr, cr.Rule.Source = nil, ""
			m.rules = append(m.rules, cr)
			c.link(root, ri, m)
		}
	}
	if len(m.rules) == 0 {
		return nil, fmt.Errorf("compile rules: no rules")
	}
	// Terms that can only veto a rule (exclusions, the right side of a
	// NOT) go in a second automaton, scanned only when a rule is a
	// candidate: exclusion lists are long and made of everyday words
	// (lunch, game, photo), which would otherwise stop the scan at most
	// words of every text.
	var pos, neg []string
	var posIDs, negIDs []int32
	m.patLen = make([]int32, len(c.patterns))
	for pi, p := range c.patterns {
		m.patLen[pi] = int32(len(p))
		positive := false
		for _, ref := range c.patRefs[pi] {
			positive = positive || (int(ref.leaf) < len(c.positive) && c.positive[ref.leaf])
		}
		if positive {
			pos, posIDs = append(pos, p), append(posIDs, int32(pi))
		} else {
			neg, negIDs = append(neg, p), append(negIDs, int32(pi))
		}
	}
	// Typos are corrected towards the words of every whole-word term,
	// exclusions included: a misspelt benign word still vetoes.
	fuzzyVocab, fuzzyStems := map[string]uint32{}, map[string]uint32{}
	for l, words := range c.leafWords {
		for _, w := range words {
			fuzzyVocab[w] |= c.leafLangs[l]
		}
		if s := c.leafStem[l]; s != "" {
			fuzzyStems[s] |= c.leafLangs[l]
		}
	}
	// The automata and indexes are independent of each other and are
	// most of compile time (what `signpost match` waits for before its
	// first line): build them in parallel. Their inputs are only read.
	var wg sync.WaitGroup
	wg.Go(func() { m.ac = buildAutomaton(pos, posIDs) })
	wg.Go(func() {
		if len(neg) > 0 {
			m.acNeg = buildAutomaton(neg, negIDs)
		}
	})
	wg.Go(func() {
		// The vocabulary for splitting glued words: every word of every
		// pattern. Typo correction leaves alone the words of veto-only
		// terms.
		m.vocab = vocabulary(c.patterns, c.patFirst, c.leetOnly)
		m.vetoVocab = vocabulary(neg, nil, nil)
	})
	wg.Go(func() {
		m.fuzzy = newFuzzyIndex(fuzzyVocab, fuzzyStems)
		m.fuzzy.inflect = newInflectionIndex(fuzzyVocab, fuzzyStems, c.langBits)
	})
	wg.Wait()
	m.version = version
	c.anchor(m)
	for l := range c.positive {
		c.leaves[l].positive = c.positive[l]
	}
	m.patRefs = c.patRefs
	m.leaves = c.leaves
	m.leafLangs = c.leafLangs
	m.nNodes = len(c.nodes)
	m.emoji = map[string]bool{}
	for _, p := range c.patterns {
		if !mayHoldEmoji(p) {
			continue
		}
		for _, w := range strings.Fields(p) {
			if isEmojiWord(w) {
				m.emoji[w] = true
			}
		}
	}
	m.pool.New = func() any {
		return newScratch(len(m.leaves), len(m.rules), m.nGroups, m.nNodes, m.emoji, m.fuzzy.inflect)
	}
	return m, nil
}

// mayHoldEmoji reports whether s has a byte that starts the UTF-8 of a
// rune from U+2000 up, where emoji and flags are: splitting every pattern
// into words to find the few emoji was a twentieth of compiling.
func mayHoldEmoji(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0xE2 {
			return true
		}
	}
	return false
}

// leetOnly reports whether pattern pi is only ever a term's leet reading.
func (c *compiler) leetOnly(pi int) bool {
	for _, ref := range c.patRefs[pi] {
		if !ref.leet {
			return false
		}
	}
	return true
}

// vocabulary indexes the words of patterns (of two letters or more), with
// flags as id: vocabPrefix on the last word of a prefix term,
// vocabProclitic on words that occur only as a term's first word with an
// Arabic proclitic attached, by firstKinds (see compiler.patFirst; nil for
// none): splitting glued words prefers other words (مهربالى is مهرب + الى,
// not مهر + بالى). vocabLeetOnly marks words of patterns leetOnly reports
// only. It also indexes the beginnings of its words (see
// hashIndex.indexPrefixes), which splitting glued words, joining split
// ones and finding stems need.
func vocabulary(patterns []string, firstKinds []uint8, leetOnly func(pattern int) bool) *hashIndex {
	// One map entry per distinct word holds everything the loop learns
	// about it: the patterns repeat their words (an Arabic term's 22
	// forms share all but the first), and three maps looked up per
	// occurrence were most of this function, itself on the critical path
	// of compiling.
	type wordInfo struct {
		prefix bool // the last word of a prefix term
		plain  bool // in a pattern that is not a leet reading only
		alone  bool // a whole term of one word
		base   bool // a term's first word as written
		procl  bool // a term's first word with a proclitic attached
	}
	info := make(map[string]*wordInfo, len(patterns))
	for pi, p := range patterns {
		leet := leetOnly != nil && leetOnly(pi)
		prefix := !strings.HasSuffix(p, " ")
		// Patterns are normalised: words separated by single spaces,
		// with one before the first.
		rest := strings.TrimSpace(p)
		alone := strings.IndexByte(rest, ' ') < 0
		var kinds uint8
		if firstKinds != nil {
			kinds = firstKinds[pi]
		}
		for first := true; rest != ""; first = false {
			w := rest
			if i := strings.IndexByte(rest, ' '); i >= 0 {
				w, rest = rest[:i], rest[i+1:]
			} else {
				rest = ""
			}
			if utf8.RuneCountInString(w) < 2 {
				continue
			}
			wi := info[w]
			if wi == nil {
				wi = &wordInfo{}
				info[w] = wi
			}
			wi.plain = wi.plain || !leet
			wi.alone = wi.alone || alone
			if first {
				wi.base = wi.base || kinds&(1<<firstBase) != 0
				wi.procl = wi.procl || kinds&(1<<firstProclitic) != 0
			}
			wi.prefix = wi.prefix || rest == "" && prefix
		}
	}
	pairs := make([]hashedID, 0, len(info))
	words := make([]string, 0, len(info))
	h := newSeededIndex()
	for w, wi := range info {
		var f int32
		if wi.prefix {
			f |= vocabPrefix
		}
		if wi.procl && !wi.base {
			f |= vocabProclitic
		}
		if leetOnly != nil && !wi.plain {
			f |= vocabLeetOnly
		}
		if !wi.alone {
			f |= vocabInner
		}
		h.maxKey = max(h.maxKey, len(w))
		id := int32(noID)
		if f != 0 {
			id = f
		}
		pairs = append(pairs, hashedID{h.hash([]byte(w)), id})
		words = append(words, w)
	}
	h.fill(pairs)
	h.indexPrefixes(words)
	return h
}

// Flags of vocabulary words: vocabPrefix marks the stem of a prefix term
// (feribot*), vocabProclitic a word that is only a term with an Arabic
// proclitic attached.
const (
	vocabPrefix    = 1
	vocabProclitic = 2
	vocabLeetOnly  = 4 // a word only of terms' leet readings (targa, of 7arga)
	vocabInner     = 8 // a word only inside terms of several words (to, of "boat to uk")
)

// Bounds on the trigger analysis: groups per trigger (one bit each) and
// triggers per rule. Dropping groups or merging alternatives only weakens
// the filter; it never makes a rule miss.
const (
	maxGroups = 8
	maxAlts   = 8
)

// link registers rule ri's triggers, interning their groups, and marks
// its positive leaves.
func (c *compiler) link(root *node, ri int32, m *Matcher) {
	if len(c.positive) < len(c.leaves) {
		c.positive = append(c.positive, make([]bool, len(c.leaves)-len(c.positive))...)
	}
	for _, l := range c.leavesOf(root) {
		c.positive[l] = true
	}
	for _, alt := range c.alternatives(root) {
		if len(alt) > maxGroups {
			alt = alt[:maxGroups] // fewer necessary conditions are still necessary
		}
		t := trigger{rule: ri}
		for _, g := range alt {
			gid := c.group(g)
			if !slices.Contains(t.groups[:t.n], gid) {
				t.groups[t.n] = gid
				t.n++
			}
		}
		m.triggers = append(m.triggers, t)
	}
}

// group interns a group of leaves and returns its id.
func (c *compiler) group(leaves []int32) int32 {
	sorted := slices.Clone(leaves)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	c.keyBuf = c.keyBuf[:0]
	for _, l := range sorted {
		c.keyBuf = binary.LittleEndian.AppendUint32(c.keyBuf, uint32(l))
	}
	if id, ok := c.groupIDs[string(c.keyBuf)]; ok {
		return id
	}
	id := int32(len(c.groupIDs))
	c.groupIDs[string(c.keyBuf)] = id
	c.groupLeaves = append(c.groupLeaves, sorted)
	for _, l := range sorted {
		c.leaves[l].groups = append(c.leaves[l].groups, id)
	}
	return id
}

// anchor files every trigger under one of its groups, on each leaf of
// that group: the trigger is looked at only when one of those leaves has
// a hit. Any group would do (a complete trigger has them all hit), so
// the one chosen is the least likely to be hit in ordinary text, as far
// as the rules tell: the group whose leaves belong to the fewest groups
// in all. A word many rules share (london, price, visa) is a word texts
// use often, and a group of sixty destinations is hit more often than a
// group of three words for a smuggler. Filing triggers under such groups
// made a search look at a few dozen triggers; this choice makes it a
// handful, and most texts none (see evalView). Ties go to the group fewer
// triggers share, then the smaller.
func (c *compiler) anchor(m *Matcher) {
	nGroups := len(c.groupLeaves)
	fanout := make([]int, nGroups)
	for _, t := range m.triggers {
		for _, g := range t.groups[:t.n] {
			fanout[g]++
		}
	}
	reach := make([]int, nGroups)
	for g, ls := range c.groupLeaves {
		for _, l := range ls {
			reach[g] += len(c.leaves[l].groups)
		}
	}
	better := func(g, best int32) bool {
		if reach[g] != reach[best] {
			return reach[g] < reach[best]
		}
		if fanout[g] != fanout[best] {
			return fanout[g] < fanout[best]
		}
		return len(c.groupLeaves[g]) < len(c.groupLeaves[best])
	}
	for ti, t := range m.triggers {
		best := t.groups[0]
		for _, g := range t.groups[1:t.n] {
			if better(g, best) {
				best = g
			}
		}
		for _, l := range c.groupLeaves[best] {
			c.leaves[l].anchors = append(c.leaves[l].anchors, int32(ti))
		}
	}
	for l := range c.leaves {
		slices.Sort(c.leaves[l].groups)
	}
	m.nGroups = nGroups
}

// alternatives returns the ways n can be true as lists of leaf groups: n
// is true only if, for some alternative, each of its groups has a leaf
// with a hit. An OR of terms is one group; an OR of larger expressions
// is their alternatives side by side; AND and NEAR combine their kids'
// alternatives; NOT needs its left side's.
//
// Results are memoised per node and lists are capped (groups per
// alternative at maxGroups, alternatives at maxAlts), so sets used many
// times over, even sets built from sets doubling at each line, cost time
// in proportion to the rule's distinct nodes.
func (c *compiler) alternatives(n *node) [][][]int32 {
	if a, ok := c.altMemo.get(n.id); ok {
		return a
	}
	a := c.computeAlternatives(n)
	for i, alt := range a {
		if len(alt) > maxGroups {
			a[i] = alt[:maxGroups]
		}
	}
	c.altMemo.put(n.id, a)
	return a
}

func (c *compiler) computeAlternatives(n *node) [][][]int32 {
	switch n.op {
	case OpTerm:
		return [][][]int32{{{n.leaf}}}
	case OpNot:
		return c.alternatives(n.kids[0])
	case OpOr:
		var out [][][]int32
		simple := true // every kid is one alternative of one group
		for _, k := range n.kids {
			ka := c.alternatives(k)
			simple = simple && len(ka) == 1 && len(ka[0]) == 1
			out = append(out, ka...)
		}
		switch {
		case simple:
			return [][][]int32{{c.leavesOf(n)}}
		case len(out) <= maxAlts:
			return out
		case len(n.kids) <= maxAlts:
			// One alternative per kid, each kid summarised by the groups
			// all its own alternatives share.
			out = out[:0]
			for _, k := range n.kids {
				out = append(out, c.conjunction(k))
			}
			return out
		}
		return [][][]int32{{c.leavesOf(n)}}
	}
	out := [][][]int32{{}}
	for _, k := range n.kids {
		ka := c.alternatives(k)
		if len(out)*len(ka) > maxAlts {
			ka = [][][]int32{c.conjunction(k)}
		}
		var next [][][]int32
		for _, o := range out {
			for _, a := range ka {
				if len(o) >= maxGroups {
					next = append(next, o)
					continue
				}
				next = append(next, append(slices.Clone(o), a[:min(len(a), maxGroups-len(o))]...))
			}
		}
		out = next
	}
	return out
}

// conjunction returns groups that must all have a hit for n to be true,
// treating every OR as one group: a single, weaker alternative (at most
// maxGroups groups).
func (c *compiler) conjunction(n *node) [][]int32 {
	if g, ok := c.conjMemo.get(n.id); ok {
		return g
	}
	var out [][]int32
	switch n.op {
	case OpTerm:
		out = [][]int32{{n.leaf}}
	case OpNot:
		out = c.conjunction(n.kids[0])
	case OpOr:
		out = [][]int32{c.leavesOf(n)}
	default:
		for _, k := range n.kids {
			if len(out) >= maxGroups {
				break
			}
			out = append(out, c.conjunction(k)...)
		}
		if len(out) > maxGroups {
			out = out[:maxGroups]
		}
	}
	c.conjMemo.put(n.id, out)
	return out
}

// leavesOf returns the positive leaves under n (not those under the right
// side of a NOT), sorted and without repeats.
func (c *compiler) leavesOf(n *node) []int32 {
	if l, ok := c.leafMemo.get(n.id); ok {
		return l
	}
	var out []int32
	switch n.op {
	case OpTerm:
		out = []int32{n.leaf}
	case OpNot:
		out = c.leavesOf(n.kids[0])
	default:
		for _, k := range n.kids {
			out = append(out, c.leavesOf(k)...)
		}
		slices.Sort(out)
		out = slices.Compact(out)
	}
	c.leafMemo.put(n.id, out)
	return out
}

func (c *compiler) node(e *Expr, lang string) *node {
	if e.Set != "" {
		return c.node(e.Kids[0], lang)
	}
	// A set used twice is one *Expr: compile it once, or sets built from
	// sets would be compiled exponentially often.
	ek := exprKey{e, lang}
	if n, ok := c.byExpr[ek]; ok {
		return n
	}
	n := c.buildNode(e, lang)
	c.byExpr[ek] = n
	return n
}

// exprKey identifies an expression compiled for a language.
type exprKey struct {
	e    *Expr
	lang string
}

func (c *compiler) buildNode(e *Expr, lang string) *node {
	// Nodes are keyed by their structure: the language (terms compile
	// differently per language: Arabic proclitics), the operator and the
	// children's node ids, so identical subexpressions share a node
	// whatever sets they were written with, and building a key costs the
	// same at every depth.
	var kids []*node
	if e.Op != OpTerm {
		// Children first: compiling them reuses c.keyBuf.
		kids = make([]*node, len(e.Kids))
		for i, k := range e.Kids {
			kids[i] = c.node(k, lang)
		}
	}
	b := append(c.keyBuf[:0], lang...)
	if e.Op == OpTerm {
		b = append(append(append(b, "\x00t\x00"...), e.Term...), 0)
		b = strconv.AppendBool(append(strconv.AppendBool(b, e.Prefix), 0), e.Phrase)
	} else {
		b = strconv.AppendInt(append(strconv.AppendInt(append(b, 0), int64(e.Op), 10), 0), int64(e.Dist), 10)
		for _, k := range kids {
			b = strconv.AppendInt(append(b, 0), int64(k.id), 10)
		}
	}
	c.keyBuf = b
	if n, ok := c.nodes[string(b)]; ok {
		return n
	}
	key := string(b)
	n := &node{op: e.Op, id: int32(len(c.nodes)), dist: int32(e.Dist), kids: kids}
	c.nodes[key] = n
	if e.Op == OpTerm {
		n.leaf = c.leaf(e, lang)
	}
	if len(kids) > 0 {
		n.kidLeaf = make([]int32, len(kids))
		for i, k := range kids {
			n.kidLeaf[i] = -1
			if k.op == OpTerm {
				n.kidLeaf[i] = k.leaf
			}
		}
	}
	return n
}

// leaf returns the id of the leaf for term e, creating it and its
// automaton patterns on first use.
func (c *compiler) leaf(e *Expr, lang string) int32 {
	t := c.prepared.get(exprKey{e, lang})
	if t == nil {
		t = prepareLeaf(e, lang)
	}
	if id, ok := c.leafKey[t.key]; ok {
		c.leafLangs[id] |= c.langBit(lang)
		return id
	}
	id := int32(len(c.leaves))
	c.leaves = append(c.leaves, leafInfo{})
	c.leafLangs = append(c.leafLangs, c.langBit(lang))
	c.leafKey[t.key] = id
	c.leafWords = append(c.leafWords, t.words)
	c.leafStem = append(c.leafStem, t.stem)
	for _, p := range t.pats {
		c.addPattern(p.pat, leafRef{leaf: id, words: p.words, leet: p.leet}, p.first)
	}
	return id
}

// termLeaf is what a term compiles to before the compiler numbers it:
// the key that leaves are shared by, the words typos are corrected
// towards, and its automaton patterns. It depends only on the term and
// its language, so the terms of all rules are prepared in parallel
// (see compiler.prepare).
type termLeaf struct {
	key   string
	words []string // the words typos are corrected towards
	stem  string   // a prefix term's stem, which typos are corrected towards too
	pats  []termPattern
}

// termPattern is one automaton pattern of a term, and what its first
// word is.
type termPattern struct {
	pat   string
	words int16
	leet  bool  // a leet reading only (see leafRef)
	first uint8 // firstBase, firstProclitic, or 0 for another vowel of a stem's end
}

// articles are the articles of the languages that have them as words,
// normalised: a phrase term also matches without them.
var articles = map[string][]string{
	"en": {"a", "an", "the"},
	"fr": {"un", "une", "le", "la", "les", "l", "des", "du"},
	"sq": {"nje"},
	"tr": {"bir"},
}

// withoutArticles returns the words of a phrase term of lang without the
// articles between its first and last words, or nil when it has none.
func withoutArticles(words []string, lang string) []string {
	arts := articles[lang]
	if len(arts) == 0 || len(words) < 3 {
		return nil
	}
	// Only articles inside the phrase: one that starts or ends it makes
	// it a phrase about a thing ("a guide to" Paris, "guide to the"
	// city, both a book), which the bare words are not.
	out := []string{words[0]}
	for _, w := range words[1 : len(words)-1] {
		if !slices.Contains(arts, w) {
			out = append(out, w)
		}
	}
	out = append(out, words[len(words)-1])
	if len(out) == len(words) {
		return nil
	}
	return out
}

// Kinds of a pattern's first word (see compiler.patFirst).
const (
	firstBase = iota + 1
	firstProclitic
)

// arabicKeyboardForm returns words (normalised) with the letters an
// Arabic keyboard lacks (پ چ ژ ڤ) typed as the nearest ones it has (ب ج
// ز ف), or nil when they have none. Not گ: typed ك it is a ک, and words
// that differ by those two alone are common (the Sorani گەشتی, a trip, and
// کەشتی, a ship; the Urdu ڈنگی, a dinghy, and ڈنکی, the film Dunki).
func arabicKeyboardForm(words []string) []string {
	var out []string
	for i, w := range words {
		if !strings.ContainsAny(w, "پچژڤ") {
			continue
		}
		if out == nil {
			out = slices.Clone(words)
		}
		out[i] = strings.Map(func(r rune) rune {
			switch r {
			case 'پ':
				return 'ب'
			case 'چ':
				return 'ج'
			case 'ژ':
				return 'ز'
			case 'ڤ':
				return 'ف'
			}
			return r
		}, w)
	}
	return out
}

// prepareLeaf compiles term e of a rule of language lang.
func prepareLeaf(e *Expr, lang string) *termLeaf {
	words := strings.Fields(Normalize(e.Term))
	proclitics := lang == "ar" && isArabicScript(words[0])
	// Only Arabizi terms have an Arabizi reading: a digit in another
	// language's term is no Arabic letter. Read as Arabizi, the Turkish
	// insurance status "4a" was the word "a", and its veto struck every
	// text with that word in it.
	arabizi := strings.HasSuffix(lang, "-latn")
	t := &termLeaf{key: strings.Join(words, " ") + "|" + strconv.FormatBool(e.Prefix) + "|" + strconv.FormatBool(proclitics) + "|" + strconv.FormatBool(arabizi)}
	if !e.Prefix {
		t.words = words
	} else {
		// The stem is no word to correct towards, but typos in the
		// words it begins are corrected (see fuzzyIndex.correctStem).
		t.words, t.stem = words[:len(words)-1], words[len(words)-1]
	}
	// A term also matches its leet and Arabizi readings, so that views
	// which replace the canonical one keep every term: "m20" is "mzo" in
	// the leet view, "ta7rib" is "tahrib" in the Arabizi view.
	forms := [][]string{words}
	leetForm := -1 // the index in forms of the leet reading
	// Only digits, leet symbols and a capital I read differently there:
	// most terms have none, and their readings are not computed.
	for _, mode := range []viewMode{modeLeet, modeArabizi} {
		if !strings.ContainsAny(e.Term, "0123456789@$!|I") {
			break
		}
		if mode == modeArabizi && !arabizi {
			break
		}
		if alt := strings.Fields(normalizeAs(e.Term, mode)); len(alt) > 0 && !slices.Equal(alt, words) {
			switch {
			case mode == modeLeet:
				leetForm = len(forms)
				forms = append(forms, alt)
			case leetForm >= 0 && slices.Equal(alt, forms[leetForm]):
				// The Arabizi reading, which counts anywhere, is the
				// leet one.
				leetForm = -1
			default:
				forms = append(forms, alt)
			}
			if mode == modeArabizi {
				// Typos in Arabizi are corrected in its reading
				// (bri6nia, read britnia, is britania).
				n := len(alt)
				if e.Prefix {
					n--
				}
				t.words = append(slices.Clip(t.words), alt[:n]...)
			}
		}
	}
	// The letters Persian (and Sorani, Pashto, Urdu) adds to the Arabic
	// alphabet are typed as their nearest Arabic letter on an Arabic
	// keyboard, the one many people in transit have: a term written
	// with them also matches so typed (پاسپورت as باسبورت). Texts keep
	// the letters, so a word that differs only by one (the Sorani گەشتی,
	// a trip, and کەشتی, a ship) is not the other word's term.
	if kb := arabicKeyboardForm(words); kb != nil {
		forms = append(forms, kb)
		n := len(kb)
		if e.Prefix {
			n--
		}
		t.words = append(slices.Clip(t.words), kb[:n]...)
	}
	// Searches drop articles ("place dans camion", "boat to uk"): a
	// phrase also matches without those inside it.
	if bare := withoutArticles(words, lang); bare != nil {
		forms = append(forms, bare)
	}
	for fi, ws := range forms {
		first := []string{ws[0]}
		if proclitics {
			for _, p := range arabicProclitics {
				first = append(first, withProclitic(p, ws[0]))
			}
		}
		// The words after the first, with their spaces: the same for
		// every first word, joined once.
		rest := ""
		if len(ws) > 1 {
			rest = " " + strings.Join(ws[1:], " ")
		}
		if !e.Prefix {
			rest += " "
		}
		for k, w := range first {
			pat := " " + w + rest
			kind := uint8(firstBase)
			if k > 0 {
				kind = firstProclitic
			}
			tp := termPattern{pat: pat, words: int16(len(ws)), leet: fi == leetForm, first: kind}
			t.pats = append(t.pats, tp)
			if e.Prefix {
				for _, v := range ethiopicVowels(pat) {
					tp.pat, tp.first = v, 0
					t.pats = append(t.pats, tp)
				}
			}
		}
	}
	return t
}

// prepare starts compiling the terms of every rule and exclusion of
// files, in parallel and alongside the serial walk that numbers them
// (leaf): turning terms into patterns (normalising each, and each with
// every Arabic proclitic) was a third of building the rules' tree.
func (c *compiler) prepare(files []*RuleFile) {
	seen := map[exprKey]bool{}
	var terms []exprKey
	var walk func(e *Expr, lang string)
	walk = func(e *Expr, lang string) {
		k := exprKey{e, lang}
		if seen[k] {
			return
		}
		seen[k] = true
		if e.Op == OpTerm && e.Set == "" {
			terms = append(terms, k)
			return
		}
		for _, kid := range e.Kids {
			walk(kid, lang)
		}
	}
	for _, f := range files {
		if f.Exclude != nil {
			walk(f.Exclude, f.Lang)
		}
		for _, r := range f.Rules {
			walk(r.Expr, r.Lang)
		}
	}
	// The terms are prepared in chunks, in the order the serial walk over
	// the rules will ask for them, while it runs: it waits only for a
	// chunk not done yet (see preparedTerms.get).
	p := &c.prepared
	p.index = make(map[exprKey]int32, len(terms))
	pats := 0
	for i, k := range terms {
		p.index[k] = int32(i)
		// Patterns to come, for sizing: a term, and each Arabic one with
		// every proclitic.
		pats++
		if k.lang == "ar" && isArabicScript(k.e.Term) {
			pats += len(arabicProclitics)
		}
	}
	p.leaves = make([]*termLeaf, len(terms))
	p.done = make([]chan struct{}, (len(terms)+prepChunk-1)/prepChunk)
	for i := range p.done {
		p.done[i] = make(chan struct{})
	}
	var next atomic.Int32
	for range min(runtime.GOMAXPROCS(0), len(p.done)) {
		go func() {
			for {
				ch := int(next.Add(1)) - 1
				if ch >= len(p.done) {
					return
				}
				for i := ch * prepChunk; i < min((ch+1)*prepChunk, len(terms)); i++ {
					p.leaves[i] = prepareLeaf(terms[i].e, terms[i].lang)
				}
				close(p.done[ch])
			}
		}()
	}
	// The terms bound the leaves and patterns to come: sized once, the
	// maps and lists the serial part of compiling fills do not grow
	// through copies.
	c.leafKey = make(map[string]int32, len(terms))
	c.patIndex = make(map[string]int32, pats)
	c.patterns = make([]string, 0, pats)
	c.patRefs = make([][]leafRef, 0, pats)
	c.patFirst = make([]uint8, 0, pats)
}

// prepChunk is how many terms a worker prepares at a time.
const prepChunk = 128

// preparedTerms are the terms of the rules compiled ahead, by workers,
// while the serial walk over the rules numbers their leaves.
type preparedTerms struct {
	index  map[exprKey]int32
	leaves []*termLeaf
	done   []chan struct{} // closed when chunk i's leaves are written
}

// get returns term k compiled, waiting for its chunk if need be, or nil
// for a term prepare did not see.
func (p *preparedTerms) get(k exprKey) *termLeaf {
	i, ok := p.index[k]
	if !ok {
		return nil
	}
	<-p.done[int(i)/prepChunk]
	return p.leaves[i]
}

// langBit returns the bit of language lang in leaf and vocabulary
// language sets: one per language in order of first use, the 32nd
// shared by the rest (a tie-break loses precision, never a match).
func (c *compiler) langBit(lang string) uint32 {
	b, ok := c.langBits[lang]
	if !ok {
		b = 1 << min(len(c.langBits), 31)
		c.langBits[lang] = b
	}
	return b
}

func (c *compiler) addPattern(pat string, ref leafRef, first uint8) {
	pi, ok := c.patIndex[pat]
	if !ok {
		pi = int32(len(c.patterns))
		c.patIndex[pat] = pi
		c.patterns = append(c.patterns, pat)
		c.patRefs = append(c.patRefs, nil)
		c.patFirst = append(c.patFirst, 0)
	}
	if first != 0 {
		c.patFirst[pi] |= 1 << first
	}
	if !slices.Contains(c.patRefs[pi], ref) {
		c.patRefs[pi] = append(c.patRefs[pi], ref)
	}
}

// ethiopicVowels returns the other forms of a prefix pattern that ends in
// an Ethiopic consonant without a vowel (the sixth order of its
// syllables, ት in ፓስፖርት*): the same consonant with each other vowel.
// An Ethiopic suffix changes the vowel of the stem's last syllable
// (ፓስፖርቱን, the passport; ካሚዮኑ, the lorry), so the stem as written
// would not begin the suffixed word.
func ethiopicVowels(pat string) []string {
	r, n := utf8.DecodeLastRuneInString(pat)
	if r < 0x1200 || r > 0x135A || (r-0x1200)%8 != 5 {
		return nil
	}
	base := r - 5
	var out []string
	for v := range rune(7) {
		if v != 5 && unicode.Is(unicode.Ethiopic, base+v) {
			out = append(out, pat[:len(pat)-n]+string(base+v))
		}
	}
	return out
}

// withProclitic returns Normalize(p+w) for an Arabic proclitic p and a
// normalised word w, cheaply when w is all Arabic letters: then the only
// change normalising makes is squeezing a repeated letter, in p (لل is
// ل) or across the join (ل + لندن is لندن). Normalising every term's
// first word with each of the 21 proclitics was a third of preparing the
// terms.
func withProclitic(p, w string) string {
	for _, r := range w {
		if r < 0x0621 || r > 0x06FF || (r >= 0x064B && r <= 0x0660) || r == 0x0640 {
			return Normalize(p + w)
		}
	}
	b := make([]byte, 0, len(p)+len(w))
	prev := rune(-1)
	for _, r := range p {
		if r != prev {
			b = utf8.AppendRune(b, r)
		}
		prev = r
	}
	if first, n := utf8.DecodeRuneInString(w); first == prev {
		w = w[n:]
	}
	return string(append(b, w...))
}

// isArabicScript reports whether w begins with a letter of the Arabic
// block (see isArabicLead).
func isArabicScript(w string) bool {
	return len(w) > 0 && isArabicLead(w[0])
}

// Query is a text to match and what is known about it.
type Query struct {
	Text string
	Kind Kind
	// Lang is the event's negotiated language (e.g. "ar"), for rules
	// limited to some languages; "" matches only unrestricted rules.
	Lang string
}

// Result is what matched: rule ids in rule order and their categories in
// the order of Categories. Both are nil when nothing matched.
type Result struct {
	Matched    bool     `json:"matched"`
	Categories []string `json:"categories"`
	Rules      []string `json:"rules"`
}

// Version identifies the rule set (a hash of the rule files), so every
// answer can say which rules produced it.
func (m *Matcher) Version() string { return m.version }

// Span is a matched range of the original text, in bytes.
type Span struct {
	Start int    `json:"start"`
	End   int    `json:"end"`
	Text  string `json:"text"`
}

// RuleMatch is one matched rule with the parts of the text that made it
// match.
type RuleMatch struct {
	Rule     string `json:"rule"`
	Category string `json:"category"`
	// View is the view the rule matched in: canonical, leet, segmented,
	// fuzzy, arabizi or arabizi-fuzzy.
	View  string `json:"view"`
	Spans []Span `json:"spans"`
}

// Suppression is a rule whose terms matched but that an exclusion (the
// file's, or the rule's own NOT) kept from firing.
type Suppression struct {
	Rule string `json:"rule"`
	View string `json:"view"`
	By   string `json:"by"`
}

// Explanation says why a text matched: the normalised text and, per
// matched rule, the original spans.
type Explanation struct {
	Result
	Normalized string      `json:"normalized"`
	Matches    []RuleMatch `json:"matches"`
	// Views holds the text of every view that was built, by name.
	Views map[string]string `json:"views"`
	// Signals are evasion signs worth an editor's attention even when no
	// rule matched: "rtl-override" (U+202E in the text).
	Signals    []string      `json:"signals,omitempty"`
	Suppressed []Suppression `json:"suppressed,omitempty"`
	// Score is the scorer's reading, when the rules have a scorer. It
	// matches (as rule scorer.<category>) only when no rule matched; a
	// rule's match under its veto is listed in Suppressed.
	Score *ScoreExplanation `json:"score,omitempty"`
}

// Match reports which rules q matches.
func (m *Matcher) Match(q Query) Result {
	sc := m.pool.Get().(*scratch)
	defer m.pool.Put(sc)
	m.run(q, sc)
	m.score(q, sc)
	return m.result(sc)
}

// MatchRules is Match without the scorer: which rules q matches. The
// linter and the editors' sample checks use it, as they judge rules; the
// shipped scorer is checked against the same corpus and samples by the
// shipped rules' tests, and retrained with them.
func (m *Matcher) MatchRules(q Query) Result {
	sc := m.pool.Get().(*scratch)
	defer m.pool.Put(sc)
	m.run(q, sc)
	return m.result(sc)
}

// score lets the scorer decide a text no rule matched, and veto the
// rules' match on a text it scores as plainly benign. A text where a
// file's exclusion suppressed a rule is scored too: on texts of unseen
// writers, leaving those alone lost one positive in 160 and kept out no
// false positive, as the scorer has learnt the contexts exclusions name
// (news, courts, research, ferries) from the labelled texts.
func (m *Matcher) score(q Query, sc *scratch) {
	s := m.scorer
	if s == nil {
		return
	}
	z := s.scoreView(&sc.views[sc.main], q.Kind)
	if len(sc.matched) > 0 {
		sc.vetoed = z < s.veto
		return
	}
	if z >= s.threshold {
		sc.feats, sc.featFrom = features(&sc.views[sc.main], q.Kind, sc.feats[:0], sc.featFrom[:0])
		sc.scoreCat = int8(s.category(sc.feats))
	}
}

// Explain is Match with the reasons. It allocates freely; it is for
// editors and the CLI, not the hot path.
func (m *Matcher) Explain(q Query) Explanation {
	sc := m.pool.Get().(*scratch)
	defer m.pool.Put(sc)
	sc.explain = true
	defer func() { sc.explain = false }()
	m.run(q, sc)
	m.score(q, sc)
	ex := Explanation{Result: m.result(sc), Normalized: Normalize(q.Text), Views: map[string]string{}}
	if m.scorer != nil {
		sc.feats, sc.featFrom = features(&sc.views[sc.main], q.Kind, sc.feats[:0], sc.featFrom[:0])
		ex.Score = m.scorer.explain(sc.feats, sc.featFrom, &sc.views[sc.main], q.Text)
		if sc.scoreCat >= 0 {
			rm := RuleMatch{Rule: m.scorer.ruleIDs[sc.scoreCat], Category: ex.Score.Category, View: "scorer", Spans: ex.Score.Words}
			ex.Matches = append(ex.Matches, rm)
		}
	}
	if sc.views[viewCanonical].rtlOverride {
		ex.Signals = append(ex.Signals, "rtl-override")
	}
	for vi := range numViews {
		if v := &sc.views[vi]; sc.built[vi] && len(v.buf) > 1 {
			ex.Views[ViewNames[vi]] = string(v.buf[1 : len(v.buf)-1])
		}
	}
	for _, su := range sc.suppressed {
		r := &m.rules[su.rule]
		by := "its own NOT clause"
		if su.byFile {
			by = "the exclusion of " + r.File
		}
		ex.Suppressed = append(ex.Suppressed, Suppression{Rule: r.ID, View: ViewNames[su.view], By: by})
	}
	for i, ri := range sc.matched {
		if sc.vetoed {
			ex.Suppressed = append(ex.Suppressed, Suppression{Rule: m.rules[ri].ID, View: ViewNames[sc.matchView[i]],
				By: fmt.Sprintf("the scorer (probability %.4f, under its veto of %.4f)", ex.Score.Probability, m.scorer.Veto())})
			continue
		}
		rm := RuleMatch{Rule: m.rules[ri].ID, Category: m.rules[ri].Category, View: ViewNames[sc.matchView[i]]}
		words := sc.views[sc.matchView[i]].words
		for _, sp := range mergeSpans(sc.matchSpans[i]) {
			ws, we := words[sp.s], words[sp.e]
			rm.Spans = append(rm.Spans, Span{Start: int(ws.origS), End: int(we.origE), Text: q.Text[ws.origS:we.origE]})
		}
		ex.Matches = append(ex.Matches, rm)
	}
	return ex
}

func (m *Matcher) result(sc *scratch) Result {
	if sc.vetoed {
		return Result{}
	}
	if sc.scoreCat >= 0 {
		return Result{Matched: true, Rules: []string{m.scorer.ruleIDs[sc.scoreCat]}, Categories: []string{Categories[m.scorer.cats[sc.scoreCat]]}}
	}
	if len(sc.matched) == 0 {
		return Result{}
	}
	res := Result{Matched: true, Rules: make([]string, 0, len(sc.matched))}
	// Rules in rule order: sort a copy of the (few) matched indices.
	order := append(sc.order[:0], sc.matched...)
	slices.Sort(order)
	sc.order = order
	var cats uint32
	for _, ri := range order {
		res.Rules = append(res.Rules, m.rules[ri].ID)
		cats |= 1 << m.rules[ri].catIndex
	}
	for i, c := range Categories {
		if cats&(1<<i) != 0 {
			res.Categories = append(res.Categories, c)
		}
	}
	return res
}

// run normalises q.Text and evaluates the rules, leaving the matched
// rules (and their spans) in sc. Most texts need only the canonical view;
// the others are built when it shows signs of the evasion they undo.
func (m *Matcher) run(q Query, sc *scratch) {
	sc.reset()
	base := &sc.views[viewCanonical]
	base.normalize(q.Text)
	main := viewCanonical
	if base.maybeLeet {
		sc.views[viewLeet].normalize(q.Text)
		m.readAmbiguous(&sc.views[viewLeet], q.Text, sc)
		main = viewLeet
	}
	arabiziFromSegments := false
	if sc.views[main].needsSegmenting() {
		seg := &sc.views[viewSegmented]
		seg.segment(&sc.views[main], m.vocab, m.fuzzy, q.Text, &sc.hashtag)
		main = viewSegmented
		if seg.maybeLeet && !base.maybeLeet {
			// Letters and digits spaced apart (s m u 9 9 l e r, t a 7 r
			// e e b) meet only once joined: read the joined words as
			// leetspeak, and as Arabizi below.
			sc.views[viewLeet].reread(seg)
			main = viewLeet
			arabiziFromSegments = seg.maybeArabizi
		}
	}
	sc.main = int8(main)
	m.evalView(q, sc, main, false)
	if m.anyPositiveHit(sc) && len(sc.views[main].buf) <= fuzzyMaxText && m.correctable(sc, q.Text, main, viewFuzzy) &&
		(len(sc.matched) > 0 || sc.explain || sc.rejected || m.positiveCorrection(sc)) {
		// With no match so far, no candidate rule rejected and every
		// correction towards a word that can only veto (weather to
		// leather), the corrected view has the main view's positive hits
		// and more vetoes: it cannot match either, and is not evaluated.
		// A rejected candidate may match there: a typo in a veto's own
		// exception (a photo vetoes a passport seller, unless the buyer
		// is asked to send one) lets the veto through, and correcting it
		// lifts the veto. Explain evaluates the view anyway, to report
		// what its exclusions suppress.
		sc.keepMainLeaves()
		// The corrected view holds every exactly matched word of the
		// main one, so it replaces the main view's result: exclusions
		// get to see corrected words too.
		sc.clearMatches()
		m.evalView(q, sc, viewFuzzy, true)
	}
	if arz := &sc.views[viewArabizi]; base.maybeArabizi {
		arz.normalize(q.Text)
		m.readAmbiguous(arz, q.Text, sc)
		if arz.needsSegmenting() {
			// Hashtags and letters spaced out are split and joined in
			// the Arabizi reading too (#l7arkalitalia is l harka l
			// italia), against the terms' Arabizi readings.
			sc.arabiziSeg.segment(arz, m.vocab, m.fuzzy, q.Text, &sc.hashtag)
			*arz, sc.arabiziSeg = sc.arabiziSeg, *arz
		}
	} else if arabiziFromSegments {
		sc.views[viewArabizi].reread(&sc.views[viewSegmented])
	} else {
		return
	}
	// The Arabizi view reads every digit as an Arabic letter, so an
	// exclusion written in leetspeak (b1ll3t, a ferry ticket, reads bilat)
	// is lost there: it adds the exclusion hits of the main view, when
	// their words are the same words of the text (word i is word i in
	// both). Exclusions only say whether they match at all, so the spans
	// need no more than that. (Misspelt exclusions are the Arabizi fuzzy
	// view's to correct, as the fuzzy view does the main view's.)
	sc.vetoAlso = -1
	if sameWords(&sc.views[main], &sc.views[viewArabizi]) {
		sc.vetoAlso = int8(main)
	}
	m.evalView(q, sc, viewArabizi, false)
	if m.anyPositiveHit(sc) && len(sc.views[viewArabizi].buf) <= fuzzyMaxText && m.correctable(sc, q.Text, viewArabizi, viewArabiziFuzzy) {
		// Typos in Arabizi (bri6nia, read britnia) are corrected in its
		// reading, towards the readings of the Arabizi terms. As the
		// fuzzy view does the main view's, the corrected view replaces
		// the Arabizi view's matches: a misspelt exclusion (aslaha for
		// asliha, weapons) vetoes there.
		sc.keepMainLeaves()
		sc.dropViewMatches(viewArabizi)
		m.evalView(q, sc, viewArabiziFuzzy, true)
	}
}

// readAmbiguous rereads the words of v (the leet or Arabizi view of
// text) with leetspeak's ambiguous signs read the other way (see
// view.altLeet), and takes that reading of a word where it makes a word
// of the rules' vocabulary and the first does not, or makes a longer one
// (i next to i squeezes: da1i1 reads dai, a Vietnamese word, and dalil, a
// guide), or makes a whole word where the first only begins with a prefix
// term's stem (r3n3wa1 reads renewal, not renewai, beside renew*).
// Leetspeak writes 1 for both letters (v1sa, but fa1se and ca1ais), and
// @ and ! for letters at a word's edges too (@gent, ngl!),
// where they are usually a mention and punctuation. A text without those
// signs costs a byte search; one with them a second normalisation.
func (m *Matcher) readAmbiguous(v *view, text string, sc *scratch) {
	// Full-width signs (１ ＠ ！, U+FF01-FF3F) all begin with these two
	// bytes.
	if !strings.ContainsAny(text, "1@!") && !strings.Contains(text, "\xef\xbc") {
		return
	}
	alt, out := &sc.altLeet, &sc.hashtag
	alt.mode, alt.noSqueeze, alt.altLeet = v.mode, false, true
	alt.normalize(text)
	alt.altLeet = false
	if len(alt.words) != len(v.words) {
		return
	}
	out.reset()
	changed := false
	for i, w := range v.words {
		a := alt.words[i]
		first, other := v.buf[w.start:w.end], alt.buf[a.start:a.end]
		if bytes.Equal(first, other) {
			out.copyWord(v, w)
			continue
		}
		if ko := m.known(other); ko > unknown && (ko > m.known(first) || len(other) > len(first)) {
			out.copyWord(alt, a)
			changed = true
		} else {
			out.copyWord(v, w)
		}
	}
	if !changed {
		return
	}
	// Only the words change hands: v keeps its reading and the
	// text-wide signs (hashtags, spaced letters), and out, scratch space,
	// its own settings.
	v.buf, out.buf = out.buf, v.buf
	v.words, out.words = out.words, v.words
}

// How well the rules know a word (see Matcher.known), in rising order.
const (
	unknown   = iota
	knownStem // begins with a prefix term's stem of four bytes or more
	knownWord // a word of the rules' vocabulary
)

// known reports how well the rules know w: as a word of their
// vocabulary, as a word beginning with a prefix term's stem, or not.
func (m *Matcher) known(w []byte) int {
	switch {
	case isVocab(m.vocab, w):
		return knownWord
	case hasStem(w, m.vocab, 4):
		return knownStem
	}
	return unknown
}

// evalView scans view vi and evaluates the rules it makes candidates,
// adding those that match and have not matched in an earlier view. In
// the fuzzy view only rules that had an exact hit in the main view count.
func (m *Matcher) evalView(q Query, sc *scratch, vi int, fuzzy bool) {
	sc.resetView()
	sc.built[vi] = true
	v := &sc.views[vi]
	sc.hits = m.ac.scan(v.buf, sc.hits[:0])
	if len(sc.hits) == 0 {
		return
	}
	m.addHits(sc, v, q.Text)
	// Most texts hit no leaf that anchors a trigger (see
	// compiler.anchor): then no rule is a candidate, and marking the
	// groups, a few hundred writes for a word like london, is skipped.
	anchored := false
	for _, l := range sc.touched {
		if len(m.leaves[l].anchors) > 0 {
			anchored = true
			break
		}
	}
	if !anchored {
		return
	}
	// Mark the groups of the leaves with hits (a flat write per group),
	// then look at the triggers anchored on those leaves.
	for _, l := range sc.touched {
		for _, g := range m.leaves[l].groups {
			sc.groupState[g].gen = sc.gen
		}
	}
	for _, l := range sc.touched {
		for _, ti := range m.leaves[l].anchors {
			t := &m.triggers[ti]
			if sc.isMatched[t.rule] || sc.isCand[t.rule] || !m.complete(sc, t) || (fuzzy && !m.hadMainHit(sc, t)) {
				continue
			}
			sc.isCand[t.rule] = true
			sc.candidates = append(sc.candidates, t.rule)
		}
	}
	if len(sc.candidates) == 0 {
		return
	}
	m.addVetoHits(sc, v, q.Text)
	if (vi == viewArabizi || vi == viewArabiziFuzzy) && sc.vetoAlso >= 0 {
		m.addVetoHits(sc, &sc.views[sc.vetoAlso], q.Text)
	}
	slices.Sort(sc.candidates)
	for _, ri := range sc.candidates {
		r := &m.rules[ri]
		if r.Kinds&q.Kind == 0 || ((vi == viewArabizi || vi == viewArabiziFuzzy) && !r.arabizi) {
			continue
		}
		if r.langs != nil && !slices.Contains(r.langs, q.Lang) {
			continue
		}
		lo, hi := m.eval(r.root, sc)
		if lo == hi {
			sc.rejected = true
			if sc.explain && r.root.op == OpNot {
				if plo, phi := m.eval(r.root.kids[0], sc); plo != phi {
					sc.suppressed = append(sc.suppressed, suppression{ri, int8(vi), false})
				}
			}
			continue
		}
		if ex := m.excludes[r.file]; ex != nil {
			if elo, ehi := m.eval(ex, sc); elo != ehi {
				sc.rejected = true
				if sc.explain {
					sc.suppressed = append(sc.suppressed, suppression{ri, int8(vi), true})
				}
				continue
			}
		}
		sc.isMatched[ri] = true
		sc.matched = append(sc.matched, ri)
		sc.matchView = append(sc.matchView, int8(vi))
		sc.matchSpans = append(sc.matchSpans, sc.arena[lo:hi:hi])
	}
}

// sameWords reports whether views a and b have the same words of the
// text, in the same places: the words' original ranges are equal.
func sameWords(a, b *view) bool {
	if len(a.words) != len(b.words) {
		return false
	}
	for i := range a.words {
		if a.words[i].origS != b.words[i].origS || a.words[i].origE != b.words[i].origE {
			return false
		}
	}
	return true
}

// positiveCorrection reports whether a word the fuzzy view corrected is
// part of a positive term's hit there: the fuzzy view's positive hits
// are scanned (it is at most fuzzyMaxText bytes) and checked against the
// corrected words, whatever their place in the term (a phrase's middle
// word, a prefix term's stem: "small boa*" on boatyard).
func (m *Matcher) positiveCorrection(sc *scratch) bool {
	fz := &sc.views[viewFuzzy]
	sc.probe = m.ac.scan(fz.buf, sc.probe[:0])
	for _, h := range sc.probe {
		// The term's bytes, after the space every pattern starts with.
		first, end := h.end-m.patLen[h.pat]+1, h.end
		for _, f := range sc.fixes {
			if w := fz.words[f.word]; first < w.end && w.start < end {
				return true
			}
		}
	}
	return false
}

// correctable builds the corrected view fz from view main of text and
// reports whether it corrected a word.
func (m *Matcher) correctable(sc *scratch, text string, main, fz int) bool {
	return sc.views[fz].correct(&sc.views[main], text, m.fuzzy, m.vocab, m.vetoVocab, m.textLangs(sc), sc)
}

// textLangs returns the languages of the text as its terms tell: those
// most of the terms the view had hits of belong to. Place names and
// loanwords are terms of many languages, so the union of all says
// little: 100% and visa beside garnti, jusqu and sans are terms of a
// dozen languages, and French of most of the words. Typos are corrected
// towards words of these languages first, and a word of only other
// languages' rules may be one (see fuzzyIndex.correctForeign).
func (m *Matcher) textLangs(sc *scratch) uint32 {
	var counts [32]uint16
	for _, l := range sc.touched {
		for ls := m.leafLangs[l]; ls != 0; ls &= ls - 1 {
			counts[bits.TrailingZeros32(ls)]++
		}
	}
	var langs uint32
	top := uint16(1)
	for b, c := range counts {
		switch {
		case c > top:
			top, langs = c, 1<<b
		case c == top:
			langs |= 1 << b
		}
	}
	return langs
}

// addVetoHits adds the hits of the terms that can only veto a rule: they
// matter only once a rule is a candidate.
func (m *Matcher) addVetoHits(sc *scratch, v *view, text string) {
	if m.acNeg == nil {
		return
	}
	sc.hits = m.acNeg.scan(v.buf, sc.hits[:0])
	m.addHits(sc, v, text)
}

// addHits records the spans of the words of v (a view of text) that
// sc.hits cover, per leaf.
func (m *Matcher) addHits(sc *scratch, v *view, text string) {
	for _, h := range sc.hits {
		startByte := h.end - m.patLen[h.pat] + 1 // first byte of the first word
		w := v.wordStartingAt(startByte)
		for _, ref := range m.patRefs[h.pat] {
			last := v.lastWord(w, int(ref.words))
			if ref.leet && !leetWritten(text, int(v.words[w].origS), int(v.words[last].origE)) {
				continue
			}
			sc.addLeafSpan(ref.leaf, span{int32(w), int32(last)})
		}
	}
}

// leetWritten reports whether text[lo:hi] has a digit (in any script or
// width), a symbol that leetspeak reads as a letter, or a capital I that
// the normaliser reads as l.
func leetWritten(text string, lo, hi int) bool {
	for i, r := range text[lo:hi] {
		r = fromFullWidth(r)
		if '0' <= r && r <= '9' || r < utf8.RuneSelf && leetSymbol(r) != 0 || r >= utf8.RuneSelf && unicode.IsDigit(r) || r == '€' ||
			r == 'I' && leetI(text, lo+i) {
			return true
		}
	}
	return false
}

// eval evaluates n and returns the spans that make it true as the range
// [lo, hi) of sc.arena; an empty range means false.
func (m *Matcher) eval(n *node, sc *scratch) (int32, int32) {
	if n.op != OpTerm {
		if mm := &sc.memo[n.id]; mm.gen == sc.gen {
			return mm.lo, mm.hi
		}
		lo, hi := m.evalNode(n, sc)
		sc.memo[n.id] = memo{gen: sc.gen, lo: lo, hi: hi}
		return lo, hi
	}
	return m.evalNode(n, sc)
}

func (m *Matcher) evalNode(n *node, sc *scratch) (int32, int32) {
	switch n.op {
	case OpTerm:
		lo := int32(len(sc.arena))
		for i := sc.leafFirst[n.leaf]; i >= 0; i = sc.links[i].next {
			sc.arena = append(sc.arena, sc.links[i].sp)
		}
		return lo, int32(len(sc.arena))
	case OpNot:
		lo, hi := m.eval(n.kids[0], sc)
		if lo == hi {
			return lo, hi
		}
		if rlo, rhi := m.eval(n.kids[1], sc); rlo != rhi {
			return rhi, rhi
		}
		return lo, hi
	case OpOr, OpAnd:
		// Kids' results are gathered on sc.stack (nested ORs and ANDs push
		// above and pop back), then copied to the arena in one piece.
		base := len(sc.stack)
		for i, l := range n.kidLeaf {
			if l >= 0 && !sc.hasHit(l) {
				if n.op == OpAnd {
					sc.stack = sc.stack[:base]
					return int32(len(sc.arena)), int32(len(sc.arena))
				}
				continue
			}
			lo, hi := m.eval(n.kids[i], sc)
			if lo == hi && n.op == OpAnd {
				sc.stack = sc.stack[:base]
				return hi, hi
			}
			sc.stack = append(sc.stack, sc.arena[lo:hi]...)
		}
		lo := int32(len(sc.arena))
		sc.arena = append(sc.arena, sc.stack[base:]...)
		sc.stack = sc.stack[:base]
		return lo, int32(len(sc.arena))
	case OpNear:
		alo, ahi := m.eval(n.kids[0], sc)
		if alo == ahi {
			return ahi, ahi
		}
		blo, bhi := m.eval(n.kids[1], sc)
		if blo == bhi {
			return bhi, bhi
		}
		return sc.near(alo, ahi, blo, bhi, n.dist)
	}
	panic("match: unknown op")
}

// near appends, for each span of a, the spans covering it and its
// tightest partner in b on either side (the one ending last before it and
// the one starting first after it, within dist words), and returns the
// appended range. Those two are at least as tight as any other pairing,
// so an enclosing NEAR loses nothing. Spans of b are sorted by start and
// searched by binary search, so hostile texts with thousands of repeated
// terms cost O(n log n), not O(n²).
func (sc *scratch) near(alo, ahi, blo, bhi, dist int32) (int32, int32) {
	bs := sc.arena[blo:bhi]
	slices.SortFunc(bs, func(x, y span) int { return int(x.s - y.s) })
	maxLen := int32(0)
	for _, b := range bs {
		maxLen = max(maxLen, b.e-b.s)
	}
	lo := int32(len(sc.arena))
	for i := alo; i < ahi; i++ {
		a := sc.arena[i]
		// Candidates start from dist+maxLen+1 words before a (ending just
		// before it) to dist+1 words after its end.
		from := a.s - dist - maxLen - 1
		first, _ := slices.BinarySearchFunc(bs, from, func(x span, t int32) int { return int(x.s - t) })
		var before, after span
		haveBefore, haveAfter := false, false
		for _, b := range bs[first:] {
			if b.s > a.e+dist+1 {
				break
			}
			if _, ok := nearPair(a, b, dist); !ok {
				continue
			}
			if b.s < a.s {
				if !haveBefore || b.e > before.e || b.e == before.e && b.s > before.s {
					before, haveBefore = b, true
				}
			} else if !haveAfter || b.e < after.e {
				after, haveAfter = b, true
			}
		}
		if haveBefore {
			sp, _ := nearPair(a, before, dist)
			sc.arena = append(sc.arena, sp)
		}
		if haveAfter {
			sp, _ := nearPair(a, after, dist)
			sc.arena = append(sc.arena, sp)
		}
	}
	return lo, int32(len(sc.arena))
}

// nearPair reports whether a and b have at most dist words between them
// (and neither holds the other), and returns the span covering both.
func nearPair(a, b span, dist int32) (span, bool) {
	if a.s > b.s {
		a, b = b, a
	}
	if b.s <= a.e {
		// Overlapping terms pair when neither holds the other: "kî rê"
		// and "rê dike" in "kî rê dike", not "boat" inside "small boat".
		if b.s == a.s || b.e <= a.e {
			return span{}, false
		}
		return span{a.s, b.e}, true
	}
	if b.s-a.e-1 > dist {
		return span{}, false
	}
	return span{a.s, max(a.e, b.e)}, true
}

// mergeSpans sorts spans and merges those that overlap, so explain output
// highlights each matched stretch of text once.
func mergeSpans(in []span) []span {
	spans := slices.Clone(in)
	slices.SortFunc(spans, func(a, b span) int { return int(a.s - b.s) })
	var out []span
	for _, sp := range spans {
		if n := len(out); n > 0 && sp.s <= out[n-1].e {
			out[n-1].e = max(out[n-1].e, sp.e)
			continue
		}
		out = append(out, sp)
	}
	return out
}

// rulesVersion hashes the rule files' names and contents as parsed.
func rulesVersion(files []*RuleFile) string {
	h := sha256.New()
	for _, f := range files {
		fmt.Fprintf(h, "%s\x00%s\x00", f.Name, f.Lang)
		// Sets render by name inside expressions, so hash their
		// definitions too: editing a set changes the version.
		names := make([]string, 0, len(f.Sets))
		for name := range f.Sets {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			fmt.Fprintf(h, "@%s=%s\x00", name, f.Sets[name])
		}
		if f.Exclude != nil {
			fmt.Fprintf(h, "%s\x00", f.Exclude)
		}
		for _, r := range f.Rules {
			fmt.Fprintf(h, "%s\x00%s\x00%d\x00%v\x00%s\x00", r.ID, r.Category, r.Kinds, r.Languages, r.Expr)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// complete reports whether every group of t has a hit.
func (m *Matcher) complete(sc *scratch, t *trigger) bool {
	for _, g := range t.groups[:t.n] {
		if sc.groupState[g].gen != sc.gen {
			return false
		}
	}
	return true
}

// hadMainHit reports whether one of t's groups had an exact hit in the
// main view (kept by keepMainLeaves before the fuzzy view).
func (m *Matcher) hadMainHit(sc *scratch, t *trigger) bool {
	for _, g := range t.groups[:t.n] {
		for _, l := range sc.mainLeaves {
			if _, ok := slices.BinarySearch(m.leaves[l].groups, g); ok {
				return true
			}
		}
	}
	return false
}

// anyPositiveHit reports whether a term that can make a rule match had a
// hit: only then can correcting a typo complete a rule.
func (m *Matcher) anyPositiveHit(sc *scratch) bool {
	for _, l := range sc.touched {
		if m.leaves[l].positive {
			return true
		}
	}
	return false
}
