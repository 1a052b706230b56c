package rules_test

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"strings"
	"testing"

	"signpost/match"
	"signpost/rules"
)

// TestScorerTrained checks that the shipped scorer was trained on the
// labelled texts as they are now: editing a case, a used holdout set or
// the benign corpus needs `go run . rules train rules`.
func TestScorerTrained(t *testing.T) {
	s, err := match.LoadScorer(rules.FS)
	if err != nil || s == nil {
		t.Fatalf("shipped scorer: %v, %v", s, err)
	}
	examples, err := match.TrainingSet(os.DirFS("."))
	if err != nil {
		t.Fatal(err)
	}
	if got := match.TrainingDigest(examples); got != s.Trained() {
		t.Errorf("scorer.bin was trained on other texts (%s, now %s): run `go run . rules train rules`", s.Trained(), got)
	}
}

// TestScorerIsCurrent retrains the scorer and compares it with the
// shipped file, byte for byte: the scorer reads each text as the matcher
// reads it, so a change to normalisation, to the views or to the rules'
// vocabulary changes what it should have learned even when the labelled
// texts stay the same (TestScorerTrained sees only those). Training is
// deterministic.
func TestScorerIsCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the scorer (a few seconds)")
	}
	// Trained as `signpost rules train` trains it: on the rules alone.
	_, files := shipped(t)
	m, err := match.Compile(files)
	if err != nil {
		t.Fatal(err)
	}
	examples, err := match.TrainingSet(os.DirFS("."))
	if err != nil {
		t.Fatal(err)
	}
	s, err := match.Train(m, examples, match.TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	want, err := fs.ReadFile(rules.FS, match.ScorerFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("scorer.bin is not what training on today's rules and texts gives: run `go run . rules train rules`")
	}
}

// TestScorerBenign checks the whole matcher, scorer included, against
// the benign corpus the linter holds the rules to.
func TestScorerBenign(t *testing.T) {
	m, _ := shipped(t)
	names, _ := fs.Glob(rules.FS, "testdata/benign/*.txt")
	n := 0
	for _, name := range names {
		data, _ := fs.ReadFile(rules.FS, name)
		sc := bufio.NewScanner(bytes.NewReader(data))
		for line := 1; sc.Scan(); line++ {
			text := strings.TrimSpace(sc.Text())
			if text == "" || strings.HasPrefix(text, "#") {
				continue
			}
			n++
			for _, kind := range []match.Kind{match.KindSearch, match.KindView} {
				if res := m.Match(match.Query{Text: text, Kind: kind}); res.Matched {
					t.Errorf("%s:%d: %v matches benign text %q", name, line, res.Rules, text)
				}
			}
		}
	}
	if n < 500 {
		t.Fatalf("benign corpus: %d lines, want the shipped corpus", n)
	}
}
