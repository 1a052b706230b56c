// Package messages holds campaigns: their definition (targeting,
// experiment, actions, locale fallbacks), their localised card content,
// its validation, language negotiation and card assembly.
package messages

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"signpost/experiment"
)

// Definition is a campaign as editors define it. It is stored as JSON.
type Definition struct {
	ID            string              `json:"id"`
	Name          string              `json:"name"`
	Description   string              `json:"description,omitempty"`
	DefaultLocale string              `json:"default_locale"`
	Fallbacks     map[string][]string `json:"fallbacks,omitempty"`
	Targeting     Targeting           `json:"targeting"`
	// Schedule bounds when the campaign answers events, whatever its
	// status: a campaign can be published ahead of its start.
	Schedule Schedule `json:"schedule,omitzero"`
	// Rollout is the percentage (0-100) of each platform's subjects who
	// get the campaign, keyed by platform id, with "*" for platforms not
	// listed; without an entry a platform gets it in full. It ramps a
	// campaign up on one platform without touching the others.
	Rollout map[string]float64 `json:"rollout,omitempty"`
	// Priority orders campaigns when several target the same event; the
	// highest wins, ties go to the lower id.
	Priority   int              `json:"priority"`
	Experiment ExperimentConfig `json:"experiment"`
	Actions    []Action         `json:"actions"`
	// AllowedHosts lists the hosts action URLs may point at: a reviewed
	// list, so that a compromised or careless edit cannot send people to
	// an arbitrary site. Entries are lower-case host names or wildcards
	// like "*.example.org", which match subdomains but not the apex.
	AllowedHosts []string `json:"allowed_hosts"`
	// FreshnessDays is how long a helpline action's verification stays
	// valid; 0 means DefaultFreshnessDays.
	FreshnessDays int `json:"freshness_days,omitempty"`
}

// DefaultFreshnessDays is the verification window of helpline actions when
// a definition does not set one: phone numbers and opening hours change,
// and a dead helpline on a safety card does harm.
const DefaultFreshnessDays = 180

// maxFreshnessDays bounds freshness_days to ten years, which catches a
// window typed in hours or a misplaced digit.
const maxFreshnessDays = 3650

// Targeting limits which matched events a campaign answers. An empty list
// means no restriction on that dimension.
type Targeting struct {
	Categories []string `json:"categories,omitempty"`
	Platforms  []string `json:"platforms,omitempty"`
	Kinds      []string `json:"kinds,omitempty"`
	Countries  []string `json:"countries,omitempty"`
	Locales    []string `json:"locales,omitempty"`
}

// Schedule is a campaign's window: from Start (inclusive) to End
// (exclusive), each open when zero.
type Schedule struct {
	Start time.Time `json:"start,omitzero"`
	End   time.Time `json:"end,omitzero"`
}

// ExperimentConfig is the campaign's A/B test: GrowthBook-style seed,
// coverage and weighted variants.
type ExperimentConfig struct {
	Seed     string    `json:"seed,omitempty"`
	Coverage float64   `json:"coverage"`
	Variants []Variant `json:"variants"`
}

// Variant is one arm of the experiment; its key prefixes its message ids.
type Variant struct {
	Key    string  `json:"key"`
	Weight float64 `json:"weight"`
}

// Action is a button on the card. Its URL is never sent to platforms
// directly: cards link to /r/{token}, which redirects here.
type Action struct {
	ID  string `json:"id"`
	URL string `json:"url"`
	// Kind is "link" (the default when empty) or "helpline". Helplines
	// must be re-verified regularly; see CheckFreshness.
	Kind string `json:"kind,omitempty"`
	// VerifiedAt is the date (YYYY-MM-DD) someone last checked that the
	// action's destination works and says what the label promises.
	VerifiedAt string `json:"verified_at,omitempty"`
}

// Action kinds.
const (
	KindLink     = "link"
	KindHelpline = "helpline"
)

// dateLayout is the layout of Action.VerifiedAt.
const dateLayout = "2006-01-02"

