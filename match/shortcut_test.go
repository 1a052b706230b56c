package match

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"signpost/rules"
)

// TestMatchAgreesWithExplain checks Match's shortcuts against Explain,
// which takes none of them (it evaluates every view it builds, to report
// suppressions): on every labelled and benign text shipped with the
// rules, both must name the same rules. The one shortcut today skips the
// corrected view of a text that matched nothing when every correction is
// towards a word that can only veto a rule.
func TestMatchAgreesWithExplain(t *testing.T) {
	m, _ := shippedMatcher(t)
	for _, c := range corpusTexts(t) {
		for _, kind := range []Kind{KindSearch, KindView} {
			q := Query{Text: c.text, Kind: kind}
			got, want := m.Match(q), m.Explain(q)
			if !slices.Equal(got.Rules, want.Rules) {
				t.Errorf("%s: Match(%q) = %v, Explain says %v", c.file, c.text, got.Rules, want.Rules)
			}
		}
	}
}

// corpusText is a text of corpusTexts and the file it came from.
type corpusText struct{ file, text string }

// corpusTexts returns every labelled, holdout, benign and benchmark text
// in the repository: a TSV line's last column, or a whole line.
func corpusTexts(t *testing.T) []corpusText {
	t.Helper()
	var out []corpusText
	for _, pat := range []string{"../rules/testdata/*.tsv", "../rules/testdata/*/*.tsv", "../rules/testdata/benign/*.txt", "testdata/bench-*.txt"} {
		paths, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range strings.Split(string(data), "\n") {
				if line == "" || strings.HasPrefix(line, "#") {
					continue
				}
				out = append(out, corpusText{filepath.Base(p), line[strings.LastIndexByte(line, '\t')+1:]})
			}
		}
	}
	if len(out) < 1000 {
		t.Fatalf("only %d texts read: testdata moved?", len(out))
	}
	return out
}

// shippedMatcher compiles the rules signpost ships.
func shippedMatcher(tb testing.TB) (*Matcher, []*RuleFile) {
	tb.Helper()
	files, err := LoadRules(rules.FS, ".")
	if err != nil {
		tb.Fatal(err)
	}
	m, err := Compile(files)
	if err != nil {
		tb.Fatal(err)
	}
	return m, files
}

// TestCorrectionCompletingPrefixTerm is the case the corrected view's
// shortcut must not miss: a correction towards a word that only vetoes
// elsewhere (boatyard, under a NOT) that a positive multi-word prefix
// term ("small boa*") then matches.
func TestCorrectionCompletingPrefixTerm(t *testing.T) {
	m := compileSource(t, `lang: en
rule: t.small_boat
category: crossing
match: "small boa*" AND smuggler

rule: t.ferry
category: crossing
match: ferry NOT boatyard
`)
	q := Query{Text: "smuggler small bxatyard", Kind: KindSearch}
	ex := m.Explain(q)
	if !slices.Equal(ex.Rules, []string{"en.t.small_boat"}) {
		t.Fatalf("Explain(%q) = %v, views %v", q.Text, ex.Rules, ex.Views)
	}
	if got := m.Match(q); !slices.Equal(got.Rules, ex.Rules) {
		t.Fatalf("Match(%q) = %v, Explain says %v", q.Text, got.Rules, ex.Rules)
	}
}

// TestScratchCarriesNothingBetweenTexts: the pooled scratch space must
// not carry anything from one text to the next. Every labelled, benign
// and benchmark text, as written and glued into a hashtag, is matched
// twice through one scratch each, once in file order and once in reverse
// order, so that each follows a different text; the rules and the views
// built must agree. (A hashtag split's table once kept a previous
// hashtag's flags and split #îqameyaîtalî... differently after it.)
func TestScratchCarriesNothingBetweenTexts(t *testing.T) {
	if raceEnabled {
		t.Skip("ten times slower under the race detector; CI runs ./match/ without it too")
	}
	m, _ := shippedMatcher(t)
	var texts []string
	for _, c := range corpusTexts(t) {
		texts = append(texts, c.text, "#"+strings.Join(strings.Fields(c.text), ""))
	}
	outcome := func(sc *scratch, text string) string {
		m.run(Query{Text: text, Kind: KindView}, sc)
		var b strings.Builder
		ids := slices.Clone(sc.matched)
		slices.Sort(ids)
		fmt.Fprint(&b, ids)
		for vi := range sc.views {
			if sc.built[vi] {
				fmt.Fprintf(&b, "|%d:%s", vi, sc.views[vi].buf)
			}
		}
		return b.String()
	}
	forward := make([]string, len(texts))
	sc := m.pool.Get().(*scratch)
	for i, text := range texts {
		forward[i] = outcome(sc, text)
	}
	sc2 := m.pool.Get().(*scratch)
	bad := 0
	for i := len(texts) - 1; i >= 0; i-- {
		if got := outcome(sc2, texts[i]); got != forward[i] {
			bad++
			if bad <= 5 {
				t.Errorf("%q: after %q: %s; after %q: %s", texts[i], prevText(texts, i, -1), forward[i], prevText(texts, i, +1), got)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d texts came out differently after another text", bad, len(texts))
	}
}

// prevText returns the text before texts[i] in the order of step (-1:
// file order, +1: reverse), or "".
func prevText(texts []string, i, step int) string {
	if j := i + step; j >= 0 && j < len(texts) {
		return texts[j]
	}
	return ""
}
