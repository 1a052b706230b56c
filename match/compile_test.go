package match

import (
	"strings"
	"testing"

	"signpost/rules"
)

// TestWithProcliticIsNormalize checks the shortcut withProclitic takes
// against normalising the joined word, for every proclitic and every word
// of the shipped rules' terms (Arabic or not: the others take the long
// way) and for words that squeeze across the join.
func TestWithProcliticIsNormalize(t *testing.T) {
	files, err := LoadRules(rules.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	words := map[string]bool{}
	for _, w := range strings.Fields(Normalize("لندن ولد ااا boat مهرب\u0640 لاجئ")) {
		words[w] = true
	}
	seen := map[*Expr]bool{}
	var walk func(e *Expr)
	walk = func(e *Expr) {
		if e == nil || seen[e] {
			return
		}
		seen[e] = true
		if e.Op == OpTerm {
			for _, w := range strings.Fields(Normalize(e.Term)) {
				words[w] = true
			}
		}
		for _, k := range e.Kids {
			walk(k)
		}
	}
	for _, f := range files {
		walk(f.Exclude)
		for _, r := range f.Rules {
			walk(r.Expr)
		}
	}
	if len(words) < 1000 {
		t.Fatalf("only %d words: the rules did not load", len(words))
	}
	for w := range words {
		for _, p := range arabicProclitics {
			if got, want := withProclitic(p, w), Normalize(p+w); got != want {
				t.Errorf("withProclitic(%q, %q) = %q, want %q", p, w, got, want)
			}
		}
	}
}
