// Package redisstore is the store for several signpost instances sharing
// state through Redis (standalone, Sentinel or Cluster).
//
// Keys that must change together share a hash tag, so they live in one
// Cluster slot and can be written in one MULTI/EXEC. Lists are served from
// index sets instead of KEYS or SCAN, which block or miss keys on Cluster.
package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"signpost/store"
)

// Defaults for New.
const (
	DefaultPrefix  = "signpost:"
	DefaultTimeout = time.Second
)

// Store is a store.Store on Redis.
type Store struct {
	client  redis.UniversalClient
	prefix  string
	timeout time.Duration
}

var _ store.Store = (*Store)(nil)

// New returns a store using client, which it owns from now on (Close closes
// it). prefix namespaces every key so several deployments can share a
// server; timeout bounds each Redis call. Zero values pick DefaultPrefix and
// DefaultTimeout.
func New(client redis.UniversalClient, prefix string, timeout time.Duration) *Store {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Store{client: client, prefix: prefix, timeout: timeout}
}

// Ping reports whether Redis answers within the store's timeout.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	return s.wrap("ping", s.client.Ping(ctx).Err())
}

// Close closes the Redis client. Closing twice is harmless.
func (s *Store) Close() error {
	if err := s.client.Close(); err != nil && !errors.Is(err, redis.ErrClosed) {
		return fmt.Errorf("redis: close: %w", err)
	}
	return nil
}

// callCtx bounds one Redis call. Callers' contexts (fiber's UserContext in
// particular) often carry no deadline, and a hung server must not hang them.
func (s *Store) callCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// wrap adds op as context and classifies err: redis.Nil becomes
// store.ErrNotFound; anything that means Redis cannot serve us now (network
// errors, timeouts, a closed client, a loading or failing-over server)
// becomes store.ErrUnavailable. A caller's own cancellation and ordinary
// command errors are only wrapped.
func (s *Store) wrap(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, redis.Nil):
		return fmt.Errorf("redis: %s: %w", op, store.ErrNotFound)
	case unavailable(err):
		return fmt.Errorf("redis: %s: %w: %w", op, store.ErrUnavailable, err)
	default:
		return fmt.Errorf("redis: %s: %w", op, err)
	}
}

// unavailable reports whether err means Redis cannot be reached or cannot
// serve right now, as opposed to rejecting the command.
func unavailable(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var rerr redis.Error
	if !errors.As(err, &rerr) {
		return true // network, timeout, pool or closed-client errors
	}
	return redis.IsLoadingError(err) || redis.IsClusterDownError(err) ||
		redis.IsTryAgainError(err) || redis.IsMasterDownError(err) ||
		redis.IsReadOnlyError(err) || redis.IsMaxClientsError(err)
}

// members is SMEMBERS bounded by the store's timeout.
func (s *Store) members(ctx context.Context, key string) ([]string, error) {
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	return s.client.SMembers(ctx, key).Result()
}

// addToIndex is SADD bounded by the store's timeout.
func (s *Store) addToIndex(ctx context.Context, key, member string) error {
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	return s.client.SAdd(ctx, key, member).Err()
}

// listIndexed reads every JSON record whose key keyOf gives for a member
// of the index set, in one pipeline (go-redis splits it per node on
// Cluster). Members whose record is gone (a creation that lost a race or
// is under way) are skipped.
func listIndexed[T any](ctx context.Context, s *Store, op, index string, keyOf func(string) string) ([]T, error) {
	members, err := s.members(ctx, index)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	pctx, cancel := s.callCtx(ctx)
	defer cancel()
	pipe := s.client.Pipeline()
	for _, m := range members {
		pipe.Get(pctx, keyOf(m))
	}
	cmds, err := pipe.Exec(pctx)
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, s.wrap(op, err)
	}
	list := make([]T, 0, len(cmds))
	for i, c := range cmds {
		val, err := c.(*redis.StringCmd).Bytes()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return nil, s.wrap(op, err)
		}
		var v T
		if err := json.Unmarshal(val, &v); err != nil {
			return nil, fmt.Errorf("redis: %s: decode %s: %w", op, members[i], err)
		}
		list = append(list, v)
	}
	return list, nil
}

// claim is a key to take with SETNX, the value to put there, and the
// sentence for when someone else holds it.
type claim struct {
	key, val, taken string
}

// createClaimed writes a record that must be unique under two keys in
// different Cluster slots, which no transaction can span. The steps are
// ordered to fail safe: take first (a secondary claim, such as a token's
// id or a user's name), add member to the index (lists skip index entries
// without a record), then take record (the record itself), releasing
// first if that fails. Of two instances creating the same record exactly
// one wins. Only if the process dies between the first and last step does
// first stay taken, until an operator deletes its key.
func (s *Store) createClaimed(ctx context.Context, op string, first claim, index, member string, record claim) error {
	ok, err := s.setNX(ctx, first.key, first.val)
	if err != nil {
		return s.wrap(op, err)
	}
	if !ok {
		return fmt.Errorf("redis: %s: %s", op, first.taken)
	}
	err = s.addToIndex(ctx, index, member)
	if err == nil {
		ok, err = s.setNX(ctx, record.key, record.val)
	}
	switch {
	case err != nil:
		err = s.wrap(op, err)
	case !ok:
		err = fmt.Errorf("redis: %s: %s", op, record.taken)
	default:
		return nil
	}
	// Release the first claim: it is ours, nobody else can hold it. The
	// index entry stays, as it may belong to the existing record.
	cctx, cancel := s.callCtx(context.WithoutCancel(ctx))
	defer cancel()
	if derr := s.client.Del(cctx, first.key).Err(); derr != nil {
		err = errors.Join(err, s.wrap(op+": release claim", derr))
	}
	return err
}
