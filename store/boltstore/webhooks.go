package boltstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"signpost/store"
)

// Webhook buckets, created by their first write (reads treat a missing
// bucket as empty): subscriptions by id; pending deliveries by id, with
// webhook_due indexing them by due time (8-byte big-endian Unix
// milliseconds, then the id) so claiming walks only what is due; and the
// delivery logs, keyed by webhook id, a zero byte and a sequence number.
const (
	bucketWebhooks   = "webhooks"
	bucketDeliveries = "webhook_deliveries"
	bucketDue        = "webhook_due"
	bucketWebhookLog = "webhook_log"
)

var _ store.Webhooks = (*Store)(nil)

// CreateWebhook stores w unless its id is taken.
func (s *Store) CreateWebhook(ctx context.Context, w store.Webhook) error {
	return s.update(ctx, fmt.Sprintf("create webhook %q", w.ID), func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(bucketWebhooks))
		if err != nil {
			return err
		}
		if w.ID == "" {
			return fmt.Errorf("webhook id is required")
		}
		if b.Get([]byte(w.ID)) != nil {
			return fmt.Errorf("webhook %q exists: %w", w.ID, store.ErrConflict)
		}
		return whPut(b, w.ID, w)
	})
}

// Webhook reads one subscription.
func (s *Store) Webhook(ctx context.Context, id string) (store.Webhook, error) {
	var w store.Webhook
	err := s.view(ctx, fmt.Sprintf("webhook %q", id), func(tx *bolt.Tx) error {
		return whGet(tx.Bucket([]byte(bucketWebhooks)), id, &w)
	})
	return w, err
}

// ListWebhooks walks the subscriptions in id order (bbolt's key order).
func (s *Store) ListWebhooks(ctx context.Context) ([]store.Webhook, error) {
	var list []store.Webhook
	err := s.view(ctx, "list webhooks", func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketWebhooks))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var w store.Webhook
			if err := json.Unmarshal(v, &w); err != nil {
				return fmt.Errorf("decode webhook %q: %w", k, err)
			}
			list = append(list, w)
			return nil
		})
	})
	return list, err
}

// DeleteWebhook removes the subscription and its log in one transaction.
func (s *Store) DeleteWebhook(ctx context.Context, id string) error {
	return s.update(ctx, fmt.Sprintf("delete webhook %q", id), func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketWebhooks))
		if b == nil || b.Get([]byte(id)) == nil {
			return store.ErrNotFound
		}
		if err := b.Delete([]byte(id)); err != nil {
			return err
		}
		return whTrimLog(tx.Bucket([]byte(bucketWebhookLog)), id, 0)
	})
}

// DisableWebhook sets the subscription's disabled time and reason.
func (s *Store) DisableWebhook(ctx context.Context, id string, at time.Time, reason string) error {
	return s.update(ctx, fmt.Sprintf("disable webhook %q", id), func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketWebhooks))
		var w store.Webhook
		if err := whGet(b, id, &w); err != nil {
			return err
		}
		w.DisabledAt, w.DisabledReason = at, reason
		return whPut(b, id, w)
	})
}

// EnqueueWebhookDeliveries stores the deliveries and their due index in
// one transaction.
func (s *Store) EnqueueWebhookDeliveries(ctx context.Context, ds []store.WebhookDelivery) error {
	return s.update(ctx, fmt.Sprintf("enqueue %d webhook deliveries", len(ds)), func(tx *bolt.Tx) error {
		db, due, err := whDeliveryBuckets(tx)
		if err != nil {
			return err
		}
		for _, d := range ds {
			if d.ID == "" {
				return fmt.Errorf("webhook delivery id is required")
			}
			if db.Get([]byte(d.ID)) != nil {
				continue
			}
			d.Lease = ""
			if err := whPutDelivery(db, due, d); err != nil {
				return err
			}
		}
		return nil
	})
}

// ClaimWebhookDeliveries walks the due index up to now in one write
// transaction: bbolt has one writer at a time, so no two claims overlap.
func (s *Store) ClaimWebhookDeliveries(ctx context.Context, now time.Time, lease time.Duration, max int) ([]store.WebhookDelivery, error) {
	var out []store.WebhookDelivery
	err := s.update(ctx, "claim webhook deliveries", func(tx *bolt.Tx) error {
		db, due, err := whDeliveryBuckets(tx)
		if err != nil {
			return err
		}
		limit := whDueKey(now, "\xff")
		var ids []string
		c := due.Cursor()
		for k, _ := c.First(); k != nil && bytes.Compare(k, limit) <= 0 && len(ids) < max; k, _ = c.Next() {
			ids = append(ids, string(k[8:]))
		}
		for _, id := range ids {
			var d store.WebhookDelivery
			if err := whGet(db, id, &d); err != nil {
				return fmt.Errorf("claimed delivery %q: %w", id, err)
			}
			if err := due.Delete(whDueKey(d.Due, d.ID)); err != nil {
				return err
			}
			d.Lease, d.Due = whLease(), now.Add(lease)
			if err := whPutDelivery(db, due, d); err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// FinishWebhookDelivery checks the lease, then keeps or removes d and
// appends to the log, in one transaction.
func (s *Store) FinishWebhookDelivery(ctx context.Context, d store.WebhookDelivery, retry bool, a store.WebhookAttempt) error {
	return s.update(ctx, fmt.Sprintf("finish webhook delivery %q", d.ID), func(tx *bolt.Tx) error {
		db, due, err := whDeliveryBuckets(tx)
		if err != nil {
			return err
		}
		var cur store.WebhookDelivery
		if err := whGet(db, d.ID, &cur); err != nil || cur.Lease == "" || cur.Lease != d.Lease {
			return fmt.Errorf("the lease ran out: %w", store.ErrConflict)
		}
		if err := due.Delete(whDueKey(cur.Due, cur.ID)); err != nil {
			return err
		}
		if retry {
			d.Lease = ""
			err = whPutDelivery(db, due, d)
		} else {
			err = db.Delete([]byte(d.ID))
		}
		if err != nil || a.Webhook == "" {
			return err
		}
		return whAppendAttempt(tx, a)
	})
}

// PendingWebhookDeliveries walks the due index.
func (s *Store) PendingWebhookDeliveries(ctx context.Context) ([]store.WebhookDelivery, error) {
	var out []store.WebhookDelivery
	err := s.view(ctx, "pending webhook deliveries", func(tx *bolt.Tx) error {
		db, due := tx.Bucket([]byte(bucketDeliveries)), tx.Bucket([]byte(bucketDue))
		if db == nil || due == nil {
			return nil
		}
		return due.ForEach(func(k, _ []byte) error {
			var d store.WebhookDelivery
			if err := whGet(db, string(k[8:]), &d); err != nil {
				return fmt.Errorf("pending delivery %q: %w", k[8:], err)
			}
			out = append(out, d)
			return nil
		})
	})
	return out, err
}

// WebhookAttempts reads the log backwards from the webhook's last key.
func (s *Store) WebhookAttempts(ctx context.Context, id string, limit int) ([]store.WebhookAttempt, error) {
	var out []store.WebhookAttempt
	err := s.view(ctx, fmt.Sprintf("webhook %q attempts", id), func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketWebhookLog))
		if b == nil {
			return nil
		}
		prefix := whLogPrefix(id)
		c := b.Cursor()
		// The log's last key is just before the first key past the prefix.
		var k, v []byte
		if k, _ = c.Seek(append(prefix, 0xff)); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && (limit <= 0 || len(out) < limit); k, v = c.Prev() {
			var a store.WebhookAttempt
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("decode attempt: %w", err)
			}
			out = append(out, a)
		}
		return nil
	})
	return out, err
}

func whDeliveryBuckets(tx *bolt.Tx) (deliveries, due *bolt.Bucket, err error) {
	if deliveries, err = tx.CreateBucketIfNotExists([]byte(bucketDeliveries)); err != nil {
		return nil, nil, err
	}
	due, err = tx.CreateBucketIfNotExists([]byte(bucketDue))
	return deliveries, due, err
}

func whPutDelivery(deliveries, due *bolt.Bucket, d store.WebhookDelivery) error {
	if err := whPut(deliveries, d.ID, d); err != nil {
		return err
	}
	return due.Put(whDueKey(d.Due, d.ID), nil)
}

// whDueKey orders deliveries by due time, then id.
func whDueKey(t time.Time, id string) []byte {
	k := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(id)), uint64(max(t.UnixMilli(), 0)))
	return append(k, id...)
}

func whLogPrefix(webhook string) []byte { return append([]byte(webhook), 0) }

// whAppendAttempt adds a to its webhook's log and drops the oldest entries
// beyond store.MaxWebhookAttempts.
func whAppendAttempt(tx *bolt.Tx, a store.WebhookAttempt) error {
	b, err := tx.CreateBucketIfNotExists([]byte(bucketWebhookLog))
	if err != nil {
		return err
	}
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	val, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encode attempt: %w", err)
	}
	if err := b.Put(binary.BigEndian.AppendUint64(whLogPrefix(a.Webhook), seq), val); err != nil {
		return err
	}
	return whTrimLog(b, a.Webhook, store.MaxWebhookAttempts)
}

// whTrimLog deletes webhook's oldest log entries until keep are left.
func whTrimLog(b *bolt.Bucket, webhook string, keep int) error {
	if b == nil {
		return nil
	}
	prefix := whLogPrefix(webhook)
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	for i := 0; i < len(keys)-keep; i++ {
		if err := b.Delete(keys[i]); err != nil {
			return err
		}
	}
	return nil
}

func whPut(b *bolt.Bucket, key string, v any) error {
	val, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %q: %w", key, err)
	}
	return b.Put([]byte(key), val)
}

// whGet decodes key's value, or returns store.ErrNotFound.
func whGet(b *bolt.Bucket, key string, v any) error {
	var val []byte
	if b != nil {
		val = b.Get([]byte(key))
	}
	if val == nil {
		return store.ErrNotFound
	}
	if err := json.Unmarshal(val, v); err != nil {
		return fmt.Errorf("decode %q: %w", key, err)
	}
	return nil
}

func whLease() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
