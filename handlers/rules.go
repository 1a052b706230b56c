package handlers

import (
	"bytes"
	"context"
	"errors"

	"github.com/gofiber/fiber/v2"

	"signpost/editing"
	"signpost/match"
	"signpost/messages"
	"signpost/store"
)

// RulesEditor is the rule-set workflow the /v1/rules routes drive.
type RulesEditor interface {
	ListRules(ctx context.Context) ([]editing.RuleSetSummary, error)
	GetRules(ctx context.Context, name string) (*editing.RuleSet, error)
	PutRuleFile(ctx context.Context, a editing.Actor, name string, rev int64, key string, data []byte) (*editing.RuleSet, error)
	RulesStep(ctx context.Context, a editing.Actor, name string, rev int64, action string, version int64) (*editing.RuleSet, error)
	TryRules(ctx context.Context, name string, queries []match.Query) ([]match.Explanation, error)
	RuleFile(ctx context.Context, name string, version int64, key string) ([]byte, error)
	RuleVersions(ctx context.Context, name string) ([]store.CampaignVersion, error)
}

// errRulesFromFiles answers rule edits when the operator loads rules from
// SIGNPOST_RULES_DIR: the files are the truth, and an edit through the API
// would be lost at the next start.
var errRulesFromFiles = errorf(fiber.StatusConflict, "rules_from_files",
	"rules are loaded from SIGNPOST_RULES_DIR on this deployment; change the files there")

// ruleSetName returns the route's rule set name, or 404.
func ruleSetName(c *fiber.Ctx) (string, error) {
	name := c.Params("name")
	if !editing.ValidRuleSetName(name) {
		return "", errorf(fiber.StatusNotFound, "not_found", "no such rule set: names are language codes such as en or ar-latn")
	}
	return name, nil
}

// sendRuleSet answers with the rule set and its ETag.
func sendRuleSet(c *fiber.Ctx, status int, rs *editing.RuleSet, err error) error {
	if rs != nil && errors.Is(err, editing.ErrNotPropagated) {
		c.Set("Signpost-Propagation", "pending")
		err = nil
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderETag, etag(rs.Rev))
	if status == fiber.StatusCreated {
		c.Set(fiber.HeaderLocation, "/v1/rules/"+rs.Name)
	}
	return c.Status(status).JSON(rs)
}

// rulesManaged refuses rule routes when rules come from files.
func (s *Server) rulesManaged(c *fiber.Ctx) error {
	if s.RulesFromFiles {
		return errRulesFromFiles
	}
	return c.Next()
}

func (s *Server) listRules(c *fiber.Ctx) error {
	list, err := s.Rules.ListRules(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"rule_sets": list})
}

func (s *Server) getRules(c *fiber.Ctx) error {
	name, err := ruleSetName(c)
	if err != nil {
		return err
	}
	rs, err := s.Rules.GetRules(c.UserContext(), name)
	return sendRuleSet(c, fiber.StatusOK, rs, err)
}

// getRuleFile sends the working copy's (or ?version=) rule file or samples.
func (s *Server) getRuleFile(key, contentType string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		name, err := ruleSetName(c)
		if err != nil {
			return err
		}
		version, err := versionParam(c)
		if err != nil {
			return err
		}
		data, err := s.Rules.RuleFile(c.UserContext(), name, version, key)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, contentType)
		return c.Send(data)
	}
}

// putRuleFile replaces the rule file or the samples. A new rule set is
// created by a PUT without If-Match; changing one needs If-Match. Either
// way the working copy is tested whole first (parse, unique ids, linter,
// benign corpus, every sample) and nothing is stored if it fails.
func (s *Server) putRuleFile(key string, types ...string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		name, err := ruleSetName(c)
		if err != nil {
			return err
		}
		rev, err := ifMatch(c, false)
		if err != nil {
			return err
		}
		data, err := body(c, types...)
		if err != nil {
			return err
		}
		if rev == 0 {
			if _, err := s.Rules.GetRules(c.UserContext(), name); err == nil {
				return errorf(fiber.StatusPreconditionRequired, "if_match_required",
					`the rule set exists: send If-Match with its ETag (from GET), so a concurrent change is not overwritten`)
			}
		}
		status := fiber.StatusOK
		if rev == 0 {
			status = fiber.StatusCreated
		}
		rs, err := s.Rules.PutRuleFile(c.UserContext(), actor(c), name, rev, key, bytes.Clone(data))
		return sendRuleSet(c, status, rs, err)
	}
}

// rulesStep returns the handler of one workflow step on a rule set.
func (s *Server) rulesStep(action string, needIfMatch bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		name, err := ruleSetName(c)
		if err != nil {
			return err
		}
		rev, err := ifMatch(c, needIfMatch)
		if err != nil {
			return err
		}
		var version int64
		if action == editing.ActRollback {
			var req rollbackRequest
			if err := decodeStrictJSON(c, &req); err != nil {
				return err
			}
			if req.Version < 1 {
				return errorf(fiber.StatusBadRequest, "invalid_version", `"version" must be a published version number`)
			}
			version = req.Version
		}
		rs, err := s.Rules.RulesStep(c.UserContext(), actor(c), name, rev, action, version)
		return sendRuleSet(c, fiber.StatusOK, rs, err)
	}
}

func (s *Server) listRuleVersions(c *fiber.Ctx) error {
	name, err := ruleSetName(c)
	if err != nil {
		return err
	}
	vs, err := s.Rules.RuleVersions(c.UserContext(), name)
	if err != nil {
		return err
	}
	out := make([]versionInfo, 0, len(vs))
	for _, v := range vs {
		vi := newVersionInfo(v)
		vi.Locales = nil
		out = append(out, vi)
	}
	return c.JSON(fiber.Map{"versions": out})
}

// maxTryTexts bounds one "try these texts" request.
const maxTryTexts = 100

type tryRequest struct {
	Texts []explainRequest `json:"texts"`
}

// tryRules answers, for each text, what the working copy would do once
// published: the explain output of every text. Nothing is stored.
func (s *Server) tryRules(c *fiber.Ctx) error {
	name, err := ruleSetName(c)
	if err != nil {
		return err
	}
	var req tryRequest
	if err := decodeStrictJSON(c, &req); err != nil {
		return err
	}
	if len(req.Texts) == 0 || len(req.Texts) > maxTryTexts {
		return errorf(fiber.StatusBadRequest, "invalid_texts", `"texts" must hold 1 to 100 texts`)
	}
	queries := make([]match.Query, len(req.Texts))
	for i, t := range req.Texts {
		q, err := explainQuery(t)
		if err != nil {
			return err
		}
		queries[i] = q
	}
	results, err := s.Rules.TryRules(c.UserContext(), name, queries)
	if err != nil {
		return err
	}
	for i := range results {
		if results[i].Categories == nil {
			results[i].Categories, results[i].Rules = []string{}, []string{}
		}
	}
	return c.JSON(fiber.Map{"results": results})
}

// languageOf is the first language of an Accept-Language value.
func languageOf(locale string) string {
	if langs := messages.Languages(locale); len(langs) > 0 {
		return langs[0]
	}
	return ""
}
