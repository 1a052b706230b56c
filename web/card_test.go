package web

import (
	"bufio"
	"bytes"
	"fmt"
	"html"
	"io/fs"
	"math"
	"os"
	"path"
	"regexp"
	"strings"
	"testing"

	"signpost/locales"
	"signpost/messages"
)

func xssCorpus(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("testdata/xss.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// tagRe finds the page's tags; escaped payloads cannot make one.
var tagRe = regexp.MustCompile(`<[a-zA-Z/!][^>]*>`)

// templateTags are the elements the card template writes.
var templateTags = map[string]bool{"!doctype": true, "html": true, "head": true, "meta": true, "title": true, "style": true,
	"body": true, "main": true, "p": true, "article": true, "h1": true, "ul": true, "li": true, "a": true, "button": true, "form": true,
	"div": true}

// scriptTagRe is the one script tag the template writes: the Quick Exit
// script, with the page's nonce.
var scriptTagRe = regexp.MustCompile(`^<script nonce="[^"<>]*">$`)

// attrRe finds a tag's attributes and their (quoted) values.
var attrRe = regexp.MustCompile(`\s([a-zA-Z-]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]+))?`)

// dangerous returns the first piece of markup a payload smuggled into the
// page: an element the template does not write, an event-handler
// attribute, or a link to a script or data URL.
func dangerous(page string) string {
	if n := strings.Count(strings.ToLower(page), "<script"); n > 1 {
		return fmt.Sprintf("%d script elements", n)
	}
	for _, tag := range tagRe.FindAllString(page, -1) {
		name := strings.ToLower(strings.TrimPrefix(strings.Fields(strings.Trim(tag, "<>"))[0], "/"))
		if name == "script" && (tag == "</script>" || scriptTagRe.MatchString(tag)) {
			continue
		}
		if !templateTags[name] {
			return tag
		}
		for _, m := range attrRe.FindAllStringSubmatch(tag, -1) {
			attr := strings.ToLower(m[1])
			val := strings.ToLower(strings.TrimSpace(html.UnescapeString(strings.Trim(m[2], `"'`))))
			if strings.HasPrefix(attr, "on") ||
				(attr == "href" || attr == "src" || attr == "action") && (strings.HasPrefix(val, "javascript:") || strings.HasPrefix(val, "data:") || strings.HasPrefix(val, "vbscript:")) {
				return tag
			}
		}
	}
	return ""
}

// TestCardPageIsInert renders the card with each XSS payload in every
// field an editor controls (the action URL is the one field the template
// puts in an attribute), and checks that none comes out as markup.
func TestCardPageIsInert(t *testing.T) {
	r, err := NewCardRenderer()
	if err != nil {
		t.Fatal(err)
	}
	var clean bytes.Buffer
	if err := r.Render(&clean, Card{Lang: "en", Dir: "ltr", Title: "t", Nonce: "n"}); err != nil {
		t.Fatal(err)
	}
	if m := dangerous(clean.String()); m != "" {
		t.Fatalf("the template itself matches %q", m)
	}
	for _, p := range xssCorpus(t) {
		page := Card{Lang: p, Dir: p, Title: p, Body: p, Dismiss: p, Continue: p, Exit: p, Preview: p, Nonce: p, FormAction: p,
			Actions: []CardAction{{Label: p, URL: p}}}
		var buf bytes.Buffer
		if err := r.Render(&buf, page); err != nil {
			t.Fatalf("payload %q: %v", p, err)
		}
		if m := dangerous(buf.String()); m != "" {
			t.Errorf("payload %q came out as markup: %q", p, m)
		}
	}
}

// TestDangerousFindsMarkup keeps the checker honest: it must flag what
// an unescaped payload would look like.
func TestDangerousFindsMarkup(t *testing.T) {
	for _, page := range []string{`<p><img src=x onerror=alert(1)></p>`, `<a href="javascript:alert(1)">x</a>`,
		`<a class="action" href=" JaVaScRiPt:alert(1)">`, `<button onclick="x()">`, `<p>ok</p><script>x</script>`, `<script nonce="n"></script><script nonce="n"></script>`,
		`<script nonce="n" src="//evil">`} {
		if dangerous(page) == "" {
			t.Errorf("dangerous(%q) found nothing", page)
		}
	}
	if m := dangerous(`<p title="&lt;img onerror=x&gt;">&lt;script&gt;</p>`); m != "" {
		t.Errorf("escaped text flagged: %q", m)
	}
}

// renderedCard is one shipped card rendered as the hosted page.
type renderedCard struct {
	name string // campaign/variant/locale
	lang string
	page string
}

// shippedCardPages renders every card of every shipped campaign (each
// variant in each locale) as /card/{token} does, with a token as long as
// a real one.
func shippedCardPages(t *testing.T) []renderedCard {
	t.Helper()
	r, err := NewCardRenderer()
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := fs.ReadDir(locales.FS, "campaigns")
	if err != nil {
		t.Fatal(err)
	}
	tok := strings.Repeat("T", 160)
	var out []renderedCard
	for _, d := range dirs {
		dir := path.Join("campaigns", d.Name())
		raw, err := fs.ReadFile(locales.FS, path.Join(dir, "campaign.json"))
		if err != nil {
			t.Fatal(err)
		}
		def, err := messages.ParseDefinition(raw)
		if err != nil {
			t.Fatal(err)
		}
		content := map[string]messages.LocaleFile{}
		files, _ := fs.ReadDir(locales.FS, dir)
		for _, f := range files {
			loc, format, ok := strings.Cut(f.Name(), ".")
			if !ok || f.Name() == "campaign.json" || format == "md" {
				continue
			}
			data, err := fs.ReadFile(locales.FS, path.Join(dir, f.Name()))
			if err != nil {
				t.Fatal(err)
			}
			content[loc] = messages.LocaleFile{Format: format, Data: data, Name: f.Name()}
		}
		camp, err := messages.Compile(def, 1, content)
		if err != nil {
			t.Fatal(err)
		}
		for vi, v := range def.Experiment.Variants {
			for _, loc := range camp.Locales {
				ct := camp.Card(vi, loc)
				page := Card{Lang: loc, Dir: messages.Dir(loc), Title: ct.Title, Body: ct.Body, Dismiss: ct.Dismiss, Continue: ct.Continue,
					FormAction: "https://signpost.example/card/" + tok, Nonce: NewNonce()}
				for _, a := range ct.Actions {
					page.Actions = append(page.Actions, CardAction{Label: a.Label, URL: "https://signpost.example/r/" + tok + "?a=" + a.ID})
				}
				var buf bytes.Buffer
				if err := r.Render(&buf, page); err != nil {
					t.Fatal(err)
				}
				out = append(out, renderedCard{name: def.ID + "/" + v.Key + "/" + loc, lang: loc, page: buf.String()})
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no shipped cards")
	}
	return out
}

// TestCardPageWeight: the whole hosted page (HTML, inline style and
// script: it loads nothing else) stays under 30 KB for the largest
// shipped card, for slow connections and cheap phones.
func TestCardPageWeight(t *testing.T) {
	largest := renderedCard{}
	for _, c := range shippedCardPages(t) {
		if len(c.page) > len(largest.page) {
			largest = c
		}
	}
	t.Logf("largest card page: %s, %d bytes", largest.name, len(largest.page))
	if len(largest.page) >= 30*1024 {
		t.Errorf("card page %s is %d bytes, want < 30 KB", largest.name, len(largest.page))
	}
}

var (
	htmlTagRe   = regexp.MustCompile(`<html lang="([^"]*)" dir="([^"]*)">`)
	focusableRe = regexp.MustCompile(`<(a|button|input|select|textarea)\b[^>]*>`)
	styleAttrRe = regexp.MustCompile(`(?i)<[^>]+\sstyle\s*=`)
	// externalRe finds anything that would load from elsewhere.
	externalRe = regexp.MustCompile(`(?i)\ssrc\s*=|<link\b|@import|url\(|<img\b|<iframe\b`)
)

// TestCardPageStructure: every shipped card says its language and
// direction (Arabic, Persian, Sorani and Pashto right to left), Quick
// Exit is the first control in the page (so the first in focus order)
// and leads to the neutral page, the page has no style attribute and
// loads nothing from anywhere.
func TestCardPageStructure(t *testing.T) {
	rtl := map[string]bool{"ar": true, "fa": true, "ckb": true, "ps": true, "ur": true}
	sawArabic := false
	for _, c := range shippedCardPages(t) {
		m := htmlTagRe.FindStringSubmatch(c.page)
		want := "ltr"
		if rtl[c.lang] {
			want = "rtl"
		}
		if m == nil || m[1] != c.lang || m[2] != want {
			t.Errorf("%s: html element %v, want lang=%s dir=%s", c.name, m, c.lang, want)
		}
		if c.lang == "ar" {
			sawArabic = true
			if !strings.Contains(c.page, `<html lang="ar" dir="rtl">`) || !strings.Contains(c.page, ">خروج</a>") {
				t.Errorf("%s: not an Arabic right-to-left page with an Arabic Quick Exit", c.name)
			}
		}
		body := c.page[strings.Index(c.page, "<body>"):]
		first := focusableRe.FindString(body)
		if !strings.Contains(first, `id="exit"`) || !strings.Contains(first, `href="/exit"`) {
			t.Errorf("%s: first control is %q, want the Quick Exit link to /exit", c.name, first)
		}
		if strings.Index(body, `id="exit"`) > strings.Index(body, "<main>") {
			t.Errorf("%s: Quick Exit is not before the card", c.name)
		}
		if m := styleAttrRe.FindString(c.page); m != "" {
			t.Errorf("%s: style attribute in %q", c.name, m)
		}
		if m := externalRe.FindString(c.page); m != "" {
			t.Errorf("%s: loads something: %q", c.name, m)
		}
		if n := strings.Count(c.page, "<script nonce="); n != 1 {
			t.Errorf("%s: %d nonce scripts, want the one Quick Exit script", c.name, n)
		}
	}
	if !sawArabic {
		t.Error("no Arabic card among the shipped ones")
	}
}

// TestCardCSP: the card page's policy allows its own nonce'd style and
// script and nothing else; the neutral page's allows its style by hash.
func TestCardCSP(t *testing.T) {
	csp := CSP("abc")
	for _, want := range []string{"default-src 'none'", "style-src 'nonce-abc'", "script-src 'nonce-abc'", "frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("CSP %q allows unsafe sources", csp)
	}
	if !strings.Contains(SafeCSP, "style-src 'sha256-") || strings.Contains(SafeCSP, "unsafe") {
		t.Errorf("SafeCSP %q", SafeCSP)
	}
	low := strings.ToLower(string(SafePage))
	for _, word := range []string{"signpost", "campaign", "smuggl", "boat", "card"} {
		if strings.Contains(low, word) {
			t.Errorf("the neutral page mentions %q", word)
		}
	}
}

// TestExitLabel: a language's own word, a region falls back to its
// language, and an unknown language gets English.
func TestExitLabel(t *testing.T) {
	for loc, want := range map[string]string{"ar": "خروج", "fr-FR": "Quitter", "ku-Latn": "Derkeve", "ckb": "دەرچوون", "ja": "Exit", "": "Exit"} {
		if got := ExitLabel(loc); got != want {
			t.Errorf("ExitLabel(%q) = %q, want %q", loc, got, want)
		}
	}
	for _, loc := range []string{"en", "fr", "ar", "fa", "ckb", "ps", "sq", "vi", "ti", "tr", "ku", "kmr", "so", "ur", "am"} {
		if _, ok := exitLabels[loc]; !ok {
			t.Errorf("no Quick Exit label for %s", loc)
		}
	}
}

// widgetJS is the widget as served.
func widgetJS(t *testing.T) string {
	t.Helper()
	b, err := static.ReadFile("static/widget.js")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestWidgetSize: widget.js stays under 10 KB, unminified.
func TestWidgetSize(t *testing.T) {
	if n := len(widgetJS(t)); n >= 10*1024 {
		t.Errorf("widget.js is %d bytes, want < 10 KB", n)
	}
}

// TestExitLabelsMatchWidget: the widget's Quick Exit labels are the
// hosted card's.
func TestExitLabelsMatchWidget(t *testing.T) {
	js := widgetJS(t)
	entries := regexp.MustCompile(`(?m)^\s+"([a-z]+)": "([^"]+)",?$`).FindAllStringSubmatch(js, -1)
	got := map[string]string{}
	for _, e := range entries {
		got[e[1]] = e[2]
	}
	for k, v := range exitLabels {
		if got[k] != v {
			t.Errorf("widget.js label for %s = %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(exitLabels) {
		t.Errorf("widget.js has %d labels, web/card.go %d", len(got), len(exitLabels))
	}
}

// TestWidgetIsInertAndStrict: the widget writes text only with
// textContent, never as markup, and styles only through a constructable
// stylesheet (a strict host CSP forbids <style> and style attributes).
func TestWidgetIsInertAndStrict(t *testing.T) {
	js := widgetJS(t)
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
		`createElement("style")`, "setAttribute(\"style\"", ".style.", "cssText"} {
		if strings.Contains(js, bad) {
			t.Errorf("widget.js uses %s", bad)
		}
	}
	for _, want := range []string{"attachShadow", "new CSSStyleSheet()", "adoptedStyleSheets", "textContent", `credentials: "omit"`, "location.replace"} {
		if !strings.Contains(js, want) {
			t.Errorf("widget.js lacks %s", want)
		}
	}
}

// luminance is a colour's relative luminance (WCAG 2).
func luminance(hex string) float64 {
	var c [3]float64
	for i := range c {
		var v int
		fmt.Sscanf(hex[1+2*i:3+2*i], "%02x", &v)
		s := float64(v) / 255
		if s <= 0.04045 {
			c[i] = s / 12.92
		} else {
			c[i] = math.Pow((s+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]
}

func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// TestCardContrast: every text colour on its background in the card page
// and the widget reaches 4.5:1, and the focus ring 3:1 on every
// background it is drawn on.
func TestCardContrast(t *testing.T) {
	js := widgetJS(t)
	for _, p := range []struct {
		what, fg, bg, cssHTML, cssJS string
		min                          float64
	}{
		{"text", "#1a1a1a", "#ffffff", "color:#1a1a1a;background:#f4f4f2", ".card{font", 4.5},
		{"text on page", "#1a1a1a", "#f4f4f2", "color:#1a1a1a;background:#f4f4f2", "", 4.5},
		{"quick exit", "#ffffff", "#a4161a", "background:#a4161a;color:#fff", "background:#a4161a;color:#fff", 4.5},
		{"action", "#ffffff", "#0b5394", "background:#0b5394;color:#fff", "background:#0b5394;color:#fff", 4.5},
		{"action hover", "#ffffff", "#083d6d", "a.action:hover{background:#083d6d}", ".action:hover{background:#083d6d}", 4.5},
		{"button", "#1a1a1a", "#ffffff", "background:#fff;color:#1a1a1a;border:2px solid #555", "background:#fff;color:#1a1a1a;border:2px solid #555", 4.5},
		{"button hover", "#1a1a1a", "#e8e8e6", "button:hover{background:#e8e8e6}", ".choice:hover{background:#e8e8e6}", 4.5},
		{"button border", "#555555", "#ffffff", "", "", 3},
		{"focus ring", "#1a1a1a", "#f4f4f2", "outline:3px solid #1a1a1a", "outline:3px solid #1a1a1a", 3},
		{"preview banner", "#5c4400", "#fff3cd", "background:#fff3cd;color:#5c4400", "", 4.5},
	} {
		if c := contrast(p.fg, p.bg); c < p.min {
			t.Errorf("%s: %s on %s is %.2f:1, want %.1f:1", p.what, p.fg, p.bg, c, p.min)
		}
		if p.cssHTML != "" && !strings.Contains(cardHTML, p.cssHTML) {
			t.Errorf("%s: card.html no longer has %q (update the test with the colours)", p.what, p.cssHTML)
		}
		if p.cssJS != "" && !strings.Contains(js, p.cssJS) {
			t.Errorf("%s: widget.js no longer has %q (update the test with the colours)", p.what, p.cssJS)
		}
	}
}
