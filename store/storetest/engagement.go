package storetest

import (
	"cmp"
	"crypto/sha256"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"signpost/store"
)

// Engagement fixtures. Hours are fixed: baseHour is 22:00 UTC on
// 2025-07-23, so baseHour+2 falls on the next day, crossing the Redis
// store's day hashes.
const (
	baseHour  int64 = 20292*24 + 22
	retention       = 48 * time.Hour
	onceTTL         = time.Hour
)

// countKey returns a count cell of campaign.
func countKey(campaign, event string, hour int64) store.CountKey {
	return store.CountKey{Campaign: campaign, Version: 3, Variant: "b", Locale: "ckb", Platform: "android", Kind: "card", Event: event, Hour: hour}
}

// oddKey is a count cell whose strings hold separators, quotes, a zero
// byte and non-Latin text, which every encoding must round-trip.
func oddKey(campaign string, hour int64) store.CountKey {
	return store.CountKey{Campaign: campaign, Version: -1, Variant: `a|b:c"{x}`, Locale: "ar\x00", Platform: "%3A:", Kind: "", Event: "click:تسجيل|x", Hour: hour}
}

// subjects returns the salted hashes of subjects from to to-1.
func subjects(from, to int) [][]byte {
	var hs [][]byte
	for i := from; i < to; i++ {
		sum := sha256.Sum256(fmt.Appendf(nil, "salt/subject-%d", i))
		hs = append(hs, sum[:])
	}
	return hs
}

// sortCounts orders counts by hour and then by key, as neither store
// promises an order.
func sortCounts(cs []store.Count) []store.Count {
	cs = slices.Clone(cs)
	slices.SortFunc(cs, func(a, b store.Count) int {
		return cmp.Or(cmp.Compare(a.Key.Hour, b.Key.Hour), cmp.Compare(fmt.Sprint(a.Key), fmt.Sprint(b.Key)))
	})
	return cs
}

// mustApply applies b with the default TTLs, failing t on error.
func mustApply(t *testing.T, s store.Engagement, b store.CountBatch) {
	t.Helper()
	if err := s.ApplyCounts(t.Context(), b, onceTTL, retention); err != nil {
		t.Fatalf("ApplyCounts(%s): %v", b.ID, err)
	}
}

// wantCounts fails t unless campaign's counts in [from, to) are want.
func wantCounts(t *testing.T, s store.Engagement, campaign string, from, to int64, want []store.Count) {
	t.Helper()
	got, err := s.Counts(t.Context(), campaign, from, to)
	if err != nil {
		t.Fatalf("Counts(%q, %d, %d): %v", campaign, from, to, err)
	}
	diff(t, fmt.Sprintf("Counts(%q, +%d, +%d)", campaign, from-baseHour, to-baseHour), sortCounts(want), sortCounts(got))
}

// wantUnique fails t unless the union of cells estimates want within 5%.
func wantUnique(t *testing.T, s store.Engagement, campaign string, want int64, cells ...store.UniqueCell) {
	t.Helper()
	got, err := s.UniqueCount(t.Context(), campaign, cells)
	if err != nil {
		t.Fatalf("UniqueCount(%q, %v): %v", campaign, cells, err)
	}
	if d := got - want; 20*d > want || 20*d < -want || (want == 0 && got != 0) {
		t.Errorf("UniqueCount(%q, %v) = %d, want %d within 5%%", campaign, cells, got, want)
	}
}

