package client

import (
	"testing"
	"time"
)

// fakeClock is a settable clock for the breaker.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestBreaker(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	b := newBreaker(3, 5*time.Second, clock.now)
	call := func(o outcome) {
		t.Helper()
		trial, ok := b.allow()
		if !ok {
			t.Fatalf("call refused in state %s", b.state())
		}
		b.record(trial, o)
	}
	want := func(state string) {
		t.Helper()
		if got := b.state(); got != state {
			t.Fatalf("state %s, want %s", got, state)
		}
	}

	call(failure)
	call(failure)
	call(success) // a success in between resets the count
	call(failure)
	call(failure)
	want("closed")
	call(success) // 4xx answers are successes
	call(neutral) // the caller cancelling says nothing
	call(failure)
	call(failure)
	want("closed")
	call(failure)
	want("open")
	if _, ok := b.allow(); ok {
		t.Fatal("an open breaker let a call through")
	}

	// A call that left before the breaker opened does not close it.
	b.record(false, success)
	want("open")

	clock.t = clock.t.Add(5 * time.Second)
	want("half-open")
	trial, ok := b.allow()
	if !ok || !trial {
		t.Fatalf("half-open: allow = %v, %v; want the trial", trial, ok)
	}
	if _, ok := b.allow(); ok {
		t.Fatal("a second call went out while the trial runs")
	}
	b.record(true, failure)
	want("open")
	clock.t = clock.t.Add(4 * time.Second)
	want("open")
	clock.t = clock.t.Add(time.Second)

	// A neutral trial leaves it half-open for the next call.
	trial, _ = b.allow()
	b.record(trial, neutral)
	want("half-open")
	trial, ok = b.allow()
	if !ok || !trial {
		t.Fatal("no trial after a neutral one")
	}
	b.record(trial, success)
	want("closed")
	call(failure)
	call(failure)
	want("closed") // the count started again
}
