package backup

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"signpost/store"
)

// ErrNotEmpty is returned by Import for a store that already holds data
// when Options.Replace is not set.
var ErrNotEmpty = errors.New("the store is not empty")

// Result is what Import did.
type Result struct {
	// Imported counts what was written; counts and card keys that had
	// expired by now are left out and counted in Expired instead.
	Imported Summary
	// Replaced counts what the store held before (with Replace only).
	Replaced Summary
	// Expired counts the archive's count cells and card keys whose time
	// had run out, which were not written.
	Expired Summary
}

// Import writes archive a into st, which must be empty unless opt.Replace
// is set; then its content is deleted first and replaced by a's.
//
// a is validated as a whole before anything is written. Should a write
// fail, Import deletes what it wrote and, when it replaced content, writes
// that back from a copy it took before starting; the error says whether
// that worked. The embedded store then holds exactly what it held before;
// Redis does unless someone else wrote to it meanwhile. At the end the
// published-state generation is bumped so running instances reload.
func Import(ctx context.Context, st Store, a *Archive, opt Options) (Result, error) {
	opt = opt.withDefaults()
	var res Result
	if err := a.Validate(); err != nil {
		return res, err
	}
	before, err := Export(ctx, st, opt)
	if err != nil {
		return res, fmt.Errorf("read the store before importing: %w", err)
	}
	if !before.Summary().Empty() {
		if !opt.Replace {
			return res, fmt.Errorf("%w: it holds %s; use --replace to replace all of it", ErrNotEmpty, before.Summary())
		}
		res.Replaced = before.Summary()
		if err := st.Clear(ctx); err != nil {
			return res, fmt.Errorf("clear the store: %w", err)
		}
	}
	res.Imported, res.Expired, err = write(ctx, st, a, opt)
	if err != nil {
		return res, rollback(ctx, st, before, opt, err)
	}
	if _, err := st.BumpGeneration(ctx); err != nil {
		return res, fmt.Errorf("imported, but could not tell running instances to reload (they will within the catalog refresh interval): %w", err)
	}
	return res, nil
}

// rollback undoes a failed import: it clears what was written and writes
// back what the store held before.
func rollback(ctx context.Context, st Store, before *Archive, opt Options, cause error) error {
	// The caller's context may be what failed; the rollback gets its own.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
	defer cancel()
	if err := st.Clear(ctx); err != nil {
		return fmt.Errorf("import failed: %w; clearing what it wrote also failed, the store holds part of the archive: %w", cause, err)
	}
	if before.Summary().Empty() {
		return fmt.Errorf("import failed, nothing was kept: %w", cause)
	}
	if _, _, err := write(ctx, st, before, opt); err != nil {
		return fmt.Errorf("import failed: %w; restoring the previous content also failed: %w", cause, err)
	}
	return fmt.Errorf("import failed, the previous content was restored: %w", cause)
}

