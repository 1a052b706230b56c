package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"signpost/store"
)

// Webhook keys share the hash tag {webhooks}, so one Cluster slot holds
// them all and one script can claim or finish a delivery atomically:
// subscriptions (a hash by id), pending deliveries (a hash by id), their
// due times (a sorted set scored by Unix milliseconds), the leases of
// claimed deliveries (a hash by id) and one delivery log per subscription
// (a list, newest first). Webhook traffic is a few events an hour, far
// from what one slot can take.
func (s *Store) webhookKey(part string) string { return s.prefix + "{webhooks}:" + part }

type webhookKeys struct{ subs, deliveries, due, leases string }

func (s *Store) webhookKeys() webhookKeys {
	return webhookKeys{subs: s.webhookKey("subs"), deliveries: s.webhookKey("deliveries"),
		due: s.webhookKey("due"), leases: s.webhookKey("leases")}
}

func (s *Store) webhookLogKey(id string) string { return s.webhookKey("log:" + id) }

var _ store.Webhooks = (*Store)(nil)

// enqueueScript stores each delivery (ARGV: id, JSON, due ms, repeated)
// unless one with its id is pending.
var enqueueScript = redis.NewScript(`
for i = 1, #ARGV, 3 do
  if redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i+1]) == 1 then
    redis.call('ZADD', KEYS[2], ARGV[i+2], ARGV[i])
  end
end
return 1`)

// claimScript takes up to ARGV[3] deliveries due at ARGV[1], moves them
// to ARGV[2] and leases each under ARGV[4]..index. It returns id, lease
// and JSON for each.
var claimScript = redis.NewScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for i, id in ipairs(ids) do
  local v = redis.call('HGET', KEYS[2], id)
  if v then
    local lease = ARGV[4] .. i
    redis.call('ZADD', KEYS[1], ARGV[2], id)
    redis.call('HSET', KEYS[3], id, lease)
    out[#out+1] = id
    out[#out+1] = lease
    out[#out+1] = v
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out`)

// finishScript checks delivery ARGV[1]'s lease ARGV[2], then keeps it
// (ARGV[3] = 1, with JSON ARGV[4] due ARGV[5]) or removes it, and pushes
// the attempt ARGV[6] (if any) on the log KEYS[4], kept to ARGV[7]
// entries. It returns 0 when the lease is not held.
var finishScript = redis.NewScript(`
if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[3], ARGV[1])
if ARGV[3] == '1' then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
  redis.call('ZADD', KEYS[1], ARGV[5], ARGV[1])
else
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('ZREM', KEYS[1], ARGV[1])
end
if ARGV[6] ~= '' then
  redis.call('LPUSH', KEYS[4], ARGV[6])
  redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[7]) - 1)
