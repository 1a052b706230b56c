package handlers

import (
	"github.com/gofiber/fiber/v2"

	"signpost/match"
)

type explainRequest struct {
	Text   *string `json:"text"`
	Kind   string  `json:"kind"`
	Locale string  `json:"locale"`
}

type explainResponse struct {
	match.Explanation
	RulesVersion string `json:"rules_version"`
}

// postExplain shows an editor why a text matches or not: the normalised
// text, every view that was built, each rule that fired with its spans
// and view, and the rules an exclusion suppressed. The text is the
// editor's own test input; it is answered, never stored or logged.
func (s *Server) postExplain(c *fiber.Ctx) error {
	var req explainRequest
	if err := decodeStrictJSON(c, &req); err != nil {
		return err
	}
	q, err := explainQuery(req)
	if err != nil {
		return err
	}
	cat := s.Catalog.Load()
	if cat == nil {
		return errorf(fiber.StatusServiceUnavailable, "not_ready", "the service is starting")
	}
	ex := cat.Matcher.Explain(q)
	if ex.Categories == nil {
		ex.Categories, ex.Rules = []string{}, []string{}
	}
	return c.JSON(explainResponse{Explanation: ex, RulesVersion: cat.Matcher.Version()})
}

// explainQuery checks an explain request and turns it into a query.
func explainQuery(req explainRequest) (match.Query, error) {
	if req.Kind == "" {
		req.Kind = "search"
	}
	kind, ok := match.ParseKind(req.Kind)
	if !ok {
		return match.Query{}, errorf(fiber.StatusBadRequest, "invalid_kind", `"kind" must be "search" or "view"`)
	}
	if req.Text == nil {
		return match.Query{}, errorf(fiber.StatusBadRequest, "missing_text", `"text" is required`)
	}
	if len(*req.Text) > MaxViewText {
		return match.Query{}, errorf(fiber.StatusRequestEntityTooLarge, "text_too_large", "\"text\" is limited to 64 KiB")
	}
	return match.Query{Text: *req.Text, Kind: kind, Lang: languageOf(req.Locale)}, nil
}
