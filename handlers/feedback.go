package handlers

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"signpost/auth"
	"signpost/match"
	"signpost/store"
	"signpost/track"
)

// Feedback types a platform reports.
const (
	FeedbackFalsePositive = store.ActivityFalsePositive
	FeedbackMissed        = store.ActivityMissed
)

// Bounds of the activity route's window, in days.
const (
	defaultActivityDays = 7
	maxActivityDays     = 90
	maxFeedbackField    = 200
)

// RuleIndex is the current catalog's rules, for checking the ids a
// report names.
type RuleIndex interface {
	Rule(id string) (match.Rule, bool)
	HasCategory(category string) bool
	HasLanguage(lang string) bool
	// SetRules returns the rules of one rule set (language), in rule order.
	SetRules(lang string) []match.Rule
}

// FeedbackSink takes platforms' feedback and reads rule activity
// (app/feedback.go). Report only touches memory; counts reach the store
// with the next flush.
type FeedbackSink interface {
	// Rules returns the current catalog's rule index, nil before the
	// first catalog.
	Rules() RuleIndex
	Report(typ string, cells []store.ActivityKey)
	Activity(ctx context.Context, langs []string, fromDay, toDay string) ([]store.ActivityCount, error)
}

// feedbackRequest is a report as platforms send it: ids only, never text.
type feedbackRequest struct {
	Type     string `json:"type"`
	Token    string `json:"token"`
	Rule     string `json:"rule"`
	Category string `json:"category"`
	Language string `json:"language"`
}

func badFeedback(msg string) *Error { return errorf(fiber.StatusBadRequest, "invalid_feedback", msg) }

// cells validates r against the current rules and returns the activity
// cells it counts at now. A platform may only report its own cards.
func (r *feedbackRequest) cells(ix RuleIndex, signer CardSigner, p auth.Principal, now time.Time) ([]store.ActivityKey, *Error) {
	for _, f := range []string{r.Rule, r.Category, r.Language} {
		if len(f) > maxFeedbackField {
			return nil, badFeedback(fmt.Sprintf("ids are limited to %d bytes", maxFeedbackField))
		}
	}
	switch r.Type {
	case FeedbackFalsePositive:
		if r.Token == "" && r.Rule == "" {
			return nil, badFeedback(`a "false_positive" report needs "token" or "rule"`)
		}
		if r.Category != "" || r.Language != "" {
			return nil, badFeedback(`"category" and "language" go with "missed" reports`)
		}
	case FeedbackMissed:
		if r.Rule == "" && r.Category == "" {
			return nil, badFeedback(`a "missed" report needs "rule" or "category"`)
		}
		if r.Token != "" {
			return nil, badFeedback(`a "missed" report has no card, so no "token"`)
		}
	default:
		return nil, badFeedback(`"type" must be "false_positive" or "missed"`)
	}
	if r.Rule != "" {
		if _, ok := ix.Rule(r.Rule); !ok {
			return nil, errorf(fiber.StatusBadRequest, "unknown_rule", "no rule with this id is in the current rules")
		}
	}
	if r.Category != "" && !ix.HasCategory(r.Category) {
		return nil, errorf(fiber.StatusBadRequest, "unknown_category", "no current rule has this category")
	}
	if r.Language != "" && !ix.HasLanguage(r.Language) {
		return nil, errorf(fiber.StatusBadRequest, "unknown_language", "no current rule set has this language")
	}
	var claims track.Claims
	if r.Token != "" {
		var err error
		claims, err = signer.Verify(r.Token)
		if err != nil || (p.Role == auth.RolePlatform && claims.Platform != p.Platform) {
			return nil, errBadCardToken
		}
	}
	now = now.UTC()
	cell := store.ActivityKey{Day: now.Format(time.DateOnly), Hour: now.Hour(), Event: r.Type, Platform: p.Platform}
	var out []store.ActivityKey
	addRule := func(rule string) {
		k := cell
		k.Language, k.Rule = ruleLanguage(rule), rule
		out = append(out, k)
	}
	switch {
	case r.Rule != "":
		addRule(r.Rule)
	case r.Type == FeedbackFalsePositive:
		for _, rule := range claims.Rules {
			addRule(rule)
		}
	default:
		k := cell
		k.Language, k.Category = r.Language, r.Category
		out = append(out, k)
	}
	if r.Token != "" {
		// The campaign hears of it too; a token from before tokens named
		// their rules counts against its campaign only.
		k := cell
		k.Campaign = claims.Campaign
		out = append(out, k)
	}
	return out, nil
}

