package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/redis/go-redis/v9"

	"signpost/store"
)

// SaveCampaign replaces campaign c.ID and returns its new version.
//
// The id joins the campaigns index first, in its own command (the index is
// in another Cluster slot). Then one MULTI/EXEC replaces definition and
// content and increments the version, so readers see the old campaign or the
// new one, never a mix, and concurrent saves get distinct versions. Indexing
// first means a save that fails halfway leaves at worst an indexed id with
// no definition, which ListCampaigns skips, never a saved campaign that is
// missing from the list.
func (s *Store) SaveCampaign(ctx context.Context, c store.Campaign) (int64, error) {
	op := fmt.Sprintf("save campaign %q", c.ID)
	if c.ID == "" {
		return 0, errors.New("redis: save campaign: id is required")
	}
	content := make(map[string]any, len(c.Content))
	for locale, lc := range c.Content {
		val, err := json.Marshal(lc)
		if err != nil {
			return 0, fmt.Errorf("redis: %s: encode locale %q: %w", op, locale, err)
		}
		content[locale] = val
	}

	if err := s.addToIndex(ctx, s.campaignIndexKey(), c.ID); err != nil {
		return 0, s.wrap(op+": index", err)
	}

	tctx, cancel := s.callCtx(ctx)
	defer cancel()
	var incr *redis.IntCmd
	_, err := s.client.TxPipelined(tctx, func(tx redis.Pipeliner) error {
		// The definition is stored even when empty so that its key's
		// existence alone says whether the campaign exists.
		tx.Set(tctx, s.campaignDefKey(c.ID), c.Definition, 0)
		tx.Del(tctx, s.campaignContentKey(c.ID))
		if len(content) > 0 {
			tx.HSet(tctx, s.campaignContentKey(c.ID), content)
		}
		incr = tx.Incr(tctx, s.campaignVersionKey(c.ID))
		return nil
	})
	if err != nil {
		return 0, s.wrap(op, err)
	}
	return incr.Val(), nil
}

// Campaign returns campaign id or store.ErrNotFound. The three keys are read
// in one MULTI/EXEC so the result is one consistent version.
func (s *Store) Campaign(ctx context.Context, id string) (store.Campaign, error) {
	op := fmt.Sprintf("campaign %q", id)
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	var def, version *redis.StringCmd
	var content *redis.MapStringStringCmd
	_, err := s.client.TxPipelined(ctx, func(tx redis.Pipeliner) error {
		def = tx.Get(ctx, s.campaignDefKey(id))
		content = tx.HGetAll(ctx, s.campaignContentKey(id))
		version = tx.Get(ctx, s.campaignVersionKey(id))
		return nil
	})
	if err != nil {
		// A missing definition surfaces here as redis.Nil, hence ErrNotFound.
		return store.Campaign{}, s.wrap(op, err)
	}
	c := store.Campaign{ID: id, Content: make(map[string]store.LocaleContent, len(content.Val()))}
	c.Definition, _ = def.Bytes()
	if c.Version, err = version.Int64(); err != nil {
		return store.Campaign{}, fmt.Errorf("redis: %s: version: %w", op, err)
	}
	for locale, val := range content.Val() {
		var lc store.LocaleContent
		if err := json.Unmarshal([]byte(val), &lc); err != nil {
			return store.Campaign{}, fmt.Errorf("redis: %s: decode locale %q: %w", op, locale, err)
		}
		c.Content[locale] = lc
	}
	return c, nil
}

// ListCampaigns returns every indexed campaign ordered by ID. Each is read
// with Campaign, one transaction per campaign, because a transaction cannot
// span the slots of different campaigns; ids whose campaign does not exist
// (a save that failed after indexing) are skipped.
func (s *Store) ListCampaigns(ctx context.Context) ([]store.Campaign, error) {
	ids, err := s.members(ctx, s.campaignIndexKey())
	if err != nil {
		return nil, s.wrap("list campaigns", err)
	}
	slices.Sort(ids)
	list := make([]store.Campaign, 0, len(ids))
	for _, id := range ids {
		c, err := s.Campaign(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list campaigns: %w", err)
		}
		list = append(list, c)
	}
	return list, nil
}
