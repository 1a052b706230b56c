package redisstore

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"
)

// Config says how to reach Redis. Exactly one way is used: URL for a single
// server, Addrs with MasterName for Sentinel, Addrs alone for Cluster.
type Config struct {
	// URL is a redis:// or rediss:// URL of a standalone server.
	URL string
	// Addrs are Sentinel addresses (with MasterName) or Cluster seed nodes.
	Addrs []string
	// MasterName selects Sentinel failover for the master of that name.
	MasterName string
	// Prefix is prepended to every key; see New.
	Prefix string
	// Timeout bounds each store call; see New.
	Timeout time.Duration
}

// Client tuning, in one place (docs/operations.md explains it for
// operators).
//
// signpost's platform calls never wait on Redis: the catalog is in memory,
// engagement counts are aggregated in memory and flushed by a background
// worker, tokens are cached, and platform routes are rate limited in
// process. Redis serves the flusher, the catalog sync, the editor and
// analyst APIs and the shared API rate limiter (which has its own circuit
// breaker, see ratelimit.Redis). For those, a sick Redis must cost a
// bounded, short wait and then an error the caller already handles
// (retry the flush next tick, answer 503), never a queue of requests
// behind it. Hence:
//
//   - Every call carries a context deadline (the store's Timeout) and
//     ContextTimeoutEnabled makes go-redis apply it to the socket; without
//     it go-redis ignores context deadlines on reads and writes.
//   - Dial, read and write timeouts far below go-redis's 5 s defaults.
//   - No command retries (MaxRetries -1: go-redis's "none"; 0 means its
//     default of 3) and one dial attempt per connection (DialerRetries 1;
//     the default is 5 with 100 ms pauses). Our callers retry on their own
//     schedule: a retry inside the client only stretches the wait, and a
//     retried write whose first attempt landed would count twice were it
//     not idempotent.
//   - Cluster: reads and writes go to masters only (ReadOnly and
//     RouteByLatency off): replicas lag, and the store reads its own
//     writes. The slot map is reloaded at once on MOVED, and also every
//     clusterReload, because a killed master answers nothing at all: a
//     client that only reloads on MOVED keeps dialling the dead address
//     until some command happens to reach another node. MaxRedirects stays
//     at go-redis's 3, enough to follow a failover's MOVED; the deadline
//     still bounds the whole call.
//   - Sentinel: go-redis asks the Sentinels for the master on every new
//     connection and follows their +switch-master announcements, so a
//     failover needs no setting here beyond the ones above.
const (
	// dialTimeout: a healthy server on the same network accepts a connection
	// in milliseconds; a second covers a slow TLS handshake.
	dialTimeout = time.Second
	// ioTimeout: store commands are small key reads and writes, so half a
	// second of socket silence means trouble, not a big reply.
	ioTimeout = 500 * time.Millisecond
	// poolTimeout: waiting longer for a free connection than a command may
	// take only hides an exhausted pool behind latency.
	poolTimeout = ioTimeout
	// noRetries is go-redis's value for "do not retry" (0 means 3).
	noRetries = -1
	// dialAttempts is how often a new connection is dialled before the
	// command fails.
	dialAttempts = 1
	// clusterReload bounds how stale a Cluster client's slot map can get
	// after a failover: one CLUSTER SLOTS a second is cheap.
	clusterReload = time.Second
)

// NewClient builds the Redis client cfg describes, tuned as above.
func NewClient(cfg Config) (redis.UniversalClient, error) {
	switch {
	case cfg.URL != "":
		if len(cfg.Addrs) > 0 || cfg.MasterName != "" {
			return nil, errors.New("redis: config: set either a URL or addresses, not both")
		}
		opt, err := redis.ParseURL(cfg.URL)
		if err != nil {
			return nil, fmt.Errorf("redis: config: parse URL: %w", redactURL(err))
		}
		opt.ContextTimeoutEnabled = true
		opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout, opt.PoolTimeout = dialTimeout, ioTimeout, ioTimeout, poolTimeout
		opt.MaxRetries, opt.DialerRetries = noRetries, dialAttempts
		return redis.NewClient(opt), nil
	case len(cfg.Addrs) > 0 && cfg.MasterName != "":
		return redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName:            cfg.MasterName,
			SentinelAddrs:         cfg.Addrs,
			ContextTimeoutEnabled: true,
			DialTimeout:           dialTimeout,
			ReadTimeout:           ioTimeout,
			WriteTimeout:          ioTimeout,
			PoolTimeout:           poolTimeout,
			MaxRetries:            noRetries,
			DialerRetries:         dialAttempts,
		}), nil
	case len(cfg.Addrs) > 0:
		return redis.NewClusterClient(&redis.ClusterOptions{
			Addrs:                      cfg.Addrs,
			ContextTimeoutEnabled:      true,
			DialTimeout:                dialTimeout,
			ReadTimeout:                ioTimeout,
			WriteTimeout:               ioTimeout,
			PoolTimeout:                poolTimeout,
			MaxRetries:                 noRetries,
			DialerRetries:              dialAttempts,
			ReadOnly:                   false,
			RouteByLatency:             false,
			ClusterStateReloadInterval: clusterReload,
		}), nil
	case cfg.MasterName != "":
		return nil, errors.New("redis: config: a master name needs Sentinel addresses")
	default:
		return nil, errors.New("redis: config: no URL or addresses given")
	}
}

// redactURL drops the URL that url.Parse puts in its errors: it may carry a
// password, and configuration errors end up in logs.
func redactURL(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
}
