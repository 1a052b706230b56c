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

var _ store.Engagement = (*Store)(nil)

// maxCountDays bounds the day hashes one Counts call reads: about ten
// years, far beyond any retention, so only a mistaken range hits it.
const maxCountDays = 3660

// countField is a CountKey without its campaign (the hash's key says that)
// as the field of a day hash. JSON round-trips any string values.
type countField struct {
	Version  int64  `json:"v"`
	Variant  string `json:"x"`
	Locale   string `json:"l"`
	Platform string `json:"p"`
	Kind     string `json:"k"`
	Event    string `json:"e"`
	Hour     int64  `json:"h"`
}

// applyScript applies one batch. KEYS[1] is the batch id; the other keys
// (day hashes, once ids, sketches) are referred to by their index in KEYS,
// which declares every key the script touches, as Cluster requires. ARGV
// holds the batch TTL, the once TTL and the retention in milliseconds, then
// three lists, each preceded by its length: counts (key, field, n),
// once-counts (key, field, number of ids, id keys) and uniques (key, number
// of hashes, hashes). Hashes travel as separate arguments, so binary values
// need no encoding.
var applyScript = redis.NewScript(`
local pos = 3
local function nextArg()
	pos = pos + 1
	return ARGV[pos]
end
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then
	return 0
end
local touched = {}
for _ = 1, tonumber(nextArg()) do
	local k, field, n = tonumber(nextArg()), nextArg(), nextArg()
	redis.call('HINCRBY', KEYS[k], field, n)
	touched[k] = true
end
for _ = 1, tonumber(nextArg()) do
	local k, field, ids = tonumber(nextArg()), nextArg(), tonumber(nextArg())
	local n = 0
	for _ = 1, ids do
		if redis.call('SET', KEYS[tonumber(nextArg())], '1', 'NX', 'PX', ARGV[2]) then
			n = n + 1
		end
	end
	if n > 0 then
		redis.call('HINCRBY', KEYS[k], field, n)
		touched[k] = true
	end
end
for _ = 1, tonumber(nextArg()) do
	local k, hashes = tonumber(nextArg()), tonumber(nextArg())
	local chunk = {}
	for _ = 1, hashes do
		chunk[#chunk + 1] = nextArg()
		if #chunk == 1000 then
			redis.call('PFADD', KEYS[k], unpack(chunk))
			chunk = {}
		end
	end
	redis.call('PFADD', KEYS[k], unpack(chunk))
	touched[k] = true
end
for k in pairs(touched) do
	redis.call('PEXPIRE', KEYS[k], ARGV[3])
end
return 1
`)

// scriptArgs collects a script's keys, each once, and its arguments.
type scriptArgs struct {
	keys  []string
	index map[string]int
	argv  []any
}

// key returns k's 1-based index in KEYS, adding it if new.
func (a *scriptArgs) key(k string) int {
	if i, ok := a.index[k]; ok {
		return i
	}
	a.keys = append(a.keys, k)
	a.index[k] = len(a.keys)
	return len(a.keys)
}

