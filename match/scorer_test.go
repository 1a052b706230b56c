package match

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	"signpost/rules"
)

// shippedScorer loads the scorer shipped in rules/.
func shippedScorer(tb testing.TB) *Scorer {
	tb.Helper()
	s, err := LoadScorer(rules.FS)
	if err != nil || s == nil {
		tb.Fatalf("shipped scorer: %v, %v", s, err)
	}
	return s
}

// testRules parses testdata/test.rules.
func testRules(tb testing.TB) []*RuleFile {
	tb.Helper()
	data, err := os.ReadFile("testdata/test.rules")
	if err != nil {
		tb.Fatal(err)
	}
	f, err := ParseRuleFile("test.rules", data)
	if err != nil {
		tb.Fatal(err)
	}
	return []*RuleFile{f}
}

// scoredTestMatcher is the matcher of testdata/test.rules with the
// shipped scorer: the rules are few, so the scorer decides most texts.
func scoredTestMatcher(tb testing.TB) *Matcher {
	tb.Helper()
	m, err := CompileScored(testRules(tb), shippedScorer(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func TestScorerRoundTrip(t *testing.T) {
	data, err := os.ReadFile("../rules/" + ScorerFile)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseScorer(data)
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, data) {
		t.Error("MarshalBinary does not give back the file ParseScorer read")
	}
	if th := s.Threshold(); th < 0.5 || th > 0.99 {
		t.Errorf("threshold %v", th)
	}
}

func TestParseScorerRejectsDamage(t *testing.T) {
	data, err := os.ReadFile("../rules/" + ScorerFile)
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string][]byte{
		"empty":       nil,
		"other file":  []byte("rule: en.x\n"),
		"old magic":   append([]byte("spscore0"), data[len(scorerMagic):]...),
		"truncated":   data[:len(data)/2],
		"trailing":    append(slices.Clone(data), 0),
		"header only": data[:len(scorerMagic)+8],
	} {
		if _, err := ParseScorer(bad); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

// TestScoreViewAgreesWithFeatures checks the hot path's fused scoring
// against the features training and explain use.
func TestScoreViewAgreesWithFeatures(t *testing.T) {
	m := scoredTestMatcher(t)
	s := m.scorer
	sc := m.pool.Get().(*scratch)
	defer m.pool.Put(sc)
	for _, text := range []string{"", "a", "ab", "abc", "boat to uk price 500", "قاچاق به انگلیس با قایق", "ጀልባ ናብ ጣልያን", "#boattouk 🚤🇬🇧", "s m u g g l e r", "$mu99l3r b0at"} {
		for _, kind := range []Kind{KindSearch, KindView} {
			m.run(Query{Text: text, Kind: kind}, sc)
			v := &sc.views[sc.main]
			feats, from := features(v, kind, nil, nil)
			if len(feats) != len(from) {
				t.Fatalf("%q: %d features, %d origins", text, len(feats), len(from))
			}
			if got, want := s.scoreView(v, kind), s.logit(feats); got != want {
				t.Errorf("%q (%v): scoreView %v, logit of features %v", text, kind, got, want)
			}
		}
	}
}

func TestScorerDecidesOnlyWhatNoRuleMatches(t *testing.T) {
	m := scoredTestMatcher(t)
	// A rule of test.rules matches: its id stands, not the scorer's.
	res := m.Match(Query{Text: "need a small boat to england", Kind: KindSearch})
	if !res.Matched || slices.ContainsFunc(res.Rules, func(id string) bool { return strings.HasPrefix(id, ScorerRulePrefix) }) {
		t.Errorf("rule match: %+v", res)
	}
	// No rule of test.rules knows these words; the scorer does.
	q := Query{Text: "kaçakçı ile ingiltereye bot fiyatı ne kadar", Kind: KindSearch}
	res = m.Match(q)
	if !res.Matched || len(res.Rules) != 1 || !strings.HasPrefix(res.Rules[0], ScorerRulePrefix) || len(res.Categories) != 1 {
		t.Fatalf("scorer match: %+v", res)
	}
	if r := m.MatchRules(q); r.Matched {
		t.Errorf("MatchRules = %+v, want the rules' answer alone", r)
	}
	ex := m.Explain(q)
	if ex.Score == nil || ex.Score.Probability < ex.Score.Threshold || len(ex.Score.Words) == 0 {
		t.Fatalf("explain score = %+v", ex.Score)
	}
	if len(ex.Matches) != 1 || ex.Matches[0].View != "scorer" || ex.Matches[0].Rule != res.Rules[0] {
		t.Errorf("explain matches = %+v", ex.Matches)
	}
	for _, w := range ex.Score.Words {
		if q.Text[w.Start:w.End] != w.Text {
			t.Errorf("word span %+v is not the text's", w)
		}
	}
	// A benign text scores low.
	if res := m.Match(Query{Text: "cheap flights to lisbon in may", Kind: KindSearch}); res.Matched {
		t.Errorf("benign text: %+v", res)
	}
}

func TestScoredMatchDoesNotAllocateOnMiss(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	m := scoredTestMatcher(t)
	q := Query{Text: "cheap flights to lisbon in may", Kind: KindSearch}
	m.Match(q)
	if n := testing.AllocsPerRun(100, func() { m.Match(q) }); n != 0 {
		t.Errorf("Match on a miss allocated %v times per run, want 0", n)
	}
}

func TestScoredVersionDiffers(t *testing.T) {
	files := testRules(t)
	if scoredVersion(files, nil) != rulesVersion(files) || scoredVersion(files, shippedScorer(t)) == rulesVersion(files) {
		t.Error("the rules version must cover the scorer, and only when there is one")
	}
}

func TestTrain(t *testing.T) {
	files := testRules(t)
	m, err := Compile(files)
	if err != nil {
		t.Fatal(err)
	}
	var ex []Example
	// Words no rule of test.rules pairs, so the scorer decides.
	for _, w := range []string{"jeep", "lorry", "truck", "raft", "van"} {
		for _, p := range []string{"italy", "spain", "greece", "malta"} {
			ex = append(ex, Example{Text: "agent " + w + " to " + p + " price", Kind: KindSearch, Match: true, Category: "crossing"},
				Example{Text: "stamp papers for " + p + " " + w, Kind: KindSearch, Match: true, Category: "documents"},
				Example{Text: w + " hire in " + p + " weekend", Kind: KindSearch},
				Example{Text: p + " " + w + " museum tickets", Kind: KindSearch})
		}
	}
	a, err := Train(m, ex, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Train(m, ex, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	da, _ := a.MarshalBinary()
	db, _ := b.MarshalBinary()
	if !bytes.Equal(da, db) {
		t.Error("training twice on the same texts gave different scorers")
	}
	if a.Trained() != TrainingDigest(ex) {
		t.Error("the scorer does not keep its training digest")
	}
	sm, err := CompileScored(files, a)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ex {
		if got := sm.Match(Query{Text: e.Text, Kind: e.Kind}); got.Matched != e.Match {
			t.Errorf("%q: matched %v, labelled %v", e.Text, got.Matched, e.Match)
		} else if e.Match && strings.HasPrefix(got.Rules[0], ScorerRulePrefix) && got.Categories[0] != e.Category {
			t.Errorf("%q: category %v, labelled %s", e.Text, got.Categories, e.Category)
		}
	}
	for name, bad := range map[string]struct {
		ex  []Example
		opt TrainOptions
	}{
		"no negatives":     {ex[:1], TrainOptions{}},
		"threshold":        {ex, TrainOptions{Threshold: 1.5}},
		"unknown category": {append(slices.Clone(ex), Example{Text: "x", Match: true, Kind: KindSearch, Category: "weather"}), TrainOptions{}},
	} {
		if _, err := Train(m, bad.ex, bad.opt); err == nil {
			t.Errorf("%s: trained", name)
		}
	}
}

func TestParseExamples(t *testing.T) {
	ex, err := ParseExamples("x.tsv", []byte("# label\tkind\ttext\n1\tsearch\tcrossing\tboat uk\n0\tview\tbeach day\n\n1\tsearch\tad\tcall now\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Example{{Text: "boat uk", Kind: KindSearch, Match: true, Category: "crossing"}, {Text: "beach day", Kind: KindView}, {Text: "call now", Kind: KindSearch, Match: true}}
	if !slices.Equal(ex, want) {
		t.Errorf("got %+v", ex)
	}
	for _, bad := range []string{"2\tsearch\tx", "1\tsearch", "1\tpost\tx", "1\ta\tb\tc\td"} {
		if _, err := ParseExamples("x.tsv", []byte(bad)); err == nil || !strings.Contains(err.Error(), "x.tsv:1") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// FuzzParseScorer: a damaged scorer file is an error, never a panic or
// a scorer that indexes out of its tables.
func FuzzParseScorer(f *testing.F) {
	// bits 8, catBits 8, one category; threshold 0, veto -1, scales 1.
	hdr := []byte(scorerMagic + "\x08\x08\x01\x00" + "\x00\x00\x00\x00" + "\x00\x00\x80\xbf" + "\x00\x00\x80\x3f\x00\x00\x80\x3f" + strings.Repeat("\x00", 16) + "\x00")
	f.Add(hdr)
	whole := append(slices.Clone(hdr), make([]byte, 2*256*2)...)
	if _, err := ParseScorer(whole); err != nil {
		f.Fatalf("seed: %v", err)
	}
	f.Add(whole)
	f.Add([]byte(scorerMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseScorer(data)
		if err != nil {
			return
		}
		if len(s.weights) != 1<<s.bits || len(s.catW) != len(s.cats) {
			t.Fatalf("parsed a scorer with inconsistent tables")
		}
		var v view
		v.normalize("boat to uk")
		s.scoreView(&v, KindSearch)
		feats, _ := features(&v, KindSearch, nil, nil)
		s.category(feats)
	})
}

// TestScorerVetoesPlainlyBenignMatches: a rule's match on a text the
// scorer reads as plainly benign (a rescue report, a boat show) is
// suppressed, and explain says by what; MatchRules still reports it.
func TestScorerVetoesPlainlyBenignMatches(t *testing.T) {
	m := scoredTestMatcher(t)
	for _, text := range []string{
		"rnli volunteers rescued 40 people from a dinghy off kent, uk coastguard said",
		"boat show uk 2026 tickets",
	} {
		q := Query{Text: text, Kind: KindView}
		if !m.MatchRules(q).Matched {
			t.Fatalf("%q: no rule of test.rules matches; the test needs one that does", text)
		}
		if res := m.Match(q); res.Matched {
			t.Errorf("%q: %+v, want the scorer's veto", text, res)
		}
		ex := m.Explain(q)
		if ex.Matched || len(ex.Matches) != 0 || ex.Score.Probability >= m.scorer.Veto() {
			t.Errorf("%q: explain %+v", text, ex)
		}
		if len(ex.Suppressed) == 0 || !strings.HasPrefix(ex.Suppressed[len(ex.Suppressed)-1].By, "the scorer") {
			t.Errorf("%q: suppressed = %+v, want the scorer named", text, ex.Suppressed)
		}
	}
}
