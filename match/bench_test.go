package match_test

import (
	"bufio"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"signpost/match"
	"signpost/rules"
)

// readLines reads a testdata file, one text per line, '#' comments.
func readLines(tb testing.TB, name string) []string {
	tb.Helper()
	f, err := os.Open(name)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// generatedRules returns n synthetic rules in the shipped style (a set
// of alternatives NEAR another set) made of pronounceable pseudo-words,
// to measure how the matcher scales with rule count.
func generatedRules(tb testing.TB, n int) *match.RuleFile {
	tb.Helper()
	f, err := match.ParseRuleFile("generated.rules", []byte(match.GeneratedRuleSource(n)))
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// benchMatcher compiles the shipped rules and scorer plus extra
// generated ones: the service's pipeline.
func benchMatcher(tb testing.TB, extra int) (*match.Matcher, []*match.RuleFile) {
	tb.Helper()
	files, err := match.LoadRules(rules.FS, ".")
	if err != nil {
		tb.Fatal(err)
	}
	if extra > 0 {
		files = append(files, generatedRules(tb, extra))
	}
	s, err := match.LoadScorer(rules.FS)
	if err != nil {
		tb.Fatal(err)
	}
	m, err := match.CompileScored(files, s)
	if err != nil {
		tb.Fatal(err)
	}
	return m, files
}

// BenchmarkMatch is search traffic (testdata/bench-queries.txt, ~4%
// matching) on the shipped rules plus 10,000 generated ones, every view
// included. Compare with BenchmarkAutomatonOnly from the same run.
func BenchmarkMatch(b *testing.B) {
	m, _ := benchMatcher(b, 10000)
	qs := readLines(b, "testdata/bench-queries.txt")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Match(match.Query{Text: qs[i%len(qs)], Kind: match.KindSearch})
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
}

// BenchmarkMatchMatching is the worst case: only texts that match or
// nearly match (destinations, ferries, visas), where rules get evaluated.
func BenchmarkMatchMatching(b *testing.B) {
	m, _ := benchMatcher(b, 10000)
	qs := []string{"boat from france to uk cost", "smuggler number calais", "small boat to uk price",
		"dover to calais ferry price", "uk skilled worker visa application", "رقم مهرب الى انجلترا", "قیمت قایق انگلیس"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Match(match.Query{Text: qs[i%len(qs)], Kind: match.KindSearch})
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
}

// BenchmarkMatchPosts is view traffic (testdata/bench-posts.txt) on the
// shipped rules; BenchmarkMatchPosts10k adds 10,000 generated rules.
func BenchmarkMatchPosts(b *testing.B)    { benchPosts(b, 0) }
func BenchmarkMatchPosts10k(b *testing.B) { benchPosts(b, 10000) }

func benchPosts(b *testing.B, extra int) {
	m, _ := benchMatcher(b, extra)
	posts := readLines(b, "testdata/bench-posts.txt")
	total := 0
	for _, p := range posts {
		total += len(p)
	}
	b.SetBytes(int64(total / len(posts)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Match(match.Query{Text: posts[i%len(posts)], Kind: match.KindView})
	}
}

// BenchmarkMatchNaiveBaseline is the obvious alternative to an automaton
// on the shipped rules alone: normalise, then strings.Contains per term.
func BenchmarkMatchNaiveBaseline(b *testing.B) {
	_, files := benchMatcher(b, 0)
	var terms []string
	for _, f := range files {
		for _, r := range f.Rules {
			for _, t := range r.Expr.Terms() {
				terms = append(terms, " "+match.Normalize(t.Term)+" ")
			}
		}
	}
	qs := readLines(b, "testdata/bench-queries.txt")
	b.ResetTimer()
	hits := 0
	for i := 0; i < b.N; i++ {
		text := " " + match.Normalize(qs[i%len(qs)]) + " "
		for _, t := range terms {
			if strings.Contains(text, t) {
				hits++
			}
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
}

// BenchmarkCompile10k compiles the shipped rules plus 10,000 generated
// ones and reports the heap the matcher keeps.
func BenchmarkCompile10k(b *testing.B) {
	files, err := match.LoadRules(rules.FS, ".")
	if err != nil {
		b.Fatal(err)
	}
	files = append(files, generatedRules(b, 10000))
	var keep *match.Matcher
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	for i := 0; i < b.N; i++ {
		keep, err = match.Compile(files)
		if err != nil {
			b.Fatal(err)
		}
	}
	perCompile := time.Since(start) / time.Duration(b.N)
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(perCompile.Milliseconds()), "ms/compile")
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20), "MiB-retained")
	n := 0
	for _, f := range files {
		n += len(f.Rules)
	}
	b.ReportMetric(float64(n), "rules")
	runtime.KeepAlive(keep)
}
