package track

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"signpost/store"
)

// Sink is the store's part in counting (store.Engagement).
type Sink interface {
	ApplyCounts(ctx context.Context, b store.CountBatch, onceTTL, retention time.Duration) error
	ExpiringSecret(ctx context.Context, name string, ttl time.Duration, generate func() ([]byte, error)) ([]byte, error)
	SetMarkers(ctx context.Context, ms []store.Marker, ttl time.Duration) ([]bool, error)
	TakeMarkers(ctx context.Context, keys []string) ([]store.Marker, error)
}

// Events counted, as they appear in CountKey.Event.
const (
	EventServed     = "served"
	EventImpression = "impression"
	EventDismiss    = "dismiss"
	EventContinue   = "continue"
	EventClick      = "click:" // + action id
	// EventExposed counts searchers shown a card whose desistance is
	// being watched; EventRepeat those of them who searched again within
	// DesistWindow. Desistance is 1 - repeat/exposed.
	EventExposed = "exposed"
	EventRepeat  = "repeat"
)

// DesistWindow is how long after a card a matching search counts as not
// having desisted.
const DesistWindow = 30 * time.Minute

// CounterConfig configures a Counter; zero values take the defaults.
type CounterConfig struct {
	FlushEvery time.Duration // default 1 s
	Retention  time.Duration // default 400 days
	// OnceTTL is how long an interaction id is remembered; it must
	// outlive the tokens (default DefaultTTL plus a day).
	OnceTTL time.Duration
	// MaxPending bounds what waits in memory while the store is away:
	// pending once-ids, unique hashes and desistance notes, each. Counts
	// themselves are bounded by their distinct keys.
	MaxPending int // default 1,000,000
	Now        func() time.Time
}

// Counter aggregates engagement in memory and flushes it to the store in
// idempotent batches. The hot path only takes a mutex and updates maps;
// every store call happens in Run.
//
// While the store is down, counts keep aggregating by key, and one batch
// per campaign waits to be retried under its ID (its first attempt may
// have been applied; the store applies an ID once), so nothing is lost or
// counted twice. Shutdown flushes.
type Counter struct {
	sink Sink
	cfg  CounterConfig
	log  *slog.Logger

	mu      sync.Mutex
	counts  map[store.CountKey]int64
	once    map[store.CountKey][]string
	uniques map[string]map[store.UniqueCell]map[[16]byte]struct{} // by campaign
	nOnce   int
	nUnique int
	// Desistance notes waiting for the flusher: searches that may end a
	// watch, and cards that start one, in order.
	notes  []desistNote
	salts  atomic.Pointer[saltSet]
	flight map[string]*store.CountBatch // campaign -> batch of unknown outcome

	flushed, dropped atomic.Int64
}

// desistNote is a matching search by a person (key: their salted hash),
// which ends their watch if they have one, and starts one when card is set.
type desistNote struct {
	key  string
	card *store.CountKey // without Event and Hour
	at   time.Time
}

// saltSet holds the reach salts by day (YYYY-MM-DD): today's, and
// yesterday's and tomorrow's around midnight.
type saltSet map[string][]byte

// NewCounter returns a Counter flushing to sink.
func NewCounter(sink Sink, cfg CounterConfig, log *slog.Logger) *Counter {
	if cfg.FlushEvery <= 0 {
		cfg.FlushEvery = time.Second
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 400 * 24 * time.Hour
	}
	if cfg.OnceTTL <= 0 {
		cfg.OnceTTL = DefaultTTL + 24*time.Hour
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = 1_000_000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Counter{sink: sink, cfg: cfg, log: log, flight: map[string]*store.CountBatch{}}
	c.reset()
	return c
}

func (c *Counter) reset() {
	c.counts = map[store.CountKey]int64{}
	c.once = map[store.CountKey][]string{}
	c.uniques = map[string]map[store.UniqueCell]map[[16]byte]struct{}{}
	c.nOnce, c.nUnique = 0, 0
}

// Day is the UTC day of t, as cells and salts name it.
func Day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// hour is t's Unix hour.
func hour(t time.Time) int64 { return t.Unix() / 3600 }

// Served counts a card served for card (a key without Event and Hour,
// whose strings must be the caller's own: they are kept), a
// unique subject for reach, and, for a search, starts watching whether
// the subject searches again. The subject is hashed with the day's salt
// here and never kept.
func (c *Counter) Served(card store.CountKey, subject string, search bool, at time.Time) {
	h, ok := c.subjectHash(subject, at)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.add(card, EventServed, at, 1)
	if !ok {
		return
	}
	if c.nUnique < c.cfg.MaxPending {
		cell := store.UniqueCell{Day: Day(at), Variant: card.Variant, Locale: card.Locale, Platform: card.Platform}
		byCell := c.uniques[card.Campaign]
		if byCell == nil {
			byCell = map[store.UniqueCell]map[[16]byte]struct{}{}
			c.uniques[card.Campaign] = byCell
		}
		set := byCell[cell]
		if set == nil {
			set = map[[16]byte]struct{}{}
			byCell[cell] = set
		}
		if _, dup := set[h]; !dup {
			set[h] = struct{}{}
			c.nUnique++
		}
	} else {
		c.dropped.Add(1)
	}
	if search {
		k := card
		c.note(desistNote{key: hex.EncodeToString(h[:]), card: &k, at: at})
	}
}

// Searched notes a matching search that got no card, which may end a
// desistance watch.
func (c *Counter) Searched(subject string, at time.Time) {
	h, ok := c.subjectHash(subject, at)
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.note(desistNote{key: hex.EncodeToString(h[:]), at: at})
}

func (c *Counter) note(n desistNote) {
	if len(c.notes) >= c.cfg.MaxPending {
		c.dropped.Add(1)
		return
	}
	c.notes = append(c.notes, n)
}

// Interaction counts event for the card a token names, once per token
// and event: id is the token's random id.
func (c *Counter) Interaction(card store.CountKey, event, id string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.nOnce >= c.cfg.MaxPending {
		c.dropped.Add(1)
		return
	}
	// Kept beyond the request: copied, in case the caller's strings
	// share a buffer the HTTP server reuses (fiber's do).
	card.Event, card.Hour = strings.Clone(event), hour(at)
	c.once[card] = append(c.once[card], id+":"+event)
	c.nOnce++
}

func (c *Counter) add(card store.CountKey, event string, at time.Time, n int64) {
	card.Event, card.Hour = event, hour(at)
	c.counts[card] += n
}

// subjectHash is the subject's hash under the salt of at's day, or false
// when there is no subject or the salt is not loaded (the store was
// never reached today): then reach and desistance skip this event.
func (c *Counter) subjectHash(subject string, at time.Time) ([16]byte, bool) {
	var out [16]byte
	if subject == "" {
		return out, false
	}
	salts := c.salts.Load()
	if salts == nil {
		return out, false
	}
	salt, ok := (*salts)[Day(at)]
	if !ok {
		return out, false
	}
	m := hmac.New(sha256.New, salt)
	m.Write([]byte(subject))
	copy(out[:], m.Sum(nil))
	return out, true
}

// Pending returns how many counted events wait for the store.
func (c *Counter) Pending() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int64
	for _, v := range c.counts {
		n += v
	}
	n += int64(c.nOnce)
	for _, b := range c.flight {
		for _, x := range b.Counts {
			n += x.N
		}
		for _, o := range b.Once {
			n += int64(len(o.IDs))
		}
	}
	return n
}

// Flushed returns how many counted events the store has accepted.
func (c *Counter) Flushed() int64 { return c.flushed.Load() }

// Dropped returns how many events were not counted because memory
// bounds were reached while the store was away.
func (c *Counter) Dropped() int64 { return c.dropped.Load() }

