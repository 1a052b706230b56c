package track_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"signpost/store"
	"signpost/store/boltstore"
	"signpost/store/storetest"
	"signpost/track"
)

// load stores, per locale, served cards to n distinct subjects and one
// impression each.
func load(t *testing.T, st *boltstore.Store, at time.Time, byLocale map[string]int) {
	t.Helper()
	b := store.CountBatch{ID: "load", Campaign: "c"}
	for loc, n := range byLocale {
		key := store.CountKey{Campaign: "c", Version: 1, Variant: "a", Locale: loc, Platform: "acme", Kind: "search", Hour: at.Unix() / 3600}
		served, impressions := key, key
		served.Event, impressions.Event = track.EventServed, track.EventImpression
		b.Counts = append(b.Counts, store.Count{Key: served, N: int64(n)}, store.Count{Key: impressions, N: int64(n)})
		add := store.UniqueAdd{Cell: store.UniqueCell{Day: track.Day(at), Variant: "a", Locale: loc, Platform: "acme"}}
		for i := range n {
			add.Hashes = append(add.Hashes, fmt.Appendf(nil, "%s-subject-%d", loc, i))
		}
		b.Uniques = append(b.Uniques, add)
	}
	if err := st.ApplyCounts(context.Background(), b, time.Hour, 24*time.Hour); err != nil {
		t.Fatal(err)
	}
}

// TestReportSuppression: by locale, one locale has 3 people. Hiding its
// row alone would not do: the total minus the other rows would give it
// back. So a second row is hidden too, and no hidden row equals the
// total minus the visible ones.
func TestReportSuppression(t *testing.T) {
	st := storetest.OpenBolt(t)
	at := time.Now().UTC()
	load(t, st, at, map[string]int{"en": 500, "ar": 3, "fr": 40, "fa": 120})
	day := at.Truncate(24 * time.Hour)
	rep, err := track.BuildReport(context.Background(), st, track.ReportQuery{Campaign: "c", From: day, To: day.AddDate(0, 0, 1),
		By: []string{"locale"}, Variants: []string{"a"}, Weights: []float64{1}, MinCount: 10})
	if err != nil {
		t.Fatal(err)
	}
	hidden := map[string]bool{}
	var visibleServed int64
	for _, r := range rep.Rows {
		if r.Suppressed {
			if r.Served != nil || r.Reach != nil || r.CTR != nil {
				t.Errorf("suppressed row %s shows figures: %+v", r.Locale, r.Figures)
			}
			hidden[r.Locale] = true
			continue
		}
		visibleServed += *r.Served
	}
	if !hidden["ar"] {
		t.Fatalf("the 3-person row is not hidden: %+v", rep.Rows)
	}
	if len(hidden) < 2 && !rep.Total.Suppressed {
		t.Fatalf("only %v hidden while the total is published: total - visible = %d reveals it", hidden, *rep.Total.Served-visibleServed)
	}
	if !hidden["fr"] || hidden["en"] || hidden["fa"] {
		t.Errorf("hidden rows %v, want ar and the smallest other row, fr", hidden)
	}
	if rep.Total.Suppressed || *rep.Total.Served != 663 {
		t.Errorf("total: %+v, want 663 served, shown", rep.Total)
	}
}

// TestReportComparesVariants: CTR of b against the control a, as a
// proportion test on impressions, and the SRM check on cards served.
func TestReportComparesVariants(t *testing.T) {
	st := storetest.OpenBolt(t)
	at := time.Now().UTC()
	b := store.CountBatch{ID: "ab", Campaign: "c"}
	for _, v := range []struct {
		variant                    string
		served, impressions, click int64
	}{{"a", 1000, 1000, 30}, {"b", 1000, 1000, 45}} {
		key := store.CountKey{Campaign: "c", Version: 1, Variant: v.variant, Locale: "en", Platform: "acme", Kind: "search", Hour: at.Unix() / 3600}
		for ev, n := range map[string]int64{track.EventServed: v.served, track.EventImpression: v.impressions, track.EventClick + "help": v.click} {
			k := key
			k.Event = ev
			b.Counts = append(b.Counts, store.Count{Key: k, N: n})
		}
		add := store.UniqueAdd{Cell: store.UniqueCell{Day: track.Day(at), Variant: v.variant, Locale: "en", Platform: "acme"}}
		for i := range 50 {
			add.Hashes = append(add.Hashes, fmt.Appendf(nil, "%s-%d", v.variant, i))
		}
		b.Uniques = append(b.Uniques, add)
	}
	if err := st.ApplyCounts(context.Background(), b, time.Hour, 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	day := at.Truncate(24 * time.Hour)
	rep, err := track.BuildReport(context.Background(), st, track.ReportQuery{Campaign: "c", From: day, To: day.AddDate(0, 0, 1),
		By: []string{"variant"}, Variants: []string{"a", "b"}, Weights: []float64{0.5, 0.5}, MinCount: 10})
	if err != nil {
		t.Fatal(err)
	}
	var ctr *track.Comparison
	for i := range rep.Comparisons {
		if rep.Comparisons[i].Metric == "ctr" {
			ctr = &rep.Comparisons[i]
		}
	}
	if ctr == nil || ctr.Variant != "b" {
		t.Fatalf("comparisons %+v, want b's ctr", rep.Comparisons)
	}
	if d := ctr.Uplift.Expected - 0.5; d > 1e-9 || d < -1e-9 { // 4.5% vs 3%: +50%
		t.Errorf("ctr uplift %v, want 0.5", ctr.Uplift.Expected)
	}
	if !(ctr.Uplift.Low < 0.5 && ctr.Uplift.High > 0.5 && ctr.Sequential.High-ctr.Sequential.Low > ctr.Uplift.High-ctr.Uplift.Low) {
		t.Errorf("intervals: fixed %+v, sequential %+v (the sequential one must be wider)", ctr.Uplift, ctr.Sequential)
	}
	if ctr.ChanceToWin < 0.9 || ctr.ChanceToWin > 1 {
		t.Errorf("chance to win %v", ctr.ChanceToWin)
	}
	if rep.SRM.PValue != 1 || rep.SRM.Warning {
		t.Errorf("SRM on an exact 1000/1000 split: %+v", rep.SRM)
	}
}
