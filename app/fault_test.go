package app_test

import (
	"bufio"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"signpost/app"
	"signpost/internal/faultproxy"
	"signpost/internal/redistest"
)

// fault is one Redis fault: inject starts it, heal ends it and returns
// once it is over as seen from outside signpost (the server thawed or
// restarted, the failover done, the delay gone).
type fault struct {
	inject func(t testing.TB)
	hold   time.Duration // between inject and heal
	heal   func(t testing.TB)
}

// faultConfig is the configuration of the instances under fault: counts
// flushed every 100 ms and tokens reloaded every half second, so a
// recovery and a token made on another instance are seen quickly; the
// two-person rule off, for publishReachesOtherInstances.
func faultConfig() app.Config {
	cfg := app.DefaultConfig()
	cfg.BootstrapToken = bootstrap
	cfg.FlushEvery = 100 * time.Millisecond
	cfg.TokenRefresh = 500 * time.Millisecond
	cfg.TwoPersonRule = false
	return cfg
}

// exerciseFault runs platform calls at a steady pace through f and checks
// what DESIGN §4 promises: every call answered, fast; signpost back on
// Redis within recoveryLimit of the fault ending; and every count written
// exactly once.
func exerciseFault(t *testing.T, in *instance, cfg app.Config, f fault) {
	platform := in.createToken(t, "platform", loadPlatform)
	st := openStore(t, cfg)

	l := startLoad(in, platform)
	time.Sleep(500 * time.Millisecond)
	faultStart := time.Now()
	f.inject(t)
	time.Sleep(f.hold)
	// The load balancer must keep the instance while it answers from its
	// catalog: a store outage leaves /readyz at 200 (body "degraded").
	if resp, body := in.do(t, "GET", "/readyz", "", nil); resp.StatusCode != 200 {
		t.Errorf("/readyz during the fault: %d %s, want 200", resp.StatusCode, body)
	}
	f.heal(t)
	healed := time.Now()
	wantServed := l.servedBefore(healed)

	// Back on Redis: ready, and the backlog of the fault written.
	var recovered time.Duration
	for {
		if ready(t, in) {
			if s, _, ok := totals(t, st, loadPlatform); ok && s >= wantServed {
				recovered = time.Since(healed)
				break
			}
		}
		if time.Since(healed) > 10*time.Second {
			s, i, ok := totals(t, st, loadPlatform)
			t.Fatalf("not back on Redis 10 s after the fault ended: ready %v, store counts served %d impressions %d (answering %v), want served %d", ready(t, in), s, i, ok, wantServed)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	l.halt()
	end := time.Now()

	if len(l.failures) > 0 {
		t.Errorf("platform calls failed during the fault: %q", l.failures)
	}
	all, during := l.latencies(time.Time{}, end), l.latencies(faultStart, healed)
	p99 := quantile(all, 0.99)
	t.Logf("%d platform calls (%d during the %v fault): p50 %v, p99 %v (during: %v), max %v; back on Redis %v after the fault ended; race detector %v",
		len(all), len(during), healed.Sub(faultStart).Round(time.Millisecond), quantile(all, 0.5), p99, quantile(during, 0.99), quantile(all, 1), recovered, raceEnabled())
	if len(during) < 50 {
		t.Errorf("only %d calls during the fault: the load did not run through it", len(during))
	}
	if p99 > p99Limit && !raceEnabled() {
		t.Errorf("platform-call p99 %v, want under %v", p99, p99Limit)
	}
	if recovered > recoveryLimit {
		t.Errorf("back on Redis %v after the fault ended, want within %v", recovered, recoveryLimit)
	}
	served, impressions := l.served.Load(), l.impressions.Load()
	waitTotals(t, st, served, impressions, 10*time.Second)
	// Once more after further flushes: a retried batch must not land twice.
	time.Sleep(3 * cfg.FlushEvery)
	waitTotals(t, st, served, impressions, time.Second)
}

func TestFaultRedisFrozen(t *testing.T) {
	srv := redistest.Start(t)
	cfg := faultConfig()
	cfg.RedisURL = srv.URL()
	exerciseFault(t, start(t, cfg), cfg, fault{inject: srv.Freeze, hold: 3 * time.Second, heal: srv.Thaw})
}

func TestFaultRedisKilledAndRestarted(t *testing.T) {
	srv := redistest.StartPersistent(t)
	cfg := faultConfig()
	cfg.RedisURL = srv.URL()
	exerciseFault(t, start(t, cfg), cfg, fault{inject: srv.Kill, hold: time.Second, heal: srv.Restart})
}

// statsKey is a key in the hash slot of the shipped campaign's engagement
// counts: the fault tests take down the master that holds them.
const statsKey = "{stats:small-boats}"

// TestFaultClusterMasterKilled also checks, first, that a publish on one
// instance reaches another through the Cluster.
func TestFaultClusterMasterKilled(t *testing.T) {
	c := redistest.StartCluster6(t)
	cfg := faultConfig()
	cfg.RedisAddrs = c.Addrs()
	a, b := start(t, cfg), start(t, cfg)
	publishReachesOtherInstances(t, a, b)
	var old *redistest.Server
	exerciseFault(t, a, cfg, fault{
		inject: func(t testing.TB) { old = c.MasterOf(t, statsKey); old.Kill(t) },
		heal:   func(t testing.TB) { c.WaitFailover(t, old, statsKey) },
	})
}

// TestFaultSentinelFailover also checks, first, that a publish on one
// instance reaches another through Sentinel-managed Redis.
func TestFaultSentinelFailover(t *testing.T) {
	s := redistest.StartSentinel(t)
	cfg := faultConfig()
	cfg.RedisAddrs, cfg.RedisMasterName = s.SentinelAddrs(), s.MasterName()
	a, b := start(t, cfg), start(t, cfg)
	publishReachesOtherInstances(t, a, b)
	var old *redistest.Server
	exerciseFault(t, a, cfg, fault{
		inject: func(t testing.TB) { old = s.Master(t); old.Kill(t) },
		heal:   func(t testing.TB) { s.WaitFailover(t, old) },
	})
}

func TestFaultNetworkDelay(t *testing.T) {
	srv := redistest.Start(t)
	proxy := faultproxy.Start(t, srv.Addr)
	cfg := faultConfig()
	cfg.RedisURL = "redis://" + proxy.Addr()
	exerciseFault(t, start(t, cfg), cfg, fault{
		inject: func(testing.TB) { proxy.SetDelay(200 * time.Millisecond) },
		hold:   2 * time.Second,
		heal:   func(testing.TB) { proxy.SetDelay(0) },
	})
}

// childEnv, when set, makes TestFaultChildServe serve signpost on the
// Redis URL it holds instead of returning: TestFaultInstanceKilled runs
// this test binary as a child process to SIGKILL it.
const childEnv = "SIGNPOST_FAULT_CHILD_REDIS"

// TestFaultChildServe is not a test but the child process of
// TestFaultInstanceKilled: `signpost serve` with the default FlushEvery,
// printing its address.
func TestFaultChildServe(t *testing.T) {
	url := os.Getenv(childEnv)
	if url == "" {
		t.Skip("runs only as TestFaultInstanceKilled's child process")
	}
	cfg := app.DefaultConfig()
	cfg.RedisURL, cfg.BootstrapToken = url, bootstrap
	a, err := app.New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("addr=%s\n", ln.Addr())
	t.Fatal(a.Serve(t.Context(), ln)) // until killed
}

// TestFaultInstanceKilled: an instance killed hard loses the counts it
// has not flushed yet, and no more: those of at most one FlushEvery (the
// default, 1 s) before the kill.
func TestFaultInstanceKilled(t *testing.T) {
	srv := redistest.Start(t)
	flushEvery := app.DefaultConfig().FlushEvery
	cmd := exec.Command(os.Args[0], "-test.run=^TestFaultChildServe$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+srv.URL())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "addr="); ok {
				addr <- a
			}
		}
	}()
	var child *instance
	select {
	case a := <-addr:
		child = &instance{base: "http://" + a}
	case <-time.After(30 * time.Second):
		t.Fatal("child signpost did not start within 30 s")
	}
	waitReady(t, child)
	platform := child.createToken(t, "platform", loadPlatform)

	l := startLoad(child, platform)
	time.Sleep(2500 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	_ = cmd.Wait()
	l.halt()
	sent := l.served.Load()

	// Read what reached Redis from the store itself.
	cfg := app.DefaultConfig()
	cfg.RedisURL = srv.URL()
	counted, _, ok := totals(t, openStore(t, cfg), loadPlatform)
	if !ok {
		t.Fatal("store unavailable")
	}
	// Everything answered a flush interval (plus a flush's own time)
	// before the kill was in a flush that completed.
	mustHave := l.servedBefore(killed.Add(-flushEvery - 100*time.Millisecond))
	t.Logf("killed an instance serving %.0f cards/s: %d of %d served cards counted, %d lost (%.2f s of traffic; FlushEvery %v)",
		float64(sent)/2.5, counted, sent, sent-counted, float64(sent-counted)/(float64(sent)/2.5), flushEvery)
	if counted > sent {
		t.Errorf("counted %d served cards, only %d were served", counted, sent)
	}
	if counted < mustHave {
		t.Errorf("counted %d served cards, want at least the %d answered over %v before the kill", counted, mustHave, flushEvery)
	}
}

// waitReady waits up to 10 s for in's /readyz.
func waitReady(t *testing.T, in *instance) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ready(t, in); {
		if time.Now().After(deadline) {
			t.Fatal("not ready within 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
