package catalog

import (
	"time"

	"signpost/match"
	"signpost/messages"
)

// Event is one search or view as the hot path sees it.
type Event struct {
	Kind     match.Kind
	KindName string // "search" or "view"
	Text     string
	Locale   string // a BCP 47 tag or an Accept-Language list
	Subject  string
	Country  string
	Platform string // from the caller's token
	// Time is when the event happened, for campaign schedules.
	Time time.Time
}

// Decision is what the catalog says about an event: what matched and,
// when a campaign answers it, which card to show.
type Decision struct {
	Match    match.Result
	Campaign *messages.Campaign // nil when nothing matched or nothing targets the event
	Variant  int
	// InExperiment reports whether the subject is counted in the A/B test
	// (false without a subject, or outside the experiment's coverage).
	InExperiment bool
	Locale       string
	Card         *messages.CardText
}

// Decide matches ev and picks the campaign, variant and locale. It is pure
// and reads only the catalog.
func (c *Catalog) Decide(ev Event) Decision {
	langs := messages.Languages(ev.Locale)
	primary := ""
	if len(langs) > 0 {
		primary = langs[0]
	}
	q := match.Query{Text: ev.Text, Kind: ev.Kind, Lang: primary}
	d := Decision{Match: c.withoutPaused(c.Matcher.Match(q), q)}
	if !d.Match.Matched {
		return d
	}
	for _, camp := range c.Campaigns {
		if !camp.Targets(d.Match.Categories, ev.Platform, ev.KindName, ev.Country, primary) ||
			!camp.Active(ev.Time) || !camp.RolledOut(ev.Platform, ev.Subject) {
			continue
		}
		d.Campaign = camp
		d.Variant, d.InExperiment = camp.Assign(ev.Subject)
		d.Locale = messages.NegotiateLanguages(langs, camp.Locales, camp.Def.Fallbacks, camp.Def.DefaultLocale)
		d.Card = camp.Card(d.Variant, d.Locale)
		return d
	}
	return d
}
