package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"signpost/store"
)

var _ store.Engagement = (*Store)(nil)

// Every value in the engagement buckets starts with its expiry, in Unix
// milliseconds (big-endian), followed by the data: nothing for batch and
// once ids, an int64 for a count, the registers of a sketch, a secret or a
// marker's value. Reads ignore expired entries; prune deletes them.
//
// Count and sketch expiries are rounded up to a sixtieth of the retention
// (at most a minute), so the many writes to one cell within that time
// share a single expiries entry rather than each adding one.

// pruneLimit bounds the expired entries one call deletes, so a backlog
// (after a long shutdown) is worked off over several calls rather than in
// one long write transaction.
const pruneLimit = 1000

// expiringBuckets are the buckets the expiries index points into; an index
// key names its bucket by position in this list.
var expiringBuckets = []string{bucketCounts, bucketBatches, bucketOnce, bucketUniques, bucketExpiringSecrets, bucketMarkers}

// countRest is a CountKey without its campaign and hour, which lead the
// counts bucket's keys so a campaign's counts are adjacent and in hour order.
type countRest struct {
	Version  int64  `json:"v"`
	Variant  string `json:"x"`
	Locale   string `json:"l"`
	Platform string `json:"p"`
	Kind     string `json:"k"`
	Event    string `json:"e"`
}

// scopedKey is campaign, a zero byte (never part of an id) and rest.
func scopedKey(campaign string, rest []byte) []byte {
	k := append([]byte(campaign), 0)
	return append(k, rest...)
}

// hourBytes encodes h so byte order is numeric order, negatives included.
func hourBytes(h int64) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(h)^1<<63)
}

func countKey(k store.CountKey) ([]byte, error) {
	rest, err := json.Marshal(countRest{k.Version, k.Variant, k.Locale, k.Platform, k.Kind, k.Event})
	if err != nil {
		return nil, fmt.Errorf("encode count key: %w", err)
	}
	return scopedKey(k.Campaign, append(hourBytes(k.Hour), rest...)), nil
}

func cellKey(campaign string, c store.UniqueCell) ([]byte, error) {
	rest, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode unique cell: %w", err)
	}
	return scopedKey(campaign, rest), nil
}

// ApplyCounts applies b in one write transaction, which first prunes
// expired entries, then records b.ID (returning early if it is there
// already) and applies the counts, once-counts and uniques.
func (s *Store) ApplyCounts(ctx context.Context, b store.CountBatch, onceTTL, retention time.Duration) error {
	op := fmt.Sprintf("apply counts %q batch %q", b.Campaign, b.ID)
	if err := b.Check(onceTTL, retention); err != nil {
		return fmt.Errorf("bolt: %s: %w", op, err)
	}
	counts := make([][]byte, len(b.Counts))
	for i, c := range b.Counts {
		k, err := countKey(c.Key)
		if err != nil {
			return fmt.Errorf("bolt: %s: %w", op, err)
		}
		counts[i] = k
	}
	once := make([][]byte, len(b.Once))
	for i, c := range b.Once {
		k, err := countKey(c.Key)
		if err != nil {
			return fmt.Errorf("bolt: %s: %w", op, err)
		}
		once[i] = k
	}
	cells := make([][]byte, len(b.Uniques))
	for i, u := range b.Uniques {
		k, err := cellKey(b.Campaign, u.Cell)
		if err != nil {
			return fmt.Errorf("bolt: %s: %w", op, err)
		}
		cells[i] = k
	}
	return s.update(ctx, op, func(tx *bolt.Tx) error {
		now := time.Now().UnixMilli()
		if err := prune(tx, now); err != nil {
			return err
		}
		batch := scopedKey(b.Campaign, []byte(b.ID))
		if _, ok := live(tx, bucketBatches, batch, now); ok {
			return nil
		}
		if err := putExpiring(tx, bucketBatches, batch, now+retention.Milliseconds(), nil); err != nil {
			return err
		}
		keep := roundUp(now+retention.Milliseconds(), min(time.Minute, max(time.Millisecond, retention/60)).Milliseconds())
		for i, c := range b.Counts {
			if err := addCount(tx, counts[i], c.N, now, keep); err != nil {
				return err
			}
		}
		for i, c := range b.Once {
			var n int64
			for _, id := range c.IDs {
				key := scopedKey(b.Campaign, []byte(id))
				if _, ok := live(tx, bucketOnce, key, now); ok {
					continue
				}
				if err := putExpiring(tx, bucketOnce, key, now+onceTTL.Milliseconds(), nil); err != nil {
					return err
				}
				n++
			}
			if err := addCount(tx, once[i], n, now, keep); err != nil {
				return err
			}
		}
		for i, u := range b.Uniques {
			sketch := newHLL()
			if old, ok := live(tx, bucketUniques, cells[i], now); ok && len(old) == hllRegisters {
				copy(sketch, old)
			}
			for _, h := range u.Hashes {
				sketch.add(h)
			}
			if err := putExpiring(tx, bucketUniques, cells[i], keep, sketch); err != nil {
				return err
			}
		}
		return nil
	})
}

