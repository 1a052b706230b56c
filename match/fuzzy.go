package match

import (
	"bytes"
	"math/bits"
	"slices"
	"unicode"
	"unicode/utf8"
)

// Typo tolerance: a text word may stand for a vocabulary word of 6 or more
// letters at edit distance 1, or of 9 or more at distance 2. Shorter
// words are never corrected ("boot" is not "boat"), and a rule can only
// match through a corrected word if it also has an exactly matched term.
const (
	fuzzyMin1 = 6
	fuzzyMin2 = 9
	// fuzzyMax bounds the words considered, in runes.
	fuzzyMax = 32
	// fuzzyMaxText bounds the texts (normalised bytes, so full-width or
	// decorated letters do not count thrice) that get typo correction:
	// searches and short posts. Long posts have many words near a term,
	// and correcting them would cost more than the rest of matching;
	// adverts repeat their key words, so a typo rarely hides all of them.
	fuzzyMaxText = 280
	// fuzzyReach is how many words either side of a term's match are
	// considered for correction.
	fuzzyReach = 6
)

// fuzzyIndex finds vocabulary words near a misspelt word with a deletion
// index (the SymSpell idea): every word and every form of it with one
// letter deleted (two for words of 9+ letters) maps to the vocabulary
// words it came from. A text word is looked up as it is and with each
// one letter deleted, a dozen lookups, and candidates are checked with a
// real edit distance. Distance 2 is found for two dropped letters or one
// dropped and one changed, not for two changed letters; deleting two on
// the text side too would find those at ten times the cost per word.
type fuzzyIndex struct {
	words []string
	// langs[id] has a bit for each language whose rules use words[id]
	// (see langBit): a typo equally near two words is corrected towards
	// the one of the text's languages.
	langs []uint32
	// wordLangs has the languages of every word of a whole-word term, of
	// any length, and stemWordLangs of every prefix term's stem: a text
	// word that is only another language's word (the
	// Turkish calis, work, for calais misspelt in a Vietnamese search) may
	// still be a typo (see correctForeign).
	wordLangs, stemWordLangs map[string]uint32
	dels                     *hashIndex
	// affixes is a filter in front of dels: keys of the pieces of every
	// vocabulary word that a typo the lookups can find leaves intact in
	// the text word (see vocabKeys and mayCorrect). A text word with
	// none of its keys here cannot be corrected, and is dismissed by two
	// to five probes here instead of a dozen in dels. Three-letter ends
	// are common, so it dismisses few words: of the words of five or
	// more letters in the benchmark texts, 12 of 256 in searches and 39
	// of 231 in posts.
	affixes u64set
	// stems are the stems of prefix terms of fuzzyMin1 or more letters
	// (kaçakçı*, dunkirk*), for typos in the words those terms match:
	// such a word is in no vocabulary, so the lookups above never find
	// it. byStart lists them by their first three letters, byBody by
	// their fourth to sixth (for a typo among the first three; a swap
	// of the third and fourth letters breaks both and is not found).
	stems           [][]rune
	stemStr         []string
	stemLangs       []uint32
	byStart, byBody map[uint64][]int32
	// stemKeys holds the keys of byStart and byBody: most words have
	// none, and a probe here is cheaper than a map lookup.
	stemKeys u64set
	// inflect finds a word of the rules with an inflectional ending
	// (see inflections); nil without suffixing languages.
	inflect *inflectionIndex
}

// Kinds of filter keys, mixed into their hash.
const (
	keyPrefix = iota + 1
	keySuffix
	keyEnds
	keyMiddle
	keyStemStart
	keyStemBody
)

// filterKey hashes the runes rs into a non-zero key of the given kind.
// Different pieces may collide: the filter then lets a word through to
// the lookups, which decide.
func filterKey(kind uint64, rs []rune) uint64 {
	h := kind * 0x9E3779B97F4A7C15
	for _, r := range rs {
		h = (h ^ uint64(r)) * 0x100000001B3
		h ^= h >> 29
	}
	return h | 1
}

// vocabKeys returns the filter keys of a vocabulary word of n >=
// fuzzyMin1 runes:
//   - its first three and its last three runes: one edit (a changed,
//     added or dropped letter, or two neighbours swapped outside the
//     middle) leaves one of the two intact in a text word of five or
//     more letters;
//   - for a word of six runes, its first two and last two: a swap of the
//     two middle letters breaks both three-rune ends;
//   - for a word of nine or more runes (corrected at distance 2), what
//     lies between its three-rune ends: two edits, one in each end, leave
//     it intact (see mayCorrect).
func vocabKeys(rs []rune, keys []uint64) []uint64 {
	n := len(rs)
	keys = append(keys, filterKey(keyPrefix, rs[:3]), filterKey(keySuffix, rs[n-3:]))
	if n == 6 {
		keys = append(keys, filterKey(keyEnds, []rune{rs[0], rs[1], rs[4], rs[5]}))
	}
	if n >= fuzzyMin2 {
		keys = append(keys, filterKey(keyMiddle, rs[3:n-3]))
	}
	return keys
}

