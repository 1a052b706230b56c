package catalog

import (
	"fmt"
	"net/url"

	"signpost/messages"
	"signpost/track"
)

// Signer signs card tokens.
type Signer interface {
	Sign(c track.Claims) (string, error)
}

// Response is the answer to one event (DESIGN §3 Events).
type Response struct {
	Matched bool       `json:"matched"`
	Match   *MatchInfo `json:"match,omitempty"`
	Card    *Card      `json:"card"`
}

// MatchInfo says what matched. It never contains the event's text.
type MatchInfo struct {
	Categories []string `json:"categories"`
	Rules      []string `json:"rules"`
	// RulesVersion identifies the rule set that matched.
	RulesVersion string `json:"rules_version"`
}

// Card is a localised card as platforms render it.
type Card struct {
	Token    string       `json:"token"`
	Campaign string       `json:"campaign"`
	Variant  string       `json:"variant"`
	Locale   string       `json:"locale"`
	Dir      string       `json:"dir"`
	Title    string       `json:"title"`
	Body     string       `json:"body"`
	Actions  []CardAction `json:"actions"`
	Dismiss  Label        `json:"dismiss"`
	Continue Label        `json:"continue"`
}

// CardAction is a button; its URL goes through /r/{token} so that clicks
// are counted and the destination is the one stored with the campaign.
type CardAction struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	URL   string `json:"url"`
}

// Label is a control's text.
type Label struct {
	Label string `json:"label"`
}

// Respond decides on ev and, when a campaign answers it, assembles the
// card with a freshly signed token.
func (c *Catalog) Respond(ev Event, s Signer, publicURL string) (Response, Decision, error) {
	d := c.Decide(ev)
	if !d.Match.Matched {
		return Response{}, d, nil
	}
	r := Response{Matched: true, Match: &MatchInfo{Categories: d.Match.Categories, Rules: d.Match.Rules, RulesVersion: c.Matcher.Version()}}
	if d.Campaign == nil || d.Card == nil {
		return r, d, nil
	}
	variant := d.Campaign.Def.Experiment.Variants[d.Variant].Key
	tok, err := s.Sign(track.Claims{
		Campaign: d.Campaign.Def.ID, Version: d.Campaign.Version, Variant: variant,
		Locale: d.Locale, Platform: ev.Platform, Kind: ev.KindName, Rules: d.Match.Rules,
	})
	if err != nil {
		return Response{}, d, fmt.Errorf("sign card token: %w", err)
	}
	card := &Card{
		Token: tok, Campaign: d.Campaign.Def.ID, Variant: variant, Locale: d.Locale,
		Dir: messages.Dir(d.Locale), Title: d.Card.Title, Body: d.Card.Body,
		Dismiss: Label{d.Card.Dismiss}, Continue: Label{d.Card.Continue},
		Actions: make([]CardAction, len(d.Card.Actions)),
	}
	for i, a := range d.Card.Actions {
		card.Actions[i] = CardAction{ID: a.ID, Label: a.Label, URL: publicURL + "/r/" + tok + "?a=" + url.QueryEscape(a.ID)}
	}
	r.Card = card
	return r, d, nil
}
