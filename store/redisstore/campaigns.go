package redisstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"signpost/store"
)

// versionRecord is a published version as stored in the campaign's
// versions hash, under its number.
type versionRecord struct {
	Definition []byte                         `json:"definition"`
	Content    map[string]store.LocaleContent `json:"content"`
	CreatedAt  time.Time                      `json:"created_at"`
	CreatedBy  string                         `json:"created_by"`
}

// SaveCampaign applies sv atomically.
//
// The id joins the campaigns index first, in its own command (the index is
// in another Cluster slot); a save that fails after that leaves at worst an
// indexed id with no record, which ListCampaigns skips. Then WATCH on the
// revision key guards one MULTI/EXEC that writes state, draft, version and
// audit entry: if another save commits in between, EXEC does nothing and
// the caller gets store.ErrConflict.
func (s *Store) SaveCampaign(ctx context.Context, sv store.Save) (int64, error) {
	c := sv.Campaign
	op := fmt.Sprintf("save campaign %q", c.ID)
	if c.ID == "" {
		return 0, errors.New("redis: save campaign: id is required")
	}
	content, err := encodeContent(c.Draft.Content)
	if err != nil {
		return 0, fmt.Errorf("redis: %s: %w", op, err)
	}
	var version []byte
	if v := sv.Version; v != nil {
		version, err = json.Marshal(versionRecord{Definition: v.Draft.Definition, Content: v.Draft.Content, CreatedAt: v.CreatedAt, CreatedBy: v.CreatedBy})
		if err != nil {
			return 0, fmt.Errorf("redis: %s: encode version: %w", op, err)
		}
	}
	audit, err := json.Marshal(sv.Audit)
	if err != nil {
		return 0, fmt.Errorf("redis: %s: encode audit entry: %w", op, err)
	}

	if err := s.addToIndex(ctx, s.campaignIndexKey(), c.ID); err != nil {
		return 0, s.wrap(op+": index", err)
	}
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	k := s.campaignKeys(c.ID)
	rev := sv.ExpectRev + 1
	err = s.client.Watch(ctx, func(tx *redis.Tx) error {
		cur, err := tx.Get(ctx, k.rev).Int64()
		if err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		if cur != sv.ExpectRev {
			return fmt.Errorf("revision is %d, not %d: %w", cur, sv.ExpectRev, store.ErrConflict)
		}
		if sv.Version != nil {
			exists, err := tx.HExists(ctx, k.versions, strconv.FormatInt(sv.Version.Version, 10)).Result()
			if err != nil {
				return err
			}
			if exists {
				return fmt.Errorf("version %d exists: %w", sv.Version.Version, store.ErrConflict)
			}
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, k.rev, rev, 0)
			p.Set(ctx, k.state, c.State, 0)
			p.Set(ctx, k.def, c.Draft.Definition, 0)
			p.Del(ctx, k.content)
			if len(content) > 0 {
				p.HSet(ctx, k.content, content)
			}
			if version != nil {
				p.HSet(ctx, k.versions, strconv.FormatInt(sv.Version.Version, 10), version)
			}
			p.RPush(ctx, k.audit, audit)
			return nil
		})
		return err
	}, k.rev)
	switch {
	case errors.Is(err, redis.TxFailedErr):
		return 0, fmt.Errorf("redis: %s: changed meanwhile: %w", op, store.ErrConflict)
	case errors.Is(err, store.ErrConflict):
		return 0, fmt.Errorf("redis: %s: %w", op, err)
	case err != nil:
		return 0, s.wrap(op, err)
	}
	return rev, nil
}

func encodeContent(content map[string]store.LocaleContent) (map[string]any, error) {
	out := make(map[string]any, len(content))
	for locale, lc := range content {
		val, err := json.Marshal(lc)
		if err != nil {
			return nil, fmt.Errorf("encode locale %q: %w", locale, err)
		}
		out[locale] = val
	}
	return out, nil
}

func decodeContent(raw map[string]string) (map[string]store.LocaleContent, error) {
	out := make(map[string]store.LocaleContent, len(raw))
	for locale, val := range raw {
		var lc store.LocaleContent
		if err := json.Unmarshal([]byte(val), &lc); err != nil {
			return nil, fmt.Errorf("decode locale %q: %w", locale, err)
		}
		out[locale] = lc
	}
	return out, nil
}

