package redisstore

import (
	"cmp"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"signpost/store"
)

// CreateToken stores t, refusing a duplicate ID or hash: it claims the ID,
// indexes the hash, then claims the hash (see createClaimed).
func (s *Store) CreateToken(ctx context.Context, t store.Token) error {
	op := fmt.Sprintf("create token %q", t.ID)
	if t.ID == "" || len(t.Hash) == 0 {
		return fmt.Errorf("redis: %s: id and hash are required", op)
	}
	val, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("redis: %s: encode: %w", op, err)
	}
	hexHash := hex.EncodeToString(t.Hash)

	return s.createClaimed(ctx, op, claim{key: s.tokenIDKey(t.ID), val: hexHash, taken: "a token with this id already exists"},
		s.tokenIndexKey(), hexHash, claim{key: s.tokenKey(hexHash), val: string(val), taken: "a token with this hash already exists"})
}

// setNX is SETNX bounded by the store's timeout.
func (s *Store) setNX(ctx context.Context, key string, val any) (bool, error) {
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	return s.client.SetNX(ctx, key, val, 0).Result()
}

// TokenByHash returns the token whose hash is hash, or store.ErrNotFound.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (store.Token, error) {
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	val, err := s.client.Get(ctx, s.tokenKey(hex.EncodeToString(hash))).Bytes()
	if err != nil {
		return store.Token{}, s.wrap("token by hash", err)
	}
	var t store.Token
	if err := json.Unmarshal(val, &t); err != nil {
		return store.Token{}, fmt.Errorf("redis: token by hash: decode: %w", err)
	}
	return t, nil
}

// ListTokens returns every token in the tokens index, ordered by ID. The
// GETs go out in one pipeline, which go-redis splits per node on Cluster.
func (s *Store) ListTokens(ctx context.Context) ([]store.Token, error) {
	list, err := listIndexed[store.Token](ctx, s, "list tokens", s.tokenIndexKey(), s.tokenKey)
	slices.SortFunc(list, func(a, b store.Token) int { return cmp.Compare(a.ID, b.ID) })
	return list, err
}

// RevokeToken sets the token's revocation time. The id key leads to the
// hash; the token record is rewritten only if it still exists (SET XX).
// Two concurrent revocations both write a time; the first one read wins
// when it is already set.
func (s *Store) RevokeToken(ctx context.Context, id string, at time.Time) (store.Token, error) {
	op := fmt.Sprintf("revoke token %q", id)
	cctx, cancel := s.callCtx(ctx)
	defer cancel()
	hexHash, err := s.client.Get(cctx, s.tokenIDKey(id)).Result()
	if err != nil {
		return store.Token{}, s.wrap(op, err)
	}
	val, err := s.client.Get(cctx, s.tokenKey(hexHash)).Bytes()
	if err != nil {
		return store.Token{}, s.wrap(op, err)
	}
	var t store.Token
	if err := json.Unmarshal(val, &t); err != nil {
		return store.Token{}, fmt.Errorf("redis: %s: decode: %w", op, err)
	}
	if !t.RevokedAt.IsZero() {
		return t, nil
	}
	t.RevokedAt = at.UTC()
	out, err := json.Marshal(t)
	if err != nil {
		return store.Token{}, fmt.Errorf("redis: %s: encode: %w", op, err)
	}
	if err := s.client.SetXX(cctx, s.tokenKey(hexHash), out, redis.KeepTTL).Err(); err != nil {
		return store.Token{}, s.wrap(op, err)
	}
	return t, nil
}
