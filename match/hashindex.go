package match

import (
	"cmp"
	"math/bits"
	"math/rand/v2"
	"slices"
	"unicode/utf8"
)

// hashIndex maps byte strings to lists of ids through hashes in an
// open-addressing table. It replaces map[string][]int32 where the keys
// number in the hundreds of thousands (the typo index): a flat table of
// integers holds no pointers for the garbage collector to scan, and a
// slot is one 8-byte word, the key's 32-bit fingerprint beside its value,
// so a lookup hashes once and usually costs one cache miss, the cost that
// dominates typo correction. A key is told apart by its slot (the low
// bits of a 64-bit hash) and its fingerprint (the high 32): two strings
// that agree on both share a list, odds of about 2^-32 per lookup. The
// typo index verifies every candidate with an edit distance, and such a
// collision in the segmentation vocabulary would only split a glued word
// differently.
type hashIndex struct {
	// base and key make the hash (see hash) differ per index and per
	// process, so texts cannot be crafted offline to collide with a key.
	base, key uint64
	pow       [4*fuzzyMax + 1]uint64 // pow[i] = base^i, for deletionHashes
	mask      uint64
	// slots[i] is 0 when empty, else fingerprint<<32 | uint32(val):
	// val >= 0 is the single id of the key; val < 0 points at
	// more[-val-1], a count followed by that many ids; noID marks a key
	// without ids (a plain set).
	slots []uint64
	more  []int32
	// maxKey is the longest key in bytes: no longer substring can be in
	// the index, which bounds segmentation's search.
	maxKey int
	// prefixes holds the hash (see hash, with the low bit set) of every
	// non-empty prefix of every key that ends at a rune boundary: a piece
	// of a glued word extended a rune at a time stops at the first rune
	// no key continues with, a word joined from two is dismissed by one
	// lookup of the runes around the join, and a stem search stops where
	// the keys do. A filter: a collision only costs the lookups it would
	// have saved.
	prefixes u64set
}

// indexPrefixes fills h.prefixes from keys (reordered). In sorted order
// a key shares its first bytes with the key before it, and only its
// beginnings longer than those are new: each is added once, so the
// hashes need no sort to deduplicate them (a sort of every prefix of
// every word was most of building the vocabulary).
func (h *hashIndex) indexPrefixes(keys []string) {
	slices.Sort(keys)
	var ps []uint64
	var poly []uint64 // poly[i]: the polynomial of the previous key's first i+1 bytes
	prev := ""
	for _, k := range keys {
		common := 0
		for common < len(k) && common < len(prev) && k[common] == prev[common] {
			common++
		}
		poly = poly[:common]
		var p uint64
		if common > 0 {
			p = poly[common-1]
		}
		for i := common; i < len(k); i++ {
			p = p*h.base + uint64(k[i])
			poly = append(poly, p)
			if i+1 == len(k) || utf8.RuneStart(k[i+1]) {
				ps = append(ps, h.mix(p, i+1)|1)
			}
		}
		prev = k
	}
	h.prefixes = newU64Set(ps)
}

// isPrefix reports whether the bytes whose hash (see hash) is hv, ending
// at a rune boundary, begin some key of an index with prefixes (see
// indexPrefixes).
func (h *hashIndex) isPrefix(hv uint64) bool {
	return h.prefixes.has(hv | 1)
}

const noID = -1 << 31

// fingerprint is the high half of a key's hash, never 0 (0 marks an
// empty slot).
func fingerprint(hv uint64) uint64 { return (hv>>32 | 1) << 32 }

func newHashIndex(entries map[string][]int32) *hashIndex {
	h := newSeededIndex()
	pairs := make([]hashedID, 0, len(entries))
	for k, ids := range entries {
		h.maxKey = max(h.maxKey, len(k))
		hv := h.hash([]byte(k))
		if len(ids) == 0 {
			pairs = append(pairs, hashedID{hv, noID})
		}
		for _, id := range ids {
			pairs = append(pairs, hashedID{hv, id})
		}
	}
	h.fill(pairs)
	return h
}

// newSeededIndex returns an empty index with its hash seeds drawn, for
// the caller to hash keys with and fill.
func newSeededIndex() *hashIndex {
	h := &hashIndex{base: rand.Uint64() | 1, key: rand.Uint64()}
	h.pow[0] = 1
	for i := 1; i < len(h.pow); i++ {
		h.pow[i] = h.pow[i-1] * h.base
	}
	return h
}

// hashedID is a key, by its hash, and one of its ids (noID for a key
// stored without ids).
type hashedID struct {
	hv uint64
	id int32
}

