package handlers

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"signpost/editing"
	"signpost/messages"
	"signpost/web"
)

// CardRenderer renders the card page that hosted cards and previews share.
type CardRenderer interface {
	Render(w io.Writer, c web.Card) error
}

// previewCampaign renders a card of the working copy (or ?version=) in
// ?locale= (negotiated as for a person, through the fallback chain) and
// ?variant=, exactly as the hosted card page shows it.
func (s *Server) previewCampaign(c *fiber.Ctx) error {
	version, err := versionParam(c)
	if err != nil {
		return err
	}
	def, files, err := s.Campaigns.Definition(c.UserContext(), c.Params("id"), version)
	if err != nil {
		return err
	}
	camp, err := messages.Compile(def, version, files)
	if err != nil {
		return err
	}
	vi := 0
	if key := c.Query("variant"); key != "" {
		vi = slices.IndexFunc(def.Experiment.Variants, func(v messages.Variant) bool { return v.Key == key })
		if vi < 0 {
			return errorf(fiber.StatusBadRequest, "invalid_variant", "the campaign has no such variant")
		}
	}
	loc := messages.Negotiate(c.Query("locale"), camp.Locales, def.Fallbacks, def.DefaultLocale)
	card := camp.Card(vi, loc)
	page := web.Card{Lang: loc, Dir: messages.Dir(loc), Title: card.Title, Body: card.Body, Dismiss: card.Dismiss, Continue: card.Continue}
	for _, a := range card.Actions {
		page.Actions = append(page.Actions, web.CardAction{Label: a.Label, URL: a.URL})
	}
	which := "working copy"
	if version > 0 {
		which = "version " + strconv.FormatInt(version, 10)
	}
	page.Preview = fmt.Sprintf("Preview of %s, %s: variant %s, locale %s", def.ID, which, def.Experiment.Variants[vi].Key, loc)
	page.Nonce = web.NewNonce()
	// The editors' preview page frames previews side by side: the same
	// policy as hosted cards, but framable by the service's own pages.
	c.Set(fiber.HeaderContentSecurityPolicy, strings.Replace(web.CSP(page.Nonce), "frame-ancestors 'none'", "frame-ancestors 'self'", 1))
	var buf bytes.Buffer
	if err := s.Cards.Render(&buf, page); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(buf.Bytes())
}

// maxAuditList bounds one audit response.
const maxAuditList = 1000

// getAudit lists audit entries, filtered by campaign, actor (token id),
// action and time (RFC 3339), the most recent ?limit= (default 200).
func (s *Server) getAudit(c *fiber.Ctx) error {
	f := editing.AuditFilter{Campaign: c.Query("campaign"), Actor: c.Query("actor"), Action: c.Query("action"), Limit: 200}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := c.Query(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return errorf(fiber.StatusBadRequest, "invalid_time", p.name+" must be an RFC 3339 time such as 2026-11-29T10:00:00Z")
			}
			*p.dst = t
		}
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxAuditList {
			return errorf(fiber.StatusBadRequest, "invalid_limit", fmt.Sprintf("limit must be 1 to %d", maxAuditList))
		}
		f.Limit = n
	}
	entries, err := s.Campaigns.Audit(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"entries": entries})
}
