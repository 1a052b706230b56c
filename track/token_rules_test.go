package track

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestTokenRulesClaim: a token carries at most MaxTokenRules rule ids, in
// order; a token without the claim (issued before it existed) verifies.
func TestTokenRulesClaim(t *testing.T) {
	key := bytes.Repeat([]byte("k"), 32)
	s, err := NewSigner("1", map[string][]byte{"1": key}, 0)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Sign(Claims{Campaign: "c", Version: 1, Variant: "a", Locale: "en", Kind: "search",
		Rules: []string{"en.a", "en.b", "en.c", "en.d"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Verify(tok)
	if err != nil || !slices.Equal(c.Rules, []string{"en.a", "en.b", "en.c"}) {
		t.Fatalf("Verify = %+v, %v; want the first three rules", c, err)
	}

	old, err := s.Sign(Claims{Campaign: "c", Version: 1, Variant: "a", Locale: "en", Kind: "search"})
	if err != nil {
		t.Fatal(err)
	}
	payload, _, _ := strings.Cut(old, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(payload)
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	if _, ok := fields["m"]; ok {
		t.Errorf("a token without rules carries the claim: %s", raw)
	}
	if c, err := s.Verify(old); err != nil || c.Rules != nil || c.Campaign != "c" {
		t.Errorf("Verify of a token without rules = %+v, %v", c, err)
	}
}
