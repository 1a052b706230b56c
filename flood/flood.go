// Package flood notices a rule whose match rate jumps far above its own
// trailing baseline. A sudden spike usually means a term collided with the
// news or a meme, and the cards it shows are then mostly wrong, so the
// service pauses such a rule until an editor looks at it.
//
// The package is pure: it counts and judges, and the caller decides what a
// spike means. Counting (Add) is lock-free and allocation-free for a rule
// seen before, because it runs on every matched event; judging (Evaluate)
// runs in a background goroutine every few seconds.
package flood

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// slotsPerWindow is how finely the recent window is cut: the window is
// judged over whole slots, so a finer cut makes it slide more smoothly.
const slotsPerWindow = 6

// Config sets what counts as a spike.
type Config struct {
	// Factor is N: a rule spikes when its matches in the last Window are
	// more than Factor times its trailing average per Window.
	Factor float64
	// Min is the fewest matches in the last Window that can be a spike,
	// so that a rare rule going from one match to twenty is not one.
	Min int64
	// Window is the recent span judged, e.g. a minute.
	Window time.Duration
	// Baseline is the trailing span before Window whose average rate is
	// the rule's normal, e.g. an hour.
	Baseline time.Duration
}

// DefaultConfig is a minute judged against the hour before it.
func DefaultConfig() Config {
	return Config{Factor: 10, Min: 50, Window: time.Minute, Baseline: time.Hour}
}

// Validate reports a configuration that cannot judge anything.
func (c Config) Validate() error {
	switch {
	case c.Factor < 1:
		return fmt.Errorf("flood factor %v must be at least 1", c.Factor)
	case c.Min < 1:
		return fmt.Errorf("flood minimum %d must be at least 1", c.Min)
	case c.Window < slotsPerWindow*time.Millisecond:
		return fmt.Errorf("flood window %v is too short", c.Window)
	case c.Baseline < c.Window:
		return fmt.Errorf("flood baseline %v must be at least the window %v", c.Baseline, c.Window)
	}
	return nil
}

// Warmup is how much history a rule's baseline needs before it is judged:
// a sixth of the baseline span, and at least one window. Until then a
// freshly started instance (or a rule whose baseline was just reset) would
// judge ordinary traffic against an empty past.
func (c Config) Warmup() time.Duration { return max(c.Window, c.Baseline/6) }

// Spike is a rule whose recent rate jumped above Factor times its baseline.
// Rates are matches per minute, whatever the window.
type Spike struct {
	Rule     string
	Count    int64   // matches in the last window
	Rate     float64 // matches per minute in the last window
	Baseline float64 // average matches per minute over the trailing baseline
}

// Tracker counts matches per rule id and judges them against each rule's
// trailing baseline. Rule ids are bounded by the rule set, so so is its
// memory.
type Tracker struct {
	cfg   Config
	width time.Duration // one slot
	nWin  int64         // slots in the window
	nAll  int64         // slots kept: window and baseline
	nWarm int64         // slots of baseline history needed to judge

	counts sync.Map // rule id -> *atomic.Int64, drained by Evaluate

	mu    sync.Mutex
	start int64 // first slot the tracker saw
	hist  map[string]*history
}

// history is one rule's counts per slot, a ring indexed by slot number.
type history struct {
	ring []int64
	last int64 // newest slot advanced to
	hit  int64 // newest slot with a match
	// since is the first slot of this rule's usable history: the
	// tracker's start, or the slot after a Reset.
	since int64
}

// New returns a tracker; now is the start of every rule's history.
func New(cfg Config, now time.Time) (*Tracker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	width := cfg.Window / slotsPerWindow
	t := &Tracker{cfg: cfg, width: width, nWin: slotsPerWindow,
		nAll: slotsPerWindow + int64((cfg.Baseline+width-1)/width), hist: map[string]*history{}}
	t.nWarm = int64((cfg.Warmup() + width - 1) / width)
	t.start = t.slot(now)
	return t, nil
}

