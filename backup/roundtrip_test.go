package backup

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"signpost/auth"
	"signpost/internal/redistest"
	"signpost/store"
	"signpost/store/redisstore"
	"signpost/store/storetest"
)

// populated is a store filled through the ordinary methods, as the
// service fills it, with the secrets that must still work after a move.
type populated struct {
	tokenSecret, password string
	userName              string
	hours                 []int64
}

// populate fills st: two campaigns and a rule set with several versions
// and audit entries each, tokens (one revoked), users (one disabled),
// security events, counts over two days and this month's card keys, plus
// what must not travel: a session and a reach salt.
func populate(t *testing.T, st store.Store) populated {
	t.Helper()
	ctx := t.Context()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("populate: %s: %v", what, err)
		}
	}
	now := time.Now().UTC()
	for i, id := range []string{"small-boats", "rules.ar", "fake-papers"} {
		var rev int64
		for v := int64(1); v <= int64(i+2); v++ {
			d := store.Draft{Definition: fmt.Appendf(nil, `{"id":%q,"v":%d}`, id, v),
				Content: map[string]store.LocaleContent{"ar": {Format: "toml", Data: fmt.Appendf(nil, "a.title = \"عنوان %d\"\n", v)}, "en": {Format: "json", Data: []byte(`{"a.title":"Title"}`)}}}
			ver := &store.CampaignVersion{CampaignID: id, Version: v, Draft: d, CreatedAt: now.Add(time.Duration(v) * time.Minute).Truncate(time.Millisecond), CreatedBy: "editor-1"}
			sv := store.Save{Campaign: store.Campaign{ID: id, State: fmt.Appendf(nil, `{"live":%d}`, v), Draft: d}, ExpectRev: rev, Version: ver,
				Audit: store.AuditEntry{Time: now.Add(time.Duration(10*v+int64(i)) * time.Second), Campaign: id, Action: "publish", ActorID: "editor-1", RevBefore: rev, RevAfter: rev + 1, LiveAfter: v}}
			var err error
			rev, err = st.SaveCampaign(ctx, sv)
			must("SaveCampaign "+id, err)
		}
		// A working copy ahead of the last version.
		_, err := st.SaveCampaign(ctx, store.Save{Campaign: store.Campaign{ID: id, State: []byte(`{"status":"draft"}`), Draft: store.Draft{Definition: []byte(`{"edited":true}`)}},
			ExpectRev: rev, Audit: store.AuditEntry{Time: now.Add(time.Hour), Campaign: id, Action: "edit", ActorID: "editor-2"}})
		must("SaveCampaign edit "+id, err)
	}

	tok, secret, err := auth.NewToken("ops", auth.RoleAdmin, "", 0, now)
	must("NewToken", err)
	must("CreateToken", st.CreateToken(ctx, tok))
	old, _, err := auth.NewToken("tiktok", auth.RolePlatform, "tiktok", 0, now)
	must("NewToken", err)
	must("CreateToken", st.CreateToken(ctx, old))
	_, err = st.RevokeToken(ctx, old.ID, now)
	must("RevokeToken", err)

	const password = "correct horse battery staple"
	u, err := auth.NewUser("amal", auth.RoleEditor, "", password, now)
	must("NewUser", err)
	must("CreateUser", st.CreateUser(ctx, u))
	gone, err := auth.NewUser("bert", auth.RoleAnalyst, "", "another long password", now)
	must("NewUser", err)
	gone.DisabledAt = now
	must("CreateUser", st.CreateUser(ctx, gone))
	must("SaveSession", st.SaveSession(ctx, store.Session{Hash: auth.Hash("cookie"), UserID: u.ID, CreatedAt: now, Expires: now.Add(time.Hour)}, time.Hour))

	for i := range 5 {
		must("AppendSecurityEvent", st.AppendSecurityEvent(ctx, store.AuditEntry{Time: now.Add(time.Duration(i) * time.Second), Campaign: "security", Action: "signin", ActorID: u.ID}))
	}

	nowHour := now.Unix() / 3600
	hours := []int64{nowHour - 30, nowHour - 29, nowHour}
	for i, h := range hours {
		must("ApplyCounts", st.ApplyCounts(ctx, store.CountBatch{ID: fmt.Sprint("b", i), Campaign: "small-boats",
			Counts: []store.Count{
				{Key: store.CountKey{Campaign: "small-boats", Version: 2, Variant: "a", Locale: "ar", Platform: "tiktok", Kind: "search", Event: "served", Hour: h}, N: int64(10 + i)},
				{Key: store.CountKey{Campaign: "small-boats", Version: 2, Variant: "b", Locale: "ckb", Platform: "x", Kind: "view", Event: "click:learn", Hour: h}, N: 1},
			},
			Uniques: []store.UniqueAdd{{Cell: store.UniqueCell{Day: "2026-11-29", Variant: "a"}, Hashes: [][]byte{[]byte("h1")}}},
		}, time.Hour, DefaultRetention))
	}
	for _, name := range cardKeyNames(now)[1:] {
		_, err := st.ExpiringSecret(ctx, name, 40*24*time.Hour, func() ([]byte, error) { return []byte(strings.Repeat("k", 32) + name), nil })
		must("ExpiringSecret "+name, err)
	}
	_, err = st.PauseRule(ctx, store.PausedRule{Rule: "ar.crossing.boat", PausedAt: now.Truncate(time.Millisecond), Rate: 90.5, Baseline: 2, Count: 181},
		store.AuditEntry{Time: now.Add(2 * time.Hour), Campaign: "rules.ar", Action: "rule_paused", ActorID: "flood-guard"})
	must("PauseRule", err)
	day, yesterday := now.UTC().Format(time.DateOnly), now.UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	must("ApplyActivity", st.ApplyActivity(ctx, store.ActivityBatch{ID: "a1", Language: "ar", Counts: []store.ActivityCount{
		{Key: store.ActivityKey{Language: "ar", Day: yesterday, Hour: 23, Rule: "ar.crossing.boat", Event: store.ActivitySearch}, N: 181},
		{Key: store.ActivityKey{Language: "ar", Day: day, Hour: 1, Rule: "ar.crossing.boat", Event: store.ActivityFalsePositive, Platform: "tiktok"}, N: 4},
	}}, DefaultRetention))
	must("ApplyActivity", st.ApplyActivity(ctx, store.ActivityBatch{ID: "a2", Language: "", Counts: []store.ActivityCount{
		{Key: store.ActivityKey{Day: day, Category: "documents", Event: store.ActivityMissed, Platform: "x"}, N: 2},
	}}, DefaultRetention))
	must("CreateWebhook", st.CreateWebhook(ctx, store.Webhook{ID: "wh_1", URL: "https://queue.example.org/hook", Events: []string{"campaign.paused", "rule.auto_paused"},
		Secret: "whsec_kept", CreatedAt: now.Truncate(time.Second), CreatedBy: "ops", DisabledAt: now.Truncate(time.Second), DisabledReason: "410"}))
	must("EnqueueWebhookDeliveries", st.EnqueueWebhookDeliveries(ctx, []store.WebhookDelivery{{ID: "evt_1.wh_1", Webhook: "wh_1", EventID: "evt_1", Payload: []byte(`{}`), Due: now}}))
	_, err = st.ExpiringSecret(ctx, "reach-salt:2026-11-29", 48*time.Hour, func() ([]byte, error) { return []byte("salt"), nil })
	must("ExpiringSecret reach salt", err)
	return populated{tokenSecret: secret, password: password, userName: u.Name, hours: hours}
}

