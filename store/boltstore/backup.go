package boltstore

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"signpost/store"
)

var _ store.Backup = (*Store)(nil)

// RestoreCampaigns writes every record in one transaction, so a failure
// leaves no campaign behind. The audit entries of all the records are
// appended merged by time, as the log would have been written.
func (s *Store) RestoreCampaigns(ctx context.Context, rs []store.CampaignRecord) error {
	return s.update(ctx, fmt.Sprintf("restore %d campaigns", len(rs)), func(tx *bolt.Tx) error {
		b, vb := tx.Bucket([]byte(bucketCampaigns)), tx.Bucket([]byte(bucketVersions))
		var audit []store.AuditEntry
		for _, r := range rs {
			c := r.Campaign
			if c.ID == "" {
				return fmt.Errorf("campaign id is required")
			}
			if b.Get([]byte(c.ID)) != nil {
				return fmt.Errorf("campaign %q exists: %w", c.ID, store.ErrConflict)
			}
			val, err := json.Marshal(campaignRecord{Rev: c.Rev, State: c.State, Definition: c.Draft.Definition, Content: c.Draft.Content})
			if err != nil {
				return fmt.Errorf("encode campaign %q: %w", c.ID, err)
			}
			if err := b.Put([]byte(c.ID), val); err != nil {
				return err
			}
			for _, v := range r.Versions {
				at, err := v.CreatedAt.MarshalJSON()
				if err != nil {
					return fmt.Errorf("encode campaign %q version %d time: %w", c.ID, v.Version, err)
				}
				val, err := json.Marshal(versionRecord{Definition: v.Draft.Definition, Content: v.Draft.Content, CreatedAt: at, CreatedBy: v.CreatedBy})
				if err != nil {
					return fmt.Errorf("encode campaign %q version %d: %w", c.ID, v.Version, err)
				}
				if err := vb.Put(versionKey(c.ID, v.Version), val); err != nil {
					return err
				}
			}
			audit = append(audit, r.Audit...)
		}
		slices.SortStableFunc(audit, func(a, b store.AuditEntry) int { return a.Time.Compare(b.Time) })
		for _, e := range audit {
			if err := appendAudit(tx, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// RestorePausedRules writes every record in one transaction.
func (s *Store) RestorePausedRules(ctx context.Context, ps []store.PausedRule) error {
	return s.update(ctx, fmt.Sprintf("restore %d paused rules", len(ps)), func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(bucketPausedRules))
		if err != nil {
			return err
		}
		for _, p := range ps {
			if err := putPaused(b, p); err != nil {
				return err
			}
		}
		return nil
	})
}

// AppendSecurityEvents appends es in one transaction.
func (s *Store) AppendSecurityEvents(ctx context.Context, es []store.AuditEntry) error {
	return s.update(ctx, fmt.Sprintf("append %d security events", len(es)), func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketSecurity))
		for _, e := range es {
			if err := putSecurityEvent(b, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// PeekExpiringSecret reads the secret and the expiry it is stored with.
func (s *Store) PeekExpiringSecret(ctx context.Context, name string) (store.ExpiringValue, error) {
	v := store.ExpiringValue{Name: name}
	err := s.view(ctx, fmt.Sprintf("peek expiring secret %q", name), func(tx *bolt.Tx) error {
		val := tx.Bucket([]byte(bucketExpiringSecrets)).Get([]byte(name))
		if len(val) < 8 || int64(binary.BigEndian.Uint64(val)) <= time.Now().UnixMilli() {
			return store.ErrNotFound
		}
		v.Expires = time.UnixMilli(int64(binary.BigEndian.Uint64(val))).UTC()
		v.Value = slices.Clone(val[8:])
		return nil
	})
	return v, err
}

// SetExpiringSecret stores v with its own expiry, indexed for pruning
// like every expiring entry.
func (s *Store) SetExpiringSecret(ctx context.Context, v store.ExpiringValue) error {
	return s.update(ctx, fmt.Sprintf("set expiring secret %q", v.Name), func(tx *bolt.Tx) error {
		exp := v.Expires.UnixMilli()
		if exp <= time.Now().UnixMilli() {
			return nil
		}
		return putExpiring(tx, bucketExpiringSecrets, []byte(v.Name), exp, v.Value)
	})
}

// Clear empties every bucket but the meta bucket (which holds the
// generation) in one transaction. It walks the buckets the file has rather
// than a list, so buckets added later are cleared too.
func (s *Store) Clear(ctx context.Context) error {
	return s.update(ctx, "clear", func(tx *bolt.Tx) error {
		var names []string
		err := tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			if string(name) != bucketMeta {
				names = append(names, string(name))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, name := range names {
			if err := tx.DeleteBucket([]byte(name)); err != nil {
				return fmt.Errorf("delete bucket %s: %w", name, err)
			}
			if _, err := tx.CreateBucket([]byte(name)); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	})
}
