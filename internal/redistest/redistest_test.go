package redistest

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestStart(t *testing.T) {
	s := Start(t)
	opt, err := redis.ParseURL(s.URL())
	if err != nil {
		t.Fatalf("ParseURL(%q): %v", s.URL(), err)
	}
	c := redis.NewClient(opt)
	defer c.Close()
	if err := c.Set(t.Context(), "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	if got, err := c.Get(t.Context(), "k").Result(); err != nil || got != "v" {
		t.Errorf("GET k = %q, %v; want \"v\"", got, err)
	}
}

func TestStartCluster(t *testing.T) {
	s := StartCluster(t)
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{s.Addr}})
	defer c.Close()
	// Keys in different slots must land on the one node and be usable.
	for _, k := range []string{"a", "b", "{x}c"} {
		if err := c.Set(t.Context(), k, "v", 0).Err(); err != nil {
			t.Errorf("SET %s: %v", k, err)
		}
	}
}

func TestServersAreIndependent(t *testing.T) {
	a, b := Start(t), Start(t)
	if a.Addr == b.Addr || a.Dir == b.Dir {
		t.Errorf("two servers share an address or directory: %+v, %+v", a, b)
	}
}

func TestKillRestartKeepsPersistentData(t *testing.T) {
	s := StartPersistent(t)
	c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	defer c.Close()
	if err := c.Set(t.Context(), "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	s.Kill(t)
	if s.Running() {
		t.Fatal("Running after Kill")
	}
	if err := c.Ping(t.Context()).Err(); err == nil {
		t.Fatal("PING answered by a killed server")
	}
	s.Restart(t)
	// The pooled connection died with the server; the next command redials.
	_ = c.Ping(t.Context()).Err()
	if got, err := c.Get(t.Context(), "k").Result(); err != nil || got != "v" {
		t.Errorf("GET k after restart = %q, %v; want \"v\"", got, err)
	}
}

func TestCluster6Failover(t *testing.T) {
	c := StartCluster6(t)
	if len(c.Addrs()) != 6 {
		t.Fatalf("Addrs() = %v, want 6", c.Addrs())
	}
	cl := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	defer cl.Close()
	for _, k := range []string{"a", "b", "c", "{x}d"} {
		if err := cl.Set(t.Context(), k, "v", 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", k, err)
		}
	}
	old := c.MasterOf(t, "a")
	old.Kill(t)
	start := time.Now()
	now := c.WaitFailover(t, old, "a")
	t.Logf("failover from %s to %s took %v", old.Addr, now.Addr, time.Since(start))
	if now == old {
		t.Fatal("the killed node is still master")
	}
	// The client learns the new slot map on a reload (redisstore clients
	// reload every second, see store/redisstore/client.go); nodes may
	// still gossip the old map for a moment, so reload until it serves.
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	err := waitUntil(ctx, func() error {
		cl.ReloadState(ctx)
		actx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		return cl.Get(actx, "a").Err()
	})
	if got, gerr := cl.Get(t.Context(), "a").Result(); err != nil || gerr != nil || got != "v" {
		t.Errorf("GET a after failover = %q, %v (%v); want \"v\"", got, gerr, err)
	}
	old.Restart(t)
	if err := c.WaitHealthy(t.Context()); err != nil {
		t.Errorf("cluster after the old master rejoined: %v", err)
	}
}

func TestSentinelFailover(t *testing.T) {
	s := StartSentinel(t)
	if len(s.SentinelAddrs()) != 3 || s.MasterName() == "" {
		t.Fatalf("SentinelAddrs() = %v, MasterName() = %q", s.SentinelAddrs(), s.MasterName())
	}
	old := s.Master(t)
	if s.Replica(t) == old {
		t.Fatal("Replica() is the master")
	}
	old.Kill(t)
	start := time.Now()
	now := s.WaitFailover(t, old)
	t.Logf("sentinel failover from %s to %s took %v", old.Addr, now.Addr, time.Since(start))
	if s.Master(t) != now || now == old {
		t.Errorf("Master() = %s after failover to %s", s.Master(t).Addr, now.Addr)
	}
}