// mayCorrect reports whether the text word rs (at least fuzzyMin1-1
// runes) has a key in the filter, that is whether some vocabulary word
// may be a typo away from it. The lookups in dels find a vocabulary word
// u of m runes for a text word w of n runes when w is u with one letter
// changed, added or dropped, or two neighbours swapped, or (m >= 9) two
// letters dropped or one dropped and one changed. For the last two, when
// neither three-rune end of u is intact in w, one edit was in each end,
// and u's middle u[3:m-3] is in w at a known place: w[2:n-2] for two
// dropped letters (n = m-2), w[2:n-3] or w[3:n-2] for one dropped in
// the first or the last end and one changed in the other (n = m-1).
// Words swapped across the boundary of an end and the middle, with a
// second edit in the other end, are the case the filter does not let
// through.
func (fx *fuzzyIndex) mayCorrect(rs []rune) bool {
	n := len(rs)
	if fx.affixes.has(filterKey(keyPrefix, rs[:3])) || fx.affixes.has(filterKey(keySuffix, rs[n-3:])) {
		return true
	}
	switch {
	case n == 6:
		return fx.affixes.has(filterKey(keyEnds, []rune{rs[0], rs[1], rs[4], rs[5]}))
	case n >= fuzzyMin2-2:
		if fx.affixes.has(filterKey(keyMiddle, rs[2:n-2])) {
			return true
		}
		if n >= fuzzyMin2-1 {
			return fx.affixes.has(filterKey(keyMiddle, rs[2:n-3])) || fx.affixes.has(filterKey(keyMiddle, rs[3:n-2]))
		}
	}
	return false
}

// u64set is an open-addressing set of non-zero keys.
type u64set struct {
	mask uint64
	keys []uint64
}

func newU64Set(keys []uint64) u64set {
	size := uint64(1) << bits.Len64(uint64(len(keys))*2+1)
	s := u64set{mask: size - 1, keys: make([]uint64, size)}
	for _, k := range keys {
		i := (k * 0x9E3779B97F4A7C15) >> 40 & s.mask
		for s.keys[i] != 0 && s.keys[i] != k {
			i = (i + 1) & s.mask
		}
		s.keys[i] = k
	}
	return s
}

func (s u64set) has(k uint64) bool {
	for i := (k * 0x9E3779B97F4A7C15) >> 40 & s.mask; ; i = (i + 1) & s.mask {
		switch s.keys[i] {
		case k:
			return true
		case 0:
			return false
		}
	}
}

// newFuzzyIndex indexes the words of vocab and the prefix terms' stems,
// each with the languages (bits of langBit) whose rules use it.
func newFuzzyIndex(vocab, stems map[string]uint32) *fuzzyIndex {
	fx := &fuzzyIndex{dels: newSeededIndex(), wordLangs: vocab, stemWordLangs: stems}
	var affixes []uint64
	// Every form of every word with up to its allowed number of letters
	// deleted, by hash: deletionHashes gives a word's and its one-letter
	// deletions' hashes without building the strings, about a dozen per
	// word and ten times that for long ones.
	var pairs []hashedID
	var hs, hs2 [fuzzyMax + 1]uint64
	var form [4 * fuzzyMax]byte
	// Vocabulary words in sorted order, so ids do not depend on map order.
	words := make([]string, 0, len(vocab))
	for w := range vocab {
		words = append(words, w)
	}
	slices.Sort(words)
	for _, w := range words {
		n := utf8.RuneCountInString(w)
		if n < fuzzyMin1 || n > fuzzyMax || !isWordy(w) {
			continue
		}
		id := int32(len(fx.words))
		fx.words = append(fx.words, w)
		fx.langs = append(fx.langs, vocab[w])
		fx.dels.maxKey = max(fx.dels.maxKey, len(w))
		k := fx.dels.deletionHashes([]byte(w), hs[:])
		for _, hv := range hs[:k] {
			pairs = append(pairs, hashedID{hv, id})
		}
		if n >= fuzzyMin2 {
			// Two letters: the one-letter deletions of each one-letter
			// deletion.
			for i, r := range w {
				f := append(append(form[:0], w[:i]...), w[i+utf8.RuneLen(r):]...)
				k := fx.dels.deletionHashes(f, hs2[:])
				for _, hv := range hs2[1:k] {
					pairs = append(pairs, hashedID{hv, id})
				}
			}
		}
		affixes = vocabKeys([]rune(w), affixes)
	}
	fx.dels.fill(pairs)
	fx.affixes = newU64Set(affixes)
	fx.indexStems(stems)
	return fx
}

// indexStems adds the stems of fuzzyMin1 letters or more, in sorted order.
func (fx *fuzzyIndex) indexStems(stems map[string]uint32) {
	fx.byStart, fx.byBody = map[uint64][]int32{}, map[uint64][]int32{}
	sorted := make([]string, 0, len(stems))
	for s := range stems {
		sorted = append(sorted, s)
	}
	slices.Sort(sorted)
	for _, s := range sorted {
		rs := []rune(s)
		if len(rs) < fuzzyMin1 || len(rs) > fuzzyMax || !isWordy(s) {
			continue
		}
		id := int32(len(fx.stems))
		fx.stems, fx.stemStr, fx.stemLangs = append(fx.stems, rs), append(fx.stemStr, s), append(fx.stemLangs, stems[s])
		ks, kb := filterKey(keyStemStart, rs[:3]), filterKey(keyStemBody, rs[3:6])
		fx.byStart[ks] = append(fx.byStart[ks], id)
		fx.byBody[kb] = append(fx.byBody[kb], id)
	}
	keys := make([]uint64, 0, len(fx.byStart)+len(fx.byBody))
	for _, m := range []map[uint64][]int32{fx.byStart, fx.byBody} {
		for k := range m {
			keys = append(keys, k)
		}
	}
	fx.stemKeys = newU64Set(keys)
}

