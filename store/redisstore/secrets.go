package redisstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Secret returns the secret name, storing generate's value first if there is
// none. The value is written with SETNX and then read back, so when several
// instances start at once only the first write sticks and every caller
// returns that one; the losers' generated values are discarded.
func (s *Store) Secret(ctx context.Context, name string, generate func() ([]byte, error)) ([]byte, error) {
	op := fmt.Sprintf("secret %q", name)
	val, err := s.get(ctx, s.secretKey(name))
	switch {
	case err == nil:
		return val, nil
	case !errors.Is(err, redis.Nil):
		return nil, s.wrap(op, err)
	}
	fresh, err := generate()
	if err != nil {
		return nil, fmt.Errorf("redis: %s: generate: %w", op, err)
	}
	if _, err := s.setNX(ctx, s.secretKey(name), fresh); err != nil {
		return nil, s.wrap(op, err)
	}
	val, err = s.get(ctx, s.secretKey(name))
	if err != nil {
		return nil, s.wrap(op, err)
	}
	return val, nil
}

// get is GET bounded by the store's timeout.
func (s *Store) get(ctx context.Context, key string) ([]byte, error) {
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	return s.client.Get(ctx, key).Bytes()
}
