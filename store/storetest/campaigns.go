package storetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"signpost/store"
)

// draft returns a draft whose definition names rev and with one message
// file per locale, each distinct so a mixed-up locale shows in a diff.
func draft(id, rev string, locales ...string) store.Draft {
	d := store.Draft{
		Definition: fmt.Appendf(nil, `{"id":%q,"rev":%q}`, id, rev),
		Content:    map[string]store.LocaleContent{},
	}
	for _, l := range locales {
		d.Content[l] = store.LocaleContent{Format: "toml", Data: fmt.Appendf(nil, "title = %q\n", id+"/"+rev+"/"+l)}
	}
	return d
}

// at is a fixed time plus n seconds, in UTC so it survives encoding.
func at(n int) time.Time { return time.Date(2026, 11, 1, 9, 0, n, 0, time.UTC) }

// save builds a Save of campaign id at revision expect with the given
// draft, state and audit action.
func save(id string, expect int64, d store.Draft, action string, n int) store.Save {
	return store.Save{
		Campaign:  store.Campaign{ID: id, State: fmt.Appendf(nil, `{"n":%d}`, n), Draft: d},
		ExpectRev: expect,
		Audit:     store.AuditEntry{Time: at(n), Campaign: id, Action: action, ActorID: "tok1", RevBefore: expect, RevAfter: expect + 1},
	}
}

// mustSave saves sv and checks the revision it returns.
func mustSave(t *testing.T, s store.Store, sv store.Save) {
	t.Helper()
	rev, err := s.SaveCampaign(t.Context(), sv)
	if err != nil {
		t.Fatalf("SaveCampaign(%q, expect %d): %v", sv.Campaign.ID, sv.ExpectRev, err)
	}
	if rev != sv.ExpectRev+1 {
		t.Fatalf("SaveCampaign(%q, expect %d) = rev %d, want %d", sv.Campaign.ID, sv.ExpectRev, rev, sv.ExpectRev+1)
	}
}

// stored returns what Campaign should return after sv was saved.
func stored(sv store.Save) store.Campaign {
	c := sv.Campaign
	c.Rev = sv.ExpectRev + 1
	return c
}

func wantConflict(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("%s: err = %v, want store.ErrConflict", what, err)
	}
}

