// Package messages holds campaigns: their definition (targeting,
// experiment, actions, locale fallbacks), their localised card content,
// its validation, language negotiation and card assembly.
package messages

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

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
	// Priority orders campaigns when several target the same event; the
	// highest wins, ties go to the lower id.
	Priority   int              `json:"priority"`
	Experiment ExperimentConfig `json:"experiment"`
	Actions    []Action         `json:"actions"`
}

// Targeting limits which matched events a campaign answers. An empty list
// means no restriction on that dimension.
type Targeting struct {
	Categories []string `json:"categories,omitempty"`
	Platforms  []string `json:"platforms,omitempty"`
	Kinds      []string `json:"kinds,omitempty"`
	Countries  []string `json:"countries,omitempty"`
	Locales    []string `json:"locales,omitempty"`
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
}

var (
	campaignIDRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	keyRe        = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)
	localeRe     = regexp.MustCompile(`^[a-z]{2,3}$`)
)

// ParseDefinition decodes and validates a campaign definition. Unknown
// fields are errors: a misspelt field would otherwise be silently ignored.
func ParseDefinition(data []byte) (*Definition, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var d Definition
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("campaign definition: %w", err)
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return &d, nil
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

// Validate reports every problem of d, one per line, in sentences an
// editor can act on.
func (d *Definition) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !campaignIDRe.MatchString(d.ID) {
		add("id %q must be 1-63 lower-case letters, digits or '-'", d.ID)
	}
	if strings.TrimSpace(d.Name) == "" {
		add("name is empty")
	}
	if !localeRe.MatchString(d.DefaultLocale) {
		add("default_locale %q is not a language code like en", d.DefaultLocale)
	}
	for from, chain := range d.Fallbacks {
		for _, to := range append([]string{from}, chain...) {
			if !localeRe.MatchString(to) {
				add("fallbacks: %q is not a language code", to)
			}
		}
	}
	for _, c := range d.Targeting.Categories {
		if !slices.Contains(categories, c) {
			add("targeting: unknown category %q (use %s)", c, strings.Join(categories, ", "))
		}
	}
	for _, k := range d.Targeting.Kinds {
		if k != "search" && k != "view" {
			add("targeting: unknown kind %q (use search or view)", k)
		}
	}
	if len(d.Experiment.Variants) == 0 {
		add("experiment: at least one variant is needed")
	}
	seen := map[string]bool{}
	for _, v := range d.Experiment.Variants {
		if !keyRe.MatchString(v.Key) {
			add("experiment: variant key %q must be 1-32 lower-case letters, digits or '_'", v.Key)
		}
		if seen[v.Key] {
			add("experiment: variant key %q is used twice", v.Key)
		}
		seen[v.Key] = true
	}
	if len(d.Experiment.Variants) > 0 {
		if err := d.experiment().Validate(); err != nil {
			add("experiment: %v", err)
		}
	}
	if len(d.Actions) == 0 {
		add("actions: at least one action is needed")
	}
	seen = map[string]bool{}
	for _, a := range d.Actions {
		if !keyRe.MatchString(a.ID) {
			add("action id %q must be 1-32 lower-case letters, digits or '_'", a.ID)
		}
		if seen[a.ID] {
			add("action id %q is used twice", a.ID)
		}
		seen[a.ID] = true
		if u, err := url.Parse(a.URL); err != nil || u.Scheme != "https" || u.Host == "" {
			add("action %q: url %q must be an absolute https URL", a.ID, a.URL)
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

// ValidationError lists every problem found in a campaign, so an editor
// can fix them all in one go.
type ValidationError struct {
	Campaign string
	Problems []error
}

func (e *ValidationError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Error()
	}
	return fmt.Sprintf("campaign %q: %s", e.Campaign, strings.Join(msgs, "; "))
}

// Unwrap exposes the individual problems to errors.Is and errors.As.
func (e *ValidationError) Unwrap() []error { return e.Problems }
