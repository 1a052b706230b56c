package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"signpost/store"
)

// Rule activity keys (see store.Feedback) carry the hash tag
// {activity:<language>}, so one language's batch id and day hashes share
// a slot and one script applies a batch atomically, also on Cluster.
// Each day is a hash of the JSON rest of the key to a count, expiring
// with the day (store.ActivityExpires). The set of languages with
// activity, for backups, is a plain set written before each batch.
func (s *Store) activityKey(lang, part string) string {
	return s.prefix + "{activity:" + keyPartEscaper.Replace(lang) + "}:" + part
}

func (s *Store) activityDayKey(lang, day string) string  { return s.activityKey(lang, "day:"+day) }
func (s *Store) activityBatchKey(lang, id string) string { return s.activityKey(lang, "batch:"+id) }
func (s *Store) activityLangsKey() string                { return s.prefix + "activity-languages" }

// activityBatchTTL is how long an applied batch id is remembered: a batch
// is retried within seconds, not days.
const activityBatchTTL = 48 * time.Hour

// activityRest is an ActivityKey without its language and day: the field
// of a day hash.
type activityRest struct {
	Hour     int    `json:"h"`
	Rule     string `json:"r,omitempty"`
	Category string `json:"c,omitempty"`
	Campaign string `json:"m,omitempty"`
	Event    string `json:"e"`
	Platform string `json:"p,omitempty"`
}

var _ store.Feedback = (*Store)(nil)

// applyActivityScript applies one batch unless its id was seen. KEYS[1]
// is the batch id's key, KEYS[2..] the day hashes; ARGV[1] the id's TTL in
// milliseconds, ARGV[2] the number of days n, then per day its expiry in
// Unix milliseconds, then (day number, field, count) triples.
var applyActivityScript = redis.NewScript(`
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return 0 end
local nd = tonumber(ARGV[2])
local j = 3 + nd
while j <= #ARGV do
  redis.call('HINCRBY', KEYS[1 + tonumber(ARGV[j])], ARGV[j + 1], ARGV[j + 2])
  j = j + 3
end
for i = 1, nd do
  redis.call('PEXPIREAT', KEYS[1 + i], ARGV[2 + i])
end
return 1`)

// ApplyActivity records the language in the index, then applies the
// batch with one script.
func (s *Store) ApplyActivity(ctx context.Context, b store.ActivityBatch, retention time.Duration) error {
	op := fmt.Sprintf("apply activity %q batch %q", b.Language, b.ID)
	if err := b.Check(retention); err != nil {
		return fmt.Errorf("redis: %s: %w", op, err)
	}
	now := time.Now()
	keys := []string{s.activityBatchKey(b.Language, b.ID)}
	dayIndex := map[string]int{}
	var expiries, triples []any
	for _, c := range b.Counts {
		exp, err := store.ActivityExpires(c.Key.Day, retention)
		if err != nil {
			return fmt.Errorf("redis: %s: %w", op, err)
		}
		if !exp.After(now) || c.N == 0 {
			continue
		}
		i, ok := dayIndex[c.Key.Day]
		if !ok {
			keys = append(keys, s.activityDayKey(b.Language, c.Key.Day))
			i = len(keys) - 1
			dayIndex[c.Key.Day] = i
			expiries = append(expiries, exp.UnixMilli())
		}
		field, err := json.Marshal(activityRest{c.Key.Hour, c.Key.Rule, c.Key.Category, c.Key.Campaign, c.Key.Event, c.Key.Platform})
		if err != nil {
			return fmt.Errorf("redis: %s: encode: %w", op, err)
		}
		triples = append(triples, i, string(field), c.N)
	}
	if len(triples) == 0 {
		return nil
	}
	args := append([]any{activityBatchTTL.Milliseconds(), len(expiries)}, expiries...)
	args = append(args, triples...)
	if err := s.addToIndex(ctx, s.activityLangsKey(), b.Language); err != nil {
		return s.wrap(op, err)
	}
	cctx, cancel := s.callCtx(ctx)
	defer cancel()
	return s.wrap(op, applyActivityScript.Run(cctx, s.client, keys, args...).Err())
}

// Activity reads each day's hash of the range in one pipeline (one slot).
func (s *Store) Activity(ctx context.Context, language, fromDay, toDay string) ([]store.ActivityCount, error) {
	op := fmt.Sprintf("activity %q", language)
	from, err1 := time.Parse(time.DateOnly, fromDay)
	to, err2 := time.Parse(time.DateOnly, toDay)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("redis: %s: days %q to %q are not YYYY-MM-DD", op, fromDay, toDay)
	}
	var days []string
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		days = append(days, d.Format(time.DateOnly))
	}
	if len(days) == 0 {
		return nil, nil
	}
	cctx, cancel := s.callCtx(ctx)
	defer cancel()
	cmds, err := s.client.Pipelined(cctx, func(p redis.Pipeliner) error {
		for _, d := range days {
			p.HGetAll(cctx, s.activityDayKey(language, d))
		}
		return nil
	})
	if err != nil {
		return nil, s.wrap(op, err)
	}
	var list []store.ActivityCount
	for i, cmd := range cmds {
		for field, val := range cmd.(*redis.MapStringStringCmd).Val() {
			var r activityRest
			if err := json.Unmarshal([]byte(field), &r); err != nil {
				return nil, fmt.Errorf("redis: %s: decode %q: %w", op, field, err)
			}
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("redis: %s: count %q: %w", op, val, err)
			}
			list = append(list, store.ActivityCount{
				Key: store.ActivityKey{Language: language, Day: days[i], Hour: r.Hour, Rule: r.Rule, Category: r.Category,
					Campaign: r.Campaign, Event: r.Event, Platform: r.Platform},
				N: n,
			})
		}
	}
	slices.SortFunc(list, func(x, y store.ActivityCount) int { return store.CompareActivity(x.Key, y.Key) })
	return list, nil
}

// ActivityLanguages reads the index set.
func (s *Store) ActivityLanguages(ctx context.Context) ([]string, error) {
	langs, err := s.members(ctx, s.activityLangsKey())
	if err != nil {
		return nil, s.wrap("activity languages", err)
	}
	slices.Sort(langs)
	return langs, nil
}
