package webhook

import (
	"math/rand/v2"
	"time"
)

// DefaultSchedule is the wait before each retry: a delivery is tried
// once, then again after each of these (8 attempts), over about 31
// minutes in all, long enough to ride out a receiver's deploy or restart
// and short enough that a moderation queue does not learn of a pause
// hours late. After the last retry fails, the delivery is given up.
var DefaultSchedule = []time.Duration{
	10 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute,
	5 * time.Minute, 10 * time.Minute, 12 * time.Minute,
}

// DefaultJitter spreads a wait d over [0.9d, 1.1d], so deliveries that
// failed together (a receiver down for everyone) do not all come back in
// the same second.
func DefaultJitter(d time.Duration) time.Duration {
	return d + time.Duration((rand.Float64()*0.2-0.1)*float64(d))
}

// NoJitter waits exactly the schedule, for tests.
func NoJitter(d time.Duration) time.Duration { return d }

// retryAfter returns the wait before attempt n+1 after attempt n (from 1)
// failed, and false when n was the last attempt.
func retryAfter(schedule []time.Duration, n int, jitter func(time.Duration) time.Duration) (time.Duration, bool) {
	if n < 1 || n > len(schedule) {
		return 0, false
	}
	return jitter(schedule[n-1]), true
}
