package redistest

import (
	"testing"

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
