package ratelimit

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"signpost/internal/redistest"
)

// newClient returns a client for srv, closed after the test, with
// ContextTimeoutEnabled so Allow's deadline reaches the socket.
func newClient(t *testing.T, srv *redistest.Server) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr, ContextTimeoutEnabled: true})
	t.Cleanup(func() { c.Close() })
	return c
}

// newRedis returns a limiter on c whose key prefix is the test's name, so
// tests sharing a server never share keys.
func newRedis(t *testing.T, c redis.UniversalClient, timeout time.Duration) *Redis {
	t.Helper()
	return NewRedis(c, t.Name()+":", timeout, NewLocal(nil))
}

// slow is a limit whose budget does not visibly refill during a test.
var slow = Limit{Rate: 0.01, Burst: 5}

func TestRedisBurstThenRefuse(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	c := newClient(t, srv)
	lim := newRedis(t, c, time.Second)
	mustBurst(t, lim, "k", slow)

	d := lim.Allow(t.Context(), "k", slow)
	// 100 s per request, minus the few ms since the burst.
	if d.Allowed || d.RetryAfter <= 99*time.Second || d.RetryAfter > 100*time.Second {
		t.Fatalf("after burst: %+v; want refused, RetryAfter ≈ 100s", d)
	}
	mustBurst(t, lim, "other", slow)
	if n := lim.Fallbacks(); n != 0 {
		t.Errorf("Fallbacks = %d; want 0 with Redis healthy", n)
	}

	key := t.Name() + ":{rl:k}"
	ttl, err := c.PTTL(t.Context(), key).Result()
	if err != nil || ttl <= 0 || ttl > 500*time.Second {
		t.Errorf("PTTL %s = %v, %v; want the TAT's distance, ≈ 500s", key, ttl, err)
	}
}

func TestRedisRefill(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	lim := newRedis(t, newClient(t, srv), time.Second)
	l := Limit{Rate: 20, Burst: 2}
	mustBurst(t, lim, "k", l)
	d := lim.Allow(t.Context(), "k", l)
	if d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > 50*time.Millisecond {
		t.Fatalf("after burst: %+v; want refused, RetryAfter in (0, 50ms]", d)
	}
	time.Sleep(d.RetryAfter)
	if d := lim.Allow(t.Context(), "k", l); !d.Allowed {
		t.Fatalf("after RetryAfter: %+v; want allowed", d)
	}
}

// TestRedisSharedBudget runs two limiters on separate clients, as two
// signpost instances would: together they get one burst.
func TestRedisSharedBudget(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	a := NewRedis(newClient(t, srv), "shared:", time.Second, nil)
	b := NewRedis(newClient(t, srv), "shared:", time.Second, nil)
	l := Limit{Rate: 0.01, Burst: 10}
	allowed := 0
	for i := range 30 {
		lim := a
		if i%3 == 0 {
			lim = b
		}
		if lim.Allow(t.Context(), "tok", l).Allowed {
			allowed++
		}
	}
	if allowed != l.Burst {
		t.Errorf("%d of 30 calls over two instances allowed; want the burst, %d", allowed, l.Burst)
	}
	if a.Fallbacks()+b.Fallbacks() != 0 {
		t.Errorf("Fallbacks = %d, %d; want 0", a.Fallbacks(), b.Fallbacks())
	}
}

func TestRedisCluster(t *testing.T) {
	t.Parallel()
	srv := redistest.StartCluster(t)
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{srv.Addr}, ContextTimeoutEnabled: true})
	t.Cleanup(func() { c.Close() })
	lim := newRedis(t, c, time.Second)
	for _, key := range []string{"a", "b", "token:route"} {
		mustBurst(t, lim, key, slow)
		if d := lim.Allow(t.Context(), key, slow); d.Allowed {
			t.Fatalf("%s after burst: %+v; want refused", key, d)
		}
	}
	if n := lim.Fallbacks(); n != 0 {
		t.Errorf("Fallbacks = %d; want 0", n)
	}
}

