package rules_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"signpost/match"
)

// TestHoldout measures the rules on testdata/holdout: 600 texts in 15
// languages written without sight of the rules or their test data. Rules
// must not be tuned row by row against it (it would stop measuring
// anything); its figures are the honest estimate of quality on unseen
// text. The floors only guard against regressions.
func TestHoldout(t *testing.T) {
	m, _ := shipped(t)
	files, err := filepath.Glob("testdata/holdout/*.tsv")
	if err != nil || len(files) == 0 {
		t.Fatalf("no holdout files: %v", err)
	}
	var all score
	for _, name := range files {
		var s score
		lang := strings.TrimSuffix(filepath.Base(name), ".tsv")
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for n, l := range strings.Split(string(data), "\n") {
			if l == "" || strings.HasPrefix(l, "#") {
				continue
			}
			cols := strings.SplitN(l, "\t", 3)
			kind, ok := match.ParseKind(cols[1])
			if len(cols) != 3 || !ok {
				t.Fatalf("%s:%d: want label, kind, text", name, n+1)
			}
			got := m.Match(match.Query{Text: cols[2], Kind: kind}).Matched
			s.add(cols[0] == "1", got)
			all.add(cols[0] == "1", got)
		}
		t.Logf("%-8s %s", lang, s)
	}
	t.Logf("HOLDOUT  %s", all)
	if all.precision() < 0.90 || all.recall() < 0.70 {
		t.Errorf("holdout regressed: %s, want P >= 0.90 and R >= 0.70", all)
	}
}
