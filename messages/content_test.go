package messages

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"signpost/locales"
	"signpost/match"
)

func testDef(t *testing.T) *Definition {
	t.Helper()
	d, err := ParseDefinition([]byte(`{"id":"test","name":"Test","default_locale":"en",
		"fallbacks":{"prs":["fa"]},
		"experiment":{"coverage":1,"variants":[{"key":"a","weight":0.5},{"key":"b","weight":0.5}]},
		"allowed_hosts":["example.org"],
		"actions":[{"id":"help","url":"https://example.org/help"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

const enTOML = `
"a.title" = "Title A"
"a.body" = "Body A"
"a.action.help.label" = "Help A"
"a.dismiss" = "Close"
"a.continue" = "Continue"
"b.title" = "Title B"
"b.body" = "Body B"
"b.action.help.label" = "Help B"
"b.dismiss" = "Close"
"b.continue" = "Continue"
`

func TestCompileFallsBackPerMessage(t *testing.T) {
	c, err := Compile(testDef(t), 7, map[string]LocaleFile{
		"en": {Format: "toml", Data: []byte(enTOML)},
		"fa": {Format: "json", Data: []byte(`{"a.title":"عنوان","a.body":"متن"}`)},
		"fr": {Format: "yaml", Data: []byte("a.title: Titre\nb.title: Titre B\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Locales, []string{"en", "fa", "fr"}) || c.Version != 7 {
		t.Errorf("locales = %v version = %d", c.Locales, c.Version)
	}
	fa := c.Card(0, "fa")
	if fa.Title != "عنوان" || fa.Body != "متن" || fa.Dismiss != "Close" || fa.Actions[0].Label != "Help A" || fa.Actions[0].URL != "https://example.org/help" {
		t.Errorf("fa card = %+v", fa)
	}
	if fr := c.Card(1, "fr"); fr.Title != "Titre B" || fr.Body != "Body B" {
		t.Errorf("fr card b = %+v", fr)
	}
}

// TestShippedCampaigns compiles every shipped campaign: each locale file
// parses, has every message of every variant, and meets the limits.
func TestShippedCampaigns(t *testing.T) {
	dirs, err := locales.FS.ReadDir("campaigns")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no shipped campaigns: %v", err)
	}
	for _, d := range dirs {
		raw, err := locales.FS.ReadFile("campaigns/" + d.Name() + "/campaign.json")
		if err != nil {
			t.Fatal(err)
		}
		def, err := ParseDefinition(raw)
		if err != nil {
			t.Fatal(err)
		}
		files, _ := locales.FS.ReadDir("campaigns/" + d.Name())
		content := map[string]LocaleFile{}
		for _, f := range files {
			if filepath.Ext(f.Name()) != ".toml" {
				continue
			}
			data, _ := locales.FS.ReadFile("campaigns/" + d.Name() + "/" + f.Name())
			content[strings.TrimSuffix(f.Name(), ".toml")] = LocaleFile{Format: "toml", Data: data}
		}
		c, err := Compile(def, 1, content)
		if err != nil {
			t.Fatalf("%s: %v", d.Name(), err)
		}
		want := []string{"ar", "ckb", "en", "fa", "fr", "ps", "sq", "ti", "tr", "vi"}
		if !slices.Equal(c.Locales, want) {
			t.Errorf("%s locales = %v, want %v", d.Name(), c.Locales, want)
		}
		// Completeness: every locale carries every message itself, not by
		// falling back to English.
		for loc, f := range content {
			for _, v := range def.Experiment.Variants {
				for _, id := range def.MessageIDs(v.Key) {
					if !strings.Contains(string(f.Data), `"`+id+`"`) {
						t.Errorf("%s/%s.toml lacks %s", d.Name(), loc, id)
					}
				}
			}
		}
	}
}

func TestCategoriesMatchMatcher(t *testing.T) {
	// messages keeps its own copy so that it does not depend on match.
	if !slices.Equal(categories, match.Categories) {
		t.Errorf("messages categories %v != match.Categories %v", categories, match.Categories)
	}
}

func FuzzCompile(f *testing.F) {
	f.Add([]byte(enTOML), "toml")
	f.Add([]byte(`{"a.title":"x"}`), "json")
	f.Add([]byte("a:\n  title: x\n"), "yaml")
	def := &Definition{ID: "f", Name: "F", DefaultLocale: "en",
		Experiment: ExperimentConfig{Coverage: 1, Variants: []Variant{{"a", 1}}},
		Actions:    []Action{{ID: "help", URL: "https://example.org"}}}
	f.Fuzz(func(t *testing.T, data []byte, format string) {
		c, err := Compile(def, 1, map[string]LocaleFile{"en": {Format: format, Data: data}})
		if err == nil {
			card := c.Card(0, "en")
			if card == nil || card.Title == "" || card.Body == "" {
				t.Fatalf("compiled without a complete card: %+v", card)
			}
		}
	})
}

// TestXSSCorpusIsRejectedOrInert feeds each payload of the shared XSS
// corpus into every message of a campaign: each must be refused, or be
// text with nothing a browser could take for markup or a script URL (the
// card page escapes it anyway: web's TestCardPageIsInert).
func TestXSSCorpusIsRejectedOrInert(t *testing.T) {
	data, err := os.ReadFile("../web/testdata/xss.txt")
	if err != nil {
		t.Fatal(err)
	}
	def := testDef(t)
	n := 0
	for _, p := range strings.Split(string(data), "\n") {
		if p == "" || strings.HasPrefix(p, "#") {
			continue
		}
		var src strings.Builder
		for _, v := range []string{"a", "b"} {
			for _, id := range def.MessageIDs(v) {
				fmt.Fprintf(&src, "%q = %q\n", id, p)
			}
		}
		n++
		_, err := Compile(def, 1, map[string]LocaleFile{"en": {Format: "toml", Data: []byte(src.String())}})
		if err != nil {
			continue // refused
		}
		low := strings.ToLower(p)
		if strings.ContainsAny(p, "<>&") || strings.Contains(low, "javascript:") || strings.Contains(low, "data:") {
			t.Errorf("payload %q was accepted as card text", p)
		}
	}
	if n < 10 {
		t.Fatalf("only %d payloads read from the corpus", n)
	}
}
