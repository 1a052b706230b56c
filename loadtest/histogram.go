package loadtest

import (
	"math/bits"
	"time"
)

// subBits is the number of mantissa bits each power of two is split into:
// 64 buckets per octave keep every recorded value within 1/64 (1.6%) of
// its bucket's bounds, like HdrHistogram with two significant digits,
// in a fixed 30 KB array that needs no locking per worker.
const subBits = 6

const (
	subCount = 1 << subBits
	// numBuckets covers every non-negative int64: values below subCount
	// have a bucket each, then subCount buckets per power of two.
	numBuckets = subCount + (63-subBits)*subCount
)

// Histogram records latencies in nanoseconds with bounded relative error.
// It is not safe for concurrent use: each worker keeps its own and the
// report merges them, so recording costs no synchronisation.
type Histogram struct {
	counts [numBuckets]uint64
	total  uint64
	max    int64
}

// bucketOf returns the bucket index of v (v >= 0).
func bucketOf(v int64) int {
	if v < subCount {
		return int(v)
	}
	shift := bits.Len64(uint64(v)) - subBits - 1
	mant := int(v >> shift) // in [subCount, 2*subCount)
	return subCount + shift*subCount + mant - subCount
}

// bucketBounds returns the smallest and largest values bucket i holds.
func bucketBounds(i int) (lo, hi int64) {
	if i < subCount {
		return int64(i), int64(i)
	}
	shift := (i - subCount) / subCount
	mant := int64(subCount + (i-subCount)%subCount)
	return mant << shift, (mant+1)<<shift - 1
}

// Record adds one latency. Negative durations (a clock step) count as 0.
func (h *Histogram) Record(d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0
	}
	h.counts[bucketOf(v)]++
	h.total++
	if v > h.max {
		h.max = v
	}
}

// Merge adds o's counts to h.
func (h *Histogram) Merge(o *Histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
	if o.max > h.max {
		h.max = o.max
	}
}

// Count returns the number of recorded values.
func (h *Histogram) Count() uint64 { return h.total }

// Max returns the largest recorded value exactly.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Quantile returns the value at quantile q (0 < q <= 1): the upper bound
// of the bucket holding the ceil(q*n)-th smallest value, capped at the
// exact maximum, so it errs high, never flattering a tail. It returns 0
// for an empty histogram.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(q * float64(h.total))
	if float64(rank) < q*float64(h.total) {
		rank++
	}
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			_, hi := bucketBounds(i)
			return time.Duration(min(hi, h.max))
		}
	}
	return time.Duration(h.max)
}
