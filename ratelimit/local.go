package ratelimit

import (
	"context"
	"sync"
	"time"
)

// DefaultMaxKeys bounds the number of keys a Local remembers.
const DefaultMaxKeys = 100_000

// Local is a GCRA limiter in process memory. It limits one instance only;
// Redis uses it as the fallback while Redis is unavailable.
//
// The map of TATs is bounded: when a new key would take it past maxKeys,
// Local first drops every key whose TAT is in the past (such a key is
// indistinguishable from a new one, so nothing is lost). If that frees less
// than a tenth of the map, it also drops arbitrary live keys down to 90%:
// those keys get a fresh burst, failing open, and the sweep cost stays
// amortised at a few entries per insertion even under a flood of keys.
type Local struct {
	now     func() time.Time
	maxKeys int

	mu  sync.Mutex
	tat map[string]time.Time
}

// NewLocal returns a Local reading the time from now (time.Now if nil;
// tests inject a fake clock).
func NewLocal(now func() time.Time) *Local {
	if now == nil {
		now = time.Now
	}
	return &Local{now: now, maxKeys: DefaultMaxKeys, tat: make(map[string]time.Time)}
}

// Allow applies GCRA (see the package doc) to key. ctx is unused: memory
// does not block.
func (lo *Local) Allow(_ context.Context, key string, l Limit) Decision {
	p, ok := l.params()
	if !ok {
		return unlimited(l)
	}
	lo.mu.Lock()
	defer lo.mu.Unlock()
	now := lo.now()
	tat, seen := lo.tat[key]
	if !seen || tat.Before(now) {
		tat = now
	}
	if wait := tat.Sub(now) - p.tolerance; wait > 0 {
		return Decision{RetryAfter: wait}
	}
	tat = tat.Add(p.interval)
	if !seen && len(lo.tat) >= lo.maxKeys {
		lo.evict(now)
	}
	lo.tat[key] = tat
	return Decision{Allowed: true, Remaining: int((p.tolerance + p.interval - tat.Sub(now)) / p.interval)}
}

// Len returns the number of keys remembered.
func (lo *Local) Len() int {
	lo.mu.Lock()
	defer lo.mu.Unlock()
	return len(lo.tat)
}

// evict makes room as the Local doc describes. lo.mu must be held.
func (lo *Local) evict(now time.Time) {
	for k, tat := range lo.tat {
		if !tat.After(now) {
			delete(lo.tat, k)
		}
	}
	target := lo.maxKeys - max(lo.maxKeys/10, 1)
	if len(lo.tat) <= target {
		return
	}
	for k := range lo.tat { // map order is arbitrary enough
		if len(lo.tat) <= target {
			break
		}
		delete(lo.tat, k)
	}
}
