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

// Client timeouts. signpost serves requests with Redis behind them and would
// rather fail fast (and fail open) than queue requests behind a sick server,
// so every bound is far below go-redis's 5 s defaults.
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
)

// NewClient builds the Redis client cfg describes. Every variant enables
// ContextTimeoutEnabled so the per-call deadlines the store derives reach
// the socket; without it go-redis ignores context deadlines on reads and
// writes and only applies its own timeouts.
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
		}), nil
	case len(cfg.Addrs) > 0:
		return redis.NewClusterClient(&redis.ClusterOptions{
			Addrs:                 cfg.Addrs,
			ContextTimeoutEnabled: true,
			DialTimeout:           dialTimeout,
			ReadTimeout:           ioTimeout,
			WriteTimeout:          ioTimeout,
			PoolTimeout:           poolTimeout,
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
