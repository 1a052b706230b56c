package handlers

import (
	"bytes"
	"context"
	"net/url"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"

	"signpost/catalog"
	"signpost/match"
	"signpost/messages"
	"signpost/store"
	"signpost/track"
	"signpost/web"
)

// Counter receives what people do with cards (track.Counter). Its
// methods only touch memory: they run on platform calls.
type Counter interface {
	Served(card store.CountKey, subject string, search bool, at time.Time)
	Searched(subject string, at time.Time)
	Interaction(card store.CountKey, event, id string, at time.Time)
}

// VersionSource returns the compiled campaign version a card token names,
// and whether the campaign is serving at all: links on a card of a
// paused campaign stop working, since pausing pulls a wrong message.
type VersionSource interface {
	CampaignVersion(ctx context.Context, id string, version int64) (camp *messages.Campaign, serving bool, err error)
}

// cardKey is the counting key of the card a token names.
func cardKey(c track.Claims) store.CountKey {
	return store.CountKey{Campaign: c.Campaign, Version: c.Version, Variant: c.Variant, Locale: c.Locale, Platform: c.Platform, Kind: c.Kind}
}

// count records a decided event: a served card, or a matching search
// without one (which may end a desistance watch).
func (s *Server) count(ev catalog.Event, d catalog.Decision) {
	if s.Counter == nil || !d.Match.Matched {
		return
	}
	search := ev.Kind == match.KindSearch
	if d.Card == nil {
		if search {
			s.Counter.Searched(ev.Subject, ev.Time)
		}
		return
	}
	k := store.CountKey{Campaign: d.Campaign.Def.ID, Version: d.Campaign.Version, Variant: d.Campaign.Def.Experiment.Variants[d.Variant].Key,
		Locale: d.Locale, Platform: ev.Platform, Kind: ev.KindName}
	s.Counter.Served(k, ev.Subject, search, ev.Time)
}

type interactionRequest struct {
	Token string `json:"token"`
	Type  string `json:"type"`
}

var errBadCardToken = errorf(fiber.StatusBadRequest, "invalid_token", "the card token is not valid")

// postInteraction counts what a person did with a card the platform
// rendered: impression, dismiss or continue, once per token and type.
// A token that is forged, expired or another platform's is refused with
// one message, which says nothing of why.
func (s *Server) postInteraction(c *fiber.Ctx) error {
	var req interactionRequest
	if err := decodeStrictJSON(c, &req); err != nil {
		return err
	}
	switch req.Type {
	case track.EventImpression, track.EventDismiss, track.EventContinue:
	default:
		return errorf(fiber.StatusBadRequest, "invalid_type", `"type" must be "impression", "dismiss" or "continue"`)
	}
	claims, err := s.Signer.Verify(req.Token)
	if err != nil || claims.Platform != principal(c).Platform {
		return errBadCardToken
	}
	s.Counter.Interaction(cardKey(claims), req.Type, claims.ID, time.Now())
	return c.SendStatus(fiber.StatusNoContent)
}

// cardOf returns the campaign version and card a valid token names, or
// nil when the token is bad or the campaign is not serving.
func (s *Server) cardOf(c *fiber.Ctx) (track.Claims, *messages.Campaign, *messages.CardText) {
	claims, err := s.Signer.Verify(c.Params("token"))
	if err != nil {
		return claims, nil, nil
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	camp, serving, err := s.Versions.CampaignVersion(ctx, claims.Campaign, claims.Version)
	if err != nil || !serving {
		return claims, nil, nil
	}
	vi := slices.IndexFunc(camp.Def.Experiment.Variants, func(v messages.Variant) bool { return v.Key == claims.Variant })
	if vi < 0 {
		return claims, nil, nil
	}
	return claims, camp, camp.Card(vi, claims.Locale)
}

// safePage answers with the neutral page: for any bad or stale link.
// Its policy allows its own inline style and nothing else.
func (s *Server) safePage(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderContentSecurityPolicy, web.SafeCSP)
	return c.Status(fiber.StatusOK).Send(s.SafePage)
}