// correctStem finds a stem one edit away from the beginning of the word
// rs (a letter changed, dropped, added, or two swapped, within the stem's
// length), and returns it with the number of runes of rs it replaces:
// smuglrs is smugler* misspelt, read smuglers. Of several, it takes one
// of the languages in prefer, then the longest, then the first in byte
// order. It does not allocate.
func (fx *fuzzyIndex) correctStem(rs []rune, prefer uint32) (stem string, cut int) {
	if len(fx.stems) == 0 || len(rs) < fuzzyMin1 {
		return "", 0
	}
	best := int32(-1)
	try := func(m map[uint64][]int32, k uint64) {
		if !fx.stemKeys.has(k) {
			return
		}
		for _, id := range m[k] {
			if c := stemEdit(rs, fx.stems[id]); c > 0 && len(rs)-c <= maxStemEnding && (best < 0 || fx.stemBefore(id, best, prefer)) {
				best, cut = id, c
			}
		}
	}
	try(fx.byStart, filterKey(keyStemStart, rs[:3]))
	for k := 2; k <= 4 && k+3 <= len(rs); k++ {
		try(fx.byBody, filterKey(keyStemBody, rs[k:k+3]))
	}
	if best < 0 {
		return "", 0
	}
	return fx.stemStr[best], cut
}

// maxStemEnding is the longest ending, in letters, that a word corrected
// towards a prefix term's stem may have after it. Suffixes are short
// (smuglering, kaçakçılardan); a longer rest is another word that begins
// one letter away from the stem: the Somali dhalinyarada (the youth) is
// not dhallaan* (infants) misspelt.
const maxStemEnding = 5

// stemEdit reports whether the word rs begins with stem s misspelt by one
// edit, and how many runes of rs that beginning is: len(s) for a changed
// letter or two swapped, one less for a dropped letter, one more for an
// added one; 0 when it does not (or begins with s as it is). It is
// withinOne on rs's beginnings of those three lengths, sharing the
// common prefix.
func stemEdit(rs, s []rune) int {
	l := len(s)
	if len(rs) < l-1 {
		return 0
	}
	p := 0
	for p < l && p < len(rs) && rs[p] == s[p] {
		p++
	}
	switch {
	case p == l:
		return 0 // the stem itself: an exact hit, not a typo
	case len(rs) >= l && slices.Equal(rs[p+1:l], s[p+1:]):
		return l // changed
	case len(rs) >= l && p+1 < l && rs[p] == s[p+1] && rs[p+1] == s[p] && slices.Equal(rs[p+2:l], s[p+2:]):
		return l // swapped
	case slices.Equal(rs[p:l-1], s[p+1:]):
		return l - 1 // dropped
	case len(rs) > l && slices.Equal(rs[p+1:l+1], s[p:]):
		return l + 1 // added
	}
	return 0
}

// stemBefore reports whether stem a is a better correction than stem b:
// one of the preferred languages, then the longer, then byte order.
func (fx *fuzzyIndex) stemBefore(a, b int32, prefer uint32) bool {
	pa, pb := fx.stemLangs[a]&prefer != 0, fx.stemLangs[b]&prefer != 0
	if pa != pb {
		return pa
	}
	if len(fx.stems[a]) != len(fx.stems[b]) {
		return len(fx.stems[a]) > len(fx.stems[b])
	}
	return fx.stemStr[a] < fx.stemStr[b]
}

// isWordy reports whether w is letters, not digits or emoji.
func isWordy(w string) bool {
	for _, r := range w {
		if isDigit(r) || r >= 0x2190 && r < 0x3000 || r >= 0x1F000 {
			return false
		}
	}
	return true
}

// correct returns the vocabulary word nearest to w within the allowed
// distance, or "" when there is none; known reports that w is itself a
// vocabulary word (and so has no correction). Of two words equally near,
// it takes one of the languages in prefer (the text's languages, see
// Matcher.textLangs), then the first in byte order: Arabic لبريانيا is
// بريطانيا misspelt, as the Arabic terms around it spell Britain, not
// the Persian برتانيا, also one letter away. It does not allocate.
func (fx *fuzzyIndex) correct(w []byte, prefer uint32) (c string, known bool) {
	return fx.lookup(w, prefer, false)
}

// correctForeign corrects w, a word of the rules of other languages than
// those of text (the languages most of the text's terms belong to, see
// Matcher.textLangs), towards a word of the text's languages one
// letter away, if there is one: calis (Turkish, work) in a Vietnamese
// search beside sang anh is calais misspelt. A word that some rule of
// the text's languages uses stays as it is, and so does one with no
// word of those languages near.
func (fx *fuzzyIndex) correctForeign(w []byte, text uint32) string {
	// The filter first: most words have no word a letter away, and the
	// maps of languages cost more than its few probes.
	n, ok := fx.filter(w)
	if !ok {
		return ""
	}
	langs := fx.wordLangs[string(w)] | fx.stemWordLangs[string(w)]
	if text == 0 || langs == 0 || langs&text != 0 {
		return ""
	}
	c, _ := fx.lookupFiltered(w, n, text, true)
	return c
}

