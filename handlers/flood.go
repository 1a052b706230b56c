package handlers

import (
	"context"
	"errors"
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
// verdict on one (the app's flood guard).
type PausedRules interface {
	PausedRules(ctx context.Context) ([]store.PausedRule, error)
	ConfirmPausedRule(ctx context.Context, a editing.Actor, rule, action string) (store.PausedRule, error)
}

func (s *Server) listPausedRules(c *fiber.Ctx) error {
	list, err := s.Flood.PausedRules(c.UserContext())
	if err != nil {
		return err
	}
	if list == nil {
		list = []store.PausedRule{}
	}
	return c.JSON(fiber.Map{"paused_rules": list})
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
	p, err := s.Flood.ConfirmPausedRule(c.UserContext(), actor(c), strings.Clone(rule), req.Action)
	if errors.Is(err, store.ErrNotFound) {
		return errorf(fiber.StatusNotFound, "not_found", "this rule is not paused")
	}
	if err != nil {
		return err
	}
	status := "paused"
	if req.Action == ResumeRule {
		status = "resumed"
	}
	return c.JSON(fiber.Map{"status": status, "rule": p})
}
