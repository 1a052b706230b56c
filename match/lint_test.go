package match

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestLint(t *testing.T) {
	f, err := ParseRuleFile("en.rules", []byte(`lang: en
set: boat = boat OR dinghy
set: unused = foo
rule: crossing.x
category: crossing
match: @boat NEAR/3 (uk OR a)
`))
	if err != nil {
		t.Fatal(err)
	}
	corpus := fstest.MapFS{"benign/en.txt": {Data: []byte("# benign\nferry timetable\nboat trips to uk\n")}}
	findings, err := Lint([]*RuleFile{f}, corpus, "benign")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, fd := range findings {
		got = append(got, fd.String())
	}
	joined := strings.Join(got, "\n")
	for _, want := range []string{
		`en.rules:1: warning: set @unused is not used by any rule`,
		`en.rules:4: warning: en.crossing.x: term "a" folds to "a", under 3 letters`,
		`en.rules:4: warning: en.crossing.x: term "uk" folds to "uk", under 3 letters`,
		`benign/en.txt:3: error: en.crossing.x: fires on benign text "boat trips to uk"`,
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("findings lack %q:\n%s", want, joined)
		}
	}
	if strings.Contains(joined, "ferry timetable") {
		t.Errorf("a benign line that matches nothing was reported:\n%s", joined)
	}
}