// ruleLanguage is the language part of a rule id ("<lang>.<local id>").
func ruleLanguage(rule string) string {
	lang, _, _ := strings.Cut(rule, ".")
	return lang
}

// postFeedback takes a platform's report of a wrong trigger: a card that
// should not have been shown, or content no rule caught. It is counted,
// attributed to the caller's platform, and answered 202.
func (s *Server) postFeedback(c *fiber.Ctx) error {
	var req feedbackRequest
	if err := decodeStrictJSON(c, &req); err != nil {
		return err
	}
	ix := s.Feedback.Rules()
	if ix == nil {
		return errorf(fiber.StatusServiceUnavailable, "not_ready", "the service is starting")
	}
	cells, verr := req.cells(ix, s.Signer, principal(c), time.Now())
	if verr != nil {
		return verr
	}
	s.Feedback.Report(req.Type, cells)
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"accepted": true})
}

// RuleActivity is one rule set's activity over a window of days.
type RuleActivity struct {
	RuleSet    string             `json:"rule_set"`
	Days       int                `json:"days"`
	From       string             `json:"from"`
	To         string             `json:"to"`
	Rules      []RuleActivityRow  `json:"rules"`
	Categories []CategoryActivity `json:"categories"`
}

// RuleActivityRow is one rule's matches next to the reports about it.
type RuleActivityRow struct {
	Rule     string `json:"rule"`
	Category string `json:"category"`
	// Current is false for a rule no longer in the rules that still has
	// activity in the window.
	Current        bool             `json:"current"`
	Paused         bool             `json:"paused"`
	Searches       int64            `json:"matches_search"`
	Views          int64            `json:"matches_view"`
	FalsePositives int64            `json:"false_positives"`
	Missed         int64            `json:"missed"`
	ByPlatform     map[string]int64 `json:"false_positives_by_platform"`
}

// CategoryActivity is the missed-content reports naming a category and
// no rule, in the rule set's language or in none.
type CategoryActivity struct {
	Category string `json:"category"`
	Language string `json:"language"`
	Missed   int64  `json:"missed"`
}

// activityDays reads the ?days= window (default 7, 1 to 90).
func activityDays(c *fiber.Ctx) (int, error) {
	q := c.Query("days")
	if q == "" {
		return defaultActivityDays, nil
	}
	n, err := strconv.Atoi(q)
	if err != nil || n < 1 || n > maxActivityDays {
		return 0, errorf(fiber.StatusBadRequest, "invalid_days", fmt.Sprintf(`"days" must be a whole number from 1 to %d`, maxActivityDays))
	}
	return n, nil
}

// ruleActivity loads set's activity over the last days days.
func (s *Server) ruleActivity(ctx context.Context, set string, days int) (*RuleActivity, error) {
	ix := s.Feedback.Rules()
	if ix == nil {
		return nil, errorf(fiber.StatusServiceUnavailable, "not_ready", "the service is starting")
	}
	rules := ix.SetRules(set)
	if len(rules) == 0 {
		return nil, errorf(fiber.StatusNotFound, "not_found", "no rule of this rule set is in the current rules")
	}
	now := time.Now().UTC()
	from, to := now.AddDate(0, 0, 1-days).Format(time.DateOnly), now.Format(time.DateOnly)
	cells, err := s.Feedback.Activity(ctx, []string{set, ""}, from, to)
	if err != nil {
		return nil, err
	}
	var paused func(string) bool
	if s.Catalog != nil {
		if cat := s.Catalog.Load(); cat != nil {
			paused = cat.Paused
		}
	}
	return buildActivity(set, days, from, to, rules, paused, cells), nil
}

