package store

import (
	"context"
	"time"
)

// PausedRule is a rule the flood guard paused because its match rate
// spiked (see package flood). Every instance reads the set when it builds
// its catalog and leaves these rules out of its decisions, until an editor
// resumes the rule. It holds rates, never text.
type PausedRule struct {
	Rule     string    `json:"rule"`
	PausedAt time.Time `json:"paused_at"`
	// Rate and Baseline are matches per minute in the window that spiked
	// and on average over the trailing baseline; Count is the matches in
	// that window, as one instance saw them.
	Rate     float64 `json:"rate_per_minute"`
	Baseline float64 `json:"baseline_per_minute"`
	Count    int64   `json:"count"`
	// KeptBy and KeptAt record the editor who confirmed the pause.
	KeptBy string    `json:"kept_by,omitempty"`
	KeptAt time.Time `json:"kept_at,omitzero"`
}

// PausedRules keeps the rules paused by the flood guard, one record per
// rule id, shared by every instance. Each change carries its audit entry,
// appended to the log of audit.Campaign (a rule set's, "rules.<lang>").
//
// The embedded store writes a change and its entry in one transaction.
// On Redis they are two writes in different Cluster slots, the change
// first; when the entry cannot be written the change stands and the
// method returns an error saying so, so the caller can log it. On any
// other error nothing changed, and KeepRulePaused and ResumeRule return a
// zero record: a record with its Rule set means the change was made.
type PausedRules interface {
	// PauseRule stores p unless p.Rule is already paused, and reports
	// whether it did; only then is audit appended. Of several instances
	// pausing one rule at once, exactly one gets true.
	PauseRule(ctx context.Context, p PausedRule, audit AuditEntry) (bool, error)
	// PausedRules returns every paused rule, ordered by rule id.
	PausedRules(ctx context.Context) ([]PausedRule, error)
	// KeepRulePaused records that by confirmed rule's pause at at (the
	// rest stays as stored) and returns the record, or ErrNotFound when
	// rule is not paused.
	KeepRulePaused(ctx context.Context, rule, by string, at time.Time, audit AuditEntry) (PausedRule, error)
	// ResumeRule removes rule's pause and returns the record it removed,
	// or ErrNotFound when rule is not paused.
	ResumeRule(ctx context.Context, rule string, audit AuditEntry) (PausedRule, error)
}