// ApplyCounts runs applyScript once: Redis runs a script atomically, so
// the batch id check and every write happen together or not at all, and a
// retried batch finds its id and changes nothing.
func (s *Store) ApplyCounts(ctx context.Context, b store.CountBatch, onceTTL, retention time.Duration) error {
	op := fmt.Sprintf("apply counts %q batch %q", b.Campaign, b.ID)
	if err := b.Check(onceTTL, retention); err != nil {
		return fmt.Errorf("redis: %s: %w", op, err)
	}
	a := &scriptArgs{index: map[string]int{}}
	a.key(s.batchKey(b.Campaign, b.ID))
	a.argv = []any{millis(retention), millis(onceTTL), millis(retention)}

	counts := slices.DeleteFunc(slices.Clone(b.Counts), func(c store.Count) bool { return c.N == 0 })
	a.argv = append(a.argv, len(counts))
	for _, c := range counts {
		key, field, err := s.countCell(c.Key)
		if err != nil {
			return fmt.Errorf("redis: %s: %w", op, err)
		}
		a.argv = append(a.argv, a.key(key), field, c.N)
	}
	a.argv = append(a.argv, len(b.Once))
	for _, c := range b.Once {
		key, field, err := s.countCell(c.Key)
		if err != nil {
			return fmt.Errorf("redis: %s: %w", op, err)
		}
		a.argv = append(a.argv, a.key(key), field, len(c.IDs))
		for _, id := range c.IDs {
			a.argv = append(a.argv, a.key(s.onceKey(b.Campaign, id)))
		}
	}
	a.argv = append(a.argv, len(b.Uniques))
	for _, u := range b.Uniques {
		a.argv = append(a.argv, a.key(s.uniqueKey(b.Campaign, u.Cell)), len(u.Hashes))
		for _, h := range u.Hashes {
			a.argv = append(a.argv, h)
		}
	}

	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	return s.wrap(op, applyScript.Run(ctx, s.client, a.keys, a.argv...).Err())
}

// millis is d in whole milliseconds, rounded up and at least 1, as PX and
// PEXPIRE want.
func millis(d time.Duration) int64 {
	return max(1, int64((d+time.Millisecond-1)/time.Millisecond))
}

// countCell returns the day hash and field that hold k.
func (s *Store) countCell(k store.CountKey) (key, field string, err error) {
	f, err := json.Marshal(countField{k.Version, k.Variant, k.Locale, k.Platform, k.Kind, k.Event, k.Hour})
	if err != nil {
		return "", "", fmt.Errorf("encode count key: %w", err)
	}
	return s.countsKey(k.Campaign, dayOf(floorDiv(k.Hour, 24))), string(f), nil
}

// dayOf formats a day number (Unix time / 86400) as YYYY-MM-DD.
func dayOf(day int64) string {
	return time.Unix(day*86400, 0).UTC().Format(time.DateOnly)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// Counts reads the day hashes covering the hours in one pipeline and keeps
// the fields within [fromHour, toHour), ordered by hour and then field.
func (s *Store) Counts(ctx context.Context, campaign string, fromHour, toHour int64) ([]store.Count, error) {
	op := fmt.Sprintf("counts %q", campaign)
	if fromHour >= toHour {
		return nil, s.wrap(op, ctx.Err())
	}
	first, last := floorDiv(fromHour, 24), floorDiv(toHour-1, 24)
	if last-first >= maxCountDays {
		return nil, fmt.Errorf("redis: %s: range of %d days exceeds %d", op, last-first+1, maxCountDays)
	}
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	pipe := s.client.Pipeline()
	var cmds []*redis.MapStringStringCmd
	for day := first; day <= last; day++ {
		cmds = append(cmds, pipe.HGetAll(ctx, s.countsKey(campaign, dayOf(day))))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, s.wrap(op, err)
	}
	type cell struct {
		field string
		count store.Count
	}
	var cells []cell
	for _, cmd := range cmds {
		for field, val := range cmd.Val() {
			var f countField
			if err := json.Unmarshal([]byte(field), &f); err != nil {
				return nil, fmt.Errorf("redis: %s: decode field %q: %w", op, field, err)
			}
			if f.Hour < fromHour || f.Hour >= toHour {
				continue
			}
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("redis: %s: decode count of %q: %w", op, field, err)
			}
			cells = append(cells, cell{field, store.Count{
				Key: store.CountKey{Campaign: campaign, Version: f.Version, Variant: f.Variant, Locale: f.Locale,
					Platform: f.Platform, Kind: f.Kind, Event: f.Event, Hour: f.Hour},
				N: n,
			}})
		}
	}
	slices.SortFunc(cells, func(a, b cell) int {
		return cmp.Or(cmp.Compare(a.count.Key.Hour, b.count.Key.Hour), cmp.Compare(a.field, b.field))
	})
	list := make([]store.Count, len(cells))
	for i, c := range cells {
		list[i] = c.count
	}
	return list, nil
}

