package handlers

import (
	"github.com/gofiber/fiber/v2"

	"signpost/match"
	"signpost/messages"
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
	if req.Kind == "" {
		req.Kind = "search"
	}
	kind, ok := match.ParseKind(req.Kind)
	if !ok {
		return errorf(fiber.StatusBadRequest, "invalid_kind", `"kind" must be "search" or "view"`)
	}
	if req.Text == nil {
		return errorf(fiber.StatusBadRequest, "missing_text", `"text" is required`)
	}
	if len(*req.Text) > MaxViewText {
		return errorf(fiber.StatusRequestEntityTooLarge, "text_too_large", "\"text\" is limited to 64 KiB")
	}
	cat := s.Catalog.Load()
	if cat == nil {
		return errorf(fiber.StatusServiceUnavailable, "not_ready", "the service is starting")
	}
	lang := ""
	if langs := messages.Languages(req.Locale); len(langs) > 0 {
		lang = langs[0]
	}
	ex := cat.Matcher.Explain(match.Query{Text: *req.Text, Kind: kind, Lang: lang})
	if ex.Categories == nil {
		ex.Categories, ex.Rules = []string{}, []string{}
	}
	return c.JSON(explainResponse{Explanation: ex, RulesVersion: cat.Matcher.Version()})
}
