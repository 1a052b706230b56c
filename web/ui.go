package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// uiTemplates holds the editor and analyst pages: layout.html, which
// every page shares, partials (_*.html) defining blocks several pages
// use, and one file per page defining its "content" block.
//
//go:embed ui/*.html
var uiTemplates embed.FS

// UILanguages are the languages the UI speaks, the fallback first. Every
// UI message file must exist in each (a test checks).
func UILanguages() []string { return []string{"en", "fr", "ar"} }

// UI renders the editor and analyst pages in the language of the person
// reading them.
type UI struct {
	pages   map[string]*template.Template
	bundle  *i18n.Bundle
	matcher language.Matcher
	tags    []language.Tag
	assets  *Assets
}

// NewUI parses the page templates and loads the UI message files
// (<area>.<lang>.toml) from locales.
func NewUI(assets *Assets, locales fs.FS) (*UI, error) {
	u := &UI{pages: map[string]*template.Template{}, assets: assets, bundle: i18n.NewBundle(language.English)}
	u.bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	files, err := fs.Glob(locales, "*.toml")
	if err != nil {
		return nil, fmt.Errorf("web: list UI messages: %w", err)
	}
	for _, f := range files {
		if _, err := u.bundle.LoadMessageFileFS(locales, f); err != nil {
			return nil, fmt.Errorf("web: load UI messages %s: %w", f, err)
		}
	}
	for _, l := range UILanguages() {
		u.tags = append(u.tags, language.MustParse(l))
	}
	u.matcher = language.NewMatcher(u.tags)

	// The layout and the partials (ui/_*.html: blocks several pages
	// share) are parsed once; each page is parsed into its own copy.
	layout, err := template.New("layout.html").Funcs(template.FuncMap{"langName": langName}).ParseFS(uiTemplates, "ui/layout.html", "ui/_*.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse layout: %w", err)
	}
	names, err := fs.Glob(uiTemplates, "ui/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: list pages: %w", err)
	}
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name == "layout" || strings.HasPrefix(name, "_") {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(uiTemplates, n)
		if err != nil {
			return nil, fmt.Errorf("web: parse page %s: %w", name, err)
		}
		u.pages[name] = t
	}
	return u, nil
}

// Page starts a page for a reader: choice is an explicit language (the
// lang query parameter or cookie, "" for none), acceptLanguage the
// browser's header.
func (u *UI) Page(choice, acceptLanguage string) *Page {
	tag := language.English
	if choice != "" {
		if t, err := language.Parse(choice); err == nil {
			tag, _, _ = u.matcher.Match(t)
		}
	} else if tags, _, err := language.ParseAcceptLanguage(acceptLanguage); err == nil && len(tags) > 0 {
		tag, _, _ = u.matcher.Match(tags...)
	}
	base, _ := tag.Base()
	lang := base.String()
	p := &Page{Lang: lang, Dir: "ltr", loc: i18n.NewLocalizer(u.bundle, lang), assets: u.assets}
	if lang == "ar" {
		p.Dir = "rtl"
	}
	p.Languages = UILanguages()
	return p
}

// Render writes page name (ui/<name>.html inside the layout).
func (u *UI) Render(w *bytes.Buffer, name string, p *Page) error {
	t, ok := u.pages[name]
	if !ok {
		return fmt.Errorf("web: no page %q", name)
	}
	if err := t.ExecuteTemplate(w, "layout", p); err != nil {
		return fmt.Errorf("web: render page %s: %w", name, err)
	}
	return nil
}

// RenderPart writes one block of page name without the layout: the
// fragment an htmx request swaps into the page, from the same template
// the full page uses, so the two cannot drift apart.
func (u *UI) RenderPart(w *bytes.Buffer, name, block string, p *Page) error {
	t, ok := u.pages[name]
	if !ok {
		return fmt.Errorf("web: no page %q", name)
	}
	if err := t.ExecuteTemplate(w, block, p); err != nil {
		return fmt.Errorf("web: render %s of page %s: %w", block, name, err)
	}
	return nil
}

// Page is what a UI template sees. Text comes from T, never from literals
// in templates, so that every page exists in every UI language.
type Page struct {
	Lang, Dir string
	// Languages are the UI languages, for the language switcher.
	Languages []string
	// Title is the page's title, already translated.
	Title string
	// Section names the navigation entry to highlight.
	Section string
	// User and Role are the signed-in person (empty on the sign-in page).
	User, Role string
	// CSRF is the session's token, for every form that changes something.
	CSRF string
	// Path is the page's own path, for the language switcher and next=.
	Path string
	// Flash is a confirmation to show once; Error a problem to show.
	Flash, Error string
	// Data is the page's own content.
	Data any

	loc    *i18n.Localizer
	assets *Assets
}

// T translates message id; args are name, value pairs for its template
// ({{.T "versions.count" "Count" 3}}); a Count argument selects the
// plural form. A missing message shows its id (a test keeps every
// language complete).
func (p *Page) T(id string, args ...any) string {
	cfg := &i18n.LocalizeConfig{MessageID: id}
	if len(args) > 0 {
		data := map[string]any{}
		for i := 0; i+1 < len(args); i += 2 {
			k := fmt.Sprint(args[i])
			data[k] = args[i+1]
			if k == "Count" {
				cfg.PluralCount = args[i+1]
			}
		}
		cfg.TemplateData = data
	}
	s, err := p.loc.Localize(cfg)
	if err != nil && s == "" {
		return id
	}
	return s
}

// Asset returns the hashed URL of a static file.
func (p *Page) Asset(name string) string { return p.assets.URL(name) }

// Can reports whether the signed-in role may do what needs one of roles
// (admin may do everything), to show only the controls that will work.
func (p *Page) Can(roles ...string) bool {
	if p.Role == "admin" {
		return true
	}
	for _, r := range roles {
		if r == p.Role {
			return true
		}
	}
	return false
}

// UICSP is the Content-Security-Policy of UI pages: scripts and styles only
// from the service's own hashed assets, no inline code, forms and
// requests only to the service, and frames only of its own pages (the
// side-by-side card previews).
const UICSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-src 'self'; frame-ancestors 'self'; base-uri 'none'; object-src 'none'"

// langName is a UI language's name in itself, for the switcher.
func langName(lang string) string {
	switch lang {
	case "en":
		return "English"
	case "fr":
		return "Français"
	case "ar":
		return "العربية"
	}
	return lang
}
