package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"signpost/store"
)

// pausedRulesKey is a hash of rule id to JSON store.PausedRule. One key
// holds the whole set: it is small (a few rules at worst) and every
// instance reads it whole on each catalog build.
func (s *Store) pausedRulesKey() string { return s.prefix + "paused-rules" }

var _ store.PausedRules = (*Store)(nil)

// takeScript removes a hash field and returns what it held (false when
// there was none), atomically, so two editors resuming one rule cannot
// both succeed.
var takeScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v then redis.call('HDEL', KEYS[1], ARGV[1]) end
return v`)

// PauseRule stores p with HSETNX, so one instance of several wins, then
// appends audit to the rule set's audit log (another slot).
func (s *Store) PauseRule(ctx context.Context, p store.PausedRule, audit store.AuditEntry) (bool, error) {
	op := fmt.Sprintf("pause rule %q", p.Rule)
	val, err := json.Marshal(p)
	if err != nil {
		return false, fmt.Errorf("redis: %s: encode: %w", op, err)
	}
	cctx, cancel := s.callCtx(ctx)
	defer cancel()
	stored, err := s.client.HSetNX(cctx, s.pausedRulesKey(), p.Rule, val).Result()
	if err != nil || !stored {
		return false, s.wrap(op, err)
	}
	return true, s.appendAudit(ctx, op, audit)
}

// PausedRules reads the whole set in one HGETALL.
func (s *Store) PausedRules(ctx context.Context) ([]store.PausedRule, error) {
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	all, err := s.client.HGetAll(ctx, s.pausedRulesKey()).Result()
	if err != nil {
		return nil, s.wrap("paused rules", err)
	}
	list := make([]store.PausedRule, 0, len(all))
	for rule, val := range all {
		var p store.PausedRule
		if err := json.Unmarshal([]byte(val), &p); err != nil {
			return nil, fmt.Errorf("redis: paused rules: decode %q: %w", rule, err)
		}
		list = append(list, p)
	}
	slices.SortFunc(list, func(a, b store.PausedRule) int { return strings.Compare(a.Rule, b.Rule) })
	return list, nil
}

// KeepRulePaused updates the record under WATCH, so a resume landing in
// between is not undone, then appends audit.
func (s *Store) KeepRulePaused(ctx context.Context, rule, by string, at time.Time, audit store.AuditEntry) (store.PausedRule, error) {
	op := fmt.Sprintf("keep rule %q paused", rule)
	key := s.pausedRulesKey()
	var p store.PausedRule
	cctx, cancel := s.callCtx(ctx)
	defer cancel()
	err := s.client.Watch(cctx, func(tx *redis.Tx) error {
		val, err := tx.HGet(cctx, key, rule).Bytes()
		if err != nil {
			return err
		}
		if err := json.Unmarshal(val, &p); err != nil {
			return fmt.Errorf("decode: %w", err)
		}
		p.KeptBy, p.KeptAt = by, at
		if val, err = json.Marshal(p); err != nil {
			return fmt.Errorf("encode: %w", err)
		}
		_, err = tx.TxPipelined(cctx, func(pipe redis.Pipeliner) error {
			pipe.HSet(cctx, key, rule, val)
			return nil
		})
		return err
	}, key)
	switch {
	case errors.Is(err, redis.TxFailedErr):
		return store.PausedRule{}, fmt.Errorf("redis: %s: changed meanwhile: %w", op, store.ErrConflict)
	case err != nil:
		return store.PausedRule{}, s.wrap(op, err)
	}
	return p, s.appendAudit(ctx, op, audit)
}

// ResumeRule takes the record out atomically, then appends audit.
func (s *Store) ResumeRule(ctx context.Context, rule string, audit store.AuditEntry) (store.PausedRule, error) {
	op := fmt.Sprintf("resume rule %q", rule)
	cctx, cancel := s.callCtx(ctx)
	defer cancel()
	val, err := takeScript.Run(cctx, s.client, []string{s.pausedRulesKey()}, rule).Text()
	if err != nil {
		return store.PausedRule{}, s.wrap(op, err)
	}
	var p store.PausedRule
	if err := json.Unmarshal([]byte(val), &p); err != nil {
		return store.PausedRule{}, fmt.Errorf("redis: %s: decode: %w", op, err)
	}
	return p, s.appendAudit(ctx, op, audit)
}

// appendAudit adds e to its campaign's audit log, after the change it
// records was written.
func (s *Store) appendAudit(ctx context.Context, op string, e store.AuditEntry) error {
	val, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("redis: %s: encode audit entry: %w", op, err)
	}
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	if err := s.client.RPush(ctx, s.campaignKeys(e.Campaign).audit, val).Err(); err != nil {
		return s.wrap(op+": done, but its audit entry was not written", err)
	}
	return nil
}