var (
	campaignIDRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	keyRe        = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)
	localeRe     = regexp.MustCompile(`^[a-z]{2,3}$`)
	platformRe   = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)
)

// ParseDefinition decodes and validates a campaign definition. Unknown
// fields are errors: a misspelt field would otherwise be silently ignored.
// Every error is a *ValidationError whose problems say the line, when the
// JSON itself is at fault, or the field.
func ParseDefinition(data []byte) (*Definition, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var d Definition
	if err := dec.Decode(&d); err != nil {
		return nil, &ValidationError{Problems: []error{definitionJSONError(data, err)}}
	}
	if _, err := dec.Token(); err != io.EOF {
		line := lineAt(data, dec.InputOffset())
		return nil, &ValidationError{Campaign: d.ID, Problems: []error{&DefinitionError{Line: line, Msg: "unexpected data after the definition's closing brace", Err: errTrailingData}}}
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return &d, nil
}

// errTrailingData marks a definition followed by more JSON, which is
// malformed input rather than an invalid definition.
var errTrailingData = errors.New("trailing data after the JSON object")

// definitionJSONError turns a decoding error into a located problem.
func definitionJSONError(data []byte, err error) *DefinitionError {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return &DefinitionError{Line: lineAt(data, syn.Offset), Msg: "invalid JSON: " + syn.Error(), Err: err}
	case errors.As(err, &typ):
		return &DefinitionError{Line: lineAt(data, typ.Offset), Field: typ.Field,
			Msg: fmt.Sprintf("%s must be %s, not a JSON %s", typ.Field, jsonTypeName(typ.Type.Kind()), typ.Value), Err: err}
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return &DefinitionError{Line: lineAt(data, int64(len(data))), Msg: "the definition is empty or cut short", Err: err}
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name, _ = strconv.Unquote(name)
		return &DefinitionError{Line: keyLine(data, name), Field: name,
			Msg: fmt.Sprintf("unknown field %q: check its spelling", name), Err: err}
	}
	return &DefinitionError{Msg: "invalid definition: " + err.Error(), Err: err}
}

// jsonTypeName names a Go kind as the JSON an editor should have written.
func jsonTypeName(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return k.String()
}

// keyLine returns the line of the first object key named name in data,
// or 0. It serves unknown-field errors, which carry no offset.
func keyLine(data []byte, name string) int {
	root, err := parseJSONTree(data)
	if err != nil {
		return 0
	}
	var find func(n *tnode) int
	find = func(n *tnode) int {
		for _, e := range n.entries {
			if e.key == name {
				return e.line
			}
			if l := find(e.val); l > 0 {
				return l
			}
		}
		return 0
	}
	return find(root)
}

// Seed returns the experiment seed: the configured one, or the campaign id.
func (d *Definition) Seed() string {
	if d.Experiment.Seed != "" {
		return d.Experiment.Seed
	}
	return d.ID
}

// experiment returns the assignment parameters of d's experiment.
func (d *Definition) experiment() experiment.Experiment {
	w := make([]float64, len(d.Experiment.Variants))
	for i, v := range d.Experiment.Variants {
		w[i] = v.Weight
	}
	return experiment.Experiment{Seed: d.Seed(), Coverage: d.Experiment.Coverage, Weights: w}
}

