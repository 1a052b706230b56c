package messages

import (
	"maps"
	"slices"
	"time"

	"signpost/experiment"
)

// LocaleFile is one locale's go-i18n message file as uploaded.
type LocaleFile struct {
	Format string // "toml", "json" or "yaml"
	Data   []byte
	// Name names the file in error messages (e.g. its path); optional.
	Name string
}

// Limits on card text: a card is read in seconds on a small screen.
const (
	MaxTitle = 80
	MaxBody  = 600
	MaxLabel = 60
)

// Campaign is a compiled, immutable campaign: its definition and every
// card pre-rendered per variant and locale, so that serving a card does no
// localisation work.
type Campaign struct {
	Def     *Definition
	Version int64
	// Locales with content, sorted.
	Locales []string
	exp     experiment.Experiment
	cards   map[cardKey]*CardText
}

type cardKey struct {
	variant int
	locale  string
}

// CardText is the localised text of one variant in one locale.
type CardText struct {
	Title    string
	Body     string
	Actions  []ActionText
	Dismiss  string
	Continue string
}

// ActionText is one action's label and destination.
type ActionText struct {
	ID    string
	Label string
	URL   string
}

// MessageIDs lists the message ids a variant needs, given the campaign's
// actions (DESIGN §3).
func (d *Definition) MessageIDs(variant string) []string {
	ids := []string{variant + ".title", variant + ".body"}
	for _, a := range d.Actions {
		ids = append(ids, variant+".action."+a.ID+".label")
	}
	return append(ids, variant+".dismiss", variant+".continue")
}

// Compile validates a definition's content and pre-renders its cards.
// The default locale must carry every message of every variant; other
// locales may be partial, missing messages falling back along the
// locale's chain and then to the default locale. All problems are
// returned together, each located by locale, file, message and line.
func Compile(def *Definition, version int64, content map[string]LocaleFile) (*Campaign, error) {
	c := &Campaign{Def: def, Version: version, exp: def.experiment(), cards: map[cardKey]*CardText{}}
	var errs []error
	known := map[string]bool{}
	for _, v := range def.Experiment.Variants {
		for _, id := range def.MessageIDs(v.Key) {
			known[id] = true
		}
	}
	texts := map[string]map[string]string{} // locale -> id -> text
	defined := map[string]bool{}            // ids the default locale's file defines, valid or not
	for _, loc := range slices.Sorted(maps.Keys(content)) {
		f := content[loc]
		if !localeRe.MatchString(loc) {
			errs = append(errs, &ContentError{Locale: loc, File: f.Name, Msg: "not a language code like en or ckb"})
			continue
		}
		msgs, probs := parseMessages(loc, f)
		errs = append(errs, probs...)
		if msgs == nil && len(probs) > 0 {
			continue // the file as a whole could not be read
		}
		rules := newLangRules(loc)
		m := map[string]string{}
		for _, msg := range msgs {
			if loc == def.DefaultLocale {
				defined[msg.ID] = true
			}
			problem := func(line int, text string) {
				errs = append(errs, &ContentError{Locale: loc, File: f.Name, MessageID: msg.ID, Line: line, Msg: text})
			}
			if !known[msg.ID] {
				problem(msg.Line, "unknown message id for this campaign's variants and actions")
				continue
			}
			tps := rules.checkMessage(&msg.Message)
			for _, tp := range tps {
				line := msg.Line
				if l := msg.formLines[tp.form]; l > 0 {
					line = l
				}
				problem(line, tp.msg)
			}
			if len(tps) == 0 {
				m[msg.ID] = msg.Forms["other"]
			}
		}
		texts[loc] = m
		c.Locales = append(c.Locales, loc)
	}
	if def.DefaultLocale != "" && texts[def.DefaultLocale] == nil && content[def.DefaultLocale].Data == nil {
		errs = append(errs, &ContentError{Locale: def.DefaultLocale, Msg: "the default locale has no content"})
	}
	if d := texts[def.DefaultLocale]; d != nil {
		for id := range known {
			if !defined[id] {
				errs = append(errs, &ContentError{Locale: def.DefaultLocale, File: content[def.DefaultLocale].Name, MessageID: id, Msg: "missing: the default locale must have every message"})
			}
		}
	}
	if len(errs) > 0 {
		sortErrors(errs)
		return nil, &ValidationError{Campaign: def.ID, Problems: errs}
	}
	for vi, v := range def.Experiment.Variants {
		for _, loc := range c.Locales {
			c.cards[cardKey{vi, loc}] = c.render(v.Key, loc, texts)
		}
	}
	return c, nil
}

// render assembles one card, taking each message from the locale itself,
// then its fallback chain, then the default locale.
func (c *Campaign) render(variant, loc string, texts map[string]map[string]string) *CardText {
	chain := append(append([]string{loc}, c.Def.Fallbacks[loc]...), c.Def.DefaultLocale)
	get := func(id string) string {
		for _, l := range chain {
			if t, ok := texts[l][variant+"."+id]; ok {
				return t
			}
		}
		return ""
	}
	ct := &CardText{Title: get("title"), Body: get("body"), Dismiss: get("dismiss"), Continue: get("continue")}
	for _, a := range c.Def.Actions {
		ct.Actions = append(ct.Actions, ActionText{ID: a.ID, Label: get("action." + a.ID + ".label"), URL: a.URL})
	}
	return ct
}

// Card returns the card text for a variant index and locale.
func (c *Campaign) Card(variant int, locale string) *CardText {
	return c.cards[cardKey{variant, locale}]
}

// Assign returns the variant index for a subject and whether the subject
// counts as in the experiment.
func (c *Campaign) Assign(subject string) (int, bool) {
	return c.exp.Assign(subject)
}

// Targets reports whether the campaign answers an event with these
// properties. lang is the negotiated event language.
func (c *Campaign) Targets(categories []string, platform, kind, country, lang string) bool {
	t := &c.Def.Targeting
	if len(t.Categories) > 0 && !slices.ContainsFunc(categories, func(cat string) bool { return slices.Contains(t.Categories, cat) }) {
		return false
	}
	return allows(t.Platforms, platform) && allows(t.Kinds, kind) && allows(t.Countries, country) && allows(t.Locales, lang)
}

// Active reports whether now is inside the campaign's schedule.
func (c *Campaign) Active(now time.Time) bool {
	s := c.Def.Schedule
	return (s.Start.IsZero() || !now.Before(s.Start)) && (s.End.IsZero() || now.Before(s.End))
}

// RolledOut reports whether the campaign's rollout on platform includes
// subject. Subjects are bucketed by a hash of their id with a seed of the
// campaign's own (not the experiment's, so that the rollout does not pick
// variants), so raising the percentage only adds subjects. Without a
// subject only a full rollout serves: there is nothing to bucket.
func (c *Campaign) RolledOut(platform, subject string) bool {
	pct, ok := c.Def.Rollout[platform]
	if !ok {
		if pct, ok = c.Def.Rollout["*"]; !ok {
			return true
		}
	}
	if pct >= 100 {
		return true
	}
	if subject == "" || pct <= 0 {
		return false
	}
	n, _ := experiment.Hash(c.Def.Seed()+"/rollout", subject, 2)
	return n < pct/100
}

func allows(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }
