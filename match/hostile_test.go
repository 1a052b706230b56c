package match

import (
	"fmt"
	"strings"
	"testing"
)

// TestHostileRuleFiles: rule files built to blow up compilation (sets
// doubling at each line, long NEAR chains, a very long line) parse,
// compile and lint; before memoisation the first took hours.
func TestHostileRuleFiles(t *testing.T) {
	var doubling strings.Builder
	doubling.WriteString("lang: en\nset: s0 = boat OR dinghy\n")
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&doubling, "set: s%d = @s%d AND @s%d\n", i, i-1, i-1)
	}
	doubling.WriteString("rule: r\ncategory: crossing\nmatch: @s30 NEAR/3 uk\n")
	var chain strings.Builder
	chain.WriteString("lang: en\nrule: r\ncategory: crossing\nmatch: w0")
	for i := 1; i < 2000; i++ {
		fmt.Fprintf(&chain, " NEAR/1 w%d", i)
	}
	chain.WriteString("\n")
	long := "lang: en\nrule: r\ncategory: crossing\nmatch: " + strings.TrimSuffix(strings.Repeat("boat OR ", 50000), " OR ") + "\n"
	for name, src := range map[string]string{"doubling sets": doubling.String(), "near chain": chain.String(), "long line": long} {
		t.Run(name, func(t *testing.T) {
			f, err := ParseRuleFile("h.rules", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Lint([]*RuleFile{f}, nil, ""); err != nil {
				t.Fatal(err)
			}
		})
	}
}