// Validate reports every problem of d, each naming the field at fault, in
// sentences an editor can act on. It does not depend on the time: see
// CheckFreshness for the checks that do.
func (d *Definition) Validate() error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, &DefinitionError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if !campaignIDRe.MatchString(d.ID) {
		add("id", "id %q must be 1-63 lower-case letters, digits or '-'", d.ID)
	}
	if strings.TrimSpace(d.Name) == "" {
		add("name", "name is empty")
	}
	if !localeRe.MatchString(d.DefaultLocale) {
		add("default_locale", "default_locale %q is not a language code like en", d.DefaultLocale)
	}
	for _, from := range slices.Sorted(maps.Keys(d.Fallbacks)) {
		for _, to := range append([]string{from}, d.Fallbacks[from]...) {
			if !localeRe.MatchString(to) {
				add("fallbacks."+from, "fallbacks: %q is not a language code", to)
			}
		}
	}
	for i, c := range d.Targeting.Categories {
		if !slices.Contains(categories, c) {
			add(fmt.Sprintf("targeting.categories[%d]", i), "targeting: unknown category %q (use %s)", c, strings.Join(categories, ", "))
		}
	}
	for i, k := range d.Targeting.Kinds {
		if k != "search" && k != "view" {
			add(fmt.Sprintf("targeting.kinds[%d]", i), "targeting: unknown kind %q (use search or view)", k)
		}
	}
	if len(d.Experiment.Variants) == 0 {
		add("experiment.variants", "experiment: at least one variant is needed")
	}
	seen := map[string]bool{}
	for i, v := range d.Experiment.Variants {
		field := fmt.Sprintf("experiment.variants[%d].key", i)
		if !keyRe.MatchString(v.Key) {
			add(field, "experiment: variant key %q must be 1-32 lower-case letters, digits or '_'", v.Key)
		}
		if seen[v.Key] {
			add(field, "experiment: variant key %q is used twice", v.Key)
		}
		seen[v.Key] = true
	}
	if len(d.Experiment.Variants) > 0 {
		if err := d.experiment().Validate(); err != nil {
			add("experiment", "experiment: %v", err)
		}
	}
	if s := d.Schedule; !s.Start.IsZero() && !s.End.IsZero() && !s.End.After(s.Start) {
		add("schedule.end", "schedule: end %s is not after start %s", s.End.Format(time.RFC3339), s.Start.Format(time.RFC3339))
	}
	for _, p := range slices.Sorted(maps.Keys(d.Rollout)) {
		if p != "*" && !platformRe.MatchString(p) {
			add("rollout."+p, "rollout: %q is not a platform id (lower-case letters, digits, '_' or '-') or \"*\"", p)
		}
		if pct := d.Rollout[p]; !(pct >= 0 && pct <= 100) {
			add("rollout."+p, "rollout: %v%% for %s must be between 0 and 100", pct, p)
		}
	}
	if d.FreshnessDays < 0 || d.FreshnessDays > maxFreshnessDays {
		add("freshness_days", "freshness_days is %d: use 1 to %d days, or leave it out for %d", d.FreshnessDays, maxFreshnessDays, DefaultFreshnessDays)
	}
	errs = append(errs, d.validateHosts()...)
	errs = append(errs, d.validateActions()...)
	if len(errs) > 0 {
		return &ValidationError{Campaign: d.ID, Problems: errs}
	}
	return nil
}

// validateHosts checks allowed_hosts entries; whether actions need them
// is validateActions' concern.
func (d *Definition) validateHosts() []error {
	var errs []error
	for i, h := range d.AllowedHosts {
		if !validHostPattern(h) {
			errs = append(errs, &DefinitionError{Field: fmt.Sprintf("allowed_hosts[%d]", i),
				Msg: fmt.Sprintf("allowed_hosts: %q must be a lower-case host name like www.example.org or a wildcard like *.example.org, without scheme, port or path", h)})
		}
	}
	return errs
}

func (d *Definition) validateActions() []error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, &DefinitionError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if len(d.Actions) == 0 {
		add("actions", "actions: at least one action is needed")
	} else if len(d.AllowedHosts) == 0 {
		add("allowed_hosts", "allowed_hosts is empty: list the hosts the actions may link to")
	}
	seen := map[string]bool{}
	for i, a := range d.Actions {
		at := func(f string) string { return fmt.Sprintf("actions[%d].%s", i, f) }
		if !keyRe.MatchString(a.ID) {
			add(at("id"), "action id %q must be 1-32 lower-case letters, digits or '_'", a.ID)
		}
		if seen[a.ID] {
			add(at("id"), "action id %q is used twice", a.ID)
		}
		seen[a.ID] = true
		if msg := d.checkActionURL(a.URL); msg != "" {
			add(at("url"), "action %q: %s", a.ID, msg)
		}
		if a.Kind != "" && a.Kind != KindLink && a.Kind != KindHelpline {
			add(at("kind"), "action %q: kind %q must be %s or %s", a.ID, a.Kind, KindLink, KindHelpline)
		}
		if a.VerifiedAt != "" {
			if _, err := time.Parse(dateLayout, a.VerifiedAt); err != nil {
				add(at("verified_at"), "action %q: verified_at %q must be a date like 2025-01-31", a.ID, a.VerifiedAt)
			}
		}
	}
	return errs
}

