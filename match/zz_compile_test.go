package match

import (
	"testing"

	"signpost/rules"
)

func BenchmarkCompileShippedTmp(b *testing.B) {
	for i := 0; i < b.N; i++ {
		files, err := LoadRules(rules.FS, ".")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Compile(files); err != nil {
			b.Fatal(err)
		}
	}
}