// fill builds the table from pairs (reordered; duplicates are fine). A
// key is its slot and fingerprint, so keys are grouped by those, and
// inserted in their sorted order: the layout does not depend on the
// order the pairs came in.
func (h *hashIndex) fill(pairs []hashedID) {
	slices.SortFunc(pairs, func(a, b hashedID) int { return cmp.Compare(a.hv, b.hv) })
	keys := 0
	for i := range pairs {
		if i == 0 || pairs[i].hv != pairs[i-1].hv {
			keys++
		}
	}
	size := uint64(1) << bits.Len64(uint64(keys)*3/2+1)
	h.mask = size - 1
	h.slots = make([]uint64, size)
	key := func(hv uint64) uint64 { return hv&h.mask | fingerprint(hv) }
	slices.SortFunc(pairs, func(a, b hashedID) int {
		if c := cmp.Compare(key(a.hv), key(b.hv)); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	var ids []int32
	for i := 0; i < len(pairs); {
		k := key(pairs[i].hv)
		ids = ids[:0]
		for ; i < len(pairs) && key(pairs[i].hv) == k; i++ {
			if id := pairs[i].id; id != noID && (len(ids) == 0 || ids[len(ids)-1] != id) {
				ids = append(ids, id)
			}
		}
		slot := k & h.mask
		for h.slots[slot] != 0 {
			slot = (slot + 1) & h.mask
		}
		var val int32
		switch len(ids) {
		case 0:
			val = noID
		case 1:
			val = ids[0]
		default:
			val = -int32(len(h.more)) - 1
			h.more = append(append(h.more, int32(len(ids))), ids...)
		}
		h.slots[slot] = k&^h.mask | uint64(uint32(val))
	}
}

// hash returns the hash lookupHash takes for b: a polynomial in a
// random odd base over b's bytes, then mixed with its length. A
// polynomial rather than maphash because typo correction looks up every
// form of a word with one letter deleted, and those hashes can be
// combined from the word's prefix and suffix polynomials (see
// deletionHashes) in constant time each instead of rehashing the word.
func (h *hashIndex) hash(b []byte) uint64 {
	var p uint64
	for _, c := range b {
		p = p*h.base + uint64(c)
	}
	return h.mix(p, len(b))
}

// mix finishes a polynomial of n bytes into a hash whose every bit
// depends on every input bit (the finaliser of MurmurHash3, keyed):
// slots use the low bits, fingerprints the high ones.
func (h *hashIndex) mix(p uint64, n int) uint64 {
	p ^= h.key + uint64(n)*0x9E3779B97F4A7C15
	p ^= p >> 33
	p *= 0xff51afd7ed558ccd
	p ^= p >> 33
	p *= 0xc4ceb9fe1a85ec53
	p ^= p >> 33
	return p
}

// deletionHashes sets hs[0] to the hash of w and hs[1..] to the hashes
// of w with each of its runes deleted in turn, and returns how many it
// set (1 + the runes of w, at most len(hs)). It does what hashing each
// form would, in time linear in w and without arrays to clear: with P(x)
// the polynomial of x and pre(j) that of w[:j], deleting w[i:j] gives
// P(w) + (pre(i) - pre(j)) * base^(len(w)-j).
func (h *hashIndex) deletionHashes(w []byte, hs []uint64) int {
	n := len(w)
	if n >= len(h.pow) {
		return 0
	}
	var total uint64
	for _, c := range w {
		total = total*h.base + uint64(c)
	}
	hs[0] = h.mix(total, n)
	k := 1
	var pre uint64 // pre(i)
	for i := 0; i < n && k < len(hs); k++ {
		_, rl := utf8.DecodeRune(w[i:])
		next := pre
		for _, c := range w[i : i+rl] {
			next = next*h.base + uint64(c)
		}
		hs[k] = h.mix(total+(pre-next)*h.pow[n-i-rl], n-rl)
		pre = next
		i += rl
	}
	return k
}

// touch reads the first slot of each hash in hs and returns a value that
// depends on them. The reads are independent, so the processor overlaps
// their cache misses; lookups of the same hashes that follow then find
// their slots in cache. For a table much larger than the cache, k
// lookups cost about one miss instead of k. It is not inlined, so its
// loads stay even though callers ignore the result.
//
//go:noinline
func (h *hashIndex) touch(hs []uint64) uint64 {
	var x uint64
	for _, hv := range hs {
		x ^= h.slots[hv&h.mask]
	}
	return x
}

// lookupHash returns what is stored for the key whose hash is hv and
// whether it (or a string with its slot and fingerprint) is present: a
// single id as one (more nil), or a list as more; one is noID for a key
// stored without ids. It does not allocate.
func (h *hashIndex) lookupHash(hv uint64) (one int32, more []int32, ok bool) {
	fp := fingerprint(hv)
	for i := hv & h.mask; ; i = (i + 1) & h.mask {
		sl := h.slots[i]
		if sl == 0 {
			return noID, nil, false
		}
		if sl&^(1<<32-1) != fp {
			continue
		}
		v := int32(uint32(sl))
		if v >= 0 || v == noID {
			return v, nil, true
		}
		j := -v - 1
		return noID, h.more[j+1 : j+1+h.more[j]], true
	}
}

// flags returns the single id stored for b as flags (0 when b is absent
// or stored without one) and whether b is present.
func (h *hashIndex) flags(b []byte) (int32, bool) {
	return h.flagsHash(h.hash(b))
}

// flagsHash is flags for a key's hash.
func (h *hashIndex) flagsHash(hv uint64) (int32, bool) {
	one, _, ok := h.lookupHash(hv)
	if one == noID {
		one = 0
	}
	return one, ok
}