// checkActionURL returns why raw may not be an action's destination, or "".
func (d *Definition) checkActionURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Sprintf("url %q must be an absolute https URL", raw)
	}
	if u.User != nil {
		return fmt.Sprintf("url %q must not contain a user name or password", raw)
	}
	if p := u.Port(); p != "" && p != "443" {
		return fmt.Sprintf("url %q must not name a port", raw)
	}
	host := strings.ToLower(u.Hostname())
	if len(d.AllowedHosts) > 0 && !slices.ContainsFunc(d.AllowedHosts, func(p string) bool { return hostMatches(p, host) }) {
		return fmt.Sprintf("host %q of url %q is not in allowed_hosts", host, raw)
	}
	return ""
}

var hostRe = regexp.MustCompile(`^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// validHostPattern reports whether p is a host name or a wildcard whose
// base has at least two labels (so "*.org" cannot allow a whole TLD).
func validHostPattern(p string) bool {
	if len(p) > 253 || !hostRe.MatchString(p) {
		return false
	}
	base, wild := strings.CutPrefix(p, "*.")
	return !wild || strings.Contains(base, ".")
}

// hostMatches reports whether host is allowed by pattern: an exact name,
// or "*.base" for any subdomain of base (but not base itself).
func hostMatches(pattern, host string) bool {
	if base, ok := strings.CutPrefix(pattern, "*."); ok {
		return strings.HasSuffix(host, "."+base)
	}
	return host == pattern
}

// CheckFreshness reports, as a *ValidationError, every helpline action
// whose verified_at date is missing or older than the definition's
// freshness window at now. It is not part of Validate or Compile: a
// published campaign must keep serving as time passes, so callers run it
// when an editor saves a definition and before publishing.
func (d *Definition) CheckFreshness(now time.Time) error {
	window := d.FreshnessDays
	if window == 0 {
		window = DefaultFreshnessDays
	}
	y, m, day := now.Date()
	today := time.Date(y, m, day, 0, 0, 0, 0, time.UTC)
	var errs []error
	for i, a := range d.Actions {
		if a.Kind != KindHelpline {
			continue
		}
		field := fmt.Sprintf("actions[%d].verified_at", i)
		add := func(format string, args ...any) {
			errs = append(errs, &DefinitionError{Field: field, Msg: fmt.Sprintf(format, args...)})
		}
		if a.VerifiedAt == "" {
			add("helpline action %q has no verified_at date: check the helpline works and record today's date", a.ID)
			continue
		}
		t, err := time.Parse(dateLayout, a.VerifiedAt)
		if err != nil {
			add("helpline action %q: verified_at %q must be a date like 2025-01-31", a.ID, a.VerifiedAt)
			continue
		}
		age := int(today.Sub(t).Hours() / 24)
		switch {
		case age > window:
			add("helpline action %q was last verified on %s, %d days ago: check it again (helplines must be re-checked every %d days)", a.ID, a.VerifiedAt, age, window)
		case age < -1: // a day's slack for time zones
			add("helpline action %q: verified_at %s is in the future", a.ID, a.VerifiedAt)
		}
	}
	if len(errs) > 0 {
		return &ValidationError{Campaign: d.ID, Problems: errs}
	}
	return nil
}

// categories duplicates match.Categories so that messages does not depend
// on the matcher; a test keeps them equal.
var categories = []string{"crossing", "smuggler", "documents", "discount", "children", "safety"}
