package match

import (
	"testing"
	"unicode/utf8"
)

// TestDeletionHashes checks the combined hashes of a word's one-rune
// deletions against hashing each form, in every script width.
func TestDeletionHashes(t *testing.T) {
	h := newHashIndex(map[string][]int32{"boat": {1}})
	for _, w := range []string{"smuggler", "a", "ab", "قاچاقچی", "ኮንትሮባንድ", "thuyền", "k@çakçı", "x🚤y", "abcdefghijklmnopqrstuvwxyzabcdef"} {
		var hs [fuzzyMax + 1]uint64
		n := h.deletionHashes([]byte(w), hs[:])
		if want := 1 + utf8.RuneCountInString(w); n != want {
			t.Errorf("%q: %d hashes, want %d", w, n, want)
			continue
		}
		if hs[0] != h.hash([]byte(w)) {
			t.Errorf("%q: hash of the word differs", w)
		}
		k := 1
		for i, r := range w {
			form := w[:i] + w[i+utf8.RuneLen(r):]
			if hs[k] != h.hash([]byte(form)) {
				t.Errorf("%q: hash of %q differs", w, form)
			}
			k++
		}
	}
	// Lengths are part of the hash: a prefix does not collide with the
	// word it starts, nor zero bytes with nothing.
	if h.hash([]byte("ab")) == h.hash([]byte("ab\x00")) || h.hash(nil) == h.hash([]byte{0}) {
		t.Error("hashes ignore length")
	}
	if one, _, ok := h.lookupHash(h.hash([]byte("boat"))); !ok || one != 1 {
		t.Error("boat not found")
	}
	if _, _, ok := h.lookupHash(h.hash([]byte("boot"))); ok {
		t.Error("boot found")
	}
}
