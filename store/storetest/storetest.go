// Package storetest is the conformance suite every store.Store must pass, so
// the service can treat the embedded and the Redis store alike.
package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"signpost/store"
)

// Opener returns a fresh, empty store for one subtest. It should register
// its own cleanup; the suite may Close the store before that cleanup runs.
type Opener = func(t *testing.T) store.Store

// Run runs the conformance suite, opening a fresh store for every subtest.
func Run(t *testing.T, open Opener) {
	t.Run("Tokens", func(t *testing.T) { runTokens(t, open) })
	t.Run("Campaigns", func(t *testing.T) { runCampaigns(t, open) })
	t.Run("SecurityLog", func(t *testing.T) { runSecurityLog(t, open) })
	t.Run("Secrets", func(t *testing.T) { runSecrets(t, open) })
	t.Run("Engagement", func(t *testing.T) { runEngagement(t, open) })
	t.Run("Accounts", func(t *testing.T) { runAccounts(t, open) })
	t.Run("PausedRules", func(t *testing.T) { runPausedRules(t, open) })
	t.Run("Webhooks", func(t *testing.T) { runWebhooks(t, open) })
	t.Run("Feedback", func(t *testing.T) { runFeedback(t, open) })
	t.Run("Backup", func(t *testing.T) { runBackup(t, open) })
	t.Run("Lifecycle", func(t *testing.T) { runLifecycle(t, open) })
}

// diff fails t if got and want differ. Nil and empty maps and slices count
// as equal: a store may decode an empty definition or content either way,
// and callers cannot tell.
func diff(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// wantNotFound fails t unless err is store.ErrNotFound.
func wantNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("%s: err = %v, want store.ErrNotFound", what, err)
	}
}