// Run loads salts and flushes every FlushEvery until ctx ends, then
// flushes once more with a fresh deadline.
func (c *Counter) Run(ctx context.Context) {
	tick := time.NewTicker(c.cfg.FlushEvery)
	defer tick.Stop()
	c.LoadSalts(ctx)
	lastSalt := c.cfg.Now()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := c.Flush(fctx); err != nil {
				c.log.Warn("final engagement flush failed; these counts are lost", "pending", c.Pending(), "err", err)
			}
			return
		case <-tick.C:
		}
		if now := c.cfg.Now(); c.salts.Load() == nil || now.Sub(lastSalt) > time.Minute {
			c.LoadSalts(ctx)
			lastSalt = now
		}
		fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := c.Flush(fctx); err != nil {
			c.log.Warn("engagement flush failed; counts are kept and retried", "pending", c.Pending(), "err", err)
		}
		cancel()
	}
}

// LoadSalts makes sure the salts of yesterday, today and tomorrow are in
// memory (Run does it every minute). A day's salt lives until 48 hours after its day ends, then the
// store destroys it, and with it any way to link that day's hashes to a
// subject.
func (c *Counter) LoadSalts(ctx context.Context) {
	now := c.cfg.Now().UTC()
	set := saltSet{}
	for _, d := range []int{-1, 0, 1} {
		day := now.AddDate(0, 0, d)
		start := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
		ttl := start.Add(72 * time.Hour).Sub(now)
		if ttl <= 0 {
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		salt, err := c.sink.ExpiringSecret(sctx, "reach-salt:"+Day(day), ttl, randomSalt)
		cancel()
		if err != nil {
			if d == 0 {
				c.log.Warn("cannot load today's reach salt; unique reach and desistance pause until it loads", "err", err)
			}
			continue
		}
		set[Day(day)] = salt
	}
	if len(set) > 0 {
		c.salts.Store(&set)
	}
}

func randomSalt() ([]byte, error) {
	b := make([]byte, 32)
	_, err := rand.Read(b)
	return b, err
}

// Flush settles desistance notes, then applies every campaign's pending
// counts in one batch each. A batch whose outcome is unknown is retried,
// with the same ID, before anything newer for its campaign is sent.
func (c *Counter) Flush(ctx context.Context) error {
	errDesist := c.settleNotes(ctx)
	c.mu.Lock()
	fresh := c.batches()
	for camp, b := range fresh {
		if c.flight[camp] == nil {
			c.flight[camp] = b
			delete(fresh, camp)
		}
	}
	c.requeue(fresh) // campaigns with a batch in flight keep aggregating
	flight := make([]*store.CountBatch, 0, len(c.flight))
	for _, b := range c.flight {
		flight = append(flight, b)
	}
	c.mu.Unlock()

	sort.Slice(flight, func(i, j int) bool { return flight[i].Campaign < flight[j].Campaign })
	var errs []error
	for _, b := range flight {
		if err := c.sink.ApplyCounts(ctx, *b, c.cfg.OnceTTL, c.cfg.Retention); err != nil {
			errs = append(errs, fmt.Errorf("campaign %q: %w", b.Campaign, err))
			continue
		}
		n := int64(0)
		for _, x := range b.Counts {
			n += x.N
		}
		for _, o := range b.Once {
			n += int64(len(o.IDs))
		}
		c.flushed.Add(n)
		c.mu.Lock()
		delete(c.flight, b.Campaign)
		c.mu.Unlock()
	}
	return errors.Join(append(errs, errDesist)...)
}

// batches turns everything pending into one batch per campaign and
// empties the pending maps. Called with mu held.
func (c *Counter) batches() map[string]*store.CountBatch {
	out := map[string]*store.CountBatch{}
	get := func(camp string) *store.CountBatch {
		b := out[camp]
		if b == nil {
			b = &store.CountBatch{ID: newBatchID(), Campaign: camp}
			out[camp] = b
		}
		return b
	}
	for k, n := range c.counts {
		b := get(k.Campaign)
		b.Counts = append(b.Counts, store.Count{Key: k, N: n})
	}
	for k, ids := range c.once {
		b := get(k.Campaign)
		b.Once = append(b.Once, store.OnceCount{Key: k, IDs: ids})
	}
	for camp, cells := range c.uniques {
		b := get(camp)
		for cell, set := range cells {
			add := store.UniqueAdd{Cell: cell, Hashes: make([][]byte, 0, len(set))}
			for h := range set {
				add.Hashes = append(add.Hashes, h[:])
			}
			b.Uniques = append(b.Uniques, add)
		}
	}
	c.reset()
	return out
}

// requeue puts batches not sent back into the pending maps. Called with
// mu held.
func (c *Counter) requeue(bs map[string]*store.CountBatch) {
	for _, b := range bs {
		for _, x := range b.Counts {
			c.counts[x.Key] += x.N
		}
		for _, o := range b.Once {
			c.once[o.Key] = append(c.once[o.Key], o.IDs...)
			c.nOnce += len(o.IDs)
		}
		for _, u := range b.Uniques {
			byCell := c.uniques[b.Campaign]
			if byCell == nil {
				byCell = map[store.UniqueCell]map[[16]byte]struct{}{}
				c.uniques[b.Campaign] = byCell
			}
			set := byCell[u.Cell]
			if set == nil {
				set = map[[16]byte]struct{}{}
				byCell[u.Cell] = set
			}
			for _, h := range u.Hashes {
				var k [16]byte
				copy(k[:], h)
				if _, dup := set[k]; !dup {
					set[k] = struct{}{}
					c.nUnique++
				}
			}
		}
	}
}

func newBatchID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// settleNotes resolves desistance notes against the store's markers: a
// search ends its person's watch (counting a repeat for the card that
// started it), and a card starts a watch (counting an exposure) unless
// one is running. Notes about the same person within one flush are
// resolved here first, in order. If the store is away the notes are
// dropped: desistance then covers fewer people, but stays a true ratio,
// since exposures and repeats are counted only when settled.
func (c *Counter) settleNotes(ctx context.Context) error {
	c.mu.Lock()
	notes := c.notes
	c.notes = nil
	c.mu.Unlock()
	if len(notes) == 0 {
		return nil
	}
	type watch struct {
		card store.CountKey
		at   time.Time
	}
	local := map[string]*watch{} // watches started in this flush
	var takeKeys []string
	var repeats []store.CountKey
	var repeatAt []time.Time
	var exposures []store.CountKey
	var exposureAt []time.Time
	for _, n := range notes {
		if w := local[n.key]; w != nil {
			// A watch started and ended within this flush: both count.
			exposures, exposureAt = append(exposures, w.card), append(exposureAt, w.at)
			if n.at.Sub(w.at) <= DesistWindow {
				repeats, repeatAt = append(repeats, w.card), append(repeatAt, n.at)
			}
			delete(local, n.key)
		} else if n.card == nil || !contains(takeKeys, n.key) {
			takeKeys = append(takeKeys, n.key)
		}
		if n.card != nil {
			local[n.key] = &watch{card: *n.card, at: n.at}
		}
	}
	taken, err := c.sink.TakeMarkers(ctx, takeKeys)
	if err != nil {
		c.dropped.Add(int64(len(notes)))
		return fmt.Errorf("desistance: %w", err)
	}
	now := c.cfg.Now()
	for _, m := range taken {
		if m.Value == "" {
			continue
		}
		var k store.CountKey
		if json.Unmarshal([]byte(m.Value), &k) == nil {
			repeats, repeatAt = append(repeats, k), append(repeatAt, now)
		}
	}
	var marks []store.Marker
	var cards []*watch
	for key, w := range local {
		v, _ := json.Marshal(w.card)
		marks = append(marks, store.Marker{Key: key, Value: string(v)})
		cards = append(cards, w)
	}
	stored, err := c.sink.SetMarkers(ctx, marks, DesistWindow)
	if err != nil {
		stored = make([]bool, len(marks))
	}
	for i, ok := range stored {
		if ok {
			exposures, exposureAt = append(exposures, cards[i].card), append(exposureAt, cards[i].at)
		}
	}
	c.mu.Lock()
	for i, k := range repeats {
		c.add(k, EventRepeat, repeatAt[i], 1)
	}
	for i, k := range exposures {
		c.add(k, EventExposed, exposureAt[i], 1)
	}
	c.mu.Unlock()
	if err != nil {
		return fmt.Errorf("desistance: %w", err)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