// filter returns the number of runes of w and whether a vocabulary word
// may be a typo away from it (see mayCorrect).
func (fx *fuzzyIndex) filter(w []byte) (int, bool) {
	var rs [fuzzyMax]rune
	n, ok := decodeRunes(rs[:], w)
	return n, ok && n >= fuzzyMin1-1 && fx.mayCorrect(rs[:n])
}

// lookup is correct; with foreign set, w is a word of the vocabulary
// left out (see correctForeign) and only words of prefer's languages
// at distance 1 are corrections.
func (fx *fuzzyIndex) lookup(w []byte, prefer uint32, foreign bool) (c string, known bool) {
	n, ok := fx.filter(w)
	if !ok {
		return "", false
	}
	return fx.lookupFiltered(w, n, prefer, foreign)
}

// lookupFiltered is lookup for a word of n runes that passed the filter.
func (fx *fuzzyIndex) lookupFiltered(w []byte, n int, prefer uint32, foreign bool) (c string, known bool) {
	best, bestD := int32(-1), 3
	check := func(id int32) {
		cand := fx.words[id]
		allowed := 1
		if foreign {
			if fx.langs[id]&prefer == 0 || cand == string(w) {
				return
			}
		} else if utf8.RuneCountInString(cand) >= fuzzyMin2 {
			allowed = 2
		}
		if d := editDistance(w, cand, allowed); d <= allowed && (d < bestD || d == bestD && fx.before(id, best, prefer, w, n)) {
			best, bestD = id, d
		}
	}
	// The word itself and each form with one letter deleted (which
	// covers an inserted or changed letter) are looked up together: the
	// table is large and its probes miss the cache, so their loads are
	// issued before any is needed.
	var hs [fuzzyMax + 1]uint64
	k := fx.dels.deletionHashes(w, hs[:])
	fx.dels.touch(hs[:k])
	for j, hv := range hs[:k] {
		one, more, _ := fx.dels.lookupHash(hv)
		if one >= 0 {
			check(one)
		}
		for _, id := range more {
			check(id)
		}
		if j == 0 && bestD == 0 && !foreign {
			return "", true
		}
	}
	if best < 0 {
		return "", false
	}
	return fx.words[best], false
}

// before reports whether vocabulary word a is a better correction than b
// (or b is -1) at the same distance, for w, a word of n letters: a word
// of the preferred languages, then one the word is missing letters of (a
// dropped letter is the commonest typo: بەریتانا is بەریتانیا, Britain,
// not بەریتانی, British), then one with the word's own letters (two
// swapped: the Arabizi makreb is markeb, a boat, not mahreb, a smuggler,
// one letter changed), then byte order.
func (fx *fuzzyIndex) before(a, b int32, prefer uint32, w []byte, n int) bool {
	if b < 0 {
		return true
	}
	pa, pb := fx.langs[a]&prefer != 0, fx.langs[b]&prefer != 0
	if pa != pb {
		return pa
	}
	if la, lb := utf8.RuneCountInString(fx.words[a]) > n, utf8.RuneCountInString(fx.words[b]) > n; la != lb {
		return la
	}
	if sa, sb := sameBytes(w, fx.words[a]), sameBytes(w, fx.words[b]); sa != sb {
		return sa
	}
	return fx.words[a] < fx.words[b]
}

// sameBytes reports whether w and s hold the same bytes in some order.
func sameBytes(w []byte, s string) bool {
	if len(w) != len(s) {
		return false
	}
	var count [256]int16
	for i := range len(w) {
		count[w[i]]++
		count[s[i]]--
	}
	for _, c := range count {
		if c != 0 {
			return false
		}
	}
	return true
}

// squeezedBefore reports whether a, a correction of a word as written
// with its repeated letters (see correctSqueezed), is a better one than
// b, the correction of its squeezed reading: one of the preferred
// languages, then one the word is missing letters of, as in before.
func (fx *fuzzyIndex) squeezedBefore(a, b string, prefer uint32) bool {
	pa, pb := fx.wordLangs[a]&prefer != 0, fx.wordLangs[b]&prefer != 0
	if pa != pb {
		return pa
	}
	return len(a) > len(b)
}

// isVocab reports whether w is a word of some term.
func isVocab(vocab *hashIndex, w []byte) bool {
	_, ok := vocab.flags(w)
	return ok
}

// isWordAlone reports whether w is a word of vocab that some term has
// as a whole word of its own, or a short one (two letters or fewer) that
// only phrases have: a longer word a phrase needs beside other words
// (what, of "what s the rate") is no word of the rules when it stands
// for half of one (what sapp), but the short ones are the prepositions
// and particles of phrases (في, از, کا, ካብ), words in their own right.
func isWordAlone(vocab *hashIndex, w []byte) bool {
	f, ok := vocab.flags(w)
	return ok && wordAlone(f, w)
}

// wordAlone is isWordAlone for a word of vocab with flags f.
func wordAlone(f int32, w []byte) bool {
	return f&vocabInner == 0 || utf8.RuneCount(w) <= 2
}