// openRedis returns an empty Redis store on srv under its own prefix.
func openRedis(t *testing.T, srv *redistest.Server, prefix string) *redisstore.Store {
	t.Helper()
	client, err := redisstore.NewClient(redisstore.Config{URL: srv.URL()})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	st := redisstore.New(client, prefix, 0)
	t.Cleanup(func() { st.Close() })
	return st
}

// sameArchive fails t unless a and b hold the same content.
func sameArchive(t *testing.T, what string, a, b *Archive) {
	t.Helper()
	if d := cmp.Diff(a, b, cmpopts.EquateEmpty(), cmpopts.IgnoreFields(Archive{}, "CreatedAt")); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

func mustExport(t *testing.T, st Store) *Archive {
	t.Helper()
	a, err := Export(t.Context(), st, Options{})
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	return a
}

func mustImport(t *testing.T, st Store, a *Archive, opt Options) Result {
	t.Helper()
	res, err := Import(t.Context(), st, a, opt)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	return res
}

// TestRoundTrip moves a populated embedded store to Redis and back to a
// fresh embedded store, and checks that nothing changed on the way.
func TestRoundTrip(t *testing.T) {
	srv := redistest.Start(t)
	ctx := t.Context()
	bolt1 := storetest.OpenBolt(t)
	p := populate(t, bolt1)

	first := mustExport(t, bolt1)
	want := Summary{Tokens: 2, Users: 2, Campaigns: 3, Versions: 2 + 3 + 4, Audit: 3 + 4 + 5 + 1, SecurityEvents: 5, Counts: 6, CardKeys: 3, PausedRules: 1, Activity: 3, Webhooks: 1}
	if got := first.Summary(); got != want {
		t.Fatalf("first export holds %s, want %s", got, want)
	}

	red := openRedis(t, srv, "roundtrip:")
	if res := mustImport(t, red, first, Options{}); res.Imported != want || !res.Replaced.Empty() || !res.Expired.Empty() {
		t.Errorf("import into Redis = %+v, want %s imported, nothing replaced or expired", res, want)
	}
	second := mustExport(t, red)
	sameArchive(t, "export from Redis", first, second)

	bolt2 := storetest.OpenBolt(t)
	mustImport(t, bolt2, second, Options{})
	third := mustExport(t, bolt2)
	sameArchive(t, "export from the second embedded store", first, third)

	for name, st := range map[string]store.Store{"redis": red, "bolt": bolt2} {
		tok, err := st.TokenByHash(ctx, auth.Hash(p.tokenSecret))
		if err != nil || tok.Role != auth.RoleAdmin {
			t.Errorf("%s: token by its secret = %+v, %v; want the admin token", name, tok, err)
		}
		u, err := st.UserByName(ctx, p.userName)
		if err != nil || !auth.CheckPassword(u.PasswordHash, p.password) {
			t.Errorf("%s: user %q = %v, password verifies: %v; want it to", name, p.userName, err, err == nil && auth.CheckPassword(u.PasswordHash, p.password))
		}
		for _, id := range []string{"small-boats", "rules.ar", "fake-papers"} {
			want, err1 := bolt1.ListCampaignVersions(ctx, id)
			got, err2 := st.ListCampaignVersions(ctx, id)
			if err := errors.Join(err1, err2); err != nil {
				t.Fatalf("%s: ListCampaignVersions(%q): %v", name, id, err)
			}
			if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("%s: versions of %q (-want +got):\n%s", name, id, d)
			}
		}
		from, to := p.hours[0], p.hours[len(p.hours)-1]+1
		want, err1 := bolt1.Counts(ctx, "small-boats", from, to)
		got, err2 := st.Counts(ctx, "small-boats", from, to)
		if err := errors.Join(err1, err2); err != nil {
			t.Fatalf("%s: Counts: %v", name, err)
		}
		if d := cmp.Diff(want, got, cmpopts.SortSlices(func(x, y store.Count) bool { return compareKeys(x.Key, y.Key) < 0 })); d != "" || len(got) != 6 {
			t.Errorf("%s: counts (-want +got):\n%s", name, d)
		}
		// What must not travel did not.
		if _, err := st.Session(ctx, auth.Hash("cookie")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: session after import: err = %v, want ErrNotFound", name, err)
		}
		if _, err := st.PeekExpiringSecret(ctx, "reach-salt:2026-11-29"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: reach salt after import: err = %v, want ErrNotFound", name, err)
		}
		if w, err := st.Webhook(ctx, "wh_1"); err != nil || w.Secret != "whsec_kept" {
			t.Errorf("%s: webhook after import = %+v, %v; want it with its signing secret", name, w, err)
		}
		if p, err := st.PendingWebhookDeliveries(ctx); err != nil || len(p) != 0 {
			t.Errorf("%s: pending webhook deliveries after import = %v, %v; want none", name, p, err)
		}
		if g, err := st.Generation(ctx); err != nil || g < 1 {
			t.Errorf("%s: generation after import = %d, %v; want it bumped", name, g, err)
		}
	}
}

