package boltstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"signpost/store"
)

// bucketPausedRules holds one JSON store.PausedRule per rule id. It is
// created by its first write, so stores made before it need no migration;
// reads treat a missing bucket as empty.
const bucketPausedRules = "paused_rules"

var _ store.PausedRules = (*Store)(nil)

// PauseRule stores p and appends audit in one transaction, unless p.Rule
// is already paused.
func (s *Store) PauseRule(ctx context.Context, p store.PausedRule, audit store.AuditEntry) (bool, error) {
	stored := false
	err := s.update(ctx, fmt.Sprintf("pause rule %q", p.Rule), func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(bucketPausedRules))
		if err != nil {
			return err
		}
		if b.Get([]byte(p.Rule)) != nil {
			return nil
		}
		if err := putPaused(b, p); err != nil {
			return err
		}
		stored = true
		return appendAudit(tx, audit)
	})
	return stored, err
}

// PausedRules returns every paused rule in rule id order (bbolt's key order).
func (s *Store) PausedRules(ctx context.Context) ([]store.PausedRule, error) {
	var list []store.PausedRule
	err := s.view(ctx, "paused rules", func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketPausedRules))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, val []byte) error {
			var p store.PausedRule
			if err := json.Unmarshal(val, &p); err != nil {
				return fmt.Errorf("decode paused rule %q: %w", k, err)
			}
			list = append(list, p)
			return nil
		})
	})
	return list, err
}

// KeepRulePaused records the editor's confirmation and audit together.
func (s *Store) KeepRulePaused(ctx context.Context, rule, by string, at time.Time, audit store.AuditEntry) (store.PausedRule, error) {
	var p store.PausedRule
	err := s.update(ctx, fmt.Sprintf("keep rule %q paused", rule), func(tx *bolt.Tx) error {
		b, err := pausedRecord(tx, rule, &p)
		if err != nil {
			return err
		}
		p.KeptBy, p.KeptAt = by, at
		if err := putPaused(b, p); err != nil {
			return err
		}
		return appendAudit(tx, audit)
	})
	if err != nil {
		return store.PausedRule{}, err
	}
	return p, nil
}

// ResumeRule deletes the pause and appends audit together.
func (s *Store) ResumeRule(ctx context.Context, rule string, audit store.AuditEntry) (store.PausedRule, error) {
	var p store.PausedRule
	err := s.update(ctx, fmt.Sprintf("resume rule %q", rule), func(tx *bolt.Tx) error {
		b, err := pausedRecord(tx, rule, &p)
		if err != nil {
			return err
		}
		if err := b.Delete([]byte(rule)); err != nil {
			return err
		}
		return appendAudit(tx, audit)
	})
	if err != nil {
		return store.PausedRule{}, err
	}
	return p, nil
}

// pausedRecord decodes rule's record into p and returns its bucket, or
// store.ErrNotFound.
func pausedRecord(tx *bolt.Tx, rule string, p *store.PausedRule) (*bolt.Bucket, error) {
	b := tx.Bucket([]byte(bucketPausedRules))
	var val []byte
	if b != nil {
		val = b.Get([]byte(rule))
	}
	if val == nil {
		return nil, store.ErrNotFound
	}
	if err := json.Unmarshal(val, p); err != nil {
		return nil, fmt.Errorf("decode paused rule: %w", err)
	}
	return b, nil
}

func putPaused(b *bolt.Bucket, p store.PausedRule) error {
	val, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode paused rule: %w", err)
	}
	return b.Put([]byte(p.Rule), val)
}