// Step is how often Evaluate is worth calling: the width of one slot, a
// sixth of the window.
func (t *Tracker) Step() time.Duration { return t.width }

// Config returns the tracker's configuration.
func (t *Tracker) Config() Config { return t.cfg }

func (t *Tracker) slot(now time.Time) int64 { return now.UnixNano() / int64(t.width) }

// Add counts one match of rule. It allocates only the first time it
// sees a rule id.
func (t *Tracker) Add(rule string) { t.AddN(rule, 1) }

// AddN counts n matches of rule, for a caller that counts matches
// itself and hands them over in batches.
func (t *Tracker) AddN(rule string, n int64) {
	if c, ok := t.counts.Load(rule); ok {
		c.(*atomic.Int64).Add(n)
		return
	}
	c, _ := t.counts.LoadOrStore(rule, new(atomic.Int64))
	c.(*atomic.Int64).Add(n)
}

// Reset forgets rule's history from now on: its baseline restarts and it
// is not judged again until it has warmed up (a rule an editor resumed
// after a genuine spike must not trip over its own spike).
func (t *Tracker) Reset(rule string, now time.Time) {
	if c, ok := t.counts.Load(rule); ok {
		c.(*atomic.Int64).Store(0)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	cur := t.slot(now)
	t.hist[rule] = &history{ring: make([]int64, t.nAll), last: cur, hit: cur, since: cur + 1}
}

// Evaluate moves the matches counted since the last call into the slot of
// now, and returns the rules that spike, in no particular order. A rule
// reported is Reset, so it is reported once per spike.
func (t *Tracker) Evaluate(now time.Time) []Spike {
	cur := t.slot(now)
	t.mu.Lock()
	defer t.mu.Unlock()
	var spikes []Spike
	t.counts.Range(func(k, v any) bool {
		rule, n := k.(string), v.(*atomic.Int64).Swap(0)
		h := t.hist[rule]
		if h == nil {
			if n == 0 {
				return true
			}
			h = &history{ring: make([]int64, t.nAll), last: cur, hit: cur, since: t.start}
			t.hist[rule] = h
		}
		h.advance(cur)
		if n > 0 {
			h.ring[cur%t.nAll] += n
			h.hit = cur
		}
		if s, ok := t.judge(rule, h, cur); ok {
			spikes = append(spikes, s)
			h.ring, h.since = make([]int64, t.nAll), cur+1
		}
		return true
	})
	// Forget rules silent for the whole span: their history is all zero,
	// which a new history reproduces.
	for rule, h := range t.hist {
		if cur-h.hit >= t.nAll && cur-h.since >= t.nAll {
			delete(t.hist, rule)
		}
	}
	return spikes
}

// advance zeroes the slots after the last one written up to cur.
func (h *history) advance(cur int64) {
	n := int64(len(h.ring))
	for s := max(h.last+1, cur-n+1); s <= cur; s++ {
		h.ring[s%n] = 0
	}
	h.last = max(h.last, cur)
}

// judge compares the last window with the average window of the baseline
// before it, counting only the baseline slots since the history began.
func (t *Tracker) judge(rule string, h *history, cur int64) (Spike, bool) {
	var recent, base, baseSlots int64
	for s := cur - t.nAll + 1; s <= cur; s++ {
		if s < h.since {
			continue
		}
		if s > cur-t.nWin {
			recent += h.ring[s%t.nAll]
		} else {
			base += h.ring[s%t.nAll]
			baseSlots++
		}
	}
	if baseSlots < t.nWarm || recent < t.cfg.Min {
		return Spike{}, false
	}
	perWindow := float64(base) * float64(t.nWin) / float64(baseSlots)
	if float64(recent) <= t.cfg.Factor*perWindow {
		return Spike{}, false
	}
	perMinute := float64(time.Minute) / float64(t.cfg.Window)
	return Spike{Rule: rule, Count: recent, Rate: float64(recent) * perMinute, Baseline: perWindow * perMinute}, true
}
