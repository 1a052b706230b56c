package track_test

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"signpost/store"
	"signpost/store/boltstore"
	"signpost/store/storetest"
	"signpost/track"
)

// flaky is the embedded store with faults injected: down fails every
// batch; lostReply applies a batch but reports failure, as a timeout after
// the store committed does.
type flaky struct {
	*boltstore.Store
	down, lostReply atomic.Bool
}

func (f *flaky) ApplyCounts(ctx context.Context, b store.CountBatch, onceTTL, retention time.Duration) error {
	if f.down.Load() {
		return store.ErrUnavailable
	}
	err := f.Store.ApplyCounts(ctx, b, onceTTL, retention)
	if err == nil && f.lostReply.Load() {
		return errors.New("reply lost")
	}
	return err
}

func totalsOf(t *testing.T, st *boltstore.Store, at time.Time) map[string]int64 {
	t.Helper()
	counts, err := st.Counts(context.Background(), "c", at.Unix()/3600-1, at.Unix()/3600+2)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, c := range counts {
		out[c.Key.Event] += c.N
	}
	return out
}

// TestCounterLosesNothingCountsOnce drives the counter through a reply
// lost after the store applied a batch, and through an outage: every
// event lands exactly once.
func TestCounterLosesNothingCountsOnce(t *testing.T) {
	ctx := context.Background()
	st := &flaky{Store: storetest.OpenBolt(t)}
	at := time.Now()
	c := track.NewCounter(st, track.CounterConfig{}, slog.New(slog.DiscardHandler))
	card := store.CountKey{Campaign: "c", Version: 1, Variant: "a", Locale: "ar", Platform: "acme", Kind: "search"}

	for range 5 {
		c.Served(card, "", true, at)
	}
	c.Interaction(card, track.EventImpression, "tok1", at)
	c.Interaction(card, track.EventImpression, "tok1", at) // reported twice
	c.Interaction(card, track.EventImpression, "tok2", at)
	st.lostReply.Store(true)
	if err := c.Flush(ctx); err == nil {
		t.Fatal("Flush reported success on a lost reply")
	}
	st.lostReply.Store(false)
	c.Served(card, "", true, at) // arrives while the first batch's fate is unknown
	for range 2 {
		if err := c.Flush(ctx); err != nil {
			t.Fatalf("Flush: %v", err)
		}
	}
	if got := totalsOf(t, st.Store, at); got[track.EventServed] != 6 || got[track.EventImpression] != 2 {
		t.Fatalf("after a lost reply: %v, want 6 served and 2 impressions", got)
	}

	st.down.Store(true)
	for range 1000 {
		c.Served(card, "", true, at)
	}
	for range 3 {
		if err := c.Flush(ctx); err == nil {
			t.Fatal("Flush reported success with the store down")
		}
	}
	if p := c.Pending(); p != 1000 {
		t.Errorf("pending during the outage = %d, want 1000", p)
	}
	st.down.Store(false)
	for range 2 {
		if err := c.Flush(ctx); err != nil {
			t.Fatalf("Flush after recovery: %v", err)
		}
	}
	if got := totalsOf(t, st.Store, at); got[track.EventServed] != 1006 {
		t.Errorf("after the outage: %v, want 1006 served", got)
	}
	// Flushed counts what the store accepted: the repeated report too,
	// which the store then counted once.
	if c.Pending() != 0 || c.Dropped() != 0 || c.Flushed() != 1006+3 {
		t.Errorf("pending %d dropped %d flushed %d; want 0, 0, 1009", c.Pending(), c.Dropped(), c.Flushed())
	}
}

// TestDesistance: a card on a search starts a 30-minute watch; another
// matching search by the same person ends it as a repeat, whether it
// comes in the same flush or a later one.
func TestDesistance(t *testing.T) {
	ctx := context.Background()
	st := storetest.OpenBolt(t)
	at := time.Now()
	c := track.NewCounter(st, track.CounterConfig{}, slog.New(slog.DiscardHandler))
	c.LoadSalts(ctx)
	card := store.CountKey{Campaign: "c", Version: 1, Variant: "a", Locale: "ar", Platform: "acme", Kind: "search"}

	c.Served(card, "s1", true, at)
	c.Served(card, "s2", true, at)
	c.Searched("s2", at.Add(time.Minute)) // same flush
	c.Served(card, "s3", true, at)
	c.Served(card, "s4", false, at) // a view: not watched
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	c.Searched("s1", at.Add(5*time.Minute)) // a later flush
	c.Searched("s5", at.Add(5*time.Minute)) // never shown a card
	for range 2 {
		if err := c.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got := totalsOf(t, st, at)
	if got[track.EventExposed] != 3 || got[track.EventRepeat] != 2 {
		t.Errorf("exposed %d repeats %d, want 3 and 2", got[track.EventExposed], got[track.EventRepeat])
	}
}
