package store

import (
	"context"
	"time"
)

// CampaignRecord is everything stored about one campaign (or rule set):
// the campaign with its draft, every published version and its audit log,
// as a backup carries it.
type CampaignRecord struct {
	Campaign Campaign
	// Versions are oldest first.
	Versions []CampaignVersion
	// Audit is the campaign's log in the order it was appended.
	Audit []AuditEntry
}

// ExpiringValue is an expiring secret with its name and the time it is
// destroyed (to the millisecond).
type ExpiringValue struct {
	Name    string
	Value   []byte
	Expires time.Time
}

// Backup is what `signpost export` and `signpost import` need beyond the
// ordinary methods, which cannot write a record exactly as it was: they
// number revisions, append an audit entry per change and date expiries
// from now.
type Backup interface {
	// RestoreCampaigns writes every record as it was: revision, state,
	// draft, versions and audit log. It fails with ErrConflict, writing
	// nothing, if any of the campaigns exists. A store may write the
	// campaigns one by one; each one is written whole or not at all.
	RestoreCampaigns(ctx context.Context, rs []CampaignRecord) error
	// AppendSecurityEvents appends es to the security log in order, as
	// AppendSecurityEvent would one by one, but in few round trips.
	AppendSecurityEvents(ctx context.Context, es []AuditEntry) error
	// PeekExpiringSecret returns the live expiring secret name with its
	// expiry, or ErrNotFound; unlike ExpiringSecret it never creates one.
	PeekExpiringSecret(ctx context.Context, name string) (ExpiringValue, error)
	// SetExpiringSecret stores v.Value under v.Name until v.Expires,
	// replacing any value. An expiry already past stores nothing.
	SetExpiringSecret(ctx context.Context, v ExpiringValue) error
	// RestorePausedRules stores every paused rule as it was, replacing
	// any record of the same rule, without an audit entry: the entries of
	// the original pauses come back with the rule sets' audit logs.
	RestorePausedRules(ctx context.Context, ps []PausedRule) error
	// Clear deletes everything the store holds except the published-state
	// generation, which must keep growing so that running instances
	// notice the change once the store is filled again.
	Clear(ctx context.Context) error
}
