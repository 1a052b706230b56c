package rules_test

import (
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
	m, err := match.Compile(files)
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