// correctWithProclitic is correct, and for an Arabic word that has no
// correction of its own, the correction of the word after a proclitic
// (لايطليا is ل + ايطاليا misspelt), returned as the proclitic and the
// corrected rest. Terms match with proclitics attached, so the corrected
// word still matches.
func (fx *fuzzyIndex) correctWithProclitic(w []byte, prefer uint32) ([]byte, string) {
	if c, known := fx.correct(w, prefer); c != "" || known || len(w) == 0 || w[0] < utf8.RuneSelf {
		return nil, c
	}
	for _, p := range arabicProcliticKeys {
		if !bytes.HasPrefix(w, p) || utf8.RuneCount(w[len(p):]) < fuzzyMin1-1 {
			continue
		}
		if c, _ := fx.correct(w[len(p):], prefer); c != "" {
			return p, c
		}
	}
	return nil, ""
}

// arabicProcliticKeys are the normalised Arabic proclitics, longest
// first, so that وال is tried before و. Computed once, never written.
var arabicProcliticKeys = func() [][]byte {
	var out [][]byte
	for _, p := range arabicProclitics {
		out = append(out, []byte(Normalize(p)))
	}
	slices.SortStableFunc(out, func(a, b []byte) int { return len(b) - len(a) })
	return out
}()

// editDistance is the optimal-string-alignment distance between a and b
// in runes (insertions, deletions, substitutions and transpositions of
// neighbours), giving up early above limit. Words are short: it uses
// fixed arrays and does not allocate.
func editDistance(a []byte, b string, limit int) int {
	var ra, rb [fuzzyMax + 2]rune
	na, nb := 0, 0
	for _, r := range string(a) {
		if na == fuzzyMax+1 {
			return limit + 1
		}
		ra[na] = r
		na++
	}
	for _, r := range b {
		if nb == fuzzyMax+1 {
			return limit + 1
		}
		rb[nb] = r
		nb++
	}
	if d := na - nb; d > limit || -d > limit {
		return limit + 1
	}
	if limit == 1 {
		return withinOne(ra[:na], rb[:nb])
	}
	var prev2, prev, cur [fuzzyMax + 2]int
	for j := 0; j <= nb; j++ {
		prev[j] = j
	}
	for i := 1; i <= na; i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= nb; j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev = prev, cur
	}
	return prev[nb]
}

// correct fills v from src with each word that no term matched and that
// is within the allowed distance of a vocabulary word replaced by it
// (preferring words of the languages in prefer, see fuzzyIndex.correct). It
// reports whether any word was replaced; sc supplies the main view's
// term hits and scratch space. A word of any term (vocab) is never
// corrected either, nor one that is a veto-only prefix term's stem with a
// short ending (vetoVocab; ligjshme for ligjshm*, see vetoStemMin):
// exclusion hits are not scanned for unless a rule is a candidate, and a
// benign word one letter away from a term stays what it is. Nor is a word
// that a positive prefix term's stem of fuzzyMin1 or more bytes covers in
// the same way (permits, for permit*): it is a known word with an ending,
// which the main view did not hit only because the phrase it ends was
// misspelt ("resience permits"), and correcting it too, towards another
// language's word (the French permis), would break the phrase again.
func (v *view) correct(src *view, orig string, fx *fuzzyIndex, vocab, vetoVocab *hashIndex, prefer uint32, sc *scratch) bool {
	if cap(sc.covered) < len(src.words) {
		sc.covered = make([]uint8, len(src.words))
	}
	// covered says what each word is to the hits (see the cover
	// constants): words far from every hit are left alone (rules look
	// for words near each other, and correcting every word of a long
	// post would cost more than the rest of matching).
	covered := sc.covered[:len(src.words)]
	clear(covered)
	for _, l := range sc.links {
		for w := max(l.sp.s-fuzzyReach, 0); w <= l.sp.e+fuzzyReach && int(w) < len(covered); w++ {
			switch {
			case w >= l.sp.s && w <= l.sp.e && l.sp.s < l.sp.e:
				covered[w] = coverPhrase
			case w >= l.sp.s && w <= l.sp.e:
				if covered[w] != coverPhrase {
					covered[w] = coverWord
				}
			case covered[w] == coverFar:
				covered[w] = coverNear
			}
		}
	}
	// Find the corrections first: most texts near a hit have none, and
	// then the view is not built at all. Word i of src is word i of the
	// corrected view, so sc.fixes also says which words were corrected.
	fixes := sc.fixes[:0]
	sc.fixBytes = sc.fixBytes[:0]
	for i := 0; i < len(src.words); i++ {
		w := src.words[i]
		text := src.buf[w.start:w.end]
		// Cheap tests first: most words near a hit are short, and a
		// correction is rare, so the vocabulary is only consulted for one.
		// A word of a term (often an exclusion's, which the main view
		// does not scan for) is never corrected: one lookup settles it,
		// before the dozen a correction costs.
		if covered[i] == coverFar || w.emoji {
			continue
		}
		// A word split in two or three by spaces (smug gler, pass port,
		// smu ggl er) is read joined. The first piece takes the joined
		// word and the others stay as empty words, so that word i is
		// still word i of the corrected view and a phrase through the
		// split word reads on (el mha rbin bi2oulo).
		if n, g := splitJoin(src, i, covered, vocab, sc); g != nil {
			fixes = append(fixes, fix{word: int32(i), rest: g})
			for k := 1; k < n; k++ {
				fixes = append(fixes, fix{word: int32(i + k), cont: true})
			}
			i += n - 1
			continue
		}
		if covered[i] == coverWord {
			// A word only a prefix term's stem matched (qacaxiyen, by
			// qacax*) may be a longer term's word misspelt (qacaxciyen,
			// by qacaxci*): it is corrected when the correction still
			// begins with that stem, so that the stem's hit stands.
			if f := stemHitFix(text, fx, vocab, vetoVocab, prefer); f.to != "" {
				f.word = int32(i)
				fixes = append(fixes, f)
			}
			continue
		}
		if covered[i] != coverNear {
			continue
		}
		// A word squeezed short (mellla reads mela) may still be a typo
		// once its repeat is kept.
		long := len(text) >= fuzzyMin1-1
		word := orig[w.origS:w.origE]
		squeezed := len(word) >= fuzzyMin1-1 && hasRepeat(word)
		if !long && !squeezed {
			continue
		}
		if isVocab(vocab, text) {
			if long {
				if c := fx.correctForeign(text, prefer); c != "" {
					fixes = append(fixes, fix{word: int32(i), to: c})
				}
			}
			continue
		}
		var proc, rest []byte
		var c string
		if long {
			proc, c = fx.correctWithProclitic(text, prefer)
			if c == "" {
				// No word is near: perhaps a prefix term's stem is,
				// and the word is the stem misspelt with an ending.
				c, rest = fx.correctStemBytes(text, prefer)
			}
		}
		if squeezed && rest == nil {
			// The word as written, its repeats kept, may be nearer
			// another word than its squeezed reading is: angleerre
			// reads anglere, one letter from the Albanian angleze,
			// and is angleterre with a letter dropped.
			if p2, c2 := fx.correctSqueezed(word, src.mode, prefer, &sc.hashtag); c2 != "" && (c == "" || fx.squeezedBefore(c2, c, prefer)) {
				proc, c = p2, c2
			}
		}
		if c != "" && !stemmedWord(text, vocab, vetoVocab) {
			fixes = append(fixes, fix{word: int32(i), proc: proc, to: c, rest: rest})
		} else if c == "" && long {
			// No typo: perhaps a word of the rules with an ending
			// of its language glued on (bodrumdan), read as the word.
			if l := fx.inflect.stem(text); l > 0 && !stemmedWord(text, vocab, vetoVocab) {
				fixes = append(fixes, fix{word: int32(i), rest: text[:l]})
			}
		}
	}
	sc.fixes = fixes
	if len(fixes) == 0 {
		return false
	}
	v.reset()
	for i, w := range src.words {
		if len(fixes) == 0 || fixes[0].word != int32(i) {
			v.copyWord(src, w)
			continue
		}
		f := fixes[0]
		fixes = fixes[1:]
		if f.cont {
			// No bytes and no space: the word before holds this piece,
			// and its text now reaches to the piece's end.
			v.words[len(v.words)-1].origE = w.origE
			nw := v.pushWord()
			*nw = w
			nw.start = int32(len(v.buf) - 1)
			nw.end = nw.start
			v.joined = true
			continue
		}
		nw := v.pushWord()
		*nw = w
		nw.start = int32(len(v.buf))
		v.buf = append(v.buf, f.proc...)
		v.buf = append(v.buf, f.to...)
		v.buf = append(v.buf, f.rest...)
		nw.end = int32(len(v.buf))
		v.buf = append(v.buf, ' ')
	}
	return true
}

