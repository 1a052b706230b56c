package boltstore

import (
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"signpost/store"
)

// campaignRecord is a campaign as encoded in the campaigns bucket. One value
// holds definition, content and version, so a single Put replaces all three.
type campaignRecord struct {
	Definition []byte                         `json:"definition"`
	Content    map[string]store.LocaleContent `json:"content"`
	Version    int64                          `json:"version"`
}

// SaveCampaign replaces campaign c.ID and returns its new version. Reading
// the old version and writing the new record share one write transaction,
// which bbolt serialises, so concurrent saves never reuse a version.
func (s *Store) SaveCampaign(ctx context.Context, c store.Campaign) (int64, error) {
	if c.ID == "" {
		return 0, fmt.Errorf("bolt: save campaign: id is required")
	}
	var version int64
	err := s.update(ctx, fmt.Sprintf("save campaign %q", c.ID), func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketCampaigns))
		if old := b.Get([]byte(c.ID)); old != nil {
			var rec campaignRecord
			if err := json.Unmarshal(old, &rec); err != nil {
				return fmt.Errorf("decode previous version: %w", err)
			}
			version = rec.Version
		}
		version++
		val, err := json.Marshal(campaignRecord{Definition: c.Definition, Content: c.Content, Version: version})
		if err != nil {
			return fmt.Errorf("encode: %w", err)
		}
		return b.Put([]byte(c.ID), val)
	})
	if err != nil {
		return 0, err
	}
	return version, nil
}

// Campaign returns campaign id or store.ErrNotFound.
func (s *Store) Campaign(ctx context.Context, id string) (store.Campaign, error) {
	var c store.Campaign
	err := s.view(ctx, fmt.Sprintf("campaign %q", id), func(tx *bolt.Tx) error {
		val := tx.Bucket([]byte(bucketCampaigns)).Get([]byte(id))
		if val == nil {
			return store.ErrNotFound
		}
		var err error
		c, err = decodeCampaign(id, val)
		return err
	})
	return c, err
}

// ListCampaigns returns every campaign ordered by ID (bbolt's key order).
func (s *Store) ListCampaigns(ctx context.Context) ([]store.Campaign, error) {
	var list []store.Campaign
	err := s.view(ctx, "list campaigns", func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketCampaigns)).ForEach(func(id, val []byte) error {
			c, err := decodeCampaign(string(id), val)
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
func decodeCampaign(id string, val []byte) (store.Campaign, error) {
	var rec campaignRecord
	if err := json.Unmarshal(val, &rec); err != nil {
		return store.Campaign{}, fmt.Errorf("decode campaign %q: %w", id, err)
	}
	if rec.Content == nil {
		rec.Content = map[string]store.LocaleContent{}
	}
	return store.Campaign{ID: id, Definition: rec.Definition, Content: rec.Content, Version: rec.Version}, nil
}
