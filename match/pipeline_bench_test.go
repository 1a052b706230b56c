package match

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"signpost/rules"
)

// benchInternal compiles the shipped rules (and scorer) plus n generated ones, as
// bench_test.go's benchMatcher does, for benchmarks of internals.
func benchInternal(b testing.TB, n int) *Matcher {
	files, err := LoadRules(rules.FS, ".")
	if err != nil {
		b.Fatal(err)
	}
	f, err := ParseRuleFile("generated.rules", []byte(generatedSource(n)))
	if err != nil {
		b.Fatal(err)
	}
	s, err := LoadScorer(rules.FS)
	if err != nil {
		b.Fatal(err)
	}
	m, err := CompileScored(append(files, f), s)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// generatedSource returns n synthetic rules in the shipped style (a set
// of alternatives NEAR another set) made of pronounceable pseudo-words,
// with a fixed seed, for the scaling benchmarks here and in bench_test.go.
func generatedSource(n int) string {
	rng := rand.New(rand.NewPCG(7, 11))
	syl := []string{"ka", "lo", "mi", "ren", "tu", "sa", "vor", "pe", "di", "gan", "zu", "ber", "lin", "ho", "ta", "nek"}
	word := func() string {
		var b strings.Builder
		for range 2 + rng.IntN(3) {
			b.WriteString(syl[rng.IntN(len(syl))])
		}
		return b.String()
	}
	var src strings.Builder
	src.WriteString("lang: xx\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&src, "rule: gen.r%d\ncategory: crossing\nmatch: (%s OR %s OR %s*) NEAR/4 (%s OR \"%s %s\")\n",
			i, word(), word(), word(), word(), word(), word())
	}
	return src.String()
}

func benchLines(b testing.TB, name string) []string {
	data, err := os.ReadFile(name)
	if err != nil {
		b.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// scannable returns lines normalised as the automaton scans them (with a
// space either side) and the total length of the original lines.
func scannable(lines []string) ([][]byte, int) {
	texts := make([][]byte, len(lines))
	total := 0
	for i, l := range lines {
		texts[i] = []byte(" " + Normalize(l) + " ")
		total += len(l)
	}
	return texts, total
}

// BenchmarkAutomatonOnly scans the already-normalised benchmark queries
// with the same automaton as BenchmarkMatch: the floor the full pipeline
// is quoted against.
func BenchmarkAutomatonOnly(b *testing.B) {
	benchAutomaton(b, "testdata/bench-queries.txt", 10000, false)
}

// BenchmarkAutomatonOnlyPosts is BenchmarkAutomatonOnly for posts, on the
// shipped rules as BenchmarkMatchPosts.
func BenchmarkAutomatonOnlyPosts(b *testing.B) {
	benchAutomaton(b, "testdata/bench-posts.txt", 0, true)
}

// benchAutomaton scans the normalised texts of file with the automaton of
// the shipped rules plus extra generated ones, reporting bytes/s when
// perByte is set.
func benchAutomaton(b *testing.B, file string, extra int, perByte bool) {
	m := benchInternal(b, extra)
	lines := benchLines(b, file)
	texts, total := scannable(lines)
	if perByte {
		b.SetBytes(int64(total / len(lines)))
	}
	hits := make([]hit, 0, 256)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		hits = m.ac.scan(texts[i%len(texts)], hits[:0])
	}
}

// BenchmarkNormalizeOnly is the canonical view's normalisation alone.
func BenchmarkNormalizeOnly(b *testing.B) {
	qs := benchLines(b, "testdata/bench-queries.txt")
	var v view
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		v.normalize(qs[i%len(qs)])
	}
}

// BenchmarkRatio times the full pipeline and the bare automaton on the
// same texts in alternating blocks of one pass over the file each, and
// reports both and their ratio: the speed bar's ratio, measured so that
// the machine's speed drifting during a run (this development VM varies
// by a third) moves both sides alike. ns/op is the pipeline's per text.
func BenchmarkRatio(b *testing.B) {
	b.Run("searches", func(b *testing.B) { benchRatio(b, "testdata/bench-queries.txt", 10000, KindSearch) })
	b.Run("posts", func(b *testing.B) { benchRatio(b, "testdata/bench-posts.txt", 0, KindView) })
}

func benchRatio(b *testing.B, file string, extra int, kind Kind) {
	m := benchInternal(b, extra)
	lines := benchLines(b, file)
	texts, total := scannable(lines)
	hits := make([]hit, 0, 256)
	var full, bare time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(len(lines), b.N-done)
		start := time.Now()
		for _, l := range lines[:n] {
			m.Match(Query{Text: l, Kind: kind})
		}
		mid := time.Now()
		for _, t := range texts[:n] {
			hits = m.ac.scan(t, hits[:0])
		}
		full, bare = full+mid.Sub(start), bare+time.Since(mid)
		done += n
	}
	b.StopTimer()
	perText := float64(full.Nanoseconds()) / float64(b.N)
	b.ReportMetric(perText, "ns/op")
	b.ReportMetric(float64(bare.Nanoseconds())/float64(b.N), "automaton-ns/op")
	b.ReportMetric(float64(full)/float64(bare), "x-automaton")
	if kind == KindSearch {
		b.ReportMetric(1e9/perText, "queries/s")
	} else {
		b.ReportMetric(float64(total)/float64(len(lines))/perText*1e3, "MB/s")
	}
}