// stemHitFix returns the correction of w, a word that a term's hit
// covers, when only a prefix term's stem matched it: the word or stem
// one letter away, of a longer term, that still begins with that stem.
// A whole word of the rules, or one too short to correct, has none.
func stemHitFix(w []byte, fx *fuzzyIndex, vocab, vetoVocab *hashIndex, prefer uint32) fix {
	// A word an exclusion's stem covers too stays (randevusu, for
	// randevu*, is not the randevusuz of a visa seller's pitch).
	if len(w) < fuzzyMin1 || isVocab(vocab, w) || hasStem(w, vetoVocab, vetoStemMin(len(w))) {
		return fix{}
	}
	st := longestStem(w, vocab, 1)
	if st == 0 {
		return fix{}
	}
	proc, c := fx.correctWithProclitic(w, prefer)
	var rest []byte
	if c == "" {
		c, rest = fx.correctStemBytes(w, prefer)
	}
	// Only towards a longer word: the commonest typo drops a letter,
	// while a word a stem matched that is longer than a term's word is
	// mostly the word inflected (parkings, تضمینوي), not misspelt.
	// Nor towards a word of exclusions: the word was a term's hit, and
	// turning it into a veto (ڕزگاربوون, of a life jacket, into
	// ڕزگاربووان, survivors) loses what it matched.
	if proc != nil || len(c) <= st || len(c)+len(rest) <= len(w) || c[:st] != string(w[:st]) ||
		isVocab(vetoVocab, []byte(c)) {
		return fix{}
	}
	return fix{to: c, rest: rest}
}

// What a word is to the hits of the view being corrected (see correct).
const (
	coverFar    = iota // far from every hit: left alone
	coverPhrase        // a word of a phrase a term matched: never corrected
	coverNear          // near a hit: corrected when misspelt
	coverWord          // a one-word term's hit: never corrected, but may be half a split word
)