// write writes a into an empty store and counts what it wrote and what
// had expired.
func write(ctx context.Context, st Store, a *Archive, opt Options) (done, expired Summary, err error) {
	records := make([]store.CampaignRecord, len(a.Campaigns))
	for i, c := range a.Campaigns {
		r := store.CampaignRecord{Campaign: store.Campaign{ID: c.ID, Rev: c.Rev, State: c.State, Draft: c.Draft.toStore()}, Audit: c.Audit}
		for _, v := range c.Versions {
			r.Versions = append(r.Versions, store.CampaignVersion{CampaignID: c.ID, Version: v.Version, Draft: v.Draft.toStore(), CreatedAt: v.CreatedAt, CreatedBy: v.CreatedBy})
		}
		records[i] = r
	}
	if len(records) > 0 {
		if err := st.RestoreCampaigns(ctx, records); err != nil {
			return done, expired, fmt.Errorf("import campaigns: %w", err)
		}
	}
	done.Campaigns = len(a.Campaigns)
	s := a.Summary()
	done.Versions, done.Audit = s.Versions, s.Audit

	for _, t := range a.Tokens {
		if err := st.CreateToken(ctx, t); err != nil {
			return done, expired, fmt.Errorf("import token %q: %w", t.ID, err)
		}
		done.Tokens++
	}
	for _, u := range a.Users {
		if err := st.CreateUser(ctx, u); err != nil {
			return done, expired, fmt.Errorf("import user %q: %w", u.ID, err)
		}
		done.Users++
	}
	if len(a.SecurityLog) > 0 {
		if err := st.AppendSecurityEvents(ctx, a.SecurityLog); err != nil {
			return done, expired, fmt.Errorf("import security log: %w", err)
		}
	}
	done.SecurityEvents = len(a.SecurityLog)

	now := opt.Now()
	if done.Counts, expired.Counts, err = writeCounts(ctx, st, a.Counts, now, opt.Retention); err != nil {
		return done, expired, err
	}
	for _, k := range a.CardKeys {
		if !k.Expires.After(now) {
			expired.CardKeys++
			continue
		}
		if err := st.SetExpiringSecret(ctx, store.ExpiringValue{Name: k.Name, Value: k.Key, Expires: k.Expires}); err != nil {
			return done, expired, fmt.Errorf("import card key %s: %w", k.Name, err)
		}
		done.CardKeys++
	}
	if len(a.PausedRules) > 0 {
		if err := st.RestorePausedRules(ctx, a.PausedRules); err != nil {
			return done, expired, fmt.Errorf("import paused rules: %w", err)
		}
	}
	done.PausedRules = len(a.PausedRules)
	if done.Activity, expired.Activity, err = writeActivity(ctx, st, a.Activity, now, opt.Retention); err != nil {
		return done, expired, err
	}
	for _, w := range a.Webhooks {
		if err := st.CreateWebhook(ctx, w); err != nil {
			return done, expired, fmt.Errorf("import webhook %q: %w", w.ID, err)
		}
		done.Webhooks++
	}
	return done, expired, nil
}

// writeActivity applies rule activity as one batch per language. A
// day's cells expire with the day (store.ActivityExpires), so cells of a
// day already past retention are counted as expired, not written.
func writeActivity(ctx context.Context, st Store, cells []store.ActivityCount, now time.Time, retention time.Duration) (done, expired int, err error) {
	batches := map[string]*store.ActivityBatch{}
	var order []string
	for _, c := range cells {
		if exp, err := store.ActivityExpires(c.Key.Day, retention); err != nil || !exp.After(now) {
			expired++
			continue
		}
		b := batches[c.Key.Language]
		if b == nil {
			b = &store.ActivityBatch{ID: "import:" + strconv.FormatInt(now.UnixNano(), 36), Language: c.Key.Language}
			batches[c.Key.Language] = b
			order = append(order, c.Key.Language)
		}
		b.Counts = append(b.Counts, c)
	}
	for _, l := range order {
		if err := st.ApplyActivity(ctx, *batches[l], retention); err != nil {
			return done, expired, fmt.Errorf("import rule activity of %q: %w", l, err)
		}
		done += len(batches[l].Counts)
	}
	return done, expired, nil
}

// writeCounts applies counts as one batch per campaign and day, each
// kept for what is left of the retention after the day ends: the Redis
// store keeps a campaign's day in one hash with one expiry, and this
// gives both stores that expiry rather than a fresh retention from now.
func writeCounts(ctx context.Context, st Store, counts []Count, now time.Time, retention time.Duration) (done, expired int, err error) {
	type day struct {
		campaign string
		day      int64
	}
	batches := map[day][]store.Count{}
	var order []day
	for _, c := range counts {
		d := day{c.Key.Campaign, floorDiv(c.Key.Hour, 24)}
		if _, ok := batches[d]; !ok {
			order = append(order, d)
		}
		batches[d] = append(batches[d], store.Count{Key: c.Key, N: c.N})
	}
	for _, d := range order {
		left := time.Unix((d.day+1)*86400, 0).Add(retention).Sub(now)
		if left <= 0 {
			expired += len(batches[d])
			continue
		}
		b := store.CountBatch{ID: "import:" + strconv.FormatInt(now.UnixNano(), 36) + ":" + strconv.FormatInt(d.day, 10),
			Campaign: d.campaign, Counts: batches[d]}
		if err := st.ApplyCounts(ctx, b, time.Hour, left); err != nil {
			return done, expired, fmt.Errorf("import counts of %q: %w", d.campaign, err)
		}
		done += len(batches[d])
	}
	return done, expired, nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}
