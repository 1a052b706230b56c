package match

import (
	"hash/maphash"
	"math/bits"
	"slices"
)

// hashIndex maps byte strings to lists of ids through 64-bit hashes in an
// open-addressing table. It replaces map[string][]int32 where the keys
// number in the hundreds of thousands (the typo index): a flat table of
// integers holds no pointers for the garbage collector to scan and takes
// a third of the memory, and a lookup hashes once and usually reads one
// slot. Two strings with the same 64-bit hash share a list; the typo
// index verifies every candidate with an edit distance, and a collision
// in the segmentation vocabulary (odds about 2^-40 for its size) would
// only split a glued word differently.
type hashIndex struct {
	seed maphash.Seed
	mask uint64
	keys []uint64 // 0 marks an empty slot; stored hashes have bit 0 set
	// vals[i] >= 0 is the single id of slot i; vals[i] < 0 points at
	// more[-vals[i]-1], a count followed by that many ids; noID marks a
	// key without ids (a plain set).
	vals []int32
	more []int32
	// maxKey is the longest key in bytes: no longer substring can be in
	// the index, which bounds segmentation's search.
	maxKey int
}

const noID = -1 << 31

func newHashIndex(entries map[string][]int32) *hashIndex {
	h := &hashIndex{seed: maphash.MakeSeed()}
	size := uint64(1) << bits.Len64(uint64(len(entries))*3/2+1)
	h.mask = size - 1
	h.keys = make([]uint64, size)
	h.vals = make([]int32, size)
	lists := make(map[uint64][]int32, len(entries))
	// Insert in a fixed order so the layout does not depend on map order.
	keys := make([]string, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		h.maxKey = max(h.maxKey, len(k))
		hv := maphash.String(h.seed, k) | 1
		lists[hv] = append(lists[hv], entries[k]...)
	}
	hashes := make([]uint64, 0, len(lists))
	for hv := range lists {
		hashes = append(hashes, hv)
	}
	slices.Sort(hashes)
	for _, hv := range hashes {
		i := hv & h.mask
		for h.keys[i] != 0 {
			i = (i + 1) & h.mask
		}
		h.keys[i] = hv
		switch ids := lists[hv]; len(ids) {
		case 0:
			h.vals[i] = noID
		case 1:
			h.vals[i] = ids[0]
		default:
			h.vals[i] = -int32(len(h.more)) - 1
			h.more = append(append(h.more, int32(len(ids))), ids...)
		}
	}
	return h
}

// lookup returns the ids stored for b (nil when none) and whether b (or a
// string with its hash) is present. The single-id case returns a slice of
// the table itself, so lookups do not allocate.
func (h *hashIndex) lookup(b []byte) ([]int32, bool) {
	hv := maphash.Bytes(h.seed, b) | 1
	for i := hv & h.mask; ; i = (i + 1) & h.mask {
		switch h.keys[i] {
		case hv:
			switch v := h.vals[i]; {
			case v == noID:
				return nil, true
			case v >= 0:
				return h.vals[i : i+1], true
			default:
				j := -v - 1
				return h.more[j+1 : j+1+h.more[j]], true
			}
		case 0:
			return nil, false
		}
	}
}