// splitJoin returns the word that words i, i+1 (and i+2) of v make
// joined (squeezed where they meet: smug gler is smugler), kept in
// sc.fixBytes, and how many words it took, or 0 and nil. covered says
// what the words are to the hits (see correct). The joined word must be
// a word of vocab:
//   - two words of three letters or more, near a hit or hits of one-word
//     terms, into a word some term has as a whole word (pass port, tur
//     kia), even if both are words of the rules themselves;
//   - two words near a hit, not both words of the rules themselves; or
//     joined into a prefix term's stem with an ending, neither a word
//     (ئیزم یرەوە, from Izmir, is ئیزمیر* + ەوە; see joinsStem);
//   - two words, one of them a one-word term's hit and the other no word
//     of the rules at all, of two letters or more: half a split word is
//     often a word of some term by itself (cros, of cross, in cros sing;
//     cal in cal ais; pas in pas seur); a word of a phrase's hit is never
//     joined;
//   - three words near a hit, none a word of the rules, into a word of
//     seven bytes or more (smu ggl er).
func splitJoin(v *view, i int, covered []uint8, vocab *hashIndex, sc *scratch) (int, []byte) {
	ws := v.words
	if i+1 >= len(ws) || ws[i+1].emoji {
		return 0, nil
	}
	a, b := covered[i], covered[i+1]
	hit := -1 // the piece that is a term's hit, if any
	switch {
	case a == coverNear && (b == coverFar || b == coverNear):
	case a == coverWord && b == coverNear:
		hit = 0
	case a == coverNear && b == coverWord:
		hit = 1
	case a == coverWord && b == coverWord:
		hit = 2 // both
	default:
		return 0, nil
	}
	if g := joinPieces(v, i, 2, hit, vocab, sc); g != nil {
		return 2, g
	}
	if hit < 0 && b == coverNear && i+2 < len(ws) && !ws[i+2].emoji && (covered[i+2] == coverFar || covered[i+2] == coverNear) {
		if g := joinPieces(v, i, 3, -1, vocab, sc); g != nil {
			return 3, g
		}
	}
	return 0, nil
}

// joinPieces is splitJoin for n words from i, hit being the index among
// them of a term's hit or -1.
func joinPieces(v *view, i, n, hit int, vocab *hashIndex, sc *scratch) []byte {
	var parts [3][]byte
	size := 0
	for k := range n {
		w := v.words[i+k]
		if parts[k] = v.buf[w.start:w.end]; len(parts[k]) < 2 {
			return nil
		}
		size += len(parts[k])
	}
	// A word split in three must be longer than one split in two; two
	// hits are joined only as halves of three letters or more (below).
	longHalves := n == 2 && utf8.RuneCount(parts[0]) >= 3 && utf8.RuneCount(parts[1]) >= 3
	if size < fuzzyMin1+n-2 || size > vocab.maxKey+n-1 || hit == 2 && !longHalves {
		return nil
	}
	// Most neighbours are dismissed before anything is copied: a word and
	// a stem with an ending (see below) both reach past the first piece.
	if !joinBegins(vocab, parts[0], parts[1]) {
		return nil
	}
	at := len(sc.fixBytes)
	g, last := sc.fixBytes, rune(0)
	for _, p := range parts[:n] {
		g, last = appendSqueezed(g, p, last)
	}
	sc.fixBytes = g
	joined := g[at:]
	// The pieces are looked up last, and only when the joined word
	// could stand: most joins fail on it.
	vocabParts := func() int {
		c := 0
		for _, p := range parts[:n] {
			if isWordAlone(vocab, p) {
				c++
			}
		}
		return c
	}
	flags, known := vocab.flags(joined)
	var ok bool
	switch {
	case known && longHalves && wordAlone(flags, joined):
		// Halves of three letters or more that make a whole word of the
		// rules are read joined, even when each is a word of the rules
		// too (pass port, pas seur, tur kia): splitting a word into two
		// words is the evasion. Shorter pieces are too often the
		// particles of a phrase (ወደ ጂዛን, to Jizan).
		ok = true
	case hit == 2:
	case hit >= 0:
		other := parts[1-hit]
		ok = known && utf8.RuneCount(other) >= 2 && !isVocab(vocab, other)
	case n == 3:
		ok = known && vocabParts() == 0
	case known:
		ok = vocabParts() < n
	default:
		ok = joinsStem(joined, len(parts[0]), vocab) && vocabParts() == 0
	}
	if ok {
		return joined[:len(joined):len(joined)]
	}
	sc.fixBytes = sc.fixBytes[:at]
	return nil
}

// joinBegins reports whether a and b joined as joinPieces joins them
// (squeezed, see appendSqueezed) may begin a key of vocab: whether the
// bytes of a and the first rune b adds are a key's first bytes. It hashes
// them as it goes, without copying (see hashIndex.isPrefix).
func joinBegins(vocab *hashIndex, a, b []byte) bool {
	var p uint64
	n := 0
	last := rune(0)
	for k, part := range [2][]byte{a, b} {
		for i := 0; i < len(part); {
			r, size := utf8.DecodeRune(part[i:])
			if r == utf8.RuneError && size == 1 {
				return true // read as U+FFFD: left to the full test
			}
			if r == last && squeezable(r) {
				i += size
				continue
			}
			last = r
			for _, c := range part[i : i+size] {
				p = p*vocab.base + uint64(c)
			}
			n += size
			i += size
			if k == 1 {
				// The first rune past the first piece.
				return vocab.isPrefix(vocab.mix(p, n))
			}
		}
	}
	return true
}

