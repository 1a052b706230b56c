package boltstore

import (
	"encoding/binary"
	"testing"
)

// item returns the i-th distinct test input, shaped like a salted hash.
func item(i int) []byte { return binary.BigEndian.AppendUint64([]byte("salted:"), uint64(i)) }

func TestHLLSmallCountsExact(t *testing.T) {
	h := newHLL()
	if got := h.estimate(); got != 0 {
		t.Errorf("empty sketch estimate = %d, want 0", got)
	}
	for n := 1; n <= 100; n++ {
		h.add(item(n))
		h.add(item(n)) // a repeat changes nothing
		if got := h.estimate(); got < int64(n)-2 || got > int64(n)+2 {
			t.Errorf("estimate after %d distinct = %d, want within 2", n, got)
		}
	}
}

func TestHLLLargeCounts(t *testing.T) {
	for _, n := range []int{1000, 10_000, 100_000} {
		h := newHLL()
		for i := range n {
			h.add(item(i))
		}
		got := h.estimate()
		if diff := float64(got-int64(n)) / float64(n); diff < -0.05 || diff > 0.05 {
			t.Errorf("estimate of %d distinct = %d (%+.1f%%), want within 5%%", n, got, 100*diff)
		}
	}
}

func TestHLLMergeIsUnion(t *testing.T) {
	a, b, all := newHLL(), newHLL(), newHLL()
	for i := range 30_000 {
		all.add(item(i))
		if i < 20_000 {
			a.add(item(i))
		}
		if i >= 10_000 {
			b.add(item(i))
		}
	}
	a.merge(b)
	if string(a) != string(all) {
		t.Errorf("merged sketch differs from the sketch of all inputs")
	}
	if got := a.estimate(); got < 28_500 || got > 31_500 {
		t.Errorf("union estimate = %d, want 30000 within 5%%", got)
	}
}
