package backup

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"signpost/store"
)

// Store is what backup needs of a store: listing everything, writing it
// back exactly, and bumping the generation so running instances reload.
// Both store.Store implementations satisfy it.
type Store interface {
	ListTokens(ctx context.Context) ([]store.Token, error)
	CreateToken(ctx context.Context, t store.Token) error
	ListUsers(ctx context.Context) ([]store.User, error)
	CreateUser(ctx context.Context, u store.User) error
	ListCampaigns(ctx context.Context) ([]store.Campaign, error)
	Campaign(ctx context.Context, id string) (store.Campaign, error)
	ListCampaignVersions(ctx context.Context, id string) ([]store.CampaignVersion, error)
	Audit(ctx context.Context, id string) ([]store.AuditEntry, error)
	SecurityEvents(ctx context.Context) ([]store.AuditEntry, error)
	Counts(ctx context.Context, campaign string, fromHour, toHour int64) ([]store.Count, error)
	ApplyCounts(ctx context.Context, b store.CountBatch, onceTTL, retention time.Duration) error
	BumpGeneration(ctx context.Context) (int64, error)
	PausedRules(ctx context.Context) ([]store.PausedRule, error)
	store.Feedback
	ListWebhooks(ctx context.Context) ([]store.Webhook, error)
	CreateWebhook(ctx context.Context, w store.Webhook) error
	store.Backup
}

// DefaultRetention is how long engagement counts are kept, as package
// track keeps them by default (track.CounterConfig.Retention).
const DefaultRetention = 400 * 24 * time.Hour

// Options tune Export and Import; zero values take the defaults.
type Options struct {
	// Retention is how long counts live: Export reads the hours it
	// covers, Import gives each day's counts what is left of it.
	Retention time.Duration // default DefaultRetention
	// Replace lets Import replace a store that is not empty.
	Replace bool
	Now     func() time.Time // default time.Now
}

