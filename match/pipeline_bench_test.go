package match

import (
	"testing"

	"signpost/rules"
)

// pipelineQueries mirrors bench_test.go's mix.
var pipelineQueries = []string{
	"weather tomorrow london", "cheap flights to lisbon", "football results premier league",
	"recette couscous facile", "horaires bus calais", "عروض السفر الى دبي", "قیمت طلا امروز",
	"hava durumu istanbul", "giá vàng hôm nay", "lajme sot kosova", "best pizza near me",
	"how to learn english fast", "iphone 15 price", "فيلم اكشن جديد", "کار در آلمان",
	"boat from france to uk cost", "small boat to uk price", "smuggler number calais",
	"dover to calais ferry price", "uk skilled worker visa application",
}

func shippedInternal(b *testing.B) *Matcher {
	files, err := LoadRules(rules.FS, ".")
	if err != nil {
		b.Fatal(err)
	}
	m, err := Compile(files)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkAutomatonOnly scans already-normalised texts: the floor the
// full pipeline is compared with.
func BenchmarkAutomatonOnly(b *testing.B) {
	m := shippedInternal(b)
	texts := make([][]byte, len(pipelineQueries))
	for i, q := range pipelineQueries {
		texts[i] = []byte(" " + Normalize(q) + " ")
	}
	hits := make([]hit, 0, 64)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		hits = m.ac.scan(texts[i%len(texts)], hits[:0])
	}
}

// BenchmarkNormalizeOnly is the canonical view's normalisation alone.
func BenchmarkNormalizeOnly(b *testing.B) {
	var v view
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		v.normalize(pipelineQueries[i%len(pipelineQueries)])
	}
}