end
return 1`)

// CreateWebhook stores w with HSETNX, so a taken id is a conflict.
func (s *Store) CreateWebhook(ctx context.Context, w store.Webhook) error {
	op := fmt.Sprintf("create webhook %q", w.ID)
	if w.ID == "" {
		return fmt.Errorf("redis: %s: webhook id is required", op)
	}
	val, err := json.Marshal(w)
	if err != nil {
		return fmt.Errorf("redis: %s: encode: %w", op, err)
	}
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	ok, err := s.client.HSetNX(ctx, s.webhookKeys().subs, w.ID, val).Result()
	if err != nil {
		return s.wrap(op, err)
	}
	if !ok {
		return fmt.Errorf("redis: %s: exists: %w", op, store.ErrConflict)
	}
	return nil
}

// Webhook reads one subscription.
func (s *Store) Webhook(ctx context.Context, id string) (store.Webhook, error) {
	op := fmt.Sprintf("webhook %q", id)
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	val, err := s.client.HGet(ctx, s.webhookKeys().subs, id).Bytes()
	if err != nil {
		return store.Webhook{}, s.wrap(op, err)
	}
	var w store.Webhook
	if err := json.Unmarshal(val, &w); err != nil {
		return store.Webhook{}, fmt.Errorf("redis: %s: decode: %w", op, err)
	}
	return w, nil
}

// ListWebhooks reads the subscriptions hash whole.
func (s *Store) ListWebhooks(ctx context.Context) ([]store.Webhook, error) {
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	all, err := s.client.HGetAll(ctx, s.webhookKeys().subs).Result()
	if err != nil {
		return nil, s.wrap("list webhooks", err)
	}
	list := make([]store.Webhook, 0, len(all))
	for id, val := range all {
		var w store.Webhook
		if err := json.Unmarshal([]byte(val), &w); err != nil {
			return nil, fmt.Errorf("redis: list webhooks: decode %q: %w", id, err)
		}
		list = append(list, w)
	}
	slices.SortFunc(list, func(a, b store.Webhook) int { return strings.Compare(a.ID, b.ID) })
	return list, nil
}

// DeleteWebhook removes the subscription and its log in one transaction.
func (s *Store) DeleteWebhook(ctx context.Context, id string) error {
	op := fmt.Sprintf("delete webhook %q", id)
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	var del *redis.IntCmd
	_, err := s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		del = p.HDel(ctx, s.webhookKeys().subs, id)
		p.Del(ctx, s.webhookLogKey(id))
		return nil
	})
	if err != nil {
		return s.wrap(op, err)
	}
	if del.Val() == 0 {
		return fmt.Errorf("redis: %s: %w", op, store.ErrNotFound)
	}
	return nil
}

// DisableWebhook updates the record under WATCH, so a concurrent delete
// is not undone.
func (s *Store) DisableWebhook(ctx context.Context, id string, at time.Time, reason string) error {
	op := fmt.Sprintf("disable webhook %q", id)
	key := s.webhookKeys().subs
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	err := s.client.Watch(ctx, func(tx *redis.Tx) error {
		val, err := tx.HGet(ctx, key, id).Bytes()
		if err != nil {
			return err
		}
		var w store.Webhook
		if err := json.Unmarshal(val, &w); err != nil {
			return fmt.Errorf("decode: %w", err)
		}
		w.DisabledAt, w.DisabledReason = at, reason
		if val, err = json.Marshal(w); err != nil {
			return fmt.Errorf("encode: %w", err)
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, key, id, val)
			return nil
		})
		return err
	}, key)
	if errors.Is(err, redis.TxFailedErr) {
		return fmt.Errorf("redis: %s: changed meanwhile: %w", op, store.ErrConflict)
	}
	return s.wrap(op, err)
}

// EnqueueWebhookDeliveries stores the deliveries in one script.
func (s *Store) EnqueueWebhookDeliveries(ctx context.Context, ds []store.WebhookDelivery) error {
	op := fmt.Sprintf("enqueue %d webhook deliveries", len(ds))
	if len(ds) == 0 {
		return s.wrap(op, ctx.Err())
	}
	args := make([]any, 0, 3*len(ds))
	for _, d := range ds {
		if d.ID == "" {
			return fmt.Errorf("redis: %s: delivery id is required", op)
		}
		d.Lease = ""
		val, err := json.Marshal(d)
		if err != nil {
			return fmt.Errorf("redis: %s: encode: %w", op, err)
		}
		args = append(args, d.ID, val, d.Due.UnixMilli())
	}
	k := s.webhookKeys()
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	return s.wrap(op, enqueueScript.Run(ctx, s.client, []string{k.deliveries, k.due}, args...).Err())
}

// ClaimWebhookDeliveries claims in one script, so two instances never
// claim the same delivery.
func (s *Store) ClaimWebhookDeliveries(ctx context.Context, now time.Time, lease time.Duration, max int) ([]store.WebhookDelivery, error) {
	const op = "claim webhook deliveries"
	k := s.webhookKeys()
	until := now.Add(lease)
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	res, err := claimScript.Run(ctx, s.client, []string{k.due, k.deliveries, k.leases},
		now.UnixMilli(), until.UnixMilli(), max, newLeasePrefix()).StringSlice()
	if err != nil {
		return nil, s.wrap(op, err)
	}
	var out []store.WebhookDelivery
	for i := 0; i+2 < len(res); i += 3 {
		var d store.WebhookDelivery
		if err := json.Unmarshal([]byte(res[i+2]), &d); err != nil {
			return nil, fmt.Errorf("redis: %s: decode %q: %w", op, res[i], err)
		}
		d.Lease, d.Due = res[i+1], time.UnixMilli(until.UnixMilli()).UTC()
		out = append(out, d)
	}
	return out, nil
}

// FinishWebhookDelivery checks the lease and writes in one script.
func (s *Store) FinishWebhookDelivery(ctx context.Context, d store.WebhookDelivery, retry bool, a store.WebhookAttempt) error {
	op := fmt.Sprintf("finish webhook delivery %q", d.ID)
	lease := d.Lease
	d.Lease = ""
	val, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("redis: %s: encode: %w", op, err)
	}
	attempt, logKey := []byte(nil), s.webhookLogKey(d.Webhook)
	if a.Webhook != "" {
		if attempt, err = json.Marshal(a); err != nil {
			return fmt.Errorf("redis: %s: encode attempt: %w", op, err)
		}
		logKey = s.webhookLogKey(a.Webhook)
	}
	keep := "0"
	if retry {
		keep = "1"
	}
	k := s.webhookKeys()
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	held, err := finishScript.Run(ctx, s.client, []string{k.due, k.deliveries, k.leases, logKey},
		d.ID, lease, keep, val, d.Due.UnixMilli(), attempt, store.MaxWebhookAttempts).Int()
	if err != nil {
		return s.wrap(op, err)
	}
	if held == 0 {
		return fmt.Errorf("redis: %s: the lease ran out: %w", op, store.ErrConflict)
	}
	return nil
}

// PendingWebhookDeliveries reads the due set and the records in one
// transaction; Due is the set's score, which a claim moves on.
func (s *Store) PendingWebhookDeliveries(ctx context.Context) ([]store.WebhookDelivery, error) {
	const op = "pending webhook deliveries"
	k := s.webhookKeys()
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	var due *redis.ZSliceCmd
	var all *redis.MapStringStringCmd
	_, err := s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		due = p.ZRangeWithScores(ctx, k.due, 0, -1)
		all = p.HGetAll(ctx, k.deliveries)
		return nil
	})
	if err != nil {
		return nil, s.wrap(op, err)
	}
	var out []store.WebhookDelivery
	for _, z := range due.Val() {
		id, _ := z.Member.(string)
		val, ok := all.Val()[id]
		if !ok {
			continue
		}
		var d store.WebhookDelivery
		if err := json.Unmarshal([]byte(val), &d); err != nil {
			return nil, fmt.Errorf("redis: %s: decode %q: %w", op, id, err)
		}
		d.Due = time.UnixMilli(int64(z.Score)).UTC()
		out = append(out, d)
	}
	return out, nil
}

// WebhookAttempts reads the head of the log list.
func (s *Store) WebhookAttempts(ctx context.Context, id string, limit int) ([]store.WebhookAttempt, error) {
	op := fmt.Sprintf("webhook %q attempts", id)
	stop := int64(-1)
	if limit > 0 {
		stop = int64(limit) - 1
	}
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	vals, err := s.client.LRange(ctx, s.webhookLogKey(id), 0, stop).Result()
	if err != nil {
		return nil, s.wrap(op, err)
	}
	out := make([]store.WebhookAttempt, 0, len(vals))
	for _, v := range vals {
		var a store.WebhookAttempt
		if err := json.Unmarshal([]byte(v), &a); err != nil {
			return nil, fmt.Errorf("redis: %s: decode: %w", op, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// newLeasePrefix is a random prefix for one claim's lease tokens.
func newLeasePrefix() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b) + ":" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
}
