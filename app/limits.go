package app

import (
	"time"

	"signpost/ratelimit"
	"signpost/store/redisstore"
)

// apiLimitTimeout bounds the rate limiter's Redis call on API routes:
// past it the request is judged by this instance's own limiter.
const apiLimitTimeout = 50 * time.Millisecond

// newLimiters builds the rate limiters. Platform routes are limited in
// process memory: the hot path never waits on Redis, at the price of a
// cluster-wide limit of instances × rate. Every other route is limited
// atomically across instances by a Redis script when Redis is the store
// (on a client of its own, so a slow limiter cannot starve the store's
// pool), falling back to memory while Redis is away.
func (a *App) newLimiters() error {
	a.limiters.events = ratelimit.NewLocal(nil)
	local := ratelimit.NewLocal(nil)
	if !a.cfg.usesRedis() {
		a.limiters.api = local
		return nil
	}
	client, err := redisstore.NewClient(redisstore.Config{URL: a.cfg.RedisURL, Addrs: a.cfg.RedisAddrs, MasterName: a.cfg.RedisMasterName})
	if err != nil {
		return err
	}
	a.closers = append(a.closers, client.Close)
	a.limiters.api = ratelimit.NewRedis(client, a.cfg.RedisPrefix+"rl:", apiLimitTimeout, local)
	return nil
}