// addCount adds n to the count under key, which keeps until exp.
func addCount(tx *bolt.Tx, key []byte, n, now, exp int64) error {
	if n == 0 {
		return nil
	}
	if old, ok := live(tx, bucketCounts, key, now); ok && len(old) == 8 {
		n += int64(binary.BigEndian.Uint64(old))
	}
	return putExpiring(tx, bucketCounts, key, exp, binary.BigEndian.AppendUint64(nil, uint64(n)))
}

// Counts returns campaign's counts for hours in [fromHour, toHour), in key
// order: by hour, then by the rest of the key's encoding.
func (s *Store) Counts(ctx context.Context, campaign string, fromHour, toHour int64) ([]store.Count, error) {
	var list []store.Count
	prefix := scopedKey(campaign, nil)
	err := s.view(ctx, fmt.Sprintf("counts %q", campaign), func(tx *bolt.Tx) error {
		if fromHour >= toHour {
			return nil
		}
		now := time.Now().UnixMilli()
		c := tx.Bucket([]byte(bucketCounts)).Cursor()
		end := append(bytes.Clone(prefix), hourBytes(toHour)...)
		for k, v := c.Seek(append(bytes.Clone(prefix), hourBytes(fromHour)...)); k != nil && bytes.Compare(k, end) < 0; k, v = c.Next() {
			rest := k[len(prefix):]
			if len(v) != 16 || int64(binary.BigEndian.Uint64(v)) <= now || len(rest) < 8 {
				continue
			}
			var r countRest
			if err := json.Unmarshal(rest[8:], &r); err != nil {
				return fmt.Errorf("decode count key %q: %w", k, err)
			}
			list = append(list, store.Count{
				Key: store.CountKey{
					Campaign: campaign, Version: r.Version, Variant: r.Variant, Locale: r.Locale,
					Platform: r.Platform, Kind: r.Kind, Event: r.Event,
					Hour: int64(binary.BigEndian.Uint64(rest[:8]) ^ 1<<63),
				},
				N: int64(binary.BigEndian.Uint64(v[8:])),
			})
		}
		return nil
	})
	return list, err
}

