package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"signpost/store"
)

var _ store.Backup = (*Store)(nil)

// securityChunk is how many security events one transaction appends, so
// that a full log (store.MaxSecurityEvents) is a hundred small round trips
// rather than one that outlasts the store's timeout.
const securityChunk = 1000

// RestoreCampaigns checks that none of the campaigns exists, then writes
// each in its own transaction (a transaction cannot span the slots of
// different campaigns). Each transaction WATCHes the campaign's revision
// key, so a campaign created meanwhile by someone else is left alone and
// reported as a conflict.
func (s *Store) RestoreCampaigns(ctx context.Context, rs []store.CampaignRecord) error {
	const op = "restore campaigns"
	if len(rs) == 0 {
		return s.wrap(op, ctx.Err())
	}
	cctx, cancel := s.callCtx(ctx)
	pipe := s.client.Pipeline()
	exists := make([]*redis.IntCmd, len(rs))
	for i, r := range rs {
		if r.Campaign.ID == "" {
			cancel()
			return fmt.Errorf("redis: %s: campaign id is required", op)
		}
		exists[i] = pipe.Exists(cctx, s.campaignKeys(r.Campaign.ID).rev)
	}
	_, err := pipe.Exec(cctx)
	cancel()
	if err != nil {
		return s.wrap(op, err)
	}
	for i, e := range exists {
		if e.Val() > 0 {
			return fmt.Errorf("redis: %s: campaign %q exists: %w", op, rs[i].Campaign.ID, store.ErrConflict)
		}
	}
	for _, r := range rs {
		if err := s.restoreCampaign(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) restoreCampaign(ctx context.Context, r store.CampaignRecord) error {
	c := r.Campaign
	op := fmt.Sprintf("restore campaign %q", c.ID)
	content, err := encodeContent(c.Draft.Content)
	if err != nil {
		return fmt.Errorf("redis: %s: %w", op, err)
	}
	versions := make(map[string]any, len(r.Versions))
	for _, v := range r.Versions {
		val, err := json.Marshal(versionRecord{Definition: v.Draft.Definition, Content: v.Draft.Content, CreatedAt: v.CreatedAt, CreatedBy: v.CreatedBy})
		if err != nil {
			return fmt.Errorf("redis: %s: encode version %d: %w", op, v.Version, err)
		}
		versions[strconv.FormatInt(v.Version, 10)] = val
	}
	audit := make([]any, len(r.Audit))
	for i, e := range r.Audit {
		if audit[i], err = json.Marshal(e); err != nil {
			return fmt.Errorf("redis: %s: encode audit entry %d: %w", op, i, err)
		}
	}
	if err := s.addToIndex(ctx, s.campaignIndexKey(), c.ID); err != nil {
		return s.wrap(op+": index", err)
	}
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	k := s.campaignKeys(c.ID)
	err = s.client.Watch(ctx, func(tx *redis.Tx) error {
		n, err := tx.Exists(ctx, k.rev).Result()
		if err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("campaign exists: %w", store.ErrConflict)
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, k.rev, c.Rev, 0)
			p.Set(ctx, k.state, c.State, 0)
			p.Set(ctx, k.def, c.Draft.Definition, 0)
			if len(content) > 0 {
				p.HSet(ctx, k.content, content)
			}
			if len(versions) > 0 {
				p.HSet(ctx, k.versions, versions)
			}
			if len(audit) > 0 {
				p.RPush(ctx, k.audit, audit...)
			}
			return nil
		})
		return err
	}, k.rev)
	switch {
	case errors.Is(err, redis.TxFailedErr):
		return fmt.Errorf("redis: %s: changed meanwhile: %w", op, store.ErrConflict)
	case errors.Is(err, store.ErrConflict):
		return fmt.Errorf("redis: %s: %w", op, err)
	}
	return s.wrap(op, err)
}

// RestorePausedRules writes every record into the paused-rules hash in
// one HSET.
func (s *Store) RestorePausedRules(ctx context.Context, ps []store.PausedRule) error {
	const op = "restore paused rules"
	if len(ps) == 0 {
		return s.wrap(op, ctx.Err())
	}
	fields := make(map[string]any, len(ps))
	for _, p := range ps {
		val, err := json.Marshal(p)
		if err != nil {
			return fmt.Errorf("redis: %s: encode %q: %w", op, p.Rule, err)
		}
		fields[p.Rule] = val
	}
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	return s.wrap(op, s.client.HSet(ctx, s.pausedRulesKey(), fields).Err())
}

