package messages

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"

	"encoding/json"

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

// ContentError locates a problem in a locale's content.
type ContentError struct {
	Locale    string
	File      string // the file's name, when known
	MessageID string
	Msg       string
}

func (e *ContentError) Error() string {
	where := "locale " + e.Locale
	if e.File != "" {
		where = e.File + " (locale " + e.Locale + ")"
	}
	if e.MessageID == "" {
		return fmt.Sprintf("%s: %s", where, e.Msg)
	}
	return fmt.Sprintf("%s: message %q: %s", where, e.MessageID, e.Msg)
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

func unmarshaler(format string) (i18n.UnmarshalFunc, error) {
	switch format {
	case "toml":
		return toml.Unmarshal, nil
	case "json":
		return json.Unmarshal, nil
	case "yaml", "yml":
		return yaml.Unmarshal, nil
	}
	return nil, fmt.Errorf("unknown message file format %q (use toml, json or yaml)", format)
}

// Compile validates a definition's content and pre-renders its cards.
// The default locale must carry every message of every variant; other
// locales may be partial, missing messages falling back along the
// locale's chain and then to the default locale. All problems are
// returned together.
func Compile(def *Definition, version int64, content map[string]LocaleFile) (*Campaign, error) {
	bundle := i18n.NewBundle(language.Und)
	c := &Campaign{Def: def, Version: version, exp: def.experiment(), cards: map[cardKey]*CardText{}}
	var errs []error
	known := map[string]bool{}
	for _, v := range def.Experiment.Variants {
		for _, id := range def.MessageIDs(v.Key) {
			known[id] = true
		}
	}
	texts := map[string]map[string]string{} // locale -> id -> text
	for loc, f := range content {
		if !localeRe.MatchString(loc) {
			errs = append(errs, &ContentError{Locale: loc, File: f.Name, Msg: "not a language code like en or ckb"})
			continue
		}
		unmarshal, err := unmarshaler(f.Format)
		if err != nil {
			errs = append(errs, &ContentError{Locale: loc, File: f.Name, Msg: err.Error()})
			continue
		}
		tag, err := language.Parse(loc)
		if err != nil {
			errs = append(errs, &ContentError{Locale: loc, File: f.Name, Msg: err.Error()})
			continue
		}
		msgs, err := bundle.ParseMessageBytes(tag, f.Data, unmarshal)
		if err != nil {
			errs = append(errs, &ContentError{Locale: loc, File: f.Name, Msg: fmt.Sprintf("cannot parse %s: %v", f.Format, err)})
			continue
		}
		m := map[string]string{}
		for _, msg := range msgs {
			if !known[msg.ID] {
				errs = append(errs, &ContentError{Locale: loc, File: f.Name, MessageID: msg.ID, Msg: "unknown message id for this campaign's variants and actions"})
				continue
			}
			if err := checkText(msg.ID, msg.Other); err != nil {
				errs = append(errs, &ContentError{Locale: loc, File: f.Name, MessageID: msg.ID, Msg: err.Error()})
				continue
			}
			m[msg.ID] = msg.Other
		}
		texts[loc] = m
		c.Locales = append(c.Locales, loc)
	}
	sort.Strings(c.Locales)
	if def.DefaultLocale != "" && texts[def.DefaultLocale] == nil && content[def.DefaultLocale].Data == nil {
		errs = append(errs, &ContentError{Locale: def.DefaultLocale, Msg: "the default locale has no content"})
	}
	if d := texts[def.DefaultLocale]; d != nil {
		for id := range known {
			if _, ok := d[id]; !ok {
				errs = append(errs, &ContentError{Locale: def.DefaultLocale, File: content[def.DefaultLocale].Name, MessageID: id, Msg: "missing: the default locale must have every message"})
			}
		}
	}
	if len(errs) > 0 {
		sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
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

// checkText applies the limits every card text must meet.
func checkText(id, text string) error {
	if strings.TrimSpace(text) == "" {
		return errors.New("text is empty")
	}
	n := utf8.RuneCountInString(text)
	switch {
	case strings.HasSuffix(id, ".title") && n > MaxTitle:
		return fmt.Errorf("title is %d characters, more than %d", n, MaxTitle)
	case strings.HasSuffix(id, ".body") && n > MaxBody:
		return fmt.Errorf("body is %d characters, more than %d", n, MaxBody)
	case strings.HasSuffix(id, ".label") || strings.HasSuffix(id, ".dismiss") || strings.HasSuffix(id, ".continue"):
		if n > MaxLabel {
			return fmt.Errorf("label is %d characters, more than %d", n, MaxLabel)
		}
	}
	if strings.ContainsAny(text, "<>") {
		return errors.New("contains '<' or '>': HTML is not allowed in card text")
	}
	if strings.Contains(text, "{{") {
		return errors.New("contains '{{': templates are not allowed in card text")
	}
	return nil
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

func allows(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }
