package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"signpost/store"
)

// Rule activity (see store.Feedback) lives in two buckets, created by
// their first write so stores made before them need no migration; reads
// treat a missing bucket as empty.
//
// bucketActivity maps language, a zero byte, day, a zero byte and the
// JSON of the rest of the key to an int64 count (big-endian), so one
// language's days are adjacent and in order: pruning a language's
// expired days is a short walk from its first key.
//
// bucketActivityBatches remembers applied batch ids under the day they
// were applied, a zero byte, the language, a zero byte and the id; a
// batch is retried within seconds, so ids older than two days are pruned.
const (
	bucketActivity        = "rule_activity"
	bucketActivityBatches = "rule_activity_batches"
)

// activityRest is an ActivityKey without its language and day, which
// lead the bucket's keys.
type activityRest struct {
	Hour     int    `json:"h"`
	Rule     string `json:"r,omitempty"`
	Category string `json:"c,omitempty"`
	Campaign string `json:"m,omitempty"`
	Event    string `json:"e"`
	Platform string `json:"p,omitempty"`
}

var _ store.Feedback = (*Store)(nil)

func activityKey(k store.ActivityKey) ([]byte, error) {
	rest, err := json.Marshal(activityRest{k.Hour, k.Rule, k.Category, k.Campaign, k.Event, k.Platform})
	if err != nil {
		return nil, fmt.Errorf("encode activity key: %w", err)
	}
	key := append([]byte(k.Language), 0)
	key = append(append(key, k.Day...), 0)
	return append(key, rest...), nil
}

// ApplyActivity adds b's counts in one write transaction, which also
// prunes the language's expired days and old batch ids.
func (s *Store) ApplyActivity(ctx context.Context, b store.ActivityBatch, retention time.Duration) error {
	op := fmt.Sprintf("apply activity %q batch %q", b.Language, b.ID)
	if err := b.Check(retention); err != nil {
		return fmt.Errorf("bolt: %s: %w", op, err)
	}
	now := time.Now().UTC()
	keys := make([][]byte, len(b.Counts))
	live := make([]bool, len(b.Counts))
	for i, c := range b.Counts {
		k, err := activityKey(c.Key)
		if err != nil {
			return fmt.Errorf("bolt: %s: %w", op, err)
		}
		exp, err := store.ActivityExpires(c.Key.Day, retention)
		if err != nil {
			return fmt.Errorf("bolt: %s: %w", op, err)
		}
		keys[i], live[i] = k, exp.After(now)
	}
	return s.update(ctx, op, func(tx *bolt.Tx) error {
		batches, err := tx.CreateBucketIfNotExists([]byte(bucketActivityBatches))
		if err != nil {
			return err
		}
		counts, err := tx.CreateBucketIfNotExists([]byte(bucketActivity))
		if err != nil {
			return err
		}
		if err := pruneActivity(counts, batches, b.Language, now, retention); err != nil {
			return err
		}
		for _, d := range []time.Time{now, now.AddDate(0, 0, -1)} {
			if batches.Get(batchKey(d, b.Language, b.ID)) != nil {
				return nil
			}
		}
		if err := batches.Put(batchKey(now, b.Language, b.ID), []byte{}); err != nil {
			return err
		}
		for i, c := range b.Counts {
			if !live[i] || c.N == 0 {
				continue
			}
			n := c.N
			if old := counts.Get(keys[i]); len(old) == 8 {
				n += int64(binary.BigEndian.Uint64(old))
			}
			if err := counts.Put(keys[i], binary.BigEndian.AppendUint64(nil, uint64(n))); err != nil {
				return err
			}
		}
		return nil
	})
}

func batchKey(day time.Time, lang, id string) []byte {
	k := append([]byte(day.Format(time.DateOnly)), 0)
	k = append(append(k, lang...), 0)
	return append(k, id...)
}

// pruneActivity deletes lang's days that expired by now, and batch ids
// older than two days.
func pruneActivity(counts, batches *bolt.Bucket, lang string, now time.Time, retention time.Duration) error {
	prefix := append([]byte(lang), 0)
	var due [][]byte
	c := counts.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		day, _, _ := bytes.Cut(k[len(prefix):], []byte{0})
		exp, err := store.ActivityExpires(string(day), retention)
		if err == nil && exp.After(now) {
			break
		}
		due = append(due, bytes.Clone(k))
	}
	var old [][]byte
	oldest := []byte(now.AddDate(0, 0, -2).Format(time.DateOnly))
	bc := batches.Cursor()
	for k, _ := bc.First(); k != nil && bytes.Compare(k, oldest) < 0; k, _ = bc.Next() {
		old = append(old, bytes.Clone(k))
	}
	for _, k := range due {
		if err := counts.Delete(k); err != nil {
			return err
		}
	}
	for _, k := range old {
		if err := batches.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// Activity walks language's days from fromDay to toDay.
func (s *Store) Activity(ctx context.Context, language, fromDay, toDay string) ([]store.ActivityCount, error) {
	var list []store.ActivityCount
	err := s.view(ctx, fmt.Sprintf("activity %q", language), func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketActivity))
		if b == nil || fromDay > toDay {
			return nil
		}
		prefix := append([]byte(language), 0)
		c := b.Cursor()
		for k, v := c.Seek(append(bytes.Clone(prefix), fromDay...)); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			day, rest, ok := bytes.Cut(k[len(prefix):], []byte{0})
			if !ok || string(day) > toDay {
				break
			}
			if len(v) != 8 {
				continue
			}
			var r activityRest
			if err := json.Unmarshal(rest, &r); err != nil {
				return fmt.Errorf("decode activity key %q: %w", k, err)
			}
			list = append(list, store.ActivityCount{
				Key: store.ActivityKey{Language: language, Day: string(day), Hour: r.Hour, Rule: r.Rule, Category: r.Category,
					Campaign: r.Campaign, Event: r.Event, Platform: r.Platform},
				N: int64(binary.BigEndian.Uint64(v)),
			})
		}
		return nil
	})
	slices.SortFunc(list, func(x, y store.ActivityCount) int { return store.CompareActivity(x.Key, y.Key) })
	return list, err
}

// ActivityLanguages walks the bucket from language to language, seeking
// past each one's keys.
func (s *Store) ActivityLanguages(ctx context.Context) ([]string, error) {
	var langs []string
	err := s.view(ctx, "activity languages", func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketActivity))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, _ := c.First(); k != nil; {
			lang, _, ok := bytes.Cut(k, []byte{0})
			if !ok {
				k, _ = c.Next()
				continue
			}
			langs = append(langs, string(lang))
			k, _ = c.Seek(append(bytes.Clone(lang), 1))
		}
		return nil
	})
	return langs, err
}
