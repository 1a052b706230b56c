package handlers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"signpost/editing"
	"signpost/store"
)

// Verdicts an editor gives on a rule the flood guard paused.
const (
	// ResumeRule: the spike was genuine; the rule fires again and its
	// baseline restarts.
	ResumeRule = "resume"
	// KeepPaused: the spike was a collision (news, a meme); the rule
	// stays paused until someone resumes it or changes the rule set.
	KeepPaused = "keep_paused"
)

// maxRuleID bounds the route's rule id: ids are "<lang>.<local id>".
const maxRuleID = 200

// PausedRules lists rules the flood guard paused and takes an editor's
// verdict on one (the app's flood guard). note is appended to the
// verdict's audit entry: what the editor was shown when deciding.
type PausedRules interface {
	PausedRules(ctx context.Context) ([]store.PausedRule, error)
	ConfirmPausedRule(ctx context.Context, a editing.Actor, rule, action, note string) (store.PausedRule, error)
}

// PausedRuleView is a paused rule with what platforms reported about it.
type PausedRuleView struct {
	store.PausedRule
	Feedback PausedFeedback `json:"feedback"`
}

// pausedRules lists the paused rules, each with its feedback counts.
func (s *Server) pausedRules(ctx context.Context) ([]PausedRuleView, error) {
	list, err := s.Flood.PausedRules(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]PausedRuleView, 0, len(list))
	for _, p := range list {
		fb, err := s.pausedFeedback(ctx, p)
		if err != nil {
			return nil, err
		}
		out = append(out, PausedRuleView{PausedRule: p, Feedback: fb})
	}
	return out, nil
}

func (s *Server) listPausedRules(c *fiber.Ctx) error {
	list, err := s.pausedRules(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"paused_rules": list})
}

// feedbackNote is the audit detail's record of the reports an editor saw.
func feedbackNote(fb PausedFeedback) string {
	return fmt.Sprintf("; platforms reported %d false positive(s) since the pause and %d in the 24 hours before it",
		fb.FalsePositivesSince, fb.FalsePositivesDayBefore)
}

type confirmRequest struct {
	Action string `json:"action"`
}

// confirmPausedRule resumes a paused rule or keeps it paused, audited.
func (s *Server) confirmPausedRule(c *fiber.Ctx) error {
	rule := c.Params("rule")
	if rule == "" || len(rule) > maxRuleID {
		return errorf(fiber.StatusNotFound, "not_found", "no such paused rule")
	}
	var req confirmRequest
	if err := decodeStrictJSON(c, &req); err != nil {
		return err
	}
	if req.Action != ResumeRule && req.Action != KeepPaused {
		return errorf(fiber.StatusBadRequest, "invalid_action", `"action" must be "resume" or "keep_paused"`)
	}
	view, err := s.confirmPaused(c.UserContext(), actor(c), strings.Clone(rule), req.Action)
	if err != nil {
		return err
	}
	status := "paused"
	if req.Action == ResumeRule {
		status = "resumed"
	}
	return c.JSON(fiber.Map{"status": status, "rule": view})
}

// confirmPaused records an editor's verdict on a paused rule, for the API
// and the rules page alike. The feedback counts the listing showed,
// recounted now, go into the audit entry with the verdict.
func (s *Server) confirmPaused(ctx context.Context, a editing.Actor, rule, action string) (PausedRuleView, error) {
	var fb PausedFeedback
	var note string
	if list, err := s.Flood.PausedRules(ctx); err == nil {
		if i := slices.IndexFunc(list, func(p store.PausedRule) bool { return p.Rule == rule }); i >= 0 {
			if fb, err = s.pausedFeedback(ctx, list[i]); err != nil {
				return PausedRuleView{}, err
			}
			note = feedbackNote(fb)
		}
	}
	p, err := s.Flood.ConfirmPausedRule(ctx, a, rule, action, note)
	if errors.Is(err, store.ErrNotFound) {
		return PausedRuleView{}, errorf(fiber.StatusNotFound, "not_found", "this rule is not paused")
	}
	if err != nil {
		return PausedRuleView{}, err
	}
	return PausedRuleView{PausedRule: p, Feedback: fb}, nil
}
