package match

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestParseRuleFileErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"no lang", "rule: x\n", "t.rules:1: the first directive must be"},
		{"bad lang", "lang: English\n", `t.rules:1: lang "English"`},
		{"unknown category", "lang: en\nrule: x\ncategory: boats\nmatch: a\n", "t.rules:3: rule en.x: unknown category"},
		{"no match", "lang: en\nrule: x\ncategory: crossing\n", "t.rules:2: rule en.x has no match expression"},
		{"no category", "lang: en\nrule: x\nmatch: a\n", "t.rules:2: rule en.x has no category"},
		{"missing operator", "lang: en\nrule: x\ncategory: crossing\nmatch: small boat\n", "t.rules:4: rule en.x: match: column 7: missing operator"},
		{"mixed and or", "lang: en\nrule: x\ncategory: crossing\nmatch: a OR b AND c\n", "AND and OR are mixed"},
		{"unterminated phrase", "lang: en\nrule: x\ncategory: crossing\nmatch: \"a b\n", "unterminated quoted phrase"},
		{"short prefix", "lang: en\nrule: x\ncategory: crossing\nmatch: sm*\n", "at least 3 letters"},
		{"bad near", "lang: en\nrule: x\ncategory: crossing\nmatch: a NEAR/x b\n", "NEAR/n"},
		{"unbalanced", "lang: en\nrule: x\ncategory: crossing\nmatch: (a OR b\n", `expected ")"`},
		{"unknown directive", "lang: en\nrule: x\ncolour: red\n", `unknown directive "colour"`},
		{"outside rule", "lang: en\ncategory: crossing\n", "outside a rule"},
		{"unknown kind", "lang: en\nrule: x\nkinds: click\n", `unknown kind "click"`},
		{"unknown set", "lang: en\nrule: x\ncategory: crossing\nmatch: @boat\n", "unknown set @boat"},
		{"set twice", "lang: en\nset: a = x\nset: a = y\n", "set @a is defined twice"},
		{"continuation first", " lang: en\n", "continuation line before any directive"},
		{"no letters", "lang: en\nrule: x\ncategory: crossing\nmatch: \"!!\"\n", "has no letters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRuleFile("t.rules", []byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestSets(t *testing.T) {
	src := `lang: en
set: boat = boat OR dinghy OR "small boat"
set: uk = uk OR england
set: trip = @boat NEAR/3 @uk
exclude: ferry
rule: x
category: crossing
match: @trip NOT @boat NEAR/1 hire
`
	f, err := ParseRuleFile("t.rules", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Rules[0].Expr.String(); got != "(@trip NOT (@boat NEAR/1 hire))" {
		t.Errorf("expr = %s", got)
	}
	m, err := Compile([]*RuleFile{f})
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string]bool{"dinghy to england": true, "boat hire to england": false, "ferry boat uk": false} {
		if got := m.Match(Query{Text: text, Kind: KindSearch}).Matched; got != want {
			t.Errorf("%q matched = %v, want %v", text, got, want)
		}
	}
}

func TestLoadRules(t *testing.T) {
	fsys := fstest.MapFS{
		"a.rules":   {Data: []byte("lang: en\nrule: x\ncategory: crossing\nmatch: a\n")},
		"b.rules":   {Data: []byte("lang: en\n\nrule: x\ncategory: crossing\nmatch: b\n")},
		"notes.txt": {Data: []byte("ignored")},
	}
	_, err := LoadRules(fsys, ".")
	if err == nil || !strings.Contains(err.Error(), "b.rules:3: rule id en.x is already defined at a.rules:2") {
		t.Errorf("duplicate ids: err = %v", err)
	}
	delete(fsys, "b.rules")
	files, err := LoadRules(fsys, ".")
	if err != nil || len(files) != 1 || files[0].Rules[0].ID != "en.x" {
		t.Errorf("LoadRules = %v, %v", files, err)
	}
	if _, err := LoadRules(fstest.MapFS{}, "."); err == nil {
		t.Error("no rule files: no error")
	}
	// Files are parsed in parallel; of several broken ones, the first in
	// name order is reported, whichever finished first.
	broken := fstest.MapFS{}
	for _, name := range []string{"c", "a", "d", "b"} {
		broken[name+".rules"] = &fstest.MapFile{Data: []byte("lang: en\nrule: " + name + "\ncategory: crossing\nmatch: (a\n")}
	}
	for range 20 {
		if _, err := LoadRules(broken, "."); err == nil || !strings.HasPrefix(err.Error(), "a.rules:4") {
			t.Fatalf("broken files: err = %v, want a.rules:4 first", err)
		}
	}
}

// TestSetsAcrossFiles: two files may use the same set name for different
// terms, and editing a set changes the rules version.
func TestSetsAcrossFiles(t *testing.T) {
	parse := func(name, src string) *RuleFile {
		f, err := ParseRuleFile(name, []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	a := parse("a.rules", "lang: en\nset: v = boat\nrule: r1\ncategory: crossing\nmatch: @v NEAR/3 uk\n")
	b := parse("b.rules", "lang: en\nset: v = raft\nrule: r2\ncategory: crossing\nmatch: @v NEAR/3 uk\n")
	m, err := Compile([]*RuleFile{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Match(Query{Text: "raft to uk", Kind: KindSearch}).Rules; len(got) != 1 || got[0] != "en.r2" {
		t.Errorf("raft to uk: %v, want [en.r2]", got)
	}
	if got := m.Match(Query{Text: "boat to uk", Kind: KindSearch}).Rules; len(got) != 1 || got[0] != "en.r1" {
		t.Errorf("boat to uk: %v, want [en.r1]", got)
	}
	b2 := parse("b.rules", "lang: en\nset: v = dinghy\nrule: r2\ncategory: crossing\nmatch: @v NEAR/3 uk\n")
	m2, err := Compile([]*RuleFile{a, b2})
	if err != nil {
		t.Fatal(err)
	}
	if m.Version() == m2.Version() {
		t.Error("editing a set did not change the rules version")
	}
}
