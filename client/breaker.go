package client

import (
	"sync"
	"time"
)

// outcome is what a call says about the server's health.
type outcome int

const (
	success outcome = iota // the server answered (any 2xx or 4xx)
	failure                // timeout, network error, 5xx, unreadable answer
	neutral                // says nothing: the caller cancelled, or the request never left
)

type breakerState int

const (
	closed breakerState = iota
	open
	halfOpen
)

// breaker is a consecutive-failure circuit breaker. Closed, it counts
// failures in a row and opens at threshold. Open, it refuses every call
// until openFor has passed; then it lets one trial call through
// (half-open) and refuses the others while the trial runs. The trial's
// success closes it; its failure opens it again for openFor.
//
// A mutex is enough: it guards a few words for nanoseconds, and an open
// breaker must answer without touching anything but memory.
type breaker struct {
	threshold int
	openFor   time.Duration
	now       func() time.Time

	mu        sync.Mutex
	st        breakerState
	failures  int
	openUntil time.Time
	trialBusy bool
}

func newBreaker(threshold int, openFor time.Duration, now func() time.Time) *breaker {
	return &breaker{threshold: threshold, openFor: openFor, now: now}
}

// allow reports whether a call may go out, and whether it is the
// half-open trial.
func (b *breaker) allow() (trial, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.st {
	case open:
		if b.now().Before(b.openUntil) {
			return false, false
		}
		b.st = halfOpen
		fallthrough
	case halfOpen:
		if b.trialBusy {
			return false, false
		}
		b.trialBusy = true
		return true, true
	}
	return false, true
}

// record takes a finished call's outcome. Calls that went out before the
// breaker opened and finish after do not move it: only the trial decides
// whether an open breaker closes.
func (b *breaker) record(trial bool, o outcome) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if trial {
		b.trialBusy = false
		switch o {
		case success:
			b.st, b.failures = closed, 0
		case failure:
			b.st, b.openUntil = open, b.now().Add(b.openFor)
		}
		// neutral: still half-open; the next call is the trial.
		return
	}
	if b.st != closed {
		return
	}
	switch o {
	case success:
		b.failures = 0
	case failure:
		b.failures++
		if b.failures >= b.threshold {
			b.st, b.openUntil = open, b.now().Add(b.openFor)
		}
	}
}

func (b *breaker) state() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.st == closed:
		return "closed"
	case b.st == open && b.now().Before(b.openUntil):
		return "open"
	default:
		return "half-open"
	}
}