// Campaign returns campaign id with its draft, or store.ErrNotFound. The
// keys are read in one MULTI/EXEC, so the result is one revision.
func (s *Store) Campaign(ctx context.Context, id string) (store.Campaign, error) {
	return s.campaign(ctx, id, true)
}

func (s *Store) campaign(ctx context.Context, id string, withDraft bool) (store.Campaign, error) {
	op := fmt.Sprintf("campaign %q", id)
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	k := s.campaignKeys(id)
	var rev, state, def *redis.StringCmd
	var content *redis.MapStringStringCmd
	_, err := s.client.TxPipelined(ctx, func(tx redis.Pipeliner) error {
		rev = tx.Get(ctx, k.rev)
		state = tx.Get(ctx, k.state)
		if withDraft {
			def = tx.Get(ctx, k.def)
			content = tx.HGetAll(ctx, k.content)
		}
		return nil
	})
	if err != nil {
		// A missing campaign surfaces here as redis.Nil, hence ErrNotFound.
		return store.Campaign{}, s.wrap(op, err)
	}
	c := store.Campaign{ID: id}
	if c.Rev, err = rev.Int64(); err != nil {
		return store.Campaign{}, fmt.Errorf("redis: %s: revision: %w", op, err)
	}
	c.State, _ = state.Bytes()
	if withDraft {
		c.Draft.Definition, _ = def.Bytes()
		if c.Draft.Content, err = decodeContent(content.Val()); err != nil {
			return store.Campaign{}, fmt.Errorf("redis: %s: %w", op, err)
		}
	}
	return c, nil
}