func TestImportRefusesNonEmptyStore(t *testing.T) {
	ctx := t.Context()
	src := storetest.OpenBolt(t)
	populate(t, src)
	a := mustExport(t, src)

	dst := storetest.OpenBolt(t)
	extra, secret, err := auth.NewToken("stale", auth.RoleAdmin, "", 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := dst.CreateToken(ctx, extra); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	before := mustExport(t, dst)

	_, err = Import(ctx, dst, a, Options{})
	if !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "1 tokens") {
		t.Fatalf("Import into a non-empty store: err = %v, want ErrNotEmpty naming 1 token", err)
	}
	sameArchive(t, "store after a refused import", before, mustExport(t, dst))

	res := mustImport(t, dst, a, Options{Replace: true})
	if res.Replaced != before.Summary() {
		t.Errorf("Replaced = %s, want %s", res.Replaced, before.Summary())
	}
	sameArchive(t, "store after import --replace", a, mustExport(t, dst))
	if _, err := dst.TokenByHash(ctx, auth.Hash(secret)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("token absent from the archive still there after --replace: err = %v", err)
	}
}

// failingUsers is a store whose CreateUser fails, to break an import
// half-way.
type failingUsers struct{ Store }

var errInjected = errors.New("injected failure")

func (failingUsers) CreateUser(context.Context, store.User) error { return errInjected }

