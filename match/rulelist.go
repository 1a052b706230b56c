package match

// Rules returns the compiled rules in rule order. The slice is new, but
// each Rule's Expr is the matcher's own: callers must not change it.
// It is for validating ids that arrive from outside (a platform's
// feedback names a rule), not for the hot path.
func (m *Matcher) Rules() []Rule {
	out := make([]Rule, len(m.rules))
	for i, r := range m.rules {
		out[i] = r.Rule
	}
	return out
}