// TestRedisFrozenServer hangs the server: Allow must answer from the local
// fallback within the timeout, skip Redis while the breaker is open, and
// use Redis again once the server is back and the breaker has cooled down.
func TestRedisFrozenServer(t *testing.T) {
	t.Parallel()
	const timeout = 50 * time.Millisecond
	srv := redistest.Start(t)
	c := newClient(t, srv)
	lim := newRedis(t, c, timeout)
	ctx := t.Context()
	if d := lim.Allow(ctx, "warm", slow); !d.Allowed { // connect and load the script
		t.Fatalf("warm-up: %+v", d)
	}

	srv.Freeze(t)
	t.Cleanup(func() { srv.Thaw(t) }) // SIGCONT twice is harmless
	// Without the deadline, Allow would hang until the server is thawed.
	// The bound is twenty timeouts, not two: under -race on a busy
	// two-core CI machine one call took four (223ms), and what is tested
	// is that it returns, not how fast.
	const returns = 20 * timeout
	start := time.Now()
	d := lim.Allow(ctx, "k", slow)
	if elapsed := time.Since(start); elapsed > returns {
		t.Errorf("Allow on a frozen server took %v; want ≤ %v", elapsed, returns)
	}
	if !d.Allowed || d.Remaining != slow.Burst-1 || lim.Fallbacks() != 1 {
		t.Fatalf("frozen: %+v, Fallbacks %d; want a local decision (Remaining %d), Fallbacks 1", d, lim.Fallbacks(), slow.Burst-1)
	}
	// The breaker is open: Redis is not even tried.
	start = time.Now()
	for range 100 {
		lim.Allow(ctx, "k", slow)
	}
	// Trying Redis, each would wait out the timeout: 100 of them, five
	// seconds.
	if elapsed := time.Since(start); elapsed > returns {
		t.Errorf("100 calls with the breaker open took %v; want ≤ %v, far below 100 timeouts", elapsed, returns)
	}
	if n := lim.Fallbacks(); n != 101 {
		t.Errorf("Fallbacks = %d; want 101", n)
	}

	srv.Thaw(t)
	if lim.Allow(ctx, "fresh", slow); lim.Fallbacks() != 102 {
		t.Errorf("right after Thaw: Fallbacks = %d; want 102 (breaker still open)", lim.Fallbacks())
	}
	time.Sleep(breakerCooldown)
	for i := range slow.Burst {
		if d := lim.Allow(ctx, "after", slow); !d.Allowed || d.Remaining != slow.Burst-1-i {
			t.Fatalf("after cooldown, call %d: %+v; want allowed, Remaining %d", i+1, d, slow.Burst-1-i)
		}
	}
	if n := lim.Fallbacks(); n != 102 {
		t.Errorf("after cooldown: Fallbacks = %d; want 102 (Redis used again)", n)
	}
	if n, err := c.Exists(ctx, t.Name()+":{rl:after}").Result(); err != nil || n != 1 {
		t.Errorf("EXISTS after-cooldown key = %d, %v; want 1", n, err)
	}
}

// TestRedisCallerCancel checks that a caller giving up falls back without
// tripping the breaker: the next call goes to Redis.
func TestRedisCallerCancel(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	lim := newRedis(t, newClient(t, srv), time.Second)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if d := lim.Allow(ctx, "k", slow); !d.Allowed || lim.Fallbacks() != 1 {
		t.Fatalf("cancelled: %+v, Fallbacks %d; want a local decision, Fallbacks 1", d, lim.Fallbacks())
	}
	mustBurst(t, lim, "k", slow)
	if n := lim.Fallbacks(); n != 1 {
		t.Errorf("Fallbacks = %d after cancel; want 1 (breaker must stay closed)", n)
	}
}

// TestRedisDeadServer checks a server that is gone, not hung: connection
// refused must fall back just the same.
func TestRedisDeadServer(t *testing.T) {
	t.Parallel()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	t.Cleanup(func() { c.Close() })
	lim := newRedis(t, c, 0)
	mustBurst(t, lim, "k", slow)
	if d := lim.Allow(t.Context(), "k", slow); d.Allowed {
		t.Fatalf("after local burst: %+v; want refused by the fallback", d)
	}
	if n := lim.Fallbacks(); n != uint64(slow.Burst)+1 {
		t.Errorf("Fallbacks = %d; want %d", n, slow.Burst+1)
	}
}
