package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"signpost/internal/redistest"
	"signpost/store"
	"signpost/store/storetest"
)

// newStore returns a store on its own client, closed after the test. Each
// test's name becomes its key prefix, so tests sharing a server never see
// each other's keys.
func newStore(t *testing.T, cfg Config) *Store {
	t.Helper()
	client, err := NewClient(cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	s := New(client, t.Name()+":", 0)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	srv := redistest.Start(t)
	storetest.Run(t, func(t *testing.T) store.Store { return newStore(t, Config{URL: srv.URL()}) })
}

// TestConformanceCluster runs the suite through a Cluster client, which
// rejects a MULTI/EXEC whose keys span slots, so it fails if the campaign
// keys lose their shared hash tag.
func TestConformanceCluster(t *testing.T) {
	srv := redistest.StartCluster(t)
	storetest.Run(t, func(t *testing.T) store.Store { return newStore(t, Config{Addrs: []string{srv.Addr}}) })
}

// TestConformanceCluster6 runs the suite on a real six-node Cluster
// (three masters, three replicas), where keys spread over three masters
// and pipelines are split per node.
func TestConformanceCluster6(t *testing.T) {
	c := redistest.StartCluster6(t)
	storetest.Run(t, func(t *testing.T) store.Store { return newStore(t, Config{Addrs: c.Addrs()}) })
}

// TestConformanceSentinel runs the suite through a Sentinel failover
// client, which finds the master by asking three Sentinels.
func TestConformanceSentinel(t *testing.T) {
	s := redistest.StartSentinel(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return newStore(t, Config{Addrs: s.SentinelAddrs(), MasterName: s.MasterName()})
	})
}

func TestKeyLayout(t *testing.T) {
	srv := redistest.Start(t)
	s := New(redis.NewClient(&redis.Options{Addr: srv.Addr}), "sp:", 0)
	defer s.Close()
	ctx := t.Context()
	hash := sha256.Sum256([]byte("secret"))
	if err := s.CreateToken(ctx, store.Token{ID: "t1", Hash: hash[:]}); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	c := store.Campaign{ID: "spring", Draft: store.Draft{Content: map[string]store.LocaleContent{"ar": {Format: "toml"}, "en": {Format: "json"}}}}
	v := &store.CampaignVersion{CampaignID: "spring", Version: 1}
	if _, err := s.SaveCampaign(ctx, store.Save{Campaign: c, Version: v}); err != nil {
		t.Fatalf("SaveCampaign: %v", err)
	}
	if _, err := s.BumpGeneration(ctx); err != nil {
		t.Fatalf("BumpGeneration: %v", err)
	}
	if _, err := s.Secret(ctx, "session", func() ([]byte, error) { return []byte("x"), nil }); err != nil {
		t.Fatalf("Secret: %v", err)
	}

	keys, err := s.client.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatalf("KEYS: %v", err)
	}
	slices.Sort(keys)
	hexHash := hex.EncodeToString(hash[:])
	want := []string{
		"sp:campaigns",
		"sp:generation",
		"sp:secret:session",
		"sp:token-id:t1",
		"sp:token:" + hexHash,
		"sp:tokens",
		"sp:{campaign:spring}:audit",
		"sp:{campaign:spring}:content",
		"sp:{campaign:spring}:def",
		"sp:{campaign:spring}:rev",
		"sp:{campaign:spring}:state",
		"sp:{campaign:spring}:versions",
	}
	if d := cmp.Diff(want, keys); d != "" {
		t.Errorf("keys (-want +got):\n%s", d)
	}
	locales, err := s.client.HKeys(ctx, "sp:{campaign:spring}:content").Result()
	slices.Sort(locales)
	if err != nil || !slices.Equal(locales, []string{"ar", "en"}) {
		t.Errorf("content hash fields = %v, %v; want [ar en]", locales, err)
	}
	if got, err := s.client.SMembers(ctx, "sp:tokens").Result(); err != nil || !slices.Equal(got, []string{hexHash}) {
		t.Errorf("tokens index = %v, %v; want [%s]", got, err, hexHash)
	}
}

