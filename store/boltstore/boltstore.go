// Package boltstore is signpost's default store: a single bbolt file in the
// data directory, so a lone instance needs no external services.
//
// bbolt takes an exclusive file lock, so only one signpost process can use a
// data directory at a time; run several instances on the Redis store instead.
package boltstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"signpost/store"
)

// FileName is the name of the database file inside the data directory.
const FileName = "signpost.db"

// lockTimeout bounds how long Open waits for the file lock. A second process
// holding it will not let go soon, so waiting longer only delays the error.
const lockTimeout = time.Second

// Bucket names. Tokens live in two buckets: tokensByHash is the lookup the
// API needs, tokenIDs maps ID to hex hash so IDs stay unique and ListTokens
// can walk tokens in ID order.
//
// Campaigns live in campaign_records (state and draft, one value per
// campaign), campaign_versions (immutable published versions) and audit
// (the append-only log, in sequence order). The first releases kept a
// different record in "campaigns"; that bucket is no longer read, and the
// shipped campaign is imported again on first start.
//
// Engagement (see engagement.go) has its own buckets: counts, batch ids,
// once ids, unique-reach sketches, expiring secrets and markers. Their
// entries expire; the expiries bucket indexes them in expiry order, so
// pruning finds expired entries without a full scan.
//
// Accounts (see accounts.go) keep users by ID with user_names mapping name
// to ID, sessions by hex hash, and user_sessions indexing sessions by user.
const (
	bucketTokens    = "tokens"
	bucketTokenIDs  = "token_ids"
	bucketCampaigns = "campaign_records"
	bucketVersions  = "campaign_versions"
	bucketAudit     = "audit"
	bucketSecrets   = "secrets"
	bucketMeta      = "meta"
	bucketSecurity  = "security_audit"

	bucketCounts          = "engagement_counts"
	bucketBatches         = "engagement_batches"
	bucketOnce            = "engagement_once"
	bucketUniques         = "engagement_uniques"
	bucketExpiringSecrets = "expiring_secrets"
	bucketMarkers         = "markers"
	bucketExpiries        = "expiries"

	bucketUsers        = "users"
	bucketUserNames    = "user_names"
	bucketSessions     = "sessions"
	bucketUserSessions = "user_sessions"
)

// generationKey holds the published-state generation in the meta bucket.
const generationKey = "generation"

// Store is a store.Store backed by one bbolt file.
type Store struct {
	db   *bolt.DB
	path string
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the store in dir. It fails with a plain
// message if another process already holds the database, rather than
// bbolt's bare "timeout".
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("bolt: create data directory %q: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("bolt: open %q: data directory %q is in use by another signpost process (database file locked): %w", path, dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("bolt: open %q: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range []string{bucketTokens, bucketTokenIDs, bucketCampaigns, bucketVersions, bucketAudit, bucketSecrets, bucketMeta, bucketSecurity,
			bucketCounts, bucketBatches, bucketOnce, bucketUniques, bucketExpiringSecrets, bucketMarkers, bucketExpiries,
			bucketUsers, bucketUserNames, bucketSessions, bucketUserSessions} {
			if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("bolt: init %q: %w", path, err)
	}
	return &Store{db: db, path: path}, nil
}

// Path returns the database file's path, for logs.
func (s *Store) Path() string { return s.path }

// Ping reports whether the database is still open.
func (s *Store) Ping(ctx context.Context) error {
	return s.view(ctx, "ping", func(*bolt.Tx) error { return nil })
}

// Close closes the database file and releases its lock. Closing twice is
// harmless.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("bolt: close %q: %w", s.path, err)
	}
	return nil
}

// view runs fn in a read transaction. bbolt cannot be interrupted, so ctx is
// only checked before starting: transactions are short and local.
func (s *Store) view(ctx context.Context, op string, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bolt: %s: %w", op, err)
	}
	return wrap(op, s.db.View(fn))
}

// update is view for write transactions.
func (s *Store) update(ctx context.Context, op string, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bolt: %s: %w", op, err)
	}
	return wrap(op, s.db.Update(fn))
}

// wrap adds op as context and marks a closed database as unavailable, so
// callers can tell it from a bad request.
func wrap(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, berrors.ErrDatabaseNotOpen):
		return fmt.Errorf("bolt: %s: %w: %w", op, store.ErrUnavailable, err)
	default:
		return fmt.Errorf("bolt: %s: %w", op, err)
	}
}
