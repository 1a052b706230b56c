package ratelimit

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// mustBurst makes l.Burst calls for key, failing unless all are allowed with
// Remaining counting down to zero.
func mustBurst(tb testing.TB, lim Limiter, key string, l Limit) {
	tb.Helper()
	for i := range l.Burst {
		d := lim.Allow(context.Background(), key, l)
		if want := l.Burst - 1 - i; !d.Allowed || d.Remaining != want {
			tb.Fatalf("call %d of burst %d: %+v; want allowed with Remaining %d", i+1, l.Burst, d, want)
		}
	}
}

func TestLocalBurstThenRefuse(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	lim := NewLocal(clock.Now)
	l := Limit{Rate: 4, Burst: 5}
	mustBurst(t, lim, "k", l)

	d := lim.Allow(t.Context(), "k", l)
	if d.Allowed || d.RetryAfter != 250*time.Millisecond || d.Remaining != 0 {
		t.Fatalf("after burst: %+v; want refused, RetryAfter 250ms", d)
	}
	clock.Advance(d.RetryAfter - time.Nanosecond)
	if d := lim.Allow(t.Context(), "k", l); d.Allowed || d.RetryAfter != time.Nanosecond {
		t.Fatalf("1ns early: %+v; want refused, RetryAfter 1ns", d)
	}
	clock.Advance(time.Nanosecond)
	if d := lim.Allow(t.Context(), "k", l); !d.Allowed || d.Remaining != 0 {
		t.Fatalf("after RetryAfter: %+v; want allowed, Remaining 0", d)
	}
	if d := lim.Allow(t.Context(), "k", l); d.Allowed {
		t.Fatalf("second call after RetryAfter: %+v; want refused", d)
	}
}

func TestLocalSustainedRate(t *testing.T) {
	t.Parallel()
	for _, l := range []Limit{{Rate: 10, Burst: 1}, {Rate: 3, Burst: 20}, {Rate: 250, Burst: 50}, {Rate: 0.5, Burst: 2}} {
		t.Run(fmt.Sprintf("%v/s burst %d", l.Rate, l.Burst), func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			lim := NewLocal(clock.Now)
			// Offer 1000 requests a second, well above every rate, for a
			// simulated minute after the burst is spent.
			mustBurst(t, lim, "k", l)
			allowed := 0
			for range 60_000 {
				clock.Advance(time.Millisecond)
				if lim.Allow(t.Context(), "k", l).Allowed {
					allowed++
				}
			}
			if got := float64(allowed) / 60; math.Abs(got-l.Rate) > l.Rate/100 {
				t.Errorf("sustained %v/s over a minute; want %v/s ±1%%", got, l.Rate)
			}
		})
	}
}

func TestLocalKeysAreIndependent(t *testing.T) {
	t.Parallel()
	lim := NewLocal(newFakeClock().Now)
	l := Limit{Rate: 1, Burst: 3}
	mustBurst(t, lim, "a", l)
	if d := lim.Allow(t.Context(), "a", l); d.Allowed {
		t.Fatalf("a after burst: %+v; want refused", d)
	}
	mustBurst(t, lim, "b", l)
	// The same key under another limit shares its TAT: one key per limit
	// is the caller's job (e.g. "token:route").
	mustBurst(t, lim, "c", Limit{Rate: 1, Burst: 2})
}

func TestLocalEviction(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	lim := NewLocal(clock.Now)
	lim.maxKeys = 100
	l := Limit{Rate: 1, Burst: 2} // each allowed call leaves a TAT 1 s ahead

	for i := range 100 {
		lim.Allow(t.Context(), fmt.Sprint("old", i), l)
	}
	if n := lim.Len(); n != 100 {
		t.Fatalf("Len = %d after 100 keys; want 100", n)
	}
	// Keep one old key live, let the others' TATs pass.
	clock.Advance(time.Second)
	lim.Allow(t.Context(), "old0", l)
	lim.Allow(t.Context(), "new", l)
	if n := lim.Len(); n != 2 {
		t.Fatalf("Len = %d after expiry sweep; want 2 (old0, new)", n)
	}
	// old0 survived the sweep with its debt: one more call fits its burst
	// of 2, the next does not.
	if d := lim.Allow(t.Context(), "old0", l); !d.Allowed {
		t.Fatalf("old0: %+v; want allowed", d)
	}
	if d := lim.Allow(t.Context(), "old0", l); d.Allowed {
		t.Fatalf("old0 past burst: %+v; want refused (evicted a live key?)", d)
	}

	// With every key live, the bound still holds by dropping live keys.
	for i := range 1000 {
		lim.Allow(t.Context(), fmt.Sprint("live", i), l)
		if n := lim.Len(); n > 100 {
			t.Fatalf("Len = %d after %d live keys; want ≤ 100", n, i+1)
		}
	}
}

func TestLocalUnlimited(t *testing.T) {
	t.Parallel()
	lim := NewLocal(newFakeClock().Now)
	for _, l := range []Limit{{}, {Rate: -1, Burst: 3}, {Rate: math.NaN(), Burst: 3}, {Rate: math.Inf(1), Burst: 3}} {
		for range 10 {
			if d := lim.Allow(t.Context(), "k", l); !d.Allowed {
				t.Fatalf("Limit %+v: %+v; want allowed (limit disabled)", l, d)
			}
		}
	}
	if n := lim.Len(); n != 0 {
		t.Errorf("Len = %d; disabled limits should store nothing", n)
	}
}

func TestLocalBurstBelowOne(t *testing.T) {
	t.Parallel()
	lim := NewLocal(newFakeClock().Now)
	l := Limit{Rate: 2, Burst: 0}
	if d := lim.Allow(t.Context(), "k", l); !d.Allowed || d.Remaining != 0 {
		t.Fatalf("first: %+v; want allowed, Remaining 0", d)
	}
	if d := lim.Allow(t.Context(), "k", l); d.Allowed || d.RetryAfter != 500*time.Millisecond {
		t.Fatalf("second: %+v; want refused, RetryAfter 500ms", d)
	}
}

func TestLocalConcurrent(t *testing.T) {
	t.Parallel()
	lim := NewLocal(newFakeClock().Now)
	l := Limit{Rate: 1, Burst: 50}
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if lim.Allow(context.Background(), "k", l).Allowed {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if allowed != l.Burst {
		t.Errorf("%d of 160 concurrent calls allowed; want exactly the burst, %d", allowed, l.Burst)
	}
}
