package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"signpost/store"
)

// campaignRecord is a campaign as encoded in the campaigns bucket: one value
// per campaign, so a single Put replaces state, draft and revision together.
type campaignRecord struct {
	Rev        int64                          `json:"rev"`
	State      []byte                         `json:"state"`
	Definition []byte                         `json:"definition"`
	Content    map[string]store.LocaleContent `json:"content"`
}

// versionRecord is a published version in the versions bucket, keyed by
// versionKey so a campaign's versions are adjacent and in order.
type versionRecord struct {
	Definition []byte                         `json:"definition"`
	Content    map[string]store.LocaleContent `json:"content"`
	CreatedAt  json.RawMessage                `json:"created_at"`
	CreatedBy  string                         `json:"created_by"`
}

// versionKey is id, a zero byte (never part of an id), and the version in
// big-endian, so byte order is version order.
func versionKey(id string, v int64) []byte {
	k := append([]byte(id), 0)
	return binary.BigEndian.AppendUint64(k, uint64(v))
}

// SaveCampaign applies sv in one write transaction, which bbolt serialises:
// the revision check and every write see no other change in between.
func (s *Store) SaveCampaign(ctx context.Context, sv store.Save) (int64, error) {
	c := sv.Campaign
	if c.ID == "" {
		return 0, fmt.Errorf("bolt: save campaign: id is required")
	}
	rev := sv.ExpectRev + 1
	err := s.update(ctx, fmt.Sprintf("save campaign %q", c.ID), func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketCampaigns))
		var cur int64
		if old := b.Get([]byte(c.ID)); old != nil {
			var rec campaignRecord
			if err := json.Unmarshal(old, &rec); err != nil {
				return fmt.Errorf("decode current record: %w", err)
			}
			cur = rec.Rev
		}
		if cur != sv.ExpectRev {
			return fmt.Errorf("revision is %d, not %d: %w", cur, sv.ExpectRev, store.ErrConflict)
		}
		val, err := json.Marshal(campaignRecord{Rev: rev, State: c.State, Definition: c.Draft.Definition, Content: c.Draft.Content})
		if err != nil {
			return fmt.Errorf("encode: %w", err)
		}
		if err := b.Put([]byte(c.ID), val); err != nil {
			return err
		}
		if v := sv.Version; v != nil {
			vb := tx.Bucket([]byte(bucketVersions))
			key := versionKey(c.ID, v.Version)
			if vb.Get(key) != nil {
				return fmt.Errorf("version %d exists: %w", v.Version, store.ErrConflict)
			}
			at, err := v.CreatedAt.MarshalJSON()
			if err != nil {
				return fmt.Errorf("encode version time: %w", err)
			}
			val, err := json.Marshal(versionRecord{Definition: v.Draft.Definition, Content: v.Draft.Content, CreatedAt: at, CreatedBy: v.CreatedBy})
			if err != nil {
				return fmt.Errorf("encode version: %w", err)
			}
			if err := vb.Put(key, val); err != nil {
				return err
			}
		}
		return appendAudit(tx, sv.Audit)
	})
	if err != nil {
		return 0, err
	}
	return rev, nil
}

// appendAudit adds e under the audit bucket's next sequence number, which
// orders the whole log.
func appendAudit(tx *bolt.Tx, e store.AuditEntry) error {
	b := tx.Bucket([]byte(bucketAudit))
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	val, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode audit entry: %w", err)
	}
	return b.Put(binary.BigEndian.AppendUint64(nil, seq), val)
}

// Campaign returns campaign id with its draft, or store.ErrNotFound.
func (s *Store) Campaign(ctx context.Context, id string) (store.Campaign, error) {
	var c store.Campaign
	err := s.view(ctx, fmt.Sprintf("campaign %q", id), func(tx *bolt.Tx) error {
		val := tx.Bucket([]byte(bucketCampaigns)).Get([]byte(id))
		if val == nil {
			return store.ErrNotFound
		}
		var err error
		c, err = decodeCampaign(id, val, true)
		return err
	})
	return c, err
}

// ListCampaigns returns every campaign ordered by ID (bbolt's key order),
// without drafts.
func (s *Store) ListCampaigns(ctx context.Context) ([]store.Campaign, error) {
	var list []store.Campaign
	err := s.view(ctx, "list campaigns", func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketCampaigns)).ForEach(func(id, val []byte) error {
			c, err := decodeCampaign(string(id), val, false)
			if err != nil {
				return err
			}
			list = append(list, c)
			return nil
		})
	})
	return list, err
}

// decodeCampaign decodes a campaigns bucket value. JSON decoding copies, so
// the result stays valid after the transaction ends.
func decodeCampaign(id string, val []byte, withDraft bool) (store.Campaign, error) {
	var rec campaignRecord
	if err := json.Unmarshal(val, &rec); err != nil {
		return store.Campaign{}, fmt.Errorf("decode campaign %q: %w", id, err)
	}
	c := store.Campaign{ID: id, Rev: rec.Rev, State: rec.State}
	if withDraft {
		c.Draft = store.Draft{Definition: rec.Definition, Content: rec.Content}
		if c.Draft.Content == nil {
			c.Draft.Content = map[string]store.LocaleContent{}
		}
	}
	return c, nil
}

