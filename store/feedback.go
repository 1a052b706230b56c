package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Activity events: what happened to a rule (or a category) on a day.
// Matches are counted per kind of event; feedback per type of report.
const (
	ActivitySearch        = "search"
	ActivityView          = "view"
	ActivityFalsePositive = "false_positive"
	ActivityMissed        = "missed"
)

// ActivityKey is one cell of rule activity: matches of a rule, or
// platforms' reports about it, on one day. It holds ids chosen by
// editors (rules, categories, campaigns) and platform ids, never text
// nor anyone's identity.
//
// Exactly one of Rule, Category and Campaign is set: a rule's matches
// and reports; a category's missed-content reports that named no rule;
// or a campaign's false-positive reports from card tokens that do not
// say which rules fired (tokens issued before they did).
type ActivityKey struct {
	// Language partitions activity: a rule's language (the part of its id
	// before the first dot), or the language a missed report named; ""
	// for a report naming none, and for campaign cells.
	Language string `json:"lang"`
	Day      string `json:"day"` // YYYY-MM-DD, UTC
	// Hour is the hour of Day (0 to 23, UTC): an editor confirming a
	// paused rule needs the reports since the pause, not since midnight.
	Hour     int    `json:"hour"`
	Rule     string `json:"rule,omitempty"`
	Category string `json:"category,omitempty"`
	Campaign string `json:"campaign,omitempty"`
	Event    string `json:"event"`
	// Platform is the reporting platform of a feedback cell; empty for
	// matches, and for reports sent by editors.
	Platform string `json:"platform,omitempty"`
}

// ActivityCount is a number of events in one cell.
type ActivityCount struct {
	Key ActivityKey `json:"key"`
	N   int64       `json:"n"`
}

// ActivityBatch is one flush of one language's activity: one partition,
// so Redis Cluster can apply it in one slot.
type ActivityBatch struct {
	// ID makes the batch idempotent: retried with the same ID after a
	// lost reply, it is applied once.
	ID       string
	Language string
	Counts   []ActivityCount
}

// Check rejects a batch a store could not apply as one language's.
func (b ActivityBatch) Check(retention time.Duration) error {
	if b.ID == "" {
		return errors.New("store: activity batch id is required")
	}
	if retention <= 0 {
		return fmt.Errorf("store: retention %v is not positive", retention)
	}
	for _, c := range b.Counts {
		k := c.Key
		set := 0
		for _, s := range []string{k.Rule, k.Category, k.Campaign} {
			if s != "" {
				set++
			}
		}
		switch {
		case k.Language != b.Language:
			return fmt.Errorf("store: activity of language %q in a batch of %q", k.Language, b.Language)
		case set != 1:
			return fmt.Errorf("store: activity cell needs exactly one of rule, category and campaign")
		case k.Rule != "" && !strings.HasPrefix(k.Rule, b.Language+"."):
			return fmt.Errorf("store: rule %q is not of language %q", k.Rule, b.Language)
		case k.Event == "":
			return errors.New("store: activity cell without an event")
		case k.Hour < 0 || k.Hour > 23:
			return fmt.Errorf("store: activity hour %d is not 0 to 23", k.Hour)
		}
		if _, err := time.Parse(time.DateOnly, k.Day); err != nil {
			return fmt.Errorf("store: activity day %q: %w", k.Day, err)
		}
	}
	return nil
}

// ActivityExpires is when a day's activity is deleted: retention after
// the day ends. It depends only on the day, so a batch applied late (or
// imported from a backup) does not stretch a day's life.
func ActivityExpires(day string, retention time.Duration) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: activity day %q: %w", day, err)
	}
	return d.Add(24 * time.Hour).Add(retention), nil
}

// Feedback keeps per-rule activity: match counts, which each instance
// aggregates in memory and flushes, and platforms' feedback reports
// (false positives and missed content), so editors can see one next to
// the other.
type Feedback interface {
	// ApplyActivity adds b's counts atomically and at most once per b.ID.
	// Each day's cells are deleted ActivityExpires(day, retention) after
	// it, and cells of a day already past that are not written.
	ApplyActivity(ctx context.Context, b ActivityBatch, retention time.Duration) error
	// Activity returns language's cells of the days in [fromDay, toDay]
	// (YYYY-MM-DD), ordered by CompareActivity.
	Activity(ctx context.Context, language, fromDay, toDay string) ([]ActivityCount, error)
	// ActivityLanguages returns every language that has activity stored,
	// sorted, "" included when it has (for backups).
	ActivityLanguages(ctx context.Context) ([]string, error)
}

// CompareActivity orders activity cells as Activity returns them: by
// day and hour, then rule, category, campaign, event and platform.
func CompareActivity(x, y ActivityKey) int {
	return cmp.Or(cmp.Compare(x.Language, y.Language), cmp.Compare(x.Day, y.Day), cmp.Compare(x.Hour, y.Hour), cmp.Compare(x.Rule, y.Rule),
		cmp.Compare(x.Category, y.Category), cmp.Compare(x.Campaign, y.Campaign), cmp.Compare(x.Event, y.Event),
		cmp.Compare(x.Platform, y.Platform))
}