func runCampaigns(t *testing.T, open Opener) {
	t.Run("CreateAndReplace", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		saves := []store.Save{
			save("spring", 0, draft("spring", "r1", "ar", "ckb", "en"), "create", 1),
			// The second save drops ar and ckb: they must be gone, not merged.
			save("spring", 1, draft("spring", "r2", "en", "fa"), "edit", 2),
			// An empty draft leaves an empty campaign, not the previous one.
			save("spring", 2, store.Draft{}, "edit", 3),
		}
		for i, sv := range saves {
			mustSave(t, s, sv)
			got, err := s.Campaign(ctx, "spring")
			if err != nil {
				t.Fatalf("Campaign after save #%d: %v", i+1, err)
			}
			diff(t, fmt.Sprintf("Campaign after save #%d", i+1), stored(sv), got)
		}
		_, err := s.Campaign(ctx, "summer")
		wantNotFound(t, "Campaign(unknown)", err)
	})
	t.Run("StaleWritesLoseNothing", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		first := save("spring", 0, draft("spring", "r1", "en"), "create", 1)
		mustSave(t, s, first)
		// A second create, and a write based on a revision that is not the
		// current one, change nothing: not the record, the log or versions.
		_, err := s.SaveCampaign(ctx, save("spring", 0, draft("spring", "other", "fr"), "create", 2))
		wantConflict(t, "second create", err)
		stale := save("spring", 5, draft("spring", "stale", "fr"), "publish", 3)
		stale.Version = &store.CampaignVersion{CampaignID: "spring", Version: 1, Draft: stale.Campaign.Draft, CreatedAt: at(3)}
		_, err = s.SaveCampaign(ctx, stale)
		wantConflict(t, "stale save", err)
		got, err := s.Campaign(ctx, "spring")
		if err != nil {
			t.Fatalf("Campaign: %v", err)
		}
		diff(t, "Campaign after rejected saves", stored(first), got)
		_, err = s.CampaignVersion(ctx, "spring", 1)
		wantNotFound(t, "version of a rejected save", err)
		log, err := s.Audit(ctx, "spring")
		if err != nil {
			t.Fatalf("Audit: %v", err)
		}
		diff(t, "audit log", []store.AuditEntry{first.Audit}, log)
	})
	t.Run("Versions", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		mustSave(t, s, save("spring", 0, draft("spring", "r1", "en"), "create", 1))
		var want []store.CampaignVersion
		for i := int64(1); i <= 3; i++ {
			d := draft("spring", fmt.Sprint("v", i), "en", "ar")
			sv := save("spring", i, d, "publish", int(i)+1)
			sv.Version = &store.CampaignVersion{CampaignID: "spring", Version: i, Draft: d, CreatedAt: at(int(i) + 1), CreatedBy: "tok2"}
			mustSave(t, s, sv)
			want = append(want, *sv.Version)
		}
		for _, v := range want {
			got, err := s.CampaignVersion(ctx, "spring", v.Version)
			if err != nil {
				t.Fatalf("CampaignVersion(%d): %v", v.Version, err)
			}
			diff(t, fmt.Sprintf("version %d", v.Version), v, got)
		}
		list, err := s.ListCampaignVersions(ctx, "spring")
		if err != nil {
			t.Fatalf("ListCampaignVersions: %v", err)
		}
		diff(t, "ListCampaignVersions", want, list)
		// A version number is never reused, even by a save at the right
		// revision.
		dup := save("spring", 4, draft("spring", "dup", "fr"), "publish", 9)
		dup.Version = &store.CampaignVersion{CampaignID: "spring", Version: 2, Draft: dup.Campaign.Draft, CreatedAt: at(9)}
		_, err = s.SaveCampaign(ctx, dup)
		wantConflict(t, "duplicate version", err)
		got, err := s.CampaignVersion(ctx, "spring", 2)
		if err != nil {
			t.Fatalf("CampaignVersion(2): %v", err)
		}
		diff(t, "version 2 after a rejected duplicate", want[1], got)
		_, err = s.CampaignVersion(ctx, "spring", 7)
		wantNotFound(t, "CampaignVersion(unknown)", err)
		if list, err := s.ListCampaignVersions(ctx, "summer"); err != nil || len(list) != 0 {
			t.Errorf("ListCampaignVersions(unknown campaign) = %v, %v; want none", list, err)
		}
	})
	t.Run("List", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		if got, err := s.ListCampaigns(ctx); err != nil || len(got) != 0 {
			t.Fatalf("ListCampaigns on empty store = %v, %v; want none", got, err)
		}
		// Saved out of order, b twice; the list has no drafts.
		saves := []store.Save{
			save("c", 0, draft("c", "r1", "en"), "create", 1),
			save("a", 0, draft("a", "r1", "ar", "en"), "create", 2),
			save("b", 0, draft("b", "r1", "prs"), "create", 3),
			save("b", 1, draft("b", "r2", "uk"), "edit", 4),
		}
		for _, sv := range saves {
			mustSave(t, s, sv)
		}
		var want []store.Campaign
		for _, sv := range []store.Save{saves[1], saves[3], saves[0]} {
			c := stored(sv)
			c.Draft = store.Draft{}
			want = append(want, c)
		}
		got, err := s.ListCampaigns(ctx)
		if err != nil {
			t.Fatalf("ListCampaigns: %v", err)
		}
		diff(t, "ListCampaigns", want, got)
	})
	t.Run("Audit", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		saves := []store.Save{
			save("b", 0, draft("b", "r1", "en"), "create", 1),
			save("a", 0, draft("a", "r1", "en"), "create", 2),
			save("b", 1, draft("b", "r2", "en"), "edit", 3),
			save("a", 1, draft("a", "r2", "en"), "submit", 4),
		}
		for _, sv := range saves {
			mustSave(t, s, sv)
		}
		got, err := s.Audit(ctx, "b")
		if err != nil {
			t.Fatalf("Audit(b): %v", err)
		}
		diff(t, "Audit(b)", []store.AuditEntry{saves[0].Audit, saves[2].Audit}, got)
		got, err = s.Audit(ctx, "")
		if err != nil {
			t.Fatalf("Audit(all): %v", err)
		}
		diff(t, "Audit(all)", []store.AuditEntry{saves[0].Audit, saves[1].Audit, saves[2].Audit, saves[3].Audit}, got)
	})
	t.Run("ConcurrentSaves", func(t *testing.T) {
		// Writers racing from the same revision: exactly one wins, and
		// retrying from a fresh read, every change lands once.
		s, ctx := open(t), t.Context()
		mustSave(t, s, save("spring", 0, draft("spring", "r0", "en"), "create", 0))
		const n = 8
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, err := s.SaveCampaign(ctx, save("spring", 1, draft("spring", fmt.Sprint("race", i), "en"), "edit", i+1))
				switch {
				case err == nil:
					wins.Add(1)
				case !errors.Is(err, store.ErrConflict):
					t.Errorf("racing save #%d: %v", i, err)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d racing saves from one revision succeeded, want exactly 1", wins.Load())
		}
		for i := range n {
			wg.Go(func() {
				for {
					cur, err := s.Campaign(ctx, "spring")
					if err != nil {
						t.Errorf("Campaign: %v", err)
						return
					}
					_, err = s.SaveCampaign(ctx, save("spring", cur.Rev, draft("spring", fmt.Sprint("retry", i), "en"), "edit", 20+i))
					if !errors.Is(err, store.ErrConflict) {
						if err != nil {
							t.Errorf("retrying save #%d: %v", i, err)
						}
						return
					}
				}
			})
		}
		wg.Wait()
		got, err := s.Campaign(ctx, "spring")
		if err != nil {
			t.Fatalf("Campaign: %v", err)
		}
		if got.Rev != 2+n {
			t.Errorf("final revision = %d, want %d", got.Rev, 2+n)
		}
		log, err := s.Audit(ctx, "spring")
		if err != nil {
			t.Fatalf("Audit: %v", err)
		}
		if len(log) != 2+n {
			t.Errorf("audit log has %d entries, want %d (one per successful save)", len(log), 2+n)
		}
	})
	t.Run("Generation", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		if g, err := s.Generation(ctx); err != nil || g != 0 {
			t.Fatalf("Generation on a fresh store = %d, %v; want 0", g, err)
		}
		for want := int64(1); want <= 3; want++ {
			g, err := s.BumpGeneration(ctx)
			if err != nil || g != want {
				t.Fatalf("BumpGeneration = %d, %v; want %d", g, err, want)
			}
		}
		if g, err := s.Generation(ctx); err != nil || g != 3 {
			t.Errorf("Generation after three bumps = %d, %v; want 3", g, err)
		}
	})
}

func runSecurityLog(t *testing.T, open Opener) {
	s, ctx := open(t), t.Context()
	if got, err := s.SecurityEvents(ctx); err != nil || len(got) != 0 {
		t.Fatalf("SecurityEvents on an empty store = %v, %v", got, err)
	}
	var want []store.AuditEntry
	for i, action := range []string{"sign_in", "sign_in_failed", "token_revoked", "denied"} {
		e := store.AuditEntry{Time: at(i), Campaign: "security", Action: action, ActorID: "usr_1", Detail: "POST /v1/campaigns/{id}/publish"}
		if err := s.AppendSecurityEvent(ctx, e); err != nil {
			t.Fatalf("AppendSecurityEvent: %v", err)
		}
		want = append(want, e)
	}
	got, err := s.SecurityEvents(ctx)
	if err != nil {
		t.Fatalf("SecurityEvents: %v", err)
	}
	diff(t, "security log", want, got)
	// The security log is not a campaign's: campaign audit logs stay empty.
	if all, err := s.Audit(ctx, ""); err != nil || len(all) != 0 {
		t.Errorf("Audit(all) = %v, %v; want no campaign entries", all, err)
	}
}