func runEngagement(t *testing.T, open Opener) {
	t.Run("CountsAddUp", func(t *testing.T) {
		s := open(t)
		a, b, c, odd := countKey("c1", "impression", baseHour), countKey("c1", "click:ok", baseHour), countKey("c1", "served", baseHour+2), oddKey("c1", baseHour+1)
		mustApply(t, s, store.CountBatch{ID: "b1", Campaign: "c1", Counts: []store.Count{{Key: a, N: 2}, {Key: b, N: 1}, {Key: c, N: 5}}})
		mustApply(t, s, store.CountBatch{ID: "b2", Campaign: "c1", Counts: []store.Count{{Key: a, N: 3}, {Key: c, N: 1}, {Key: odd, N: 4}, {Key: b, N: 0}}})
		wantCounts(t, s, "c1", baseHour, baseHour+3, []store.Count{{Key: a, N: 5}, {Key: b, N: 1}, {Key: odd, N: 4}, {Key: c, N: 6}})
	})
	t.Run("RetriedBatchAppliedOnce", func(t *testing.T) {
		s := open(t)
		k, once := countKey("c1", "impression", baseHour), countKey("c1", "dismiss", baseHour)
		cell := store.UniqueCell{Day: "2025-07-23", Variant: "b", Locale: "ckb", Platform: "android"}
		batch := store.CountBatch{ID: "b1", Campaign: "c1",
			Counts:  []store.Count{{Key: k, N: 2}},
			Once:    []store.OnceCount{{Key: once, IDs: []string{"tok1"}}},
			Uniques: []store.UniqueAdd{{Cell: cell, Hashes: subjects(0, 10)}},
		}
		mustApply(t, s, batch)
		mustApply(t, s, batch)
		mustApply(t, s, store.CountBatch{ID: "b2", Campaign: "c1", Counts: []store.Count{{Key: k, N: 1}}})
		mustApply(t, s, batch)
		wantCounts(t, s, "c1", baseHour, baseHour+1, []store.Count{{Key: k, N: 3}, {Key: once, N: 1}})
		wantUnique(t, s, "c1", 10, cell)
		// Batch ids are per campaign.
		other := countKey("c2", "impression", baseHour)
		mustApply(t, s, store.CountBatch{ID: "b1", Campaign: "c2", Counts: []store.Count{{Key: other, N: 7}}})
		wantCounts(t, s, "c2", baseHour, baseHour+1, []store.Count{{Key: other, N: 7}})
	})
	t.Run("OnceCountsEachID", func(t *testing.T) {
		s := open(t)
		click, dismiss := countKey("c1", "click:ok", baseHour), countKey("c1", "dismiss", baseHour+1)
		mustApply(t, s, store.CountBatch{ID: "b1", Campaign: "c1", Once: []store.OnceCount{{Key: click, IDs: []string{"t1", "t2", "t2"}}}})
		mustApply(t, s, store.CountBatch{ID: "b2", Campaign: "c1", Once: []store.OnceCount{{Key: click, IDs: []string{"t2", "t3"}}, {Key: dismiss, IDs: []string{"d1"}}}})
		// All seen before: nothing to add, so no cell appears for it.
		none := countKey("c1", "continue", baseHour)
		mustApply(t, s, store.CountBatch{ID: "b3", Campaign: "c1", Once: []store.OnceCount{{Key: click, IDs: []string{"t1"}}, {Key: none, IDs: []string{"t3"}}}})
		wantCounts(t, s, "c1", baseHour, baseHour+2, []store.Count{{Key: click, N: 3}, {Key: dismiss, N: 1}})
	})
	t.Run("CountsFilter", func(t *testing.T) {
		s := open(t)
		var in []store.Count
		for h := baseHour - 1; h <= baseHour+2; h++ {
			k := countKey("c1", "served", h)
			mustApply(t, s, store.CountBatch{ID: fmt.Sprint("b", h), Campaign: "c1", Counts: []store.Count{{Key: k, N: h - baseHour + 10}}})
			if h >= baseHour && h < baseHour+2 {
				in = append(in, store.Count{Key: k, N: h - baseHour + 10})
			}
		}
		other := countKey("c2", "served", baseHour)
		mustApply(t, s, store.CountBatch{ID: "b", Campaign: "c2", Counts: []store.Count{{Key: other, N: 1}}})
		wantCounts(t, s, "c1", baseHour, baseHour+2, in)
		wantCounts(t, s, "c2", baseHour-24, baseHour+24, []store.Count{{Key: other, N: 1}})
		wantCounts(t, s, "c1", baseHour+3, baseHour+9, nil)
		wantCounts(t, s, "c1", baseHour+1, baseHour+1, nil)
		wantCounts(t, s, "c3", baseHour-1, baseHour+3, nil)
	})
	t.Run("Uniques", func(t *testing.T) {
		s := open(t)
		a := store.UniqueCell{Day: "2025-07-23", Variant: "b", Locale: "ckb", Platform: "android"}
		b := store.UniqueCell{Day: "2025-07-23", Variant: "b", Locale: "ckb", Platform: "ios"}
		colon := store.UniqueCell{Day: "2025-07-23", Variant: "b:ckb", Locale: "android", Platform: ""}
		mustApply(t, s, store.CountBatch{ID: "b1", Campaign: "c1", Uniques: []store.UniqueAdd{{Cell: a, Hashes: subjects(0, 1000)}}})
		wantUnique(t, s, "c1", 1000, a)
		first, err := s.UniqueCount(t.Context(), "c1", []store.UniqueCell{a})
		if err != nil {
			t.Fatalf("UniqueCount: %v", err)
		}
		mustApply(t, s, store.CountBatch{ID: "b2", Campaign: "c1", Uniques: []store.UniqueAdd{{Cell: a, Hashes: subjects(0, 1000)}, {Cell: b, Hashes: subjects(500, 1500)}}})
		if again, err := s.UniqueCount(t.Context(), "c1", []store.UniqueCell{a}); err != nil || again != first {
			t.Errorf("UniqueCount after re-adding the same subjects = %d, %v; want %d", again, err, first)
		}
		wantUnique(t, s, "c1", 1000, b)
		wantUnique(t, s, "c1", 1500, a, b)
		wantUnique(t, s, "c1", 0, colon)
		wantUnique(t, s, "c2", 0, a, b)
		wantUnique(t, s, "c1", 0)
	})
	t.Run("ExpiringSecretShared", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		const n = 8
		var calls atomic.Int64
		generate := func() ([]byte, error) { return fmt.Appendf(nil, "salt-%d", calls.Add(1)), nil }
		got := make([][]byte, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				v, err := s.ExpiringSecret(ctx, "salt", time.Hour, generate)
				if err != nil {
					t.Errorf("ExpiringSecret #%d: %v", i, err)
				}
				got[i] = v
			})
		}
		wg.Wait()
		for i := range got {
			diff(t, fmt.Sprintf("ExpiringSecret #%d vs #0", i), got[0], got[i])
		}
		after, err := s.ExpiringSecret(ctx, "salt", time.Hour, mustNotGenerate(t))
		if err != nil {
			t.Fatalf("ExpiringSecret after concurrent calls: %v", err)
		}
		diff(t, "ExpiringSecret after concurrent calls", got[0], after)
		other, err := s.ExpiringSecret(ctx, "other", time.Hour, constant("other"))
		if err != nil {
			t.Fatalf("ExpiringSecret(other): %v", err)
		}
		diff(t, "ExpiringSecret(other)", []byte("other"), other)
	})
	t.Run("Markers", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		set := func(want []bool, ms ...store.Marker) {
			t.Helper()
			got, err := s.SetMarkers(ctx, ms, time.Hour)
			if err != nil {
				t.Fatalf("SetMarkers(%v): %v", ms, err)
			}
			diff(t, fmt.Sprintf("SetMarkers(%v)", ms), want, got)
		}
		take := func(want []store.Marker, keys ...string) {
			t.Helper()
			got, err := s.TakeMarkers(ctx, keys)
			if err != nil {
				t.Fatalf("TakeMarkers(%v): %v", keys, err)
			}
			diff(t, fmt.Sprintf("TakeMarkers(%v)", keys), want, got)
		}
		set([]bool{true, true, false}, store.Marker{Key: "a", Value: "v1"}, store.Marker{Key: "b", Value: "v2"}, store.Marker{Key: "a", Value: "v3"})
		set([]bool{false, true}, store.Marker{Key: "a", Value: "v4"}, store.Marker{Key: "c", Value: "v5"})
		take([]store.Marker{{Key: "a", Value: "v1"}, {Key: "b", Value: "v2"}, {Key: "x"}}, "a", "b", "x")
		take([]store.Marker{{Key: "a"}, {Key: "c", Value: "v5"}}, "a", "c")
		set([]bool{true}, store.Marker{Key: "a", Value: "v6"})
		take([]store.Marker{{Key: "a", Value: "v6"}}, "a")
	})
	t.Run("Expiry", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		const ttl = time.Second
		k, once := countKey("c1", "impression", baseHour), countKey("c1", "dismiss", baseHour)
		cell := store.UniqueCell{Day: "2025-07-23", Variant: "b", Locale: "ckb", Platform: "android"}
		err := s.ApplyCounts(ctx, store.CountBatch{ID: "short", Campaign: "c1",
			Counts:  []store.Count{{Key: k, N: 1}},
			Once:    []store.OnceCount{{Key: once, IDs: []string{"tok1"}}},
			Uniques: []store.UniqueAdd{{Cell: cell, Hashes: subjects(0, 5)}},
		}, ttl, ttl)
		if err != nil {
			t.Fatalf("ApplyCounts: %v", err)
		}
		if v, err := s.ExpiringSecret(ctx, "salt", ttl, constant("first")); err != nil || string(v) != "first" {
			t.Fatalf("ExpiringSecret = %q, %v; want first", v, err)
		}
		if ok, err := s.SetMarkers(ctx, []store.Marker{{Key: "m", Value: "v"}}, ttl); err != nil || !ok[0] {
			t.Fatalf("SetMarkers = %v, %v; want stored", ok, err)
		}
		wantCounts(t, s, "c1", baseHour, baseHour+1, []store.Count{{Key: k, N: 1}, {Key: once, N: 1}})

		time.Sleep(ttl + 200*time.Millisecond)
		wantCounts(t, s, "c1", baseHour, baseHour+1, nil)
		wantUnique(t, s, "c1", 0, cell)
		if v, err := s.ExpiringSecret(ctx, "salt", ttl, constant("second")); err != nil || string(v) != "second" {
			t.Errorf("ExpiringSecret after expiry = %q, %v; want second", v, err)
		}
		if got, err := s.TakeMarkers(ctx, []string{"m"}); err != nil || got[0].Value != "" {
			t.Errorf("TakeMarkers after expiry = %v, %v; want no value", got, err)
		}
		// The once id and the batch id expired too: both count again.
		mustApply(t, s, store.CountBatch{ID: "short", Campaign: "c1", Once: []store.OnceCount{{Key: once, IDs: []string{"tok1"}}}})
		wantCounts(t, s, "c1", baseHour, baseHour+1, []store.Count{{Key: once, N: 1}})
	})
}
