package match_test

import (
	"strings"
	"testing"

	"signpost/match"
	"signpost/rules"
)

// benchQueries is a realistic mix: mostly everyday searches in several
// languages, a few matching ones (platform traffic is ~3-5% matching).
var benchQueries = []string{
	"weather tomorrow london", "cheap flights to lisbon", "football results premier league",
	"recette couscous facile", "horaires bus calais", "عروض السفر الى دبي", "قیمت طلا امروز",
	"hava durumu istanbul", "giá vàng hôm nay", "lajme sot kosova", "best pizza near me",
	"how to learn english fast", "iphone 15 price", "فيلم اكشن جديد", "کار در آلمان",
	"boat from france to uk cost", "small boat to uk price", "smuggler number calais",
	"dover to calais ferry price", "uk skilled worker visa application",
}

func shippedMatcher(tb testing.TB) (*match.Matcher, []*match.RuleFile) {
	tb.Helper()
	files, err := match.LoadRules(rules.FS, ".")
	if err != nil {
		tb.Fatal(err)
	}
	m, err := match.Compile(files)
	if err != nil {
		tb.Fatal(err)
	}
	return m, files
}

// BenchmarkMatch measures the matcher on the shipped rules; compare it with
// BenchmarkMatchNaiveBaseline from the same run.
func BenchmarkMatch(b *testing.B) {
	m, _ := shippedMatcher(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Match(match.Query{Text: benchQueries[i%len(benchQueries)], Kind: match.KindSearch})
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
}

// BenchmarkMatchNaiveBaseline is the obvious alternative to an automaton:
// normalise, then look for every shipped term with strings.Contains. It
// does less than the matcher (no boolean logic, no spans) and is the
// baseline the matcher's speed is quoted against.
func BenchmarkMatchNaiveBaseline(b *testing.B) {
	_, files := shippedMatcher(b)
	var terms []string
	for _, f := range files {
		for _, r := range f.Rules {
			for _, t := range r.Expr.Terms() {
				terms = append(terms, " "+match.Normalize(t.Term)+" ")
			}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	hits := 0
	for i := 0; i < b.N; i++ {
		text := " " + match.Normalize(benchQueries[i%len(benchQueries)]) + " "
		for _, t := range terms {
			if strings.Contains(text, t) {
				hits++
			}
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
	b.ReportMetric(float64(len(terms)), "terms")
}

// BenchmarkMatchLongPost measures a 2 KB post, the view path.
func BenchmarkMatchLongPost(b *testing.B) {
	m, _ := shippedMatcher(b)
	post := strings.Repeat("Lovely day at the beach with the family, the kids played football and we had ice cream. ", 22)
	b.SetBytes(int64(len(post)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Match(match.Query{Text: post, Kind: match.KindView})
	}
}
