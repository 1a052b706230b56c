// Package ratelimit limits requests per key (an API token, a route class)
// with GCRA, the generic cell rate algorithm.
//
// GCRA keeps one timestamp per key, the theoretical arrival time (TAT): the
// moment the key's budget would be back to full if no more requests came.
// With emission interval T = 1/Rate and tolerance τ = T·(Burst−1), a request
// arriving at now is conforming when
//
//	max(TAT, now) − now ≤ τ
//
// and then sets TAT = max(TAT, now) + T. A refused request leaves TAT alone
// and may retry after max(TAT, now) − τ − now. So an idle key admits Burst
// requests at once and then one every T; its remaining budget after an
// allowed request is ⌊(τ + T − (TAT − now)) / T⌋. One timestamp per key
// (rather than a counter and a refill time, as in a token bucket) is what
// lets the Redis limiter update it atomically in one small script.
//
// Local keeps TATs in process memory. Redis keeps them in Redis so that every
// signpost instance shares one budget per key, and falls back to a Local when
// Redis is slow or down.
package ratelimit

import (
	"context"
	"math"
	"time"
)

// Limit is a sustained rate with a burst.
type Limit struct {
	// Rate is the sustained number of requests per second. A Rate that is
	// not a positive finite number disables the limit: every request is
	// allowed, so a missing setting cannot lock everyone out.
	Rate float64
	// Burst is how many requests an idle key may make at once. Values
	// below 1 count as 1 (no burst: requests must be T apart).
	Burst int
}

// Decision is the outcome of one Allow call.
type Decision struct {
	// Allowed reports whether the request may proceed.
	Allowed bool
	// RetryAfter is, for a refused request, how long until the next one
	// would be allowed (for a Retry-After header). Zero when Allowed.
	RetryAfter time.Duration
	// Remaining is how many more requests the key could make right now.
	Remaining int
}

// Limiter decides whether a request for key may proceed under l. It returns
// no error: a limiter that cannot reach its storage answers from a fallback
// rather than take the service down with it.
type Limiter interface {
	Allow(ctx context.Context, key string, l Limit) Decision
}

var (
	_ Limiter = (*Local)(nil)
	_ Limiter = (*Redis)(nil)
)

// maxSpan caps the emission interval and tolerance (about 100 years) so
// absurd limits, like a rate of 1e-30 or a burst of a billion, cannot
// overflow a time.Duration.
const maxSpan = 100 * 365 * 24 * time.Hour

// gcra holds a Limit converted to GCRA parameters.
type gcra struct {
	interval  time.Duration // T
	tolerance time.Duration // τ = T·(Burst−1)
	burst     int
}

// params converts l, reporting false when l disables limiting.
func (l Limit) params() (gcra, bool) {
	if !(l.Rate > 0) || math.IsInf(l.Rate, 0) {
		return gcra{}, false
	}
	burst := max(l.Burst, 1)
	interval := max(clampSpan(float64(time.Second)/l.Rate), 1)
	return gcra{
		interval:  interval,
		tolerance: clampSpan(float64(interval) * float64(burst-1)),
		burst:     burst,
	}, true
}

// clampSpan rounds ns to a Duration no greater than maxSpan.
func clampSpan(ns float64) time.Duration {
	return time.Duration(math.Round(min(ns, float64(maxSpan))))
}

// unlimited is the Decision for a Limit that disables limiting.
func unlimited(l Limit) Decision {
	return Decision{Allowed: true, Remaining: max(l.Burst, 1)}
}
