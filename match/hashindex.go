package match

import (
	"hash/maphash"
	"math/bits"
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
	seed maphash.Seed
	mask uint64
	// slots[i] is 0 when empty, else fingerprint<<32 | uint32(val):
	// val >= 0 is the single id of the key; val < 0 points at
	// more[-val-1], a count followed by that many ids; noID marks a key
	// without ids (a plain set).
	slots []uint64
	more  []int32
	// maxKey is the longest key in bytes: no longer substring can be in
	// the index, which bounds segmentation's search.
	maxKey int
	// starts holds the beginnings of the keys, up to startBytes bytes at
	// rune boundaries (see startKey), when the index was built with them:
	// segmentation stops extending a piece as soon as no key begins
	// like it, instead of hashing every substring of a glued word.
	starts u64set
}

// startBytes is how many leading bytes of a key starts records.
const startBytes = 4

// startKey packs the first n (1..startBytes) bytes of a key, in v, with
// their count: never 0.
func startKey(v uint32, n int) uint64 { return uint64(n)<<32 | uint64(v) }

// indexStarts fills h.starts from keys.
func (h *hashIndex) indexStarts(keys []string) {
	var ks []uint64
	for _, k := range keys {
		var v uint32
		n := 0
		for _, r := range k {
			size := utf8.RuneLen(r)
			if n+size > startBytes {
				break
			}
			for i := 0; i < size; i++ {
				v = v<<8 | uint32(k[n+i])
			}
			n += size
			ks = append(ks, startKey(v, n))
		}
	}
	h.starts = newU64Set(ks)
}

const noID = -1 << 31

// fingerprint is the high half of a key's hash, never 0 (0 marks an
// empty slot).
func fingerprint(hv uint64) uint64 { return (hv>>32 | 1) << 32 }

func newHashIndex(entries map[string][]int32) *hashIndex {
	h := &hashIndex{seed: maphash.MakeSeed()}
	size := uint64(1) << bits.Len64(uint64(len(entries))*3/2+1)
	h.mask = size - 1
	h.slots = make([]uint64, size)
	type key struct{ slot, fp uint64 }
	lists := make(map[key][]int32, len(entries))
	// Insert in a fixed order so the layout does not depend on map order.
	keys := make([]string, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var order []key
	for _, k := range keys {
		h.maxKey = max(h.maxKey, len(k))
		hv := maphash.String(h.seed, k)
		kk := key{hv & h.mask, fingerprint(hv)}
		if _, ok := lists[kk]; !ok {
			order = append(order, kk)
		}
		lists[kk] = append(lists[kk], entries[k]...)
	}
	for _, kk := range order {
		i := kk.slot
		for h.slots[i] != 0 {
			i = (i + 1) & h.mask
		}
		var val int32
		switch ids := lists[kk]; len(ids) {
		case 0:
			val = noID
		case 1:
			val = ids[0]
		default:
			val = -int32(len(h.more)) - 1
			h.more = append(append(h.more, int32(len(ids))), ids...)
		}
		h.slots[i] = kk.fp | uint64(uint32(val))
	}
	return h
}

// lookup returns what is stored for b and whether b (or a string with
// its slot and fingerprint) is present: a single id as one (more nil), or
// a list as more; one is noID for a key stored without ids. It does not
// allocate.
func (h *hashIndex) lookup(b []byte) (one int32, more []int32, ok bool) {
	return h.lookupHash(h.hash(b))
}

// hash returns the hash lookupHash takes for b.
func (h *hashIndex) hash(b []byte) uint64 { return maphash.Bytes(h.seed, b) }

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

// lookupHash is lookup for a key's hash.
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
	one, _, ok := h.lookup(b)
	if one == noID {
		one = 0
	}
	return one, ok
}
