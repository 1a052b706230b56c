package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"signpost/store"
)

// record returns a campaign record at revision rev with n versions and an
// audit entry per version, timed at offsets so two records interleave.
func record(id string, rev int64, n, offset int) store.CampaignRecord {
	r := store.CampaignRecord{Campaign: store.Campaign{ID: id, Rev: rev, State: fmt.Appendf(nil, `{"live":%d}`, n), Draft: draft(id, "working", "ar", "en")}}
	for v := 1; v <= n; v++ {
		r.Versions = append(r.Versions, store.CampaignVersion{CampaignID: id, Version: int64(v),
			Draft: draft(id, fmt.Sprint("v", v), "en", "ckb"), CreatedAt: at(10 * v), CreatedBy: "tok1"})
		r.Audit = append(r.Audit, store.AuditEntry{Time: at(10*v + offset), Campaign: id, Action: "publish",
			ActorID: "tok1", RevBefore: int64(v), RevAfter: int64(v + 1), LiveAfter: int64(v)})
	}
	return r
}

func runBackup(t *testing.T, open Opener) {
	t.Run("RestoreCampaigns", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a, b := record("alpha", 7, 3, 1), record("rules.ar", 4, 2, 2)
		if err := s.RestoreCampaigns(ctx, []store.CampaignRecord{a, b}); err != nil {
			t.Fatalf("RestoreCampaigns: %v", err)
		}
		for _, r := range []store.CampaignRecord{a, b} {
			got, err := s.Campaign(ctx, r.Campaign.ID)
			if err != nil {
				t.Fatalf("Campaign(%q): %v", r.Campaign.ID, err)
			}
			diff(t, "restored campaign "+r.Campaign.ID, r.Campaign, got)
			versions, err := s.ListCampaignVersions(ctx, r.Campaign.ID)
			if err != nil {
				t.Fatalf("ListCampaignVersions(%q): %v", r.Campaign.ID, err)
			}
			diff(t, "restored versions of "+r.Campaign.ID, r.Versions, versions)
			audit, err := s.Audit(ctx, r.Campaign.ID)
			if err != nil {
				t.Fatalf("Audit(%q): %v", r.Campaign.ID, err)
			}
			diff(t, "restored audit of "+r.Campaign.ID, r.Audit, audit)
		}
		all, err := s.Audit(ctx, "")
		if err != nil {
			t.Fatalf("Audit(all): %v", err)
		}
		// The two logs interleave by time: a1 b1 a2 b2 a3.
		want := []store.AuditEntry{a.Audit[0], b.Audit[0], a.Audit[1], b.Audit[1], a.Audit[2]}
		diff(t, "whole audit log after restore", want, all)

		// Editing goes on from the restored revision.
		mustSave(t, s, save("alpha", 7, draft("alpha", "next", "en"), "edit", 99))

		// One existing campaign refuses the whole batch.
		err = s.RestoreCampaigns(ctx, []store.CampaignRecord{record("gamma", 1, 1, 0), record("rules.ar", 1, 1, 0)})
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("RestoreCampaigns over an existing one: err = %v, want ErrConflict", err)
		}
		wantNotFound(t, "gamma after a refused restore", func() error { _, err := s.Campaign(ctx, "gamma"); return err }())
		got, err := s.Campaign(ctx, "rules.ar")
		if err != nil || got.Rev != 4 {
			t.Errorf("rules.ar after a refused restore = rev %d, %v; want rev 4 untouched", got.Rev, err)
		}
	})
	t.Run("AppendSecurityEvents", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		first := store.AuditEntry{Time: at(0), Campaign: "security", Action: "signin", ActorID: "u0"}
		if err := s.AppendSecurityEvent(ctx, first); err != nil {
			t.Fatalf("AppendSecurityEvent: %v", err)
		}
		want := []store.AuditEntry{first}
		var batch []store.AuditEntry
		for i := range 2500 { // more than one Redis chunk
			batch = append(batch, store.AuditEntry{Time: at(i), Campaign: "security", Action: "denied", ActorID: fmt.Sprint("t", i)})
		}
		if err := s.AppendSecurityEvents(ctx, batch); err != nil {
			t.Fatalf("AppendSecurityEvents: %v", err)
		}
		if err := s.AppendSecurityEvents(ctx, nil); err != nil {
			t.Fatalf("AppendSecurityEvents(none): %v", err)
		}
		got, err := s.SecurityEvents(ctx)
		if err != nil {
			t.Fatalf("SecurityEvents: %v", err)
		}
		diff(t, "security log", append(want, batch...), got)
	})
	t.Run("ExpiringSecrets", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		_, err := s.PeekExpiringSecret(ctx, "card-key:2026-11")
		wantNotFound(t, "peek at a missing secret", err)
		before := time.Now()
		if _, err := s.ExpiringSecret(ctx, "card-key:2026-11", time.Hour, constant("generated")); err != nil {
			t.Fatalf("ExpiringSecret: %v", err)
		}
		got, err := s.PeekExpiringSecret(ctx, "card-key:2026-11")
		if err != nil {
			t.Fatalf("PeekExpiringSecret: %v", err)
		}
		if string(got.Value) != "generated" || got.Expires.Before(before.Add(time.Hour-time.Second)) || got.Expires.After(time.Now().Add(time.Hour+time.Second)) {
			t.Errorf("PeekExpiringSecret = %q until %v; want %q about an hour from now", got.Value, got.Expires, "generated")
		}

		set := store.ExpiringValue{Name: "card-key:2026-11", Value: []byte("restored"), Expires: time.Now().Add(40 * 24 * time.Hour).Truncate(time.Millisecond).UTC()}
		if err := s.SetExpiringSecret(ctx, set); err != nil {
			t.Fatalf("SetExpiringSecret: %v", err)
		}
		got, err = s.PeekExpiringSecret(ctx, set.Name)
		if err != nil {
			t.Fatalf("PeekExpiringSecret after Set: %v", err)
		}
		diff(t, "peeked secret after Set", set, got)
		if v, err := s.ExpiringSecret(ctx, set.Name, time.Hour, mustNotGenerate(t)); err != nil || string(v) != "restored" {
			t.Errorf("ExpiringSecret after Set = %q, %v; want %q", v, err, "restored")
		}

		past := store.ExpiringValue{Name: "card-key:2020-01", Value: []byte("old"), Expires: time.Now().Add(-time.Hour)}
		if err := s.SetExpiringSecret(ctx, past); err != nil {
			t.Fatalf("SetExpiringSecret(expired): %v", err)
		}
		_, err = s.PeekExpiringSecret(ctx, past.Name)
		wantNotFound(t, "peek at a secret set already expired", err)
	})
	t.Run("RestorePausedRules", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		kept := store.PausedRule{Rule: "ar.crossing.boat", PausedAt: at(1), Rate: 120.5, Baseline: 3.25, Count: 241, KeptBy: "editor-1", KeptAt: at(2)}
		fresh := store.PausedRule{Rule: "en.smuggler.price", PausedAt: at(3), Rate: 80, Baseline: 1, Count: 160}
		if err := s.RestorePausedRules(ctx, []store.PausedRule{kept, fresh}); err != nil {
			t.Fatalf("RestorePausedRules: %v", err)
		}
		got, err := s.PausedRules(ctx)
		if err != nil {
			t.Fatalf("PausedRules: %v", err)
		}
		diff(t, "restored paused rules", []store.PausedRule{kept, fresh}, got)
		if audit, err := s.Audit(ctx, ""); err != nil || len(audit) != 0 {
			t.Errorf("audit log after RestorePausedRules = %v, %v; want it untouched", audit, err)
		}
		// A restored pause is an ordinary one: resuming it works.
		if _, err := s.ResumeRule(ctx, fresh.Rule, store.AuditEntry{Time: at(4), Campaign: "rules.en", Action: "rule_resumed"}); err != nil {
			t.Errorf("ResumeRule of a restored pause: %v", err)
		}
	})
	t.Run("Clear", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		must := func(what string, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		}
		must("CreateToken", s.CreateToken(ctx, token("t1")))
		must("CreateUser", s.CreateUser(ctx, user("u1")))
		must("SaveSession", s.SaveSession(ctx, session("s1", "u1"), time.Hour))
		mustSave(t, s, save("c1", 0, draft("c1", "v1", "en"), "create", 1))
		must("AppendSecurityEvent", s.AppendSecurityEvent(ctx, store.AuditEntry{Campaign: "security", Action: "x"}))
		must("ApplyCounts", s.ApplyCounts(ctx, store.CountBatch{ID: "b1", Campaign: "c1",
			Counts:  []store.Count{{Key: countKey("c1", "served", baseHour), N: 3}},
			Uniques: []store.UniqueAdd{{Cell: store.UniqueCell{Day: "2025-07-23"}, Hashes: subjects(0, 3)}},
		}, onceTTL, retention))
		_, err := s.ExpiringSecret(ctx, "reach-salt:2025-07-23", time.Hour, constant("salt"))
		must("ExpiringSecret", err)
		_, err = s.Secret(ctx, "session", constant("key"))
		must("Secret", err)
		must("RestorePausedRules", s.RestorePausedRules(ctx, []store.PausedRule{{Rule: "ar.crossing.boat", PausedAt: at(1)}}))
		gen, err := s.BumpGeneration(ctx)
		must("BumpGeneration", err)

		must("Clear", s.Clear(ctx))

		tokens, err := s.ListTokens(ctx)
		must("ListTokens", err)
		users, err := s.ListUsers(ctx)
		must("ListUsers", err)
		campaigns, err := s.ListCampaigns(ctx)
		must("ListCampaigns", err)
		audit, err := s.Audit(ctx, "")
		must("Audit", err)
		security, err := s.SecurityEvents(ctx)
		must("SecurityEvents", err)
		counts, err := s.Counts(ctx, "c1", baseHour-24, baseHour+24)
		must("Counts", err)
		if len(tokens)+len(users)+len(campaigns)+len(audit)+len(security)+len(counts) != 0 {
			t.Errorf("after Clear: %d tokens, %d users, %d campaigns, %d audit entries, %d security events, %d counts; want none",
				len(tokens), len(users), len(campaigns), len(audit), len(security), len(counts))
		}
		if n, err := s.UniqueCount(ctx, "c1", []store.UniqueCell{{Day: "2025-07-23"}}); err != nil || n != 0 {
			t.Errorf("UniqueCount after Clear = %d, %v; want 0", n, err)
		}
		_, err = s.Session(ctx, session("s1", "u1").Hash)
		wantNotFound(t, "session after Clear", err)
		if p, err := s.PausedRules(ctx); err != nil || len(p) != 0 {
			t.Errorf("paused rules after Clear = %v, %v; want none", p, err)
		}
		_, err = s.PeekExpiringSecret(ctx, "reach-salt:2025-07-23")
		wantNotFound(t, "expiring secret after Clear", err)
		if v, err := s.Secret(ctx, "session", constant("fresh")); err != nil || string(v) != "fresh" {
			t.Errorf("Secret after Clear = %q, %v; want a fresh value", v, err)
		}
		if g, err := s.Generation(ctx); err != nil || g != gen {
			t.Errorf("Generation after Clear = %d, %v; want %d kept", g, err, gen)
		}
		// Names and ids are free again, claims included.
		must("CreateToken after Clear", s.CreateToken(ctx, token("t1")))
		must("CreateUser after Clear", s.CreateUser(ctx, user("u1")))
	})
	t.Run("CancelledContext", func(t *testing.T) {
		s := open(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		v := store.ExpiringValue{Name: "k", Value: []byte("v"), Expires: time.Now().Add(time.Hour)}
		for name, call := range map[string]func() error{
			"RestoreCampaigns":     func() error { return s.RestoreCampaigns(ctx, []store.CampaignRecord{record("c1", 1, 1, 0)}) },
			"AppendSecurityEvents": func() error { return s.AppendSecurityEvents(ctx, []store.AuditEntry{{Action: "x"}}) },
			"PeekExpiringSecret":   func() error { _, err := s.PeekExpiringSecret(ctx, "k"); return err },
			"SetExpiringSecret":    func() error { return s.SetExpiringSecret(ctx, v) },
			"Clear":                func() error { return s.Clear(ctx) },
			"RestorePausedRules":   func() error { return s.RestorePausedRules(ctx, []store.PausedRule{{Rule: "r"}}) },
		} {
			if err := call(); !errors.Is(err, context.Canceled) {
				t.Errorf("%s with cancelled context: err = %v, want context.Canceled", name, err)
			}
		}
		_, err := s.Campaign(t.Context(), "c1")
		wantNotFound(t, "campaign restored despite cancelled context", err)
	})
}