// CampaignVersion returns one version of campaign id, or store.ErrNotFound.
func (s *Store) CampaignVersion(ctx context.Context, id string, version int64) (store.CampaignVersion, error) {
	var v store.CampaignVersion
	err := s.view(ctx, fmt.Sprintf("campaign %q version %d", id, version), func(tx *bolt.Tx) error {
		val := tx.Bucket([]byte(bucketVersions)).Get(versionKey(id, version))
		if val == nil {
			return store.ErrNotFound
		}
		var err error
		v, err = decodeVersion(id, version, val)
		return err
	})
	return v, err
}

// ListCampaignVersions returns campaign id's versions, oldest first.
func (s *Store) ListCampaignVersions(ctx context.Context, id string) ([]store.CampaignVersion, error) {
	var list []store.CampaignVersion
	err := s.view(ctx, fmt.Sprintf("campaign %q versions", id), func(tx *bolt.Tx) error {
		cur := tx.Bucket([]byte(bucketVersions)).Cursor()
		prefix := append([]byte(id), 0)
		for k, val := cur.Seek(prefix); bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, val = cur.Next() {
			v, err := decodeVersion(id, int64(binary.BigEndian.Uint64(k[len(prefix):])), val)
			if err != nil {
				return err
			}
			list = append(list, v)
		}
		return nil
	})
	return list, err
}

func decodeVersion(id string, version int64, val []byte) (store.CampaignVersion, error) {
	var rec versionRecord
	if err := json.Unmarshal(val, &rec); err != nil {
		return store.CampaignVersion{}, fmt.Errorf("decode campaign %q version %d: %w", id, version, err)
	}
	v := store.CampaignVersion{CampaignID: id, Version: version, CreatedBy: rec.CreatedBy,
		Draft: store.Draft{Definition: rec.Definition, Content: rec.Content}}
	if v.Draft.Content == nil {
		v.Draft.Content = map[string]store.LocaleContent{}
	}
	if err := v.CreatedAt.UnmarshalJSON(rec.CreatedAt); err != nil {
		return store.CampaignVersion{}, fmt.Errorf("decode campaign %q version %d time: %w", id, version, err)
	}
	return v, nil
}

// Audit returns campaign id's audit entries (every campaign's when id is
// empty) in the order they were appended.
func (s *Store) Audit(ctx context.Context, id string) ([]store.AuditEntry, error) {
	var list []store.AuditEntry
	err := s.view(ctx, "audit log", func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketAudit)).ForEach(func(_, val []byte) error {
			var e store.AuditEntry
			if err := json.Unmarshal(val, &e); err != nil {
				return fmt.Errorf("decode audit entry: %w", err)
			}
			if id == "" || e.Campaign == id {
				list = append(list, e)
			}
			return nil
		})
	})
	return slices.Clip(list), err
}

// Generation returns the published-state generation (0 on a fresh store).
func (s *Store) Generation(ctx context.Context) (int64, error) {
	var g int64
	err := s.view(ctx, "generation", func(tx *bolt.Tx) error {
		if val := tx.Bucket([]byte(bucketMeta)).Get([]byte(generationKey)); len(val) == 8 {
			g = int64(binary.BigEndian.Uint64(val))
		}
		return nil
	})
	return g, err
}

// BumpGeneration increments the generation. One process owns a bbolt
// file, so there is no one else to notify.
func (s *Store) BumpGeneration(ctx context.Context) (int64, error) {
	var g int64
	err := s.update(ctx, "bump generation", func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketMeta))
		if val := b.Get([]byte(generationKey)); len(val) == 8 {
			g = int64(binary.BigEndian.Uint64(val))
		}
		g++
		return b.Put([]byte(generationKey), binary.BigEndian.AppendUint64(nil, uint64(g)))
	})
	return g, err
}

// AppendSecurityEvent appends e to the security bucket in sequence order,
// dropping the oldest entries beyond store.MaxSecurityEvents.
func (s *Store) AppendSecurityEvent(ctx context.Context, e store.AuditEntry) error {
	return s.update(ctx, "append security event", func(tx *bolt.Tx) error {
		return putSecurityEvent(tx.Bucket([]byte(bucketSecurity)), e)
	})
}

// putSecurityEvent appends e to the security bucket b, dropping the entry
// store.MaxSecurityEvents before it.
func putSecurityEvent(b *bolt.Bucket, e store.AuditEntry) error {
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	val, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode security event: %w", err)
	}
	if err := b.Put(binary.BigEndian.AppendUint64(nil, seq), val); err != nil {
		return err
	}
	if seq > store.MaxSecurityEvents {
		return b.Delete(binary.BigEndian.AppendUint64(nil, seq-store.MaxSecurityEvents))
	}
	return nil
}

// SecurityEvents returns the security log, oldest first.
func (s *Store) SecurityEvents(ctx context.Context) ([]store.AuditEntry, error) {
	var list []store.AuditEntry
	err := s.view(ctx, "security events", func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketSecurity)).ForEach(func(_, val []byte) error {
			var e store.AuditEntry
			if err := json.Unmarshal(val, &e); err != nil {
				return fmt.Errorf("decode security event: %w", err)
			}
			list = append(list, e)
			return nil
		})
	})
	return list, err
}
