package web

import (
	"bufio"
	"bytes"
	"html"
	"os"
	"regexp"
	"strings"
	"testing"
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
	"body": true, "main": true, "p": true, "article": true, "h1": true, "ul": true, "li": true, "a": true, "button": true, "form": true}

// attrRe finds a tag's attributes and their (quoted) values.
var attrRe = regexp.MustCompile(`\s([a-zA-Z-]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]+))?`)

// dangerous returns the first piece of markup a payload smuggled into the
// page: an element the template does not write, an event-handler
// attribute, or a link to a script or data URL.
func dangerous(page string) string {
	for _, tag := range tagRe.FindAllString(page, -1) {
		name := strings.ToLower(strings.TrimPrefix(strings.Fields(strings.Trim(tag, "<>"))[0], "/"))
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
		page := Card{Lang: p, Dir: p, Title: p, Body: p, Dismiss: p, Continue: p, Preview: p, Nonce: p, FormAction: p,
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
		`<a class="action" href=" JaVaScRiPt:alert(1)">`, `<button onclick="x()">`, `<p>ok</p><script>x</script>`} {
		if dangerous(page) == "" {
			t.Errorf("dangerous(%q) found nothing", page)
		}
	}
	if m := dangerous(`<p title="&lt;img onerror=x&gt;">&lt;script&gt;</p>`); m != "" {
		t.Errorf("escaped text flagged: %q", m)
	}
}
