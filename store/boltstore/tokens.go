package boltstore

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"signpost/store"
)

// CreateToken stores t, refusing a duplicate ID or hash. Both checks and
// both writes happen in one transaction, so they cannot race.
func (s *Store) CreateToken(ctx context.Context, t store.Token) error {
	if t.ID == "" || len(t.Hash) == 0 {
		return fmt.Errorf("bolt: create token %q: id and hash are required", t.ID)
	}
	key := []byte(hex.EncodeToString(t.Hash))
	val, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("bolt: create token %q: encode: %w", t.ID, err)
	}
	return s.update(ctx, fmt.Sprintf("create token %q", t.ID), func(tx *bolt.Tx) error {
		tokens, ids := tx.Bucket([]byte(bucketTokens)), tx.Bucket([]byte(bucketTokenIDs))
		if ids.Get([]byte(t.ID)) != nil {
			return errors.New("a token with this id already exists")
		}
		if tokens.Get(key) != nil {
			return errors.New("a token with this hash already exists")
		}
		if err := ids.Put([]byte(t.ID), key); err != nil {
			return err
		}
		return tokens.Put(key, val)
	})
}

// TokenByHash returns the token whose hash is hash, or store.ErrNotFound.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (store.Token, error) {
	var t store.Token
	err := s.view(ctx, "token by hash", func(tx *bolt.Tx) error {
		val := tx.Bucket([]byte(bucketTokens)).Get([]byte(hex.EncodeToString(hash)))
		if val == nil {
			return store.ErrNotFound
		}
		return json.Unmarshal(val, &t)
	})
	return t, err
}

// ListTokens returns every token ordered by ID, which is the key order of
// the ID bucket.
func (s *Store) ListTokens(ctx context.Context) ([]store.Token, error) {
	var list []store.Token
	err := s.view(ctx, "list tokens", func(tx *bolt.Tx) error {
		tokens := tx.Bucket([]byte(bucketTokens))
		return tx.Bucket([]byte(bucketTokenIDs)).ForEach(func(id, key []byte) error {
			val := tokens.Get(key)
			if val == nil {
				return fmt.Errorf("token %q: index points at missing hash %s", id, key)
			}
			var t store.Token
			if err := json.Unmarshal(val, &t); err != nil {
				return fmt.Errorf("token %q: %w", id, err)
			}
			list = append(list, t)
			return nil
		})
	})
	return list, err
}

// RevokeToken sets the token's revocation time in one transaction.
func (s *Store) RevokeToken(ctx context.Context, id string, at time.Time) (store.Token, error) {
	var t store.Token
	err := s.update(ctx, fmt.Sprintf("revoke token %q", id), func(tx *bolt.Tx) error {
		key := tx.Bucket([]byte(bucketTokenIDs)).Get([]byte(id))
		if key == nil {
			return store.ErrNotFound
		}
		tokens := tx.Bucket([]byte(bucketTokens))
		val := tokens.Get(key)
		if val == nil {
			return store.ErrNotFound
		}
		if err := json.Unmarshal(val, &t); err != nil {
			return err
		}
		if !t.RevokedAt.IsZero() {
			return nil
		}
		t.RevokedAt = at.UTC()
		out, err := json.Marshal(t)
		if err != nil {
			return err
		}
		return tokens.Put(append([]byte(nil), key...), out)
	})
	return t, err
}