// UniqueCount is PFCOUNT over the cells' sketches, which estimates their
// union; they share the campaign's slot, so this works on Cluster too.
func (s *Store) UniqueCount(ctx context.Context, campaign string, cells []store.UniqueCell) (int64, error) {
	op := fmt.Sprintf("unique count %q", campaign)
	if len(cells) == 0 {
		return 0, s.wrap(op, ctx.Err())
	}
	keys := make([]string, len(cells))
	for i, c := range cells {
		keys[i] = s.uniqueKey(campaign, c)
	}
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	n, err := s.client.PFCount(ctx, keys...).Result()
	if err != nil {
		return 0, s.wrap(op, err)
	}
	return n, nil
}

// ExpiringSecret is Secret with a TTL: the generated value is written with
// SET NX PX, so of several instances only the first write sticks and the
// others read it back. Should the value expire between a lost SET and the
// GET, the next round stores the generated value instead.
func (s *Store) ExpiringSecret(ctx context.Context, name string, ttl time.Duration, generate func() ([]byte, error)) ([]byte, error) {
	op := fmt.Sprintf("expiring secret %q", name)
	if ttl <= 0 {
		return nil, fmt.Errorf("redis: %s: ttl %v is not positive", op, ttl)
	}
	key := s.expiringSecretKey(name)
	var fresh []byte
	for range 3 {
		val, err := s.get(ctx, key)
		switch {
		case err == nil:
			return val, nil
		case !errors.Is(err, redis.Nil):
			return nil, s.wrap(op, err)
		}
		if fresh == nil {
			if fresh, err = generate(); err != nil {
				return nil, fmt.Errorf("redis: %s: generate: %w", op, err)
			}
		}
		stored, err := s.setNXTTL(ctx, key, fresh, ttl)
		if err != nil {
			return nil, s.wrap(op, err)
		}
		if stored {
			return fresh, nil
		}
	}
	return nil, fmt.Errorf("redis: %s: value kept expiring while being read", op)
}

// setNXTTL is SET NX PX bounded by the store's timeout.
func (s *Store) setNXTTL(ctx context.Context, key string, val any, ttl time.Duration) (bool, error) {
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	return s.client.SetNX(ctx, key, val, ttl).Result()
}

// SetMarkers sends one SET NX PX per marker in a pipeline; markers are
// independent, so they need not be atomic together.
func (s *Store) SetMarkers(ctx context.Context, ms []store.Marker, ttl time.Duration) ([]bool, error) {
	const op = "set markers"
	if ttl <= 0 {
		return nil, fmt.Errorf("redis: %s: ttl %v is not positive", op, ttl)
	}
	if len(ms) == 0 {
		if err := ctx.Err(); err != nil {
			return nil, s.wrap(op, err)
		}
		return []bool{}, nil
	}
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	pipe := s.client.Pipeline()
	cmds := make([]*redis.BoolCmd, len(ms))
	for i, m := range ms {
		cmds[i] = pipe.SetNX(ctx, s.markerKey(m.Key), m.Value, ttl)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, s.wrap(op, err)
	}
	stored := make([]bool, len(ms))
	for i, c := range cmds {
		stored[i] = c.Val()
	}
	return stored, nil
}

// TakeMarkers sends one GETDEL per key in a pipeline.
func (s *Store) TakeMarkers(ctx context.Context, keys []string) ([]store.Marker, error) {
	const op = "take markers"
	if len(keys) == 0 {
		if err := ctx.Err(); err != nil {
			return nil, s.wrap(op, err)
		}
		return []store.Marker{}, nil
	}
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	pipe := s.client.Pipeline()
	cmds := make([]*redis.StringCmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.GetDel(ctx, s.markerKey(k))
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, s.wrap(op, err)
	}
	out := make([]store.Marker, len(keys))
	for i, c := range cmds {
		out[i].Key = keys[i]
		val, err := c.Result()
		switch {
		case errors.Is(err, redis.Nil):
		case err != nil:
			return nil, s.wrap(op, err)
		default:
			out[i].Value = val
		}
	}
	return out, nil
}
