package rules_test

import (
	"bufio"
	"os"
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

type row struct {
	line            int
	label           bool
	lang, cat, text string
}

func readRows(t *testing.T, name string) []row {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []row
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, "\t", 4)
		if len(parts) != 4 || (parts[0] != "0" && parts[0] != "1") {
			t.Fatalf("%s:%d: malformed row", name, n)
		}
		rows = append(rows, row{n, parts[0] == "1", parts[1], parts[2], parts[3]})
	}
	return rows
}

func TestCases(t *testing.T) {
	m, _ := shipped(t)
	for _, tc := range []struct {
		file string
		kind match.Kind
	}{
		{"testdata/queries.tsv", match.KindSearch},
		{"testdata/dev-queries.tsv", match.KindSearch},
		{"testdata/posts.tsv", match.KindView},
		{"testdata/dev-posts.tsv", match.KindView},
	} {
		rows := readRows(t, tc.file)
		if len(rows) == 0 {
			t.Fatalf("%s has no rows", tc.file)
		}
		perLang := map[string]int{}
		for _, r := range rows {
			perLang[r.lang]++
			got := m.Explain(match.Query{Text: r.text, Kind: tc.kind})
			if got.Matched != r.label {
				t.Errorf("%s:%d [%s %s] %q: matched=%v rules=%v, want %v", tc.file, r.line, r.lang, r.cat, r.text, got.Matched, got.Rules, r.label)
			}
		}
		t.Logf("%s: %d rows, per language %v", tc.file, len(rows), perLang)
	}
}