func TestCampaignKeysShareSlot(t *testing.T) {
	for _, prefix := range []string{"signpost:", "a{b}:", "x"} {
		s := New(nil, prefix, 0)
		for _, id := range []string{"spring", "", "a}b", "{x}", "رمضان"} {
			k := s.campaignKeys(id)
			def := keySlot(k.def)
			for _, key := range []string{k.rev, k.state, k.content, k.versions, k.audit} {
				if got := keySlot(key); got != def {
					t.Errorf("prefix %q id %q: slot(%q) = %d, slot(def) = %d", prefix, id, key, got, def)
				}
			}
		}
	}
}

// TestUnavailable checks that a dead or silent server yields
// store.ErrUnavailable within the store's timeout rather than hanging.
func TestUnavailable(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never answers
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed.Close() // nothing listens here any more

	const timeout = 200 * time.Millisecond
	for name, addr := range map[string]string{"Silent": silent.Addr().String(), "Refused": closed.Addr().String()} {
		t.Run(name, func(t *testing.T) {
			client, err := NewClient(Config{URL: "redis://" + addr})
			if err != nil {
				t.Fatal(err)
			}
			s := New(client, "", timeout)
			defer s.Close()
			ctx := context.Background() // no deadline: the store must add one
			calls := map[string]func() error{
				"Ping":          func() error { return s.Ping(ctx) },
				"TokenByHash":   func() error { _, err := s.TokenByHash(ctx, []byte{1}); return err },
				"ListCampaigns": func() error { _, err := s.ListCampaigns(ctx); return err },
				"SaveCampaign":  func() error { _, err := s.SaveCampaign(ctx, store.Save{Campaign: store.Campaign{ID: "c"}}); return err },
				"Secret": func() error {
					_, err := s.Secret(ctx, "k", func() ([]byte, error) { return []byte("v"), nil })
					return err
				},
			}
			for call, fn := range calls {
				start := time.Now()
				err := fn()
				if !errors.Is(err, store.ErrUnavailable) {
					t.Errorf("%s: err = %v, want store.ErrUnavailable", call, err)
				}
				if d := time.Since(start); d > 5*timeout {
					t.Errorf("%s took %v, want about %v", call, d, timeout)
				}
			}
		})
	}
}

// TestSharedAcrossInstances checks what several signpost instances rely on:
// they agree on secrets and cannot both create one token.
func TestSharedAcrossInstances(t *testing.T) {
	srv := redistest.Start(t)
	a, b := newStore(t, Config{URL: srv.URL()}), newStore(t, Config{URL: srv.URL()})
	ctx := t.Context()

	const n = 8
	secrets := make([][]byte, n)
	tokenErrs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		s := []*Store{a, b}[i%2]
		wg.Go(func() {
			var err error
			secrets[i], err = s.Secret(ctx, "session", func() ([]byte, error) { return []byte{byte(i)}, nil })
			if err != nil {
				t.Errorf("Secret #%d: %v", i, err)
			}
			tokenErrs[i] = s.CreateToken(ctx, store.Token{ID: "same", Hash: []byte{byte(i)}})
		})
	}
	wg.Wait()
	for i := range secrets {
		if !slices.Equal(secrets[i], secrets[0]) {
			t.Errorf("instance secrets differ: #%d = %x, #0 = %x", i, secrets[i], secrets[0])
		}
	}
	if won := n - countErrs(tokenErrs); won != 1 {
		t.Errorf("%d instances created token %q, want 1 (errors: %v)", won, "same", tokenErrs)
	}
	other, err := b.ListTokens(ctx)
	if err != nil || len(other) != 1 {
		t.Errorf("ListTokens on the other instance = %v, %v; want the one token", other, err)
	}
}

func countErrs(errs []error) int {
	n := 0
	for _, err := range errs {
		if err != nil {
			n++
		}
	}
	return n
}

