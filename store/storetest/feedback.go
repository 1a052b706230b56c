package storetest

import (
	"testing"
	"time"

	"signpost/store"
)

const activityRetention = 400 * 24 * time.Hour

func activity(lang, day, rule, category, campaign, event, platform string, n int64) store.ActivityCount {
	return store.ActivityCount{Key: store.ActivityKey{Language: lang, Day: day, Rule: rule, Category: category,
		Campaign: campaign, Event: event, Platform: platform}, N: n}
}

func atHour(c store.ActivityCount, h int) store.ActivityCount {
	c.Key.Hour = h
	return c
}

func runFeedback(t *testing.T, open Opener) {
	now := time.Now().UTC()
	today, yesterday := now.Format(time.DateOnly), now.AddDate(0, 0, -1).Format(time.DateOnly)
	old := now.AddDate(-2, 0, 0).Format(time.DateOnly) // past a 400-day retention

	t.Run("ApplyAndRead", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		got, err := s.Activity(ctx, "en", yesterday, today)
		if err != nil {
			t.Fatalf("Activity on an empty store: %v", err)
		}
		diff(t, "empty Activity", []store.ActivityCount(nil), got)
		langs, err := s.ActivityLanguages(ctx)
		if err != nil {
			t.Fatalf("ActivityLanguages on an empty store: %v", err)
		}
		diff(t, "empty ActivityLanguages", []string(nil), langs)

		en := store.ActivityBatch{ID: "b1", Language: "en", Counts: []store.ActivityCount{
			activity("en", today, "en.crossing.boat", "", "", store.ActivitySearch, "", 40),
			activity("en", today, "en.crossing.boat", "", "", store.ActivityFalsePositive, "meta", 2),
			activity("en", yesterday, "en.crossing.boat", "", "", store.ActivityView, "", 7),
			activity("en", yesterday, "en.smuggler.offer", "", "", store.ActivityMissed, "tiktok", 1),
			atHour(activity("en", yesterday, "en.crossing.boat", "", "", store.ActivityView, "", 5), 23),
			activity("en", old, "en.crossing.boat", "", "", store.ActivitySearch, "", 99), // expired: dropped
		}}
		if err := s.ApplyActivity(ctx, en, activityRetention); err != nil {
			t.Fatalf("ApplyActivity: %v", err)
		}
		// A retry of the same batch (its reply was lost) adds nothing.
		if err := s.ApplyActivity(ctx, en, activityRetention); err != nil {
			t.Fatalf("ApplyActivity retried: %v", err)
		}
		more := store.ActivityBatch{ID: "b2", Language: "en", Counts: []store.ActivityCount{
			activity("en", today, "en.crossing.boat", "", "", store.ActivitySearch, "", 2),
		}}
		if err := s.ApplyActivity(ctx, more, activityRetention); err != nil {
			t.Fatalf("ApplyActivity: %v", err)
		}
		unscoped := store.ActivityBatch{ID: "b1", Language: "", Counts: []store.ActivityCount{
			activity("", today, "", "crossing", "", store.ActivityMissed, "meta", 3),
			activity("", today, "", "", "small-boats", store.ActivityFalsePositive, "meta", 1),
		}}
		if err := s.ApplyActivity(ctx, unscoped, activityRetention); err != nil {
			t.Fatalf("ApplyActivity (no language; a batch id another language used): %v", err)
		}

		got, err = s.Activity(ctx, "en", yesterday, today)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "Activity en", []store.ActivityCount{
			activity("en", yesterday, "en.crossing.boat", "", "", store.ActivityView, "", 7),
			activity("en", yesterday, "en.smuggler.offer", "", "", store.ActivityMissed, "tiktok", 1),
			atHour(activity("en", yesterday, "en.crossing.boat", "", "", store.ActivityView, "", 5), 23),
			activity("en", today, "en.crossing.boat", "", "", store.ActivityFalsePositive, "meta", 2),
			activity("en", today, "en.crossing.boat", "", "", store.ActivitySearch, "", 42),
		}, got)
		got, err = s.Activity(ctx, "en", today, today)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Errorf("Activity of today alone = %v, want today's 2 cells", got)
		}
		got, err = s.Activity(ctx, "", today, today)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "Activity without language", []store.ActivityCount{
			activity("", today, "", "", "small-boats", store.ActivityFalsePositive, "meta", 1),
			activity("", today, "", "crossing", "", store.ActivityMissed, "meta", 3),
		}, got)
		got, err = s.Activity(ctx, "fr", yesterday, today)
		if err != nil || len(got) != 0 {
			t.Errorf("Activity fr = %v, %v; want none", got, err)
		}
		langs, err = s.ActivityLanguages(ctx)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "ActivityLanguages", []string{"", "en"}, langs)
	})

	t.Run("RejectsMixedBatch", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		for name, b := range map[string]store.ActivityBatch{
			"other language": {ID: "x", Language: "en", Counts: []store.ActivityCount{
				activity("fr", today, "fr.a", "", "", store.ActivitySearch, "", 1)}},
			"rule of another language": {ID: "x", Language: "en", Counts: []store.ActivityCount{
				activity("en", today, "fr.a", "", "", store.ActivitySearch, "", 1)}},
			"rule and category": {ID: "x", Language: "en", Counts: []store.ActivityCount{
				activity("en", today, "en.a", "crossing", "", store.ActivitySearch, "", 1)}},
			"no id": {Language: "en", Counts: []store.ActivityCount{
				activity("en", today, "en.a", "", "", store.ActivitySearch, "", 1)}},
			"bad hour": {ID: "x", Language: "en", Counts: []store.ActivityCount{
				atHour(activity("en", today, "en.a", "", "", store.ActivitySearch, "", 1), 24)}},
			"bad day": {ID: "x", Language: "en", Counts: []store.ActivityCount{
				activity("en", "yesterday", "en.a", "", "", store.ActivitySearch, "", 1)}},
		} {
			if err := s.ApplyActivity(ctx, b, activityRetention); err == nil {
				t.Errorf("ApplyActivity with %s: no error", name)
			}
		}
		got, err := s.Activity(ctx, "en", yesterday, today)
		if err != nil || len(got) != 0 {
			t.Errorf("after refused batches Activity = %v, %v; want nothing written", got, err)
		}
	})
}