// runLifecycle covers Ping, cancellation and Close.
func runLifecycle(t *testing.T, open Opener) {
	t.Run("Ping", func(t *testing.T) {
		if err := open(t).Ping(t.Context()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})
	t.Run("CancelledContext", func(t *testing.T) {
		s := open(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		calls := []struct {
			name string
			call func() error
		}{
			{"CreateToken", func() error { return s.CreateToken(ctx, token("t1")) }},
			{"TokenByHash", func() error { _, err := s.TokenByHash(ctx, token("t1").Hash); return err }},
			{"ListTokens", func() error { _, err := s.ListTokens(ctx); return err }},
			{"RevokeToken", func() error { _, err := s.RevokeToken(ctx, "t1", time.Now()); return err }},
			{"SaveCampaign", func() error {
				_, err := s.SaveCampaign(ctx, save("c1", 0, draft("c1", "v1", "en"), "create", 1))
				return err
			}},
			{"Campaign", func() error { _, err := s.Campaign(ctx, "c1"); return err }},
			{"ListCampaigns", func() error { _, err := s.ListCampaigns(ctx); return err }},
			{"CampaignVersion", func() error { _, err := s.CampaignVersion(ctx, "c1", 1); return err }},
			{"ListCampaignVersions", func() error { _, err := s.ListCampaignVersions(ctx, "c1"); return err }},
			{"Audit", func() error { _, err := s.Audit(ctx, ""); return err }},
			{"Generation", func() error { _, err := s.Generation(ctx); return err }},
			{"AppendSecurityEvent", func() error { return s.AppendSecurityEvent(ctx, store.AuditEntry{Action: "x"}) }},
			{"SecurityEvents", func() error { _, err := s.SecurityEvents(ctx); return err }},
			{"BumpGeneration", func() error { _, err := s.BumpGeneration(ctx); return err }},
			{"Secret", func() error { _, err := s.Secret(ctx, "k", constant("v")); return err }},
			{"ApplyCounts", func() error {
				return s.ApplyCounts(ctx, store.CountBatch{ID: "b1", Campaign: "c1",
					Counts:  []store.Count{{Key: countKey("c1", "served", baseHour), N: 1}},
					Once:    []store.OnceCount{{Key: countKey("c1", "dismiss", baseHour), IDs: []string{"t1"}}},
					Uniques: []store.UniqueAdd{{Cell: store.UniqueCell{Day: "2025-07-23"}, Hashes: subjects(0, 3)}},
				}, onceTTL, retention)
			}},
			{"Counts", func() error { _, err := s.Counts(ctx, "c1", baseHour, baseHour+1); return err }},
			{"UniqueCount", func() error {
				_, err := s.UniqueCount(ctx, "c1", []store.UniqueCell{{Day: "2025-07-23"}})
				return err
			}},
			{"ExpiringSecret", func() error { _, err := s.ExpiringSecret(ctx, "salt", time.Hour, constant("v")); return err }},
			{"SetMarkers", func() error {
				_, err := s.SetMarkers(ctx, []store.Marker{{Key: "m", Value: "v"}}, time.Hour)
				return err
			}},
			{"TakeMarkers", func() error { _, err := s.TakeMarkers(ctx, []string{"m"}); return err }},
			{"CreateUser", func() error { return s.CreateUser(ctx, user("u1")) }},
			{"UserByName", func() error { _, err := s.UserByName(ctx, user("u1").Name); return err }},
			{"User", func() error { _, err := s.User(ctx, "u1"); return err }},
			{"ListUsers", func() error { _, err := s.ListUsers(ctx); return err }},
			{"SaveSession", func() error { return s.SaveSession(ctx, session("s1", "u1"), time.Hour) }},
			{"Session", func() error { _, err := s.Session(ctx, session("s1", "u1").Hash); return err }},
			{"DeleteSession", func() error { return s.DeleteSession(ctx, session("s1", "u1").Hash) }},
			{"DeleteUserSessions", func() error { return s.DeleteUserSessions(ctx, "u1") }},
			{"Ping", func() error { return s.Ping(ctx) }},
		}
		for _, c := range calls {
			if err := c.call(); !errors.Is(err, context.Canceled) {
				t.Errorf("%s with cancelled context: err = %v, want context.Canceled", c.name, err)
			}
		}
		// Nothing the cancelled calls might have written may be visible.
		ctx = t.Context()
		if _, err := s.TokenByHash(ctx, token("t1").Hash); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("token created despite cancelled context: err = %v", err)
		}
		if _, err := s.Campaign(ctx, "c1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("campaign saved despite cancelled context: err = %v", err)
		}
		if g, err := s.Generation(ctx); err != nil || g != 0 {
			t.Errorf("generation after a cancelled bump = %d, %v; want 0", g, err)
		}
		if got, err := s.Counts(ctx, "c1", baseHour, baseHour+1); err != nil || len(got) != 0 {
			t.Errorf("counts after a cancelled ApplyCounts = %v, %v; want none", got, err)
		}
		if n, err := s.UniqueCount(ctx, "c1", []store.UniqueCell{{Day: "2025-07-23"}}); err != nil || n != 0 {
			t.Errorf("unique count after a cancelled ApplyCounts = %d, %v; want 0", n, err)
		}
		if v, err := s.ExpiringSecret(ctx, "salt", time.Hour, constant("later")); err != nil || string(v) != "later" {
			t.Errorf("ExpiringSecret after a cancelled one = %q, %v; want a fresh value", v, err)
		}
		if m, err := s.TakeMarkers(ctx, []string{"m"}); err != nil || len(m) != 1 || m[0].Value != "" {
			t.Errorf("markers after a cancelled SetMarkers = %v, %v; want none", m, err)
		}
		if _, err := s.User(ctx, "u1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("user created despite cancelled context: err = %v", err)
		}
		if _, err := s.UserByName(ctx, user("u1").Name); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("user name claimed despite cancelled context: err = %v", err)
		}
		if u, err := s.ListUsers(ctx); err != nil || len(u) != 0 {
			t.Errorf("users after a cancelled CreateUser = %v, %v; want none", u, err)
		}
		if _, err := s.Session(ctx, session("s1", "u1").Hash); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("session saved despite cancelled context: err = %v", err)
		}
	})
	t.Run("ClosedIsUnavailable", func(t *testing.T) {
		s := open(t)
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := s.Ping(t.Context()); !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("Ping after Close: err = %v, want store.ErrUnavailable", err)
		}
		if _, err := s.Campaign(t.Context(), "c1"); !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("Campaign after Close: err = %v, want store.ErrUnavailable", err)
		}
	})
}
