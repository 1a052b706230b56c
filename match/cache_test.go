package match_test

import (
	"sync"
	"testing"
	"time"

	"signpost/match"
)

func ruleFile(t *testing.T, name, src string) *match.RuleFile {
	t.Helper()
	f, err := match.ParseRuleFile(name, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

const (
	cacheRulesA = "lang: en\nrule: a.boat\ncategory: crossing\nmatch: dinghy NEAR/3 dover\n"
	cacheRulesB = "lang: en\nrule: a.boat\ncategory: crossing\nmatch: dinghy NEAR/3 folkestone\n"
	cacheRulesC = "lang: en\nrule: a.boat\ncategory: crossing\nmatch: dinghy NEAR/3 ramsgate\n"
)

// TestCacheCompilesOnce checks that the same rules, parsed again, give the
// same matcher, that other rules give another, and that the oldest entry
// goes once the cache is full.
func TestCacheCompilesOnce(t *testing.T) {
	c := match.NewCache(2, 0, nil)
	a1, err := c.Compile([]*match.RuleFile{ruleFile(t, "en.rules", cacheRulesA)})
	if err != nil {
		t.Fatal(err)
	}
	a2, _ := c.Compile([]*match.RuleFile{ruleFile(t, "en.rules", cacheRulesA)})
	if a1 != a2 {
		t.Fatal("the same rules compiled twice")
	}
	if !a1.Match(match.Query{Text: "dinghy to dover", Kind: match.KindSearch}).Matched {
		t.Fatal("the cached matcher does not match")
	}
	b, _ := c.Compile([]*match.RuleFile{ruleFile(t, "en.rules", cacheRulesB)})
	if b == a1 || b.Version() == a1.Version() {
		t.Fatal("other rules got the cached matcher")
	}
	// A is now the least recently used entry of two: using it again
	// keeps it, so C pushes B out.
	if a3, _ := c.Compile([]*match.RuleFile{ruleFile(t, "en.rules", cacheRulesA)}); a3 != a1 {
		t.Fatal("A was dropped while the cache had room")
	}
	if _, err := c.Compile([]*match.RuleFile{ruleFile(t, "en.rules", cacheRulesC)}); err != nil {
		t.Fatal(err)
	}
	if a4, _ := c.Compile([]*match.RuleFile{ruleFile(t, "en.rules", cacheRulesA)}); a4 != a1 {
		t.Fatal("the most recently used entry was dropped")
	}
	if b2, _ := c.Compile([]*match.RuleFile{ruleFile(t, "en.rules", cacheRulesB)}); b2 == b {
		t.Fatal("the least recently used entry was kept past the cache's size")
	}
}

// TestCacheConcurrent checks that callers compiling the same rules at once
// all get one matcher.
func TestCacheConcurrent(t *testing.T) {
	c := match.NewCache(1, 0, nil)
	const n = 8
	got := make([]*match.Matcher, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			m, err := c.Compile([]*match.RuleFile{ruleFile(t, "en.rules", cacheRulesA)})
			if err != nil {
				t.Error(err)
			}
			got[i] = m
		})
	}
	wg.Wait()
	for i := 1; i < n; i++ {
		if got[i] != got[0] || got[i] == nil {
			t.Fatalf("caller %d got another matcher", i)
		}
	}
}

// TestCacheErrors checks that a failed compilation is reported to each
// caller and not kept, and that a nil cache compiles.
func TestCacheErrors(t *testing.T) {
	c := match.NewCache(2, 0, nil)
	for range 2 {
		if _, err := c.Compile(nil); err == nil {
			t.Fatal("no rules compiled without an error")
		}
	}
	var none *match.Cache
	m1, err := none.Compile([]*match.RuleFile{ruleFile(t, "en.rules", cacheRulesA)})
	if err != nil {
		t.Fatal(err)
	}
	m2, _ := none.Compile([]*match.RuleFile{ruleFile(t, "en.rules", cacheRulesA)})
	if m1 == m2 {
		t.Fatal("a nil cache kept a matcher")
	}
}

// TestCacheTTL checks that a matcher is dropped once its time is up.
func TestCacheTTL(t *testing.T) {
	c := match.NewCache(2, time.Millisecond, nil)
	first, err := c.Compile([]*match.RuleFile{ruleFile(t, "en.rules", cacheRulesA)})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		m, _ := c.Compile([]*match.RuleFile{ruleFile(t, "en.rules", cacheRulesA)})
		if m != first {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the matcher was kept long past its time")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
