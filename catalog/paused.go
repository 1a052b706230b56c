package catalog

import (
	"slices"

	"signpost/match"
)

// WithPaused returns a copy of c that leaves the rules ids out of every
// decision, as if they had not matched: a rule the flood guard paused
// must not show cards, while recompiling the matcher without it would
// take a good part of a second on every pause and resume.
func (c *Catalog) WithPaused(ids []string) *Catalog {
	out := *c
	out.paused = nil
	if len(ids) > 0 {
		out.paused = make(map[string]bool, len(ids))
		for _, id := range ids {
			out.paused[id] = true
		}
	}
	return &out
}

// Paused reports whether rule is left out of decisions.
func (c *Catalog) Paused(rule string) bool { return c.paused[rule] }

// withoutPaused removes paused rules from r, with the categories only
// they gave. Without a paused rule among them r is returned as is, so
// the usual path costs a map lookup per matched rule. When unpaused rules
// remain, their categories come from Explain on the same query: that
// allocates, but only for texts that also match a paused rule.
func (c *Catalog) withoutPaused(r match.Result, q match.Query) match.Result {
	if len(c.paused) == 0 || !r.Matched || !slices.ContainsFunc(r.Rules, c.Paused) {
		return r
	}
	kept := slices.DeleteFunc(slices.Clone(r.Rules), c.Paused)
	if len(kept) == 0 {
		return match.Result{}
	}
	var cats []string
	for _, m := range c.Matcher.Explain(q).Matches {
		if !c.paused[m.Rule] && !slices.Contains(cats, m.Category) {
			cats = append(cats, m.Category)
		}
	}
	// Keep the matcher's category order.
	cats = slices.DeleteFunc(slices.Clone(r.Categories), func(cat string) bool { return !slices.Contains(cats, cat) })
	return match.Result{Matched: true, Categories: cats, Rules: kept}
}
