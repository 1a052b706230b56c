package redistest

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const (
	// NodeTimeout is cluster-node-timeout and Sentinel's
	// down-after-milliseconds in these topologies: a second, so a failover
	// completes in about two seconds instead of the production default's
	// fifteen to thirty.
	NodeTimeout = time.Second
	// topologyTimeout bounds forming a topology and waiting for a failover.
	topologyTimeout = 20 * time.Second
	// poll is how often topology waits look again.
	poll = 50 * time.Millisecond
)

// StartPersistent is Start with an append-only file fsynced on every
// write, so a server that is killed and restarted keeps every write it
// acknowledged, as a production Redis configured for durability would.
func StartPersistent(tb testing.TB) *Server {
	tb.Helper()
	return start(tb, []string{"--appendonly", "yes", "--appendfsync", "always"})
}

// Cluster is a six-node Redis Cluster on loopback: three masters owning
// the slots in equal ranges and one replica each, every node its own
// redis-server in its own directory.
type Cluster struct {
	// Nodes are the six servers; Nodes[i+3] started as the replica of
	// Nodes[i], though failovers change who is master.
	Nodes []*Server
}

// StartCluster6 starts a Cluster of three masters and three replicas with
// a one-second node timeout, and returns once every node reports
// cluster_state:ok and every replica is in sync. Everything stops at
// test cleanup.
func StartCluster6(tb testing.TB) *Cluster {
	tb.Helper()
	timeout := strconv.Itoa(int(NodeTimeout / time.Millisecond))
	c := &Cluster{}
	for range 6 {
		c.Nodes = append(c.Nodes, start(tb, []string{
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", timeout,
			// A replica may take over however long it was cut off: in
			// tests the master is killed, never partitioned away.
			"--cluster-replica-validity-factor", "0",
		}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), topologyTimeout)
	defer cancel()
	if err := c.form(ctx); err != nil {
		tb.Fatalf("redistest: form cluster: %v", err)
	}
	if err := c.WaitHealthy(ctx); err != nil {
		tb.Fatalf("redistest: cluster: %v", err)
	}
	return c
}

// form joins the nodes, gives the first three a third of the slots each
// and makes each of the others a replica of one of them, with plain
// CLUSTER commands (redis-cli --cluster create may place replicas
// differently on every run).
func (c *Cluster) form(ctx context.Context) error {
	ids := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		err := n.with(func(cl *redis.Client) error {
			var err error
			ids[i], err = cl.Do(ctx, "CLUSTER", "MYID").Text()
			return err
		})
		if err != nil {
			return fmt.Errorf("node %s: CLUSTER MYID: %w", n.Addr, err)
		}
	}
	first := c.Nodes[0]
	err := first.with(func(cl *redis.Client) error {
		for _, n := range c.Nodes[1:] {
			if err := cl.ClusterMeet(ctx, "127.0.0.1", strconv.Itoa(n.port)).Err(); err != nil {
				return fmt.Errorf("CLUSTER MEET %s: %w", n.Addr, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	ranges := [][2]int{{0, 5460}, {5461, 10922}, {10923, 16383}}
	for i, r := range ranges {
		err := c.Nodes[i].with(func(cl *redis.Client) error {
			return cl.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", r[0], r[1]).Err()
		})
		if err != nil {
			return fmt.Errorf("node %s: ADDSLOTSRANGE %d-%d: %w", c.Nodes[i].Addr, r[0], r[1], err)
		}
	}
	// A node can replicate only a master it knows: wait for the gossip.
	for i := 3; i < 6; i++ {
		n, master := c.Nodes[i], ids[i-3]
		err := waitUntil(ctx, func() error {
			return n.with(func(cl *redis.Client) error {
				return cl.Do(ctx, "CLUSTER", "REPLICATE", master).Err()
			})
		})
		if err != nil {
			return fmt.Errorf("node %s: CLUSTER REPLICATE %s: %w", n.Addr, master, err)
		}
	}
	return nil
}

// Addrs returns every node's address, as seeds for a Cluster client.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		addrs[i] = n.Addr
	}
	return addrs
}

// WaitHealthy waits until every running node reports cluster_state:ok and
// the same three masters, and every running replica's link to its master
// is up.
func (c *Cluster) WaitHealthy(ctx context.Context) error {
	return waitUntil(ctx, func() error {
		masters := 0
		for _, n := range c.Nodes {
			if !n.Running() {
				continue
			}
			err := n.with(func(cl *redis.Client) error {
				info, err := cl.ClusterInfo(ctx).Result()
				if err != nil {
					return err
				}
				if !strings.Contains(info, "cluster_state:ok") {
					return fmt.Errorf("node %s: cluster_state not ok", n.Addr)
				}
				repl, err := cl.Info(ctx, "replication").Result()
				if err != nil {
					return err
				}
				switch {
				case strings.Contains(repl, "role:master"):
					if slotsOf(ctx, cl, n) > 0 {
						masters++
					}
				case !strings.Contains(repl, "master_link_status:up"):
					return fmt.Errorf("replica %s: link to its master is down", n.Addr)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		if masters != 3 {
			return fmt.Errorf("%d masters own slots, want 3", masters)
		}
		return nil
	})
}

// slotsOf counts the slots n serves as master according to n itself.
func slotsOf(ctx context.Context, cl *redis.Client, n *Server) int {
	ranges, err := masterSlots(ctx, cl)
	if err != nil {
		return 0
	}
	total := 0
	for _, r := range ranges[n.Addr] {
		total += int(r.End - r.Start + 1)
	}
	return total
}

// masterSlots returns, by address, the slot ranges each online master
// serves, as the node cl talks to sees it.
func masterSlots(ctx context.Context, cl *redis.Client) (map[string][]redis.SlotRange, error) {
	shards, err := cl.ClusterShards(ctx).Result()
	if err != nil {
		return nil, err
	}
	out := map[string][]redis.SlotRange{}
	for _, sh := range shards {
		for _, n := range sh.Nodes {
			if n.Role == "master" && n.Health == "online" {
				addr := net.JoinHostPort(n.IP, strconv.FormatInt(n.Port, 10))
				out[addr] = append(out[addr], sh.Slots...)
			}
		}
	}
	return out, nil
}

// MasterOf returns the node that currently serves key's slot as master,
// as the first running node that answers sees it.
func (c *Cluster) MasterOf(tb testing.TB, key string) *Server {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	n, err := c.masterOf(ctx, key)
	if err != nil {
		tb.Fatalf("redistest: master of %q: %v", key, err)
	}
	return n
}

// masterOf is MasterOf returning an error, also while no online master
// serves the slot (during a failover).
func (c *Cluster) masterOf(ctx context.Context, key string) (*Server, error) {
	var addr string
	err := c.anyNode(func(cl *redis.Client) error {
		slot, err := cl.ClusterKeySlot(ctx, key).Result()
		if err != nil {
			return err
		}
		masters, err := masterSlots(ctx, cl)
		if err != nil {
			return err
		}
		for a, ranges := range masters {
			for _, r := range ranges {
				if r.Start <= slot && slot <= r.End {
					addr = a
					return nil
				}
			}
		}
		return fmt.Errorf("no online master serves slot %d", slot)
	})
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(c.Nodes, func(n *Server) bool { return n.Addr == addr })
	if i < 0 {
		return nil, fmt.Errorf("master %s is not one of this cluster's nodes", addr)
	}
	return c.Nodes[i], nil
}

// WaitFailover waits until a node other than old serves key's slot as
// master and the cluster is ok again, and returns the new master: after
// old was killed or frozen, this is the moment the fault ends for
// clients.
func (c *Cluster) WaitFailover(tb testing.TB, old *Server, key string) *Server {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), topologyTimeout)
	defer cancel()
	var now *Server
	err := waitUntil(ctx, func() error {
		m, err := c.masterOf(ctx, key)
		if err != nil {
			return err
		}
		if m == old {
			return fmt.Errorf("%s still serves %q", old.Addr, key)
		}
		return m.with(func(cl *redis.Client) error {
			info, err := cl.ClusterInfo(ctx).Result()
			if err == nil && !strings.Contains(info, "cluster_state:ok") {
				err = fmt.Errorf("new master %s: cluster_state not ok", m.Addr)
			}
			now = m
			return err
		})
	})
	if err != nil {
		tb.Fatalf("redistest: no failover from %s: %v", old.Addr, err)
	}
	return now
}

// anyNode runs fn on the first running node where it succeeds.
func (c *Cluster) anyNode(fn func(*redis.Client) error) error {
	var errs []error
	for _, n := range c.Nodes {
		if !n.Running() {
			continue
		}
		err := n.with(fn)
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", n.Addr, err))
	}
	return fmt.Errorf("no node answered: %v", errs)
}

// with runs fn on a short-lived client of s alone, without retries, so a
// dead or frozen node fails fast instead of stalling a topology wait.
func (s *Server) with(fn func(*redis.Client) error) error {
	cl := redis.NewClient(&redis.Options{
		Addr: s.Addr, MaxRetries: -1, DialerRetries: 1,
		DialTimeout: 200 * time.Millisecond, ReadTimeout: time.Second, WriteTimeout: time.Second,
	})
	defer cl.Close()
	return fn(cl)
}

// waitUntil calls check until it succeeds or ctx ends, and returns the
// last error then.
func waitUntil(ctx context.Context, check func() error) error {
	for {
		err := check()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %w)", ctx.Err(), err)
		case <-time.After(poll):
		}
	}
}