// joinsStem reports whether g, fragments of a word joined, begins with a
// prefix term's stem (of four bytes or more) that reaches past its first
// fragment, of first bytes: a stem with an ending, split inside the stem.
func joinsStem(g []byte, first int, vocab *hashIndex) bool {
	return longestStem(g, vocab, 4) > first
}

// correctSqueezed corrects a word that has no correction as the view
// reads it, squeezed, but has one with a repeated letter kept double: a
// letter dropped between two equal letters (angleterre typed angleerre,
// read anglere) is two edits from the squeezed term (angletere), and one
// from it with the ee kept. orig is the word in the text; it is re-read
// in the view's mode without squeezing (in tmp, whose buffers it uses)
// and tried with each run of a repeated letter kept double in turn. The
// caller has checked that orig has a repeat (hasRepeat).
func (fx *fuzzyIndex) correctSqueezed(orig string, mode viewMode, prefer uint32, tmp *view) ([]byte, string) {
	tmp.mode, tmp.noSqueeze = mode, true
	tmp.normalize(orig)
	if len(tmp.words) != 1 {
		return nil, ""
	}
	var rs [2 * fuzzyMax]rune
	n, ok := decodeRunes(rs[:], tmp.buf[tmp.words[0].start:tmp.words[0].end])
	if !ok {
		return nil, ""
	}
	for i := 0; i+1 < n; i++ {
		if rs[i] != rs[i+1] || !squeezable(rs[i]) || i > 0 && rs[i-1] == rs[i] {
			continue
		}
		// Squeezed but for the run starting at i.
		b := tmp.keyBuf[:0]
		for k, r := range rs[:n] {
			if k > 0 && r == rs[k-1] && squeezable(r) && k != i+1 {
				continue
			}
			b = utf8.AppendRune(b, r)
		}
		tmp.keyBuf = b
		if proc, c := fx.correctWithProclitic(b, prefer); c != "" {
			return proc, c
		}
	}
	return nil, ""
}

// decodeRunes decodes w into dst and returns how many runes it holds, or
// false when they do not fit: words are short, and the typo lookups work
// on runes in a caller's stack array, without allocating.
func decodeRunes(dst []rune, w []byte) (int, bool) {
	n := 0
	for _, r := range string(w) {
		if n == len(dst) {
			return 0, false
		}
		dst[n] = r
		n++
	}
	return n, true
}

// hasRepeat reports whether s has a letter twice in a row.
func hasRepeat(s string) bool {
	last := rune(-1)
	for _, r := range s {
		if r == last && unicode.IsLetter(r) {
			return true
		}
		last = r
	}
	return false
}

// stemmedWord reports whether w is a prefix term's stem with a short
// ending (see correct and vetoStemMin): a veto-only term's, or a positive
// term's of fuzzyMin1 bytes or more.
func stemmedWord(w []byte, vocab, vetoVocab *hashIndex) bool {
	n := vetoStemMin(len(w))
	return hasStem(w, vetoVocab, n) || hasStem(w, vocab, max(n, fuzzyMin1))
}

// vetoStemMin is the shortest veto stem that keeps a word of n bytes from
// being corrected: one that covers it but for four bytes (ligjshme for
// ligjshm*, randevusu for randevu*, which would otherwise become the
// randevusuz, without an appointment, of a visa seller's pitch), and more
// than half of it, and four bytes at least. A shorter stem says little
// about the word: Kurmanji tûr* (tour) kept every language's 'turkei'
// and 'turey' from being read as 'turkey'.
func vetoStemMin(n int) int {
	return max(n/2+1, n-4, 4)
}

// fix is a correction the fuzzy view makes: word becomes proc+to+rest.
type fix struct {
	word int32
	proc []byte // an Arabic proclitic kept in front, or nil
	to   string
	rest []byte // after a corrected stem, the rest of the word as written
	cont bool   // a later piece of a split word, joined into the word before
}

// correctStemBytes is correctStem for a word's bytes: the stem, and the
// bytes of w after the part it replaces. It does not allocate.
func (fx *fuzzyIndex) correctStemBytes(w []byte, prefer uint32) (string, []byte) {
	var rs [fuzzyMax]rune
	n, ok := decodeRunes(rs[:], w)
	if !ok {
		return "", nil
	}
	stem, cut := fx.correctStem(rs[:n], prefer)
	if stem == "" {
		return "", nil
	}
	at := 0
	for range cut {
		_, n := utf8.DecodeRune(w[at:])
		at += n
	}
	return stem, w[at:]
}

// withinOne is editDistance with limit 1, in linear time: 0 or 1 when a
// and b are that far apart, 2 otherwise. Most vocabulary words are
// shorter than fuzzyMin2, so most candidates are checked here rather
// than with the full table.
func withinOne(a, b []rune) int {
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	a, b = a[p:], b[p:]
	switch {
	case len(a) == 0 && len(b) == 0:
		return 0
	case len(a) == len(b):
		// A changed letter, or two neighbours swapped.
		if slices.Equal(a[1:], b[1:]) || len(a) >= 2 && a[0] == b[1] && a[1] == b[0] && slices.Equal(a[2:], b[2:]) {
			return 1
		}
	case len(a) == len(b)+1:
		if slices.Equal(a[1:], b) {
			return 1
		}
	case len(b) == len(a)+1:
		if slices.Equal(a, b[1:]) {
			return 1
		}
	}
	return 2
}