// UniqueCount merges the cells' sketches and estimates the union.
func (s *Store) UniqueCount(ctx context.Context, campaign string, cells []store.UniqueCell) (int64, error) {
	op := fmt.Sprintf("unique count %q", campaign)
	keys := make([][]byte, len(cells))
	for i, c := range cells {
		k, err := cellKey(campaign, c)
		if err != nil {
			return 0, fmt.Errorf("bolt: %s: %w", op, err)
		}
		keys[i] = k
	}
	union := newHLL()
	err := s.view(ctx, op, func(tx *bolt.Tx) error {
		now := time.Now().UnixMilli()
		for _, k := range keys {
			if sketch, ok := live(tx, bucketUniques, k, now); ok && len(sketch) == hllRegisters {
				union.merge(hll(sketch))
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return union.estimate(), nil
}

// ExpiringSecret is Secret with an expiry: an expired value counts as none
// and is replaced by a fresh one.
func (s *Store) ExpiringSecret(ctx context.Context, name string, ttl time.Duration, generate func() ([]byte, error)) ([]byte, error) {
	op := fmt.Sprintf("expiring secret %q", name)
	if ttl <= 0 {
		return nil, fmt.Errorf("bolt: %s: ttl %v is not positive", op, ttl)
	}
	var val []byte
	err := s.view(ctx, op, func(tx *bolt.Tx) error {
		if v, ok := live(tx, bucketExpiringSecrets, []byte(name), time.Now().UnixMilli()); ok {
			val = bytes.Clone(v)
		}
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
		now := time.Now().UnixMilli()
		if v, ok := live(tx, bucketExpiringSecrets, []byte(name), now); ok {
			val = bytes.Clone(v)
			return nil
		}
		val = bytes.Clone(fresh)
		return putExpiring(tx, bucketExpiringSecrets, []byte(name), now+ttl.Milliseconds(), fresh)
	})
	if err != nil {
		return nil, err
	}
	return val, nil
}

// SetMarkers stores each marker whose key holds none, in one transaction
// that also prunes expired entries.
func (s *Store) SetMarkers(ctx context.Context, ms []store.Marker, ttl time.Duration) ([]bool, error) {
	const op = "set markers"
	if ttl <= 0 {
		return nil, fmt.Errorf("bolt: %s: ttl %v is not positive", op, ttl)
	}
	stored := make([]bool, len(ms))
	err := s.update(ctx, op, func(tx *bolt.Tx) error {
		now := time.Now().UnixMilli()
		if err := prune(tx, now); err != nil {
			return err
		}
		for i, m := range ms {
			if _, ok := live(tx, bucketMarkers, []byte(m.Key), now); ok {
				continue
			}
			if err := putExpiring(tx, bucketMarkers, []byte(m.Key), now+ttl.Milliseconds(), []byte(m.Value)); err != nil {
				return err
			}
			stored[i] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return stored, nil
}

// TakeMarkers deletes the markers under keys and returns the live ones.
func (s *Store) TakeMarkers(ctx context.Context, keys []string) ([]store.Marker, error) {
	out := make([]store.Marker, len(keys))
	err := s.update(ctx, "take markers", func(tx *bolt.Tx) error {
		now := time.Now().UnixMilli()
		b := tx.Bucket([]byte(bucketMarkers))
		for i, k := range keys {
			out[i].Key = k
			if v, ok := live(tx, bucketMarkers, []byte(k), now); ok {
				out[i].Value = string(v)
			}
			if err := b.Delete([]byte(k)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// live returns the data of the entry under key in bucket, and whether there
// is one that has not expired at now. The data is only valid within tx.
func live(tx *bolt.Tx, bucket string, key []byte, now int64) ([]byte, bool) {
	val := tx.Bucket([]byte(bucket)).Get(key)
	if len(val) < 8 || int64(binary.BigEndian.Uint64(val)) <= now {
		return nil, false
	}
	return val[8:], true
}

// putExpiring stores data under key in bucket until exp, and indexes it.
func putExpiring(tx *bolt.Tx, bucket string, key []byte, exp int64, data []byte) error {
	val := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(data)), uint64(exp))
	if err := tx.Bucket([]byte(bucket)).Put(key, append(val, data...)); err != nil {
		return err
	}
	code := -1
	for i, name := range expiringBuckets {
		if name == bucket {
			code = i
		}
	}
	if code < 0 {
		return fmt.Errorf("bucket %s is not indexed for expiry", bucket)
	}
	ik := binary.BigEndian.AppendUint64(nil, uint64(exp))
	ik = append(ik, byte(code))
	return tx.Bucket([]byte(bucketExpiries)).Put(append(ik, key...), []byte{})
}

// prune deletes up to pruneLimit entries that expired by now. An index entry
// whose entry was since rewritten with a later expiry (or deleted) only
// loses its index entry: the rewrite indexed itself again.
func prune(tx *bolt.Tx, now int64) error {
	idx := tx.Bucket([]byte(bucketExpiries))
	var due [][]byte
	c := idx.Cursor()
	for k, _ := c.First(); k != nil && len(due) < pruneLimit; k, _ = c.Next() {
		if len(k) >= 9 && int64(binary.BigEndian.Uint64(k)) > now {
			break
		}
		due = append(due, bytes.Clone(k))
	}
	for _, k := range due {
		if len(k) >= 9 && int(k[8]) < len(expiringBuckets) {
			code := int(k[8])
			bucket, key := expiringBuckets[code], k[9:]
			if _, ok := live(tx, bucket, key, now); !ok {
				if err := tx.Bucket([]byte(bucket)).Delete(key); err != nil {
					return err
				}
			}
		}
		if err := idx.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// roundUp rounds t up to a multiple of unit.
func roundUp(t, unit int64) int64 {
	return (t + unit - 1) / unit * unit
}
