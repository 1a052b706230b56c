package boltstore

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Secret returns the secret name, storing generate's value first if there is
// none. generate runs outside any transaction so a slow generator does not
// hold the write lock; the write then re-checks, and a caller that lost the
// race discards its value and returns the winner's.
func (s *Store) Secret(ctx context.Context, name string, generate func() ([]byte, error)) ([]byte, error) {
	op := fmt.Sprintf("secret %q", name)
	var val []byte
	err := s.view(ctx, op, func(tx *bolt.Tx) error {
		val = bytes.Clone(tx.Bucket([]byte(bucketSecrets)).Get([]byte(name)))
		return nil
	})
	if err != nil || val != nil {
		return val, err
	}
	fresh, err := generate()
	if err != nil {
		return nil, fmt.Errorf("bolt: %s: generate: %w", op, err)
	}
	err = s.update(ctx, op, func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketSecrets))
		if existing := b.Get([]byte(name)); existing != nil {
			val = bytes.Clone(existing)
			return nil
		}
		val = bytes.Clone(fresh)
		return b.Put([]byte(name), fresh)
	})
	if err != nil {
		return nil, err
	}
	return val, nil
}
