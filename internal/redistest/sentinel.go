package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// MasterName is the name the Sentinels of StartSentinel monitor.
const MasterName = "signpost-test"

// Sentinel is a master, its replica and three Sentinels watching them with
// a quorum of two, on loopback.
type Sentinel struct {
	// Sentinels are the three redis-server --sentinel processes.
	Sentinels []*Server
	// Servers are the data servers: Servers[0] started as the master and
	// Servers[1] as its replica; Master and Replica say who is which now.
	Servers []*Server
}

// StartSentinel starts the Sentinel topology with a one-second
// down-after-milliseconds and a short failover timeout, and returns once
// the replica is in sync and every Sentinel knows the replica and the
// other two Sentinels (so a failover can be authorised at once).
// Everything stops at test cleanup.
func StartSentinel(tb testing.TB) *Sentinel {
	tb.Helper()
	master := start(tb, nil)
	replica := start(tb, []string{"--replicaof", "127.0.0.1", strconv.Itoa(master.port)})
	s := &Sentinel{Servers: []*Server{master, replica}}
	for range 3 {
		s.Sentinels = append(s.Sentinels, startSentinel(tb, master))
	}
	ctx, cancel := context.WithTimeout(context.Background(), topologyTimeout)
	defer cancel()
	if err := s.WaitHealthy(ctx); err != nil {
		tb.Fatalf("redistest: sentinel: %v", err)
	}
	return s
}

// startSentinel runs one Sentinel monitoring master. Sentinel rewrites its
// config file, so each gets its own, in its own directory.
func startSentinel(tb testing.TB, master *Server) *Server {
	tb.Helper()
	dir := tb.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	ms := strconv.Itoa(int(NodeTimeout / time.Millisecond))
	data := strings.Join([]string{
		fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d 2", MasterName, master.port),
		fmt.Sprintf("sentinel down-after-milliseconds %s %s", MasterName, ms),
		fmt.Sprintf("sentinel failover-timeout %s %d", MasterName, 3*NodeTimeout/time.Millisecond),
		fmt.Sprintf("sentinel parallel-syncs %s 1", MasterName),
	}, "\n") + "\n"
	if err := os.WriteFile(conf, []byte(data), 0o600); err != nil {
		tb.Fatalf("redistest: write sentinel config: %v", err)
	}
	return start(tb, []string{conf, "--sentinel"})
}

// SentinelAddrs returns the Sentinels' addresses, for a failover client.
func (s *Sentinel) SentinelAddrs() []string {
	addrs := make([]string, len(s.Sentinels))
	for i, n := range s.Sentinels {
		addrs[i] = n.Addr
	}
	return addrs
}

// MasterName returns the monitored master's name.
func (s *Sentinel) MasterName() string { return MasterName }

// Master returns the data server the Sentinels currently name master.
func (s *Sentinel) Master(tb testing.TB) *Server {
	tb.Helper()
	addr, err := s.masterAddr(context.Background())
	if err != nil {
		tb.Fatalf("redistest: sentinel master: %v", err)
	}
	for _, n := range s.Servers {
		if n.Addr == addr {
			return n
		}
	}
	tb.Fatalf("redistest: sentinels name %s master, not one of this topology's servers", addr)
	return nil
}

// Replica returns the data server that is not the master.
func (s *Sentinel) Replica(tb testing.TB) *Server {
	tb.Helper()
	if m := s.Master(tb); m == s.Servers[0] {
		return s.Servers[1]
	}
	return s.Servers[0]
}

// masterAddr asks the Sentinels, in turn, for the master's address.
func (s *Sentinel) masterAddr(ctx context.Context) (string, error) {
	var errs []error
	for _, n := range s.Sentinels {
		if !n.Running() {
			continue
		}
		var addr string
		err := n.withSentinel(func(sc *redis.SentinelClient) error {
			hp, err := sc.GetMasterAddrByName(ctx, MasterName).Result()
			if err == nil && len(hp) == 2 {
				addr = net.JoinHostPort(hp[0], hp[1])
			}
			return err
		})
		if err == nil {
			return addr, nil
		}
		errs = append(errs, err)
	}
	return "", fmt.Errorf("no sentinel answered: %v", errs)
}

// WaitHealthy waits until every running Sentinel names the same running
// master and knows one replica and the other two Sentinels, and the
// replica's link to the master is up.
func (s *Sentinel) WaitHealthy(ctx context.Context) error {
	return waitUntil(ctx, func() error {
		addr, err := s.masterAddr(ctx)
		if err != nil {
			return err
		}
		for _, n := range s.Sentinels {
			err := n.withSentinel(func(sc *redis.SentinelClient) error {
				m, err := sc.Master(ctx, MasterName).Result()
				if err != nil {
					return err
				}
				if got := net.JoinHostPort(m["ip"], m["port"]); got != addr {
					return fmt.Errorf("sentinel %s names %s master, another names %s", n.Addr, got, addr)
				}
				if strings.Contains(m["flags"], "down") || m["num-slaves"] != "1" || m["num-other-sentinels"] != "2" {
					return fmt.Errorf("sentinel %s: flags %s, %s replicas, %s other sentinels", n.Addr, m["flags"], m["num-slaves"], m["num-other-sentinels"])
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		for _, n := range s.Servers {
			if n.Addr == addr || !n.Running() {
				continue
			}
			err := n.with(func(cl *redis.Client) error {
				repl, err := cl.Info(ctx, "replication").Result()
				if err == nil && !strings.Contains(repl, "master_link_status:up") {
					err = fmt.Errorf("replica %s: link to the master is down", n.Addr)
				}
				return err
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// WaitFailover waits until the Sentinels name a master other than old and
// it answers as master, and returns it: after old was killed or frozen,
// this is the moment the fault ends for clients.
func (s *Sentinel) WaitFailover(tb testing.TB, old *Server) *Server {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), topologyTimeout)
	defer cancel()
	var now *Server
	err := waitUntil(ctx, func() error {
		addr, err := s.masterAddr(ctx)
		if err != nil {
			return err
		}
		if addr == old.Addr {
			return fmt.Errorf("sentinels still name %s", old.Addr)
		}
		for _, n := range s.Servers {
			if n.Addr == addr {
				now = n
			}
		}
		if now == nil {
			return fmt.Errorf("sentinels name unknown master %s", addr)
		}
		return now.with(func(cl *redis.Client) error {
			repl, err := cl.Info(ctx, "replication").Result()
			if err == nil && !strings.Contains(repl, "role:master") {
				err = fmt.Errorf("%s is not master yet", addr)
			}
			return err
		})
	})
	if err != nil {
		tb.Fatalf("redistest: no sentinel failover from %s: %v", old.Addr, err)
	}
	return now
}

// withSentinel is with for a Sentinel.
func (s *Server) withSentinel(fn func(*redis.SentinelClient) error) error {
	sc := redis.NewSentinelClient(&redis.Options{
		Addr: s.Addr, MaxRetries: -1, DialerRetries: 1,
		DialTimeout: 200 * time.Millisecond, ReadTimeout: time.Second, WriteTimeout: time.Second,
	})
	defer sc.Close()
	return fn(sc)
}
