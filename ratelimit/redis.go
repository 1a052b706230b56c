package ratelimit

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults for NewRedis.
const (
	// DefaultTimeout bounds each Redis call. Allow runs on every request,
	// so Redis gets a small slice of the request's budget, not a second.
	DefaultTimeout = 50 * time.Millisecond
	// breakerCooldown is how long Redis is skipped after an error.
	breakerCooldown = time.Second
)

// Redis is a GCRA limiter whose TATs live in Redis, so all signpost
// instances share one budget per key.
//
// The whole decision is one Lua script, which Redis runs atomically: no
// other instance can read the TAT between this one's read and write. The
// script takes the time from Redis TIME rather than from the caller, so
// instances whose clocks disagree still agree on every key's budget.
// (Redis before 5 would need redis.replicate_commands() before writing
// after TIME; Redis 5 and later replicate script effects by default.)
//
// Redis fails open to local limiting: when a call errors or exceeds its
// timeout, the fallback Local decides instead. Rate limiting is protection,
// not a dependency worth an outage; while Redis is away each instance
// enforces the limit on its own, so the cluster-wide rate is at most the
// number of instances times the limit. After an error a small circuit
// breaker sends every call to the fallback for one second, then lets one
// call probe Redis again, so a dead or hung Redis adds no latency per
// request.
type Redis struct {
	client   redis.UniversalClient
	prefix   string
	timeout  time.Duration
	fallback *Local

	// openUntil is when the breaker lets a probe through, as Unix
	// nanoseconds; zero while Redis is healthy.
	openUntil atomic.Int64
	fallbacks atomic.Uint64
}

// NewRedis returns a limiter storing key K at prefix+"{rl:"+K+"}" (the hash
// tag keeps the script's one key addressable on Cluster). Each call is
// bounded by timeout (DefaultTimeout if zero); for the bound to reach the
// socket the client needs ContextTimeoutEnabled, as redisstore.NewClient
// sets. fallback decides while Redis is unavailable; nil means a new Local
// on the real clock. The caller keeps ownership of client.
func NewRedis(client redis.UniversalClient, prefix string, timeout time.Duration, fallback *Local) *Redis {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if fallback == nil {
		fallback = NewLocal(nil)
	}
	return &Redis{client: client, prefix: prefix, timeout: timeout, fallback: fallback}
}

// Fallbacks returns how many decisions the fallback has made, for metrics.
func (r *Redis) Fallbacks() uint64 { return r.fallbacks.Load() }

// gcraScript is GCRA as the package doc states it, in microseconds.
// KEYS[1] holds the TAT; ARGV[1] is T (may be fractional), ARGV[2] is the
// burst. It returns {allowed, retry after in µs, remaining}. The key expires
// when its TAT passes, since an expired TAT means a full budget anyway.
var gcraScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = interval * (tonumber(ARGV[2]) - 1)
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
if tat - now > tolerance then
  return {0, math.ceil(tat - tolerance - now), 0}
end
tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.17g', tat), 'PX', math.ceil((tat - now) / 1000))
return {1, 0, math.floor((tolerance + interval - (tat - now)) / interval + 1e-9)}
`)

// Allow applies GCRA to key in Redis, or in the fallback while Redis is
// unavailable.
func (r *Redis) Allow(ctx context.Context, key string, l Limit) Decision {
	p, ok := l.params()
	if !ok {
		return unlimited(l)
	}
	if !r.breakerAllows(time.Now()) {
		return r.fallBack(ctx, key, l)
	}
	d, err := r.eval(ctx, key, p)
	if err != nil {
		if ctx.Err() == nil { // the caller giving up says nothing about Redis
			r.openUntil.Store(time.Now().Add(breakerCooldown).UnixNano())
		}
		return r.fallBack(ctx, key, l)
	}
	if r.openUntil.Load() != 0 { // a probe succeeded: close the breaker
		r.openUntil.Store(0)
	}
	return d
}

// breakerAllows reports whether this call may use Redis: always while the
// breaker is closed, never while it is open, and for exactly one caller per
// cooldown once it has expired (that caller probes; the rest keep falling
// back until the probe succeeds).
func (r *Redis) breakerAllows(now time.Time) bool {
	until := r.openUntil.Load()
	if until == 0 {
		return true
	}
	if now.UnixNano() < until {
		return false
	}
	return r.openUntil.CompareAndSwap(until, now.Add(breakerCooldown).UnixNano())
}

// eval runs the script bounded by r.timeout.
func (r *Redis) eval(ctx context.Context, key string, p gcra) (Decision, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	interval := strconv.FormatFloat(float64(p.interval)/float64(time.Microsecond), 'g', -1, 64)
	res, err := gcraScript.Run(ctx, r.client, []string{r.prefix + "{rl:" + key + "}"}, interval, p.burst).Int64Slice()
	if err != nil {
		return Decision{}, err
	}
	if len(res) != 3 {
		return Decision{}, errors.New("ratelimit: script returned " + strconv.Itoa(len(res)) + " values, want 3")
	}
	return Decision{
		Allowed:    res[0] == 1,
		RetryAfter: time.Duration(res[1]) * time.Microsecond,
		Remaining:  int(res[2]),
	}, nil
}

// fallBack decides with the local limiter and counts it.
func (r *Redis) fallBack(ctx context.Context, key string, l Limit) Decision {
	r.fallbacks.Add(1)
	return r.fallback.Allow(ctx, key, l)
}