// ListCampaigns returns every indexed campaign ordered by ID, without
// drafts. Each is read in its own transaction, because a transaction cannot
// span the slots of different campaigns; ids with no record (a create that
// failed after indexing) are skipped.
func (s *Store) ListCampaigns(ctx context.Context) ([]store.Campaign, error) {
	ids, err := s.campaignIDs(ctx)
	if err != nil {
		return nil, err
	}
	list := make([]store.Campaign, 0, len(ids))
	for _, id := range ids {
		c, err := s.campaign(ctx, id, false)
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

func (s *Store) campaignIDs(ctx context.Context) ([]string, error) {
	ids, err := s.members(ctx, s.campaignIndexKey())
	if err != nil {
		return nil, s.wrap("list campaigns", err)
	}
	slices.Sort(ids)
	return ids, nil
}

// CampaignVersion returns one version of campaign id, or store.ErrNotFound.
func (s *Store) CampaignVersion(ctx context.Context, id string, version int64) (store.CampaignVersion, error) {
	op := fmt.Sprintf("campaign %q version %d", id, version)
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	val, err := s.client.HGet(ctx, s.campaignKeys(id).versions, strconv.FormatInt(version, 10)).Bytes()
	if err != nil {
		return store.CampaignVersion{}, s.wrap(op, err)
	}
	return decodeVersion(id, version, val)
}

// ListCampaignVersions returns campaign id's versions, oldest first.
func (s *Store) ListCampaignVersions(ctx context.Context, id string) ([]store.CampaignVersion, error) {
	op := fmt.Sprintf("campaign %q versions", id)
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	all, err := s.client.HGetAll(ctx, s.campaignKeys(id).versions).Result()
	if err != nil {
		return nil, s.wrap(op, err)
	}
	list := make([]store.CampaignVersion, 0, len(all))
	for n, val := range all {
		version, err := strconv.ParseInt(n, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("redis: %s: bad version field %q", op, n)
		}
		v, err := decodeVersion(id, version, []byte(val))
		if err != nil {
			return nil, err
		}
		list = append(list, v)
	}
	slices.SortFunc(list, func(a, b store.CampaignVersion) int { return cmp.Compare(a.Version, b.Version) })
	return list, nil
}

func decodeVersion(id string, version int64, val []byte) (store.CampaignVersion, error) {
	var rec versionRecord
	if err := json.Unmarshal(val, &rec); err != nil {
		return store.CampaignVersion{}, fmt.Errorf("redis: decode campaign %q version %d: %w", id, version, err)
	}
	v := store.CampaignVersion{CampaignID: id, Version: version, CreatedAt: rec.CreatedAt, CreatedBy: rec.CreatedBy,
		Draft: store.Draft{Definition: rec.Definition, Content: rec.Content}}
	if v.Draft.Content == nil {
		v.Draft.Content = map[string]store.LocaleContent{}
	}
	return v, nil
}

// Audit returns campaign id's audit log in append order; with id empty,
// every campaign's log merged by time (each campaign's log is a list in its
// own slot, written in the same transaction as the change it records).
func (s *Store) Audit(ctx context.Context, id string) ([]store.AuditEntry, error) {
	ids := []string{id}
	if id == "" {
		var err error
		if ids, err = s.campaignIDs(ctx); err != nil {
			return nil, err
		}
	}
	var all []store.AuditEntry
	for _, id := range ids {
		entries, err := s.campaignAudit(ctx, id)
		if err != nil {
			return nil, err
		}
		all = append(all, entries...)
	}
	if len(ids) > 1 {
		slices.SortStableFunc(all, func(a, b store.AuditEntry) int { return a.Time.Compare(b.Time) })
	}
	return all, nil
}

func (s *Store) campaignAudit(ctx context.Context, id string) ([]store.AuditEntry, error) {
	op := fmt.Sprintf("campaign %q audit log", id)
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	vals, err := s.client.LRange(ctx, s.campaignKeys(id).audit, 0, -1).Result()
	if err != nil {
		return nil, s.wrap(op, err)
	}
	out := make([]store.AuditEntry, len(vals))
	for i, val := range vals {
		if err := json.Unmarshal([]byte(val), &out[i]); err != nil {
			return nil, fmt.Errorf("redis: %s: decode entry %d: %w", op, i, err)
		}
	}
	return out, nil
}

// Generation returns the published-state generation (0 when never bumped).
func (s *Store) Generation(ctx context.Context) (int64, error) {
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	g, err := s.client.Get(ctx, s.generationKey()).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	return g, s.wrap("generation", err)
}

// BumpGeneration increments the generation and publishes the new value on
// the changes channel, so subscribed instances rebuild at once. A lost
// message costs only latency: instances also poll Generation.
func (s *Store) BumpGeneration(ctx context.Context) (int64, error) {
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	g, err := s.client.Incr(ctx, s.generationKey()).Result()
	if err != nil {
		return 0, s.wrap("bump generation", err)
	}
	if err := s.client.Publish(ctx, s.changesChannel(), g).Err(); err != nil {
		return g, s.wrap("publish generation", err)
	}
	return g, nil
}

// Changes subscribes to generation bumps from every instance and returns a
// channel that receives a value after each (coalesced when the reader is
// behind: it only needs to know that something changed). The subscription
// reconnects by itself after a Redis outage and ends with ctx.
func (s *Store) Changes(ctx context.Context) <-chan struct{} {
	out := make(chan struct{}, 1)
	sub := s.client.Subscribe(ctx, s.changesChannel())
	go func() {
		defer sub.Close()
		ch := sub.Channel()
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-ch:
				if !ok {
					return
				}
				select {
				case out <- struct{}{}:
				default:
				}
			}
		}
	}()
	return out
}

// AppendSecurityEvent appends e to the security list and trims it to the
// newest store.MaxSecurityEvents, in one transaction on one key.
func (s *Store) AppendSecurityEvent(ctx context.Context, e store.AuditEntry) error {
	val, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("redis: append security event: encode: %w", err)
	}
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	key := s.securityKey()
	_, err = s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.RPush(ctx, key, val)
		p.LTrim(ctx, key, -store.MaxSecurityEvents, -1)
		return nil
	})
	return s.wrap("append security event", err)
}

// SecurityEvents returns the security log, oldest first.
func (s *Store) SecurityEvents(ctx context.Context) ([]store.AuditEntry, error) {
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	vals, err := s.client.LRange(ctx, s.securityKey(), 0, -1).Result()
	if err != nil {
		return nil, s.wrap("security events", err)
	}
	out := make([]store.AuditEntry, len(vals))
	for i, v := range vals {
		if err := json.Unmarshal([]byte(v), &out[i]); err != nil {
			return nil, fmt.Errorf("redis: security events: decode entry %d: %w", i, err)
		}
	}
	return out, nil
}
