package loadtest

import (
	"testing"
	"time"
)

func TestBucketBoundsHoldTheirValues(t *testing.T) {
	for _, v := range []int64{0, 1, 63, 64, 65, 127, 128, 129, 1000, 999_999, 1_000_000, 1<<40 + 12345, 1<<62 + 1, 1<<63 - 1} {
		i := bucketOf(v)
		lo, hi := bucketBounds(i)
		if v < lo || v > hi {
			t.Errorf("value %d in bucket %d [%d, %d]", v, i, lo, hi)
		}
		if i < 0 || i >= numBuckets {
			t.Errorf("value %d: bucket %d outside [0, %d)", v, i, numBuckets)
		}
		if lo > 0 && float64(hi-lo)/float64(lo) > 1.0/subCount {
			t.Errorf("value %d: bucket [%d, %d] wider than 1/%d of its value", v, lo, hi, subCount)
		}
	}
	// Buckets tile the line: each starts right after the previous one ends.
	for i := 1; i < numBuckets; i++ {
		_, prevHi := bucketBounds(i - 1)
		if lo, _ := bucketBounds(i); lo != prevHi+1 {
			t.Fatalf("bucket %d starts at %d, previous ends at %d", i, lo, prevHi)
		}
	}
}

func TestQuantile(t *testing.T) {
	uniform := func(n int) []time.Duration {
		var ds []time.Duration
		for i := 1; i <= n; i++ {
			ds = append(ds, time.Duration(i)*time.Microsecond)
		}
		return ds
	}
	tests := []struct {
		name   string
		values []time.Duration
		q      float64
		want   time.Duration // within 1/64 above, never below
	}{
		{"empty", nil, 0.5, 0},
		{"one value", []time.Duration{3 * time.Millisecond}, 0.99, 3 * time.Millisecond},
		{"median of 1..1000us", uniform(1000), 0.5, 500 * time.Microsecond},
		{"p99 of 1..1000us", uniform(1000), 0.99, 990 * time.Microsecond},
		{"p99.9 of 1..1000us", uniform(1000), 0.999, 999 * time.Microsecond},
		{"max of 1..1000us", uniform(1000), 1, 1000 * time.Microsecond},
		{"one slow outlier in a hundred", append(make([]time.Duration, 99), time.Second), 0.99, 0},
		{"one slow outlier is the p99.9", append(make([]time.Duration, 99), time.Second), 0.999, time.Second},
		{"small exact values", []time.Duration{5, 7, 9}, 0.5, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Histogram
			for _, v := range tt.values {
				h.Record(v)
			}
			got := h.Quantile(tt.q)
			if got < tt.want || float64(got-tt.want) > float64(tt.want)/subCount {
				t.Errorf("Quantile(%v) = %v, want %v (+1/%d)", tt.q, got, tt.want, subCount)
			}
		})
	}
}

func TestMergeAndMax(t *testing.T) {
	var a, b Histogram
	a.Record(time.Millisecond)
	a.Record(-time.Second) // a clock step counts as zero
	b.Record(7 * time.Second)
	a.Merge(&b)
	if a.Count() != 3 || a.Max() != 7*time.Second {
		t.Fatalf("count %d max %v, want 3 and 7s", a.Count(), a.Max())
	}
	if got := a.Quantile(1.0 / 3); got != 0 {
		t.Errorf("lowest third = %v, want 0 (the negative value)", got)
	}
	if got := a.Quantile(1); got != 7*time.Second {
		t.Errorf("max quantile = %v, want exactly 7s", got)
	}
}
