package rules_test

import (
	"io/fs"
	"slices"
	"strings"
	"testing"

	"signpost/match"
	"signpost/rules"
)

// languages are the languages signpost ships rules for.
var languages = []string{"ar", "ckb", "en", "fa", "fr", "ps", "sq", "ti", "tr", "vi"}

func shipped(t *testing.T) (*match.Matcher, []*match.RuleFile) {
	t.Helper()
	files, err := match.LoadRules(rules.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	s, err := match.LoadScorer(rules.FS)
	if err != nil {
		t.Fatal(err)
	}
	m, err := match.CompileScored(files, s)
	if err != nil {
		t.Fatal(err)
	}
	return m, files
}

// TestCoverage checks that every shipped language has a rule file with
// rules in every category, each marked for native review.
func TestCoverage(t *testing.T) {
	_, files := shipped(t)
	byLang := map[string]*match.RuleFile{}
	for _, f := range files {
		byLang[f.Lang] = f
		if data, _ := rules.FS.ReadFile(f.Name); !strings.Contains(strings.ToLower(string(data)), "review") {
			t.Errorf("%s: no note on native-speaker review", f.Name)
		}
	}
	for _, lang := range languages {
		f, ok := byLang[lang]
		if !ok {
			t.Errorf("no rules for %s", lang)
			continue
		}
		var cats []string
		for _, r := range f.Rules {
			cats = append(cats, r.Category)
		}
		for _, c := range match.Categories {
			if !slices.Contains(cats, c) {
				t.Errorf("%s has no %s rule", lang, c)
			}
		}
	}
}

// TestLint runs `signpost rules check`'s linter on the shipped rules:
// no errors (in particular, no rule fires on the benign corpus in
// testdata/benign).
func TestLint(t *testing.T) {
	_, files := shipped(t)
	findings, err := match.Lint(files, rules.FS, "testdata/benign")
	if err != nil {
		t.Fatal(err)
	}
	benign, _ := fs.Glob(rules.FS, "testdata/benign/*.txt")
	if len(benign) < len(languages) {
		t.Errorf("benign corpus has %d files, want one per language", len(benign))
	}
	for _, f := range findings {
		if f.Severity == "error" {
			t.Error(f)
		} else {
			t.Log(f)
		}
	}
}

// sharedSets are sets copied, word for word, into several rule files (nil:
// every file): the rule format has no sets shared across files, and a
// rule of one language sees only its own file's sets, though it reads
// texts in every language. leisure_any vetoes the rules built from parts
// in no language (emoji, flags, place names), which every file has:
// without it, a boat rental post with 🚤 fired a dozen files' rules.
// real_or_fake_q keeps the document rules of the Persian, Pashto, Urdu
// and Sorani files off "real or fake, how do we tell?" questions and "do
// not buy" warnings written in any of the first three. arrest_news_ur
// keeps the Persian and Pashto files off Urdu news of arrests and trials.
var sharedSets = map[string][]string{
	"leisure_any":    nil,
	"real_or_fake_q": {"ckb.rules", "fa.rules", "ps.rules", "ur.rules"},
	"arrest_news_ur": {"fa.rules", "ps.rules"},
}

// TestSharedSetsIdentical checks that the files of each shared set define
// it, and all alike (as parsed: layout and line breaks do not count): an
// edit to one copy must be made in all of them.
func TestSharedSetsIdentical(t *testing.T) {
	_, files := shipped(t)
	for set, names := range sharedSets {
		var first, firstName string
		for _, f := range files {
			if names != nil && !slices.Contains(names, f.Name) {
				continue
			}
			e, ok := f.Sets[set]
			switch {
			case !ok:
				t.Errorf("%s: no set %s (a shared set is copied into each of %v, nil meaning every file)", f.Name, set, names)
			case first == "":
				first, firstName = e.String(), f.Name
			case e.String() != first:
				t.Errorf("%s: set %s differs from %s's copy (shared sets must be identical in every file):\n%s\nwant:\n%s", f.Name, set, firstName, e, first)
			}
		}
	}
}

// TestFlagRules checks the rules that read a flag beside a vehicle word:
// a lorry simulator game and the English "bot" (the Turkish word for a
// boat) of trading and chat bots are not crossings. Kept out of the
// labelled texts on purpose: a handful of rows there reshuffles the
// scorer's training and moves the blind sets by the order alone.
func TestFlagRules(t *testing.T) {
	checkRules(t, map[string]bool{
		"truck simulator 🇬🇧":                false,
		"euro truck simulator 2 🇬🇧 map mod": false,
		"trading bot 🇬🇧":                    false,
		"telegram bot 🇬🇧 futbol tahminleri": false,
		"lorry 🇬🇧 tonight":                  true,
		"🇬🇧 bot fiyat":                      true,
	})
}

// TestHargaIntent checks the Maghrebi "I want to burn the border" (bghit
// n7reg) in the vowel spellings people type, without a destination; its
// negation is not a crossing sought.
func TestHargaIntent(t *testing.T) {
	checkRules(t, map[string]bool{
		"bghit n7reg":         true,
		"baghi nharg":         true,
		"kifach n7erg":        true,
		"bghina nharag":       true,
		"ma bghitch n7reg":    false,
		"bghit nchri tomobil": false,
	})
}

// checkRules checks whether the shipped rules alone (without the scorer)
// match each search of cases.
func checkRules(t *testing.T, cases map[string]bool) {
	t.Helper()
	m, _ := shipped(t)
	for text, want := range cases {
		if got := m.MatchRules(match.Query{Text: text, Kind: match.KindSearch}).Matched; got != want {
			t.Errorf("%q: the rules match %v, want %v", text, got, want)
		}
	}
}

// TestSamplesRightByRulesAlone holds the shipped rules to what an editor's
// upload is held to: each language's labelled texts are its rule file's
// samples (see app/catalog.go), and the rules alone, without the scorer,
// must get every one right (editing.Service checks each upload so).
// Texts only the scorer gets right belong in testdata/scorer/.
func TestSamplesRightByRulesAlone(t *testing.T) {
	m, _ := shipped(t) // MatchRules leaves its scorer out
	for _, c := range readCases(t) {
		if !strings.HasPrefix(c.file, "testdata/cases/") {
			continue
		}
		if res := m.MatchRules(match.Query{Text: c.text, Kind: c.kind}); res.Matched != c.label {
			t.Errorf("%s:%d: label %v, the rules alone say %v %v: %q", c.file, c.line, c.label, res.Matched, res.Rules, c.text)
		}
	}
}