// buildActivity sums cells into one row per rule of the set (rules in
// rule order, then rules no longer current by id) and one per category.
func buildActivity(set string, days int, from, to string, rules []match.Rule, paused func(string) bool, cells []store.ActivityCount) *RuleActivity {
	out := &RuleActivity{RuleSet: set, Days: days, From: from, To: to, Rules: []RuleActivityRow{}, Categories: []CategoryActivity{}}
	rows := map[string]int{}
	for _, r := range rules {
		rows[r.ID] = len(out.Rules)
		out.Rules = append(out.Rules, RuleActivityRow{Rule: r.ID, Category: r.Category, Current: true,
			Paused: paused != nil && paused(r.ID), ByPlatform: map[string]int64{}})
	}
	gone := map[string]*RuleActivityRow{} // rules no longer current
	cats := map[[2]string]int64{}
	for _, c := range cells {
		k := c.Key
		switch {
		case k.Category != "" && (k.Language == set || k.Language == ""):
			cats[[2]string{k.Category, k.Language}] += c.N
			continue
		case k.Rule == "" || k.Language != set:
			continue
		}
		var row *RuleActivityRow
		if i, ok := rows[k.Rule]; ok {
			row = &out.Rules[i]
		} else if row = gone[k.Rule]; row == nil {
			row = &RuleActivityRow{Rule: k.Rule, ByPlatform: map[string]int64{}}
			gone[k.Rule] = row
		}
		switch k.Event {
		case store.ActivitySearch:
			row.Searches += c.N
		case store.ActivityView:
			row.Views += c.N
		case store.ActivityFalsePositive:
			row.FalsePositives += c.N
			if k.Platform != "" {
				row.ByPlatform[k.Platform] += c.N
			}
		case store.ActivityMissed:
			row.Missed += c.N
		}
	}
	for _, id := range slices.Sorted(maps.Keys(gone)) {
		out.Rules = append(out.Rules, *gone[id])
	}
	for k, n := range cats {
		out.Categories = append(out.Categories, CategoryActivity{Category: k[0], Language: k[1], Missed: n})
	}
	slices.SortFunc(out.Categories, func(x, y CategoryActivity) int {
		if x.Category != y.Category {
			return strings.Compare(x.Category, y.Category)
		}
		return strings.Compare(x.Language, y.Language)
	})
	return out
}

// getRuleActivity answers GET /v1/rules/:name/activity.
func (s *Server) getRuleActivity(c *fiber.Ctx) error {
	name, err := ruleSetName(c)
	if err != nil {
		return err
	}
	days, err := activityDays(c)
	if err != nil {
		return err
	}
	a, err := s.ruleActivity(c.UserContext(), strings.Clone(name), days)
	if err != nil {
		return err
	}
	return c.JSON(a)
}

// PausedFeedback is what platforms reported about a paused rule, for the
// editor deciding whether to keep it paused: false positives since the
// pause and in the 24 hours before it, to the hour.
type PausedFeedback struct {
	FalsePositivesSince     int64 `json:"false_positives_since_pause"`
	FalsePositivesDayBefore int64 `json:"false_positives_day_before"`
}

// pausedFeedback sums the false-positive reports around p's pause.
func (s *Server) pausedFeedback(ctx context.Context, p store.PausedRule) (PausedFeedback, error) {
	var out PausedFeedback
	if s.Feedback == nil {
		return out, nil
	}
	pause := p.PausedAt.UTC().Truncate(time.Hour)
	before := pause.Add(-24 * time.Hour)
	now := time.Now().UTC()
	from := before
	if oldest := now.AddDate(0, 0, -4*maxActivityDays); from.Before(oldest) {
		from = oldest // a pause kept for months: its latest reports suffice
	}
	cells, err := s.Feedback.Activity(ctx, []string{ruleLanguage(p.Rule)}, from.Format(time.DateOnly), now.Format(time.DateOnly))
	if err != nil {
		return out, err
	}
	for _, c := range cells {
		if c.Key.Rule != p.Rule || c.Key.Event != store.ActivityFalsePositive {
			continue
		}
		d, err := time.Parse(time.DateOnly, c.Key.Day)
		if err != nil {
			continue
		}
		switch at := d.Add(time.Duration(c.Key.Hour) * time.Hour); {
		case !at.Before(pause):
			out.FalsePositivesSince += c.N
		case !at.Before(before):
			out.FalsePositivesDayBefore += c.N
		}
	}
	return out, nil
}