// AppendSecurityEvents appends es in transactions of securityChunk
// events, each trimming the list as AppendSecurityEvent does.
func (s *Store) AppendSecurityEvents(ctx context.Context, es []store.AuditEntry) error {
	const op = "append security events"
	if len(es) == 0 {
		return s.wrap(op, ctx.Err())
	}
	for start := 0; start < len(es); start += securityChunk {
		chunk := es[start:min(start+securityChunk, len(es))]
		vals := make([]any, len(chunk))
		for i, e := range chunk {
			val, err := json.Marshal(e)
			if err != nil {
				return fmt.Errorf("redis: %s: encode entry %d: %w", op, start+i, err)
			}
			vals[i] = val
		}
		if err := s.appendSecurityChunk(ctx, vals); err != nil {
			return s.wrap(op, err)
		}
	}
	return nil
}

func (s *Store) appendSecurityChunk(ctx context.Context, vals []any) error {
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	key := s.securityKey()
	_, err := s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.RPush(ctx, key, vals...)
		p.LTrim(ctx, key, -store.MaxSecurityEvents, -1)
		return nil
	})
	return err
}

// PeekExpiringSecret reads the value and its absolute expiry
// (PEXPIRETIME, Redis 7) in one transaction.
func (s *Store) PeekExpiringSecret(ctx context.Context, name string) (store.ExpiringValue, error) {
	op := fmt.Sprintf("peek expiring secret %q", name)
	key := s.expiringSecretKey(name)
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	var val *redis.StringCmd
	var exp *redis.DurationCmd
	_, err := s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		val = p.Get(ctx, key)
		exp = p.PExpireTime(ctx, key)
		return nil
	})
	if err != nil {
		return store.ExpiringValue{}, s.wrap(op, err)
	}
	v := store.ExpiringValue{Name: name}
	v.Value, _ = val.Bytes()
	if exp.Val() < 0 {
		// -1: no expiry, which ExpiringSecret never writes; treat the
		// value as foreign rather than carry it on for ever.
		return store.ExpiringValue{}, fmt.Errorf("redis: %s: no expiry: %w", op, store.ErrNotFound)
	}
	v.Expires = time.UnixMilli(exp.Val().Milliseconds()).UTC()
	return v, nil
}

// SetExpiringSecret is SET with PXAT, replacing any value.
func (s *Store) SetExpiringSecret(ctx context.Context, v store.ExpiringValue) error {
	op := fmt.Sprintf("set expiring secret %q", v.Name)
	exp := time.UnixMilli(v.Expires.UnixMilli())
	if !exp.After(time.Now()) {
		return s.wrap(op, ctx.Err())
	}
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	return s.wrap(op, s.client.SetArgs(ctx, s.expiringSecretKey(v.Name), v.Value, redis.SetArgs{ExpireAt: exp}).Err())
}

// Clear deletes every key under the store's prefix but the generation.
// It must find keys no index lists (count hashes, sketches, markers), so
// it SCANs, on every master of a Cluster; this is an operator's command,
// never the service's, so the cost of a SCAN is acceptable here.
func (s *Store) Clear(ctx context.Context) error {
	const op = "clear"
	if err := ctx.Err(); err != nil {
		return s.wrap(op, err)
	}
	if cc, ok := s.client.(*redis.ClusterClient); ok {
		return s.wrap(op, cc.ForEachMaster(ctx, s.clearNode))
	}
	c, ok := s.client.(*redis.Client)
	if !ok {
		return fmt.Errorf("redis: %s: unsupported client %T", op, s.client)
	}
	return s.wrap(op, s.clearNode(ctx, c))
}

// clearNode deletes one node's keys under the prefix, a SCAN page at a
// time, each page and its deletion bounded by the store's timeout.
func (s *Store) clearNode(ctx context.Context, c *redis.Client) error {
	match := globEscaper.Replace(s.prefix) + "*"
	keep := s.generationKey()
	var cursor uint64
	for {
		keys, next, err := s.scanPage(ctx, c, cursor, match)
		if err != nil {
			return err
		}
		if err := s.unlink(ctx, c, keys, keep); err != nil {
			return err
		}
		if cursor = next; cursor == 0 {
			return nil
		}
	}
}

func (s *Store) scanPage(ctx context.Context, c *redis.Client, cursor uint64, match string) ([]string, uint64, error) {
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	return c.Scan(ctx, cursor, match, 1000).Result()
}

// unlink deletes keys but keep, one key per command, as Cluster requires.
func (s *Store) unlink(ctx context.Context, c *redis.Client, keys []string, keep string) error {
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	pipe := c.Pipeline()
	for _, k := range keys {
		if k != keep {
			pipe.Unlink(ctx, k)
		}
	}
	if pipe.Len() == 0 {
		return nil
	}
	_, err := pipe.Exec(ctx)
	return err
}

// globEscaper quotes the characters SCAN's MATCH treats as wildcards.
var globEscaper = strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`, `]`, `\]`)