func (o Options) withDefaults() Options {
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Export reads everything durable from st into an archive in canonical
// order: tokens and users by id, campaigns by id with versions oldest
// first and audit entries as appended, the security log oldest first,
// counts by campaign, hour and cell, card keys by name, paused rules by
// rule id.
//
// The store keeps changing while Export reads it, record by record: each
// campaign is read consistently with its own versions, but not with the
// others. Take the backup while nobody edits, or accept that an edit made
// during it may be half in.
func Export(ctx context.Context, st Store, opt Options) (*Archive, error) {
	opt = opt.withDefaults()
	now := opt.Now().UTC()
	a := &Archive{Format: Format, Version: FormatVersion, CreatedAt: now}
	var err error
	if a.Tokens, err = st.ListTokens(ctx); err != nil {
		return nil, fmt.Errorf("export tokens: %w", err)
	}
	slices.SortFunc(a.Tokens, func(x, y store.Token) int { return cmp.Compare(x.ID, y.ID) })
	if a.Users, err = st.ListUsers(ctx); err != nil {
		return nil, fmt.Errorf("export users: %w", err)
	}
	slices.SortFunc(a.Users, func(x, y store.User) int { return cmp.Compare(x.ID, y.ID) })
	if a.Campaigns, err = exportCampaigns(ctx, st); err != nil {
		return nil, err
	}
	if a.SecurityLog, err = st.SecurityEvents(ctx); err != nil {
		return nil, fmt.Errorf("export security log: %w", err)
	}
	if a.Counts, err = exportCounts(ctx, st, a.Campaigns, now, opt.Retention); err != nil {
		return nil, err
	}
	if a.CardKeys, err = exportCardKeys(ctx, st, now); err != nil {
		return nil, err
	}
	if a.PausedRules, err = st.PausedRules(ctx); err != nil {
		return nil, fmt.Errorf("export paused rules: %w", err)
	}
	slices.SortFunc(a.PausedRules, func(x, y store.PausedRule) int { return cmp.Compare(x.Rule, y.Rule) })
	if a.Activity, err = exportActivity(ctx, st, now, opt.Retention); err != nil {
		return nil, err
	}
	if a.Webhooks, err = st.ListWebhooks(ctx); err != nil {
		return nil, fmt.Errorf("export webhooks: %w", err)
	}
	slices.SortFunc(a.Webhooks, func(x, y store.Webhook) int { return cmp.Compare(x.ID, y.ID) })
	return a, nil
}

// exportActivity reads every language's rule activity over the days
// retention can still hold, with two days' slack either side.
func exportActivity(ctx context.Context, st Store, now time.Time, retention time.Duration) ([]store.ActivityCount, error) {
	langs, err := st.ActivityLanguages(ctx)
	if err != nil {
		return nil, fmt.Errorf("export rule activity: %w", err)
	}
	from := now.Add(-retention).AddDate(0, 0, -2).Format(time.DateOnly)
	to := now.AddDate(0, 0, 2).Format(time.DateOnly)
	var out []store.ActivityCount
	for _, l := range langs {
		cells, err := st.Activity(ctx, l, from, to)
		if err != nil {
			return nil, fmt.Errorf("export rule activity of %q: %w", l, err)
		}
		out = append(out, cells...)
	}
	slices.SortFunc(out, func(x, y store.ActivityCount) int { return store.CompareActivity(x.Key, y.Key) })
	return out, nil
}

func exportCampaigns(ctx context.Context, st Store) ([]Campaign, error) {
	list, err := st.ListCampaigns(ctx)
	if err != nil {
		return nil, fmt.Errorf("export campaigns: %w", err)
	}
	out := make([]Campaign, 0, len(list))
	for _, l := range list {
		c, err := st.Campaign(ctx, l.ID)
		if err != nil {
			return nil, fmt.Errorf("export campaign %q: %w", l.ID, err)
		}
		versions, err := st.ListCampaignVersions(ctx, l.ID)
		if err != nil {
			return nil, fmt.Errorf("export campaign %q versions: %w", l.ID, err)
		}
		audit, err := st.Audit(ctx, l.ID)
		if err != nil {
			return nil, fmt.Errorf("export campaign %q audit log: %w", l.ID, err)
		}
		ac := Campaign{ID: c.ID, Rev: c.Rev, State: c.State, Draft: fromDraft(c.Draft), Audit: audit}
		for _, v := range versions {
			ac.Versions = append(ac.Versions, Version{Version: v.Version, Draft: fromDraft(v.Draft), CreatedAt: v.CreatedAt, CreatedBy: v.CreatedBy})
		}
		out = append(out, ac)
	}
	slices.SortFunc(out, func(x, y Campaign) int { return cmp.Compare(x.ID, y.ID) })
	return out, nil
}

func fromDraft(d store.Draft) Draft { return Draft{Definition: d.Definition, Content: d.Content} }
func (d Draft) toStore() store.Draft {
	return store.Draft{Definition: d.Definition, Content: d.Content}
}

// exportCounts reads every campaign's counts over the hours retention can
// still hold, with two days' slack either side for clock skew.
func exportCounts(ctx context.Context, st Store, campaigns []Campaign, now time.Time, retention time.Duration) ([]Count, error) {
	nowHour := now.Unix() / 3600
	from, to := nowHour-int64(retention/time.Hour)-48, nowHour+48
	var out []Count
	for _, c := range campaigns {
		counts, err := st.Counts(ctx, c.ID, from, to)
		if err != nil {
			return nil, fmt.Errorf("export counts of %q: %w", c.ID, err)
		}
		for _, n := range counts {
			if n.N != 0 {
				out = append(out, Count{Key: n.Key, N: n.N})
			}
		}
	}
	slices.SortFunc(out, func(x, y Count) int { return compareKeys(x.Key, y.Key) })
	return out, nil
}

func compareKeys(x, y store.CountKey) int {
	return cmp.Or(cmp.Compare(x.Campaign, y.Campaign), cmp.Compare(x.Hour, y.Hour), cmp.Compare(x.Version, y.Version),
		cmp.Compare(x.Variant, y.Variant), cmp.Compare(x.Locale, y.Locale), cmp.Compare(x.Platform, y.Platform),
		cmp.Compare(x.Kind, y.Kind), cmp.Compare(x.Event, y.Event))
}

// cardKeyNames are the names of the card signing keys that can be alive
// at now: app/cardkeys.go keeps a month's key until 40 days after the
// month ends and creates next month's ahead, so two months back to one
// ahead covers them.
func cardKeyNames(now time.Time) []string {
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	var names []string
	for d := -2; d <= 1; d++ {
		names = append(names, cardKeyPrefix+month.AddDate(0, d, 0).Format("2006-01"))
	}
	return names
}

func exportCardKeys(ctx context.Context, st Store, now time.Time) ([]CardKey, error) {
	var out []CardKey
	for _, name := range cardKeyNames(now) {
		v, err := st.PeekExpiringSecret(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("export card key %s: %w", name, err)
		}
		out = append(out, CardKey{Name: v.Name, Key: v.Value, Expires: v.Expires})
	}
	return out, nil
}
