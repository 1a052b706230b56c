package match

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzParseRuleFile(f *testing.F) {
	f.Add("lang: en\nexclude: ferry\nrule: a.b\ncategory: crossing\nkinds: search\nmatch: (boat OR \"small boat\") NEAR/5 uk* NOT news\n")
	f.Add("lang: ar\nrule: x\ncategory: smuggler\nmatch: مهرب\n  AND رقم\n")
	f.Add("rule: x\n")
	f.Add("lang: en\nrule: x\ncategory: crossing\nmatch: ((((a))))\n")
	f.Add("lang: ar-latn\nset: b = bilm OR 9arib\nset: c = @b NEAR/2 uk\nrule: x\ncategory: crossing\nmatch: @c NOT news\n")
	f.Fuzz(func(t *testing.T, src string) {
		rf, err := ParseRuleFile("fuzz.rules", []byte(src))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.rules:") {
				t.Fatalf("error without file:line: %v", err)
			}
			return
		}
		if len(rf.Rules) == 0 {
			return
		}
		m, err := Compile([]*RuleFile{rf})
		if err != nil {
			t.Fatalf("parsed but did not compile: %v", err)
		}
		m.Match(Query{Text: src, Kind: KindAll})
	})
}

func FuzzParseExpr(f *testing.F) {
	for _, s := range []string{`a OR b`, `"x y" NEAR/3 (c AND d)`, `a NOT (b OR c*)`, `((`, `"unterminated`, `NEAR/99`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseExpr(s)
		if err != nil {
			return
		}
		// What parses renders to a form that parses to the same thing.
		again, err := ParseExpr(e.String())
		if err != nil {
			t.Fatalf("ParseExpr(%q).String() = %q does not parse: %v", s, e.String(), err)
		}
		if again.String() != e.String() {
			t.Fatalf("round trip changed %q into %q", e.String(), again.String())
		}
	})
}

func FuzzMatch(f *testing.F) {
	m := mustMatcher(f, "test.rules", "ar.rules")
	for _, s := range []string{"small boat to uk", "السفر الى بريطانيا بالبلم", "s\u200bm\u00adu", "🚤\ufe0f🇬🇧", "\xff\xfe", "İı",
		"#boattouk", "s m u g g l e r", "$mu99l3r numb3r", "smuggIer", "ta7reeb bri6ania", "smugglr numbr calais", "\u202eboat",
		"ｂ０＠ｔ ＄１２００", "small\u200bboat\u2060to\ufeffuk", "sm\u200bu\u200bg", "ВОАТ ТО UK", "#delalaengandnumber", "باسبورت",
		"#zodiacangleerrecesoir", "s m u g g l i n g t o t u r k e y", "s.m.u.g.g.l.e.r.t.o.u.k", "فيزامزورةللبيع بريطانيامهرب",
		"ازمرز باقایق تابلغارستان", "رسالةماجستيرعن", "سےانگلینڈ کیسے"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := Query{Text: s, Kind: KindAll, Lang: "fr"}
		ex := m.Explain(q)
		if ex.Matched != (len(ex.Rules) > 0) {
			t.Fatalf("matched %v with rules %v", ex.Matched, ex.Rules)
		}
		// Match takes shortcuts Explain does not; they must not change
		// the answer.
		if r := m.Match(q); !slices.Equal(r.Rules, ex.Rules) {
			t.Fatalf("Match(%q) = %v, Explain says %v", s, r.Rules, ex.Rules)
		}
		for _, rm := range ex.Matches {
			for _, sp := range rm.Spans {
				if sp.Start < 0 || sp.End > len(s) || sp.Start > sp.End || sp.Text != s[sp.Start:sp.End] {
					t.Fatalf("bad span %+v for %q", sp, s)
				}
			}
		}
		n := Normalize(s)
		if !utf8.ValidString(n) || strings.Contains(n, "  ") || strings.HasPrefix(n, " ") {
			t.Fatalf("Normalize(%q) = %q", s, n)
		}
		if Normalize(n) != n {
			t.Fatalf("Normalize is not idempotent: %q -> %q -> %q", s, n, Normalize(n))
		}
	})
}