func TestImportRollsBack(t *testing.T) {
	src := storetest.OpenBolt(t)
	populate(t, src)
	a := mustExport(t, src)

	t.Run("Replace", func(t *testing.T) {
		dst := storetest.OpenBolt(t)
		mustImport(t, dst, &Archive{Format: Format, Version: FormatVersion, Campaigns: a.Campaigns[:1], SecurityLog: a.SecurityLog[:2]}, Options{})
		before := mustExport(t, dst)
		_, err := Import(t.Context(), failingUsers{dst}, a, Options{Replace: true})
		if !errors.Is(err, errInjected) || !strings.Contains(err.Error(), "previous content was restored") {
			t.Fatalf("Import with a failing write: err = %v, want the injected failure and a restored store", err)
		}
		sameArchive(t, "store after a failed import --replace", before, mustExport(t, dst))
	})
	t.Run("Empty", func(t *testing.T) {
		dst := storetest.OpenBolt(t)
		_, err := Import(t.Context(), failingUsers{dst}, a, Options{})
		if !errors.Is(err, errInjected) {
			t.Fatalf("Import with a failing write: err = %v, want the injected failure", err)
		}
		if s := mustExport(t, dst).Summary(); !s.Empty() {
			t.Errorf("store after a failed import into an empty one holds %s, want nothing", s)
		}
	})
}

func TestImportLeavesOutExpired(t *testing.T) {
	a := sample()
	now := time.Now()
	a.Counts = []Count{
		{Key: store.CountKey{Campaign: "small-boats", Event: "served", Hour: now.Unix()/3600 - 24*500}, N: 1},
		{Key: store.CountKey{Campaign: "small-boats", Event: "served", Hour: now.Unix() / 3600}, N: 2},
	}
	a.CardKeys[0].Expires = now.Add(-time.Hour)
	dst := storetest.OpenBolt(t)
	res := mustImport(t, dst, a, Options{})
	if res.Imported.Counts != 1 || res.Expired.Counts != 1 || res.Imported.CardKeys != 0 || res.Expired.CardKeys != 1 {
		t.Errorf("Import = %+v; want one count imported, one count and the card key expired", res)
	}
	got, err := dst.Counts(t.Context(), "small-boats", now.Unix()/3600-24*600, now.Unix()/3600+1)
	if err != nil || len(got) != 1 || got[0].N != 2 {
		t.Errorf("Counts after import = %v, %v; want the one live cell", got, err)
	}
}
