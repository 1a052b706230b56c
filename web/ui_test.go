package web_test

import (
	"bytes"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"signpost/locales"
	"signpost/web"
)

// TestUIMessagesComplete: every UI message file exists in every UI
// language with exactly the same message ids, none empty, so no page
// shows a bare id or falls back to English in the middle of Arabic.
func TestUIMessagesComplete(t *testing.T) {
	ui := locales.UI()
	files, err := fs.Glob(ui, "*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no UI message files: %v", err)
	}
	ids := map[string]map[string]map[string]string{} // area -> lang -> id -> text
	for _, f := range files {
		parts := strings.Split(strings.TrimSuffix(f, ".toml"), ".")
		if len(parts) != 2 {
			t.Errorf("%s: want <area>.<lang>.toml", f)
			continue
		}
		area, lang := parts[0], parts[1]
		if !slices.Contains(web.UILanguages(), lang) {
			t.Errorf("%s: %s is not a UI language", f, lang)
		}
		data, err := fs.ReadFile(ui, f)
		if err != nil {
			t.Fatal(err)
		}
		var msgs map[string]string
		if err := toml.Unmarshal(data, &msgs); err != nil {
			t.Errorf("%s: %v (UI messages are flat id = \"text\" pairs)", f, err)
			continue
		}
		if ids[area] == nil {
			ids[area] = map[string]map[string]string{}
		}
		ids[area][lang] = msgs
	}
	for area, byLang := range ids {
		want := slices.Sorted(maps.Keys(byLang["en"]))
		for _, lang := range web.UILanguages() {
			got := byLang[lang]
			if got == nil {
				t.Errorf("%s.%s.toml is missing", area, lang)
				continue
			}
			for _, id := range want {
				if strings.TrimSpace(got[id]) == "" {
					t.Errorf("%s.%s.toml: %q is missing or empty", area, lang, id)
				}
			}
			for id := range got {
				if _, ok := byLang["en"][id]; !ok {
					t.Errorf("%s.%s.toml: %q is not in English", area, lang, id)
				}
			}
		}
	}
}

// TestPagesRenderInEveryLanguage renders the sign-in page in each UI
// language: the right lang and dir, and no message id left untranslated.
func TestPagesRenderInEveryLanguage(t *testing.T) {
	assets, err := web.NewAssets()
	if err != nil {
		t.Fatal(err)
	}
	ui, err := web.NewUI(assets, locales.UI())
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range web.UILanguages() {
		p := ui.Page(lang, "")
		p.Title = p.T("signin.title")
		var buf bytes.Buffer
		if err := ui.Render(&buf, "signin", p); err != nil {
			t.Fatal(err)
		}
		html := buf.String()
		dir := "ltr"
		if lang == "ar" {
			dir = "rtl"
		}
		if !strings.Contains(html, `<html lang="`+lang+`" dir="`+dir+`">`) {
			t.Errorf("%s: no <html lang dir> for %s/%s", lang, lang, dir)
		}
		if strings.Contains(html, "signin.") || strings.Contains(html, "layout.") {
			t.Errorf("%s: an untranslated message id in the page", lang)
		}
	}
	if p := ui.Page("", "ar-IQ,ar;q=0.9,en;q=0.5"); p.Lang != "ar" || p.Dir != "rtl" {
		t.Errorf("Accept-Language ar-IQ: got %s/%s, want ar/rtl", p.Lang, p.Dir)
	}
	if p := ui.Page("", "de-DE"); p.Lang != "en" {
		t.Errorf("Accept-Language de: got %s, want the en fallback", p.Lang)
	}
}

// TestAssetsHashedAndVendoredWithLicences: every asset URL carries a
// content hash, and every vendored library ships its licence.
func TestAssetsHashedAndVendoredWithLicences(t *testing.T) {
	a, err := web.NewAssets()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"app.css", "app.js", "htmx.min.js", "uplot.min.js", "uplot.min.css", "licenses/htmx-2.0.11.txt", "licenses/uplot-1.6.32.txt"} {
		u := a.URL(name)
		if u == "" {
			t.Errorf("%s: not embedded", name)
			continue
		}
		if u == "/assets/"+name {
			t.Errorf("%s: URL %s has no content hash", name, u)
		}
		if _, ok := a.Lookup(strings.TrimPrefix(u, "/assets/")); !ok {
			t.Errorf("%s: %s does not resolve", name, u)
		}
	}
}