func TestNewClient(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		want    string // "standalone", "failover" or "cluster"
		wantErr bool
	}{
		{name: "URL", cfg: Config{URL: "redis://:pw@localhost:6379/2"}, want: "standalone"},
		{name: "TLSURL", cfg: Config{URL: "rediss://localhost:6380"}, want: "standalone"},
		{name: "Sentinel", cfg: Config{Addrs: []string{"s1:26379", "s2:26379"}, MasterName: "mymaster"}, want: "failover"},
		{name: "Cluster", cfg: Config{Addrs: []string{"n1:6379", "n2:6379"}}, want: "cluster"},
		{name: "BadScheme", cfg: Config{URL: "http://localhost:6379"}, wantErr: true},
		{name: "BadURL", cfg: Config{URL: "redis://:hunter2@local host:%zz"}, wantErr: true},
		{name: "BadPort", cfg: Config{URL: "redis://:hunter2@localhost:abc"}, wantErr: true},
		{name: "Empty", cfg: Config{}, wantErr: true},
		{name: "MasterWithoutAddrs", cfg: Config{MasterName: "mymaster"}, wantErr: true},
		{name: "URLAndAddrs", cfg: Config{URL: "redis://localhost", Addrs: []string{"n1:6379"}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(tt.cfg)
			if tt.wantErr {
				if err == nil {
					c.Close()
					t.Fatalf("NewClient(%+v) succeeded, want error", tt.cfg)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("NewClient error %q reveals the password", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewClient(%+v): %v", tt.cfg, err)
			}
			defer c.Close()
			kind, ctxTimeout, dial, read, write := describe(c)
			if kind != tt.want {
				t.Errorf("client kind = %s, want %s", kind, tt.want)
			}
			if !ctxTimeout || dial != dialTimeout || read != ioTimeout || write != ioTimeout {
				t.Errorf("ContextTimeoutEnabled=%v dial=%v read=%v write=%v; want true %v %v %v",
					ctxTimeout, dial, read, write, dialTimeout, ioTimeout, ioTimeout)
			}
			if retries, dials := retriesOf(c); retries > 0 || dials != dialAttempts {
				t.Errorf("command retries = %d, dial attempts = %d; want none and %d", retries, dials, dialAttempts)
			}
			if cc, ok := c.(*redis.ClusterClient); ok {
				o := cc.Options()
				if o.ReadOnly || o.RouteByLatency || o.ClusterStateReloadInterval != clusterReload {
					t.Errorf("cluster ReadOnly=%v RouteByLatency=%v reload=%v; want false false %v", o.ReadOnly, o.RouteByLatency, o.ClusterStateReloadInterval, clusterReload)
				}
			}
		})
	}
}

// describe reports which kind of client c is and its timeout settings. A
// Sentinel client is a *redis.Client whose address is the placeholder
// "FailoverClient".
func describe(c redis.UniversalClient) (kind string, ctxTimeout bool, dial, read, write time.Duration) {
	switch c := c.(type) {
	case *redis.ClusterClient:
		o := c.Options()
		return "cluster", o.ContextTimeoutEnabled, o.DialTimeout, o.ReadTimeout, o.WriteTimeout
	case *redis.Client:
		o := c.Options()
		kind = "standalone"
		if o.Addr == "FailoverClient" {
			kind = "failover"
		}
		return kind, o.ContextTimeoutEnabled, o.DialTimeout, o.ReadTimeout, o.WriteTimeout
	}
	return "unknown", false, 0, 0, 0
}

// retriesOf reports c's command retries after go-redis's defaults are
// applied (a Cluster client keeps -1, a single-node client turns it to 0)
// and its dial attempts per connection.
func retriesOf(c redis.UniversalClient) (retries, dials int) {
	switch c := c.(type) {
	case *redis.ClusterClient:
		return c.Options().MaxRetries, c.Options().DialerRetries
	case *redis.Client:
		return c.Options().MaxRetries, c.Options().DialerRetries
	}
	return -2, -2
}

// TestChangesReachSubscribers checks that a bump on one client reaches a
// subscriber on another, as instances sharing Redis rely on.
func TestChangesReachSubscribers(t *testing.T) {
	srv := redistest.Start(t)
	ctx := t.Context()
	sub := newStore(t, Config{URL: srv.URL()})
	changes := sub.Changes(ctx)
	pub := New(redis.NewClient(&redis.Options{Addr: srv.Addr}), sub.prefix, 0)
	defer pub.Close()
	// The subscription is set up asynchronously: bump until one arrives.
	deadline := time.After(5 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, err := pub.BumpGeneration(ctx); err != nil {
			t.Fatalf("BumpGeneration: %v", err)
		}
		select {
		case <-changes:
			if g, err := sub.Generation(ctx); err != nil || g < 1 {
				t.Errorf("Generation seen by the subscriber = %d, %v; want ≥ 1", g, err)
			}
			return
		case <-deadline:
			t.Fatal("no change notification within 5 s")
		case <-tick.C:
		}
	}
}