// exitPage is where Quick Exit goes (web.ExitPath): the neutral page at
// a fixed address that names nothing.
func (s *Server) exitPage(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.safePage(c)
}

// redirect counts a card's action click and sends the person to the
// action URL stored in the campaign version the token names, never to a
// URL from the request. Any bad token, unknown action or campaign that no
// longer serves gets the neutral safe page, with no hint of why.
func (s *Server) redirect(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("Referrer-Policy", "no-referrer")
	claims, camp, _ := s.cardOf(c)
	if camp != nil {
		action := c.Query("a")
		for _, a := range camp.Def.Actions {
			if a.ID == action {
				s.Counter.Interaction(cardKey(claims), track.EventClick+a.ID, claims.ID, time.Now())
				return c.Redirect(a.URL, fiber.StatusFound)
			}
		}
	}
	return s.safePage(c)
}

// hostedCard is the interstitial page a platform can send people to
// instead of rendering the card itself; showing it counts an impression.
func (s *Server) hostedCard(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("Referrer-Policy", "no-referrer")
	claims, _, card := s.cardOf(c)
	if card == nil {
		return s.safePage(c)
	}
	tok := url.PathEscape(c.Params("token"))
	page := web.Card{Lang: claims.Locale, Dir: messages.Dir(claims.Locale), Title: card.Title, Body: card.Body, Dismiss: card.Dismiss, Continue: card.Continue,
		FormAction: s.PublicURL + "/card/" + tok}
	for _, a := range card.Actions {
		page.Actions = append(page.Actions, web.CardAction{Label: a.Label, URL: s.PublicURL + "/r/" + tok + "?a=" + url.QueryEscape(a.ID)})
	}
	page.Nonce = web.NewNonce()
	c.Set(fiber.HeaderContentSecurityPolicy, web.CSP(page.Nonce))
	var buf bytes.Buffer
	if err := s.Cards.Render(&buf, page); err != nil {
		return err
	}
	s.Counter.Interaction(cardKey(claims), track.EventImpression, claims.ID, time.Now())
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Send(buf.Bytes())
}

// hostedCardChoice counts what a person did with a hosted or widget
// card: the hosted card's continue and dismiss buttons (a plain form
// post), and the widget's reports (impression, dismiss, continue), sent
// cross-origin as a form-urlencoded beacon: a simple request, with no
// preflight and no credentials. Each counts once per token and type. The
// card token is the capability: no session or CSRF token is involved, and
// a bad token, another type or a campaign no longer serving counts
// nothing and gets the same answer.
//
// A form post (a navigation, or a client that does not say) gets the
// neutral page, which leaves nothing on screen about what was shown. A
// script's report (Sec-Fetch-Mode other than navigate) and any impression
// get 204, which other origins may receive.
func (s *Server) hostedCardChoice(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	typ := c.FormValue("type")
	claims, _, card := s.cardOf(c)
	if card != nil {
		// The constants, not the form value: fiber reuses the request's
		// buffer, and the counter keeps the event name.
		switch typ {
		case track.EventContinue:
			s.Counter.Interaction(cardKey(claims), track.EventContinue, claims.ID, time.Now())
		case track.EventDismiss:
			s.Counter.Interaction(cardKey(claims), track.EventDismiss, claims.ID, time.Now())
		case track.EventImpression:
			s.Counter.Interaction(cardKey(claims), track.EventImpression, claims.ID, time.Now())
		}
	}
	mode := c.Get("Sec-Fetch-Mode")
	if typ == track.EventImpression || (mode != "" && mode != "navigate") {
		c.Set("Cross-Origin-Resource-Policy", "cross-origin")
		return c.SendStatus(fiber.StatusNoContent)
	}
	return s.safePage(c)
}
