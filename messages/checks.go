package messages

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

// langRules is what the content checks need to know about one locale's
// language. Compile builds one per locale per call; nothing is cached
// globally.
type langRules struct {
	locale string
	// plurals holds the CLDR cardinal categories the language uses.
	plurals []string
	// script is the language's usual script, nil when unknown or not
	// mapped, which turns the script check off.
	script     *unicode.RangeTable
	scriptName string
}

func newLangRules(locale string) langRules {
	tag := language.Make(locale)
	r := langRules{locale: locale, plurals: pluralCategories(tag)}
	// x/text maps unknown codes to English with low confidence: only
	// languages it knows get a script check.
	if base, conf := tag.Base(); conf == language.Exact && base.String() == locale {
		if s, conf := tag.Script(); conf != language.No {
			r.scriptName, r.script = scriptTable(s.String())
		}
	}
	return r
}

// pluralCategories returns the CLDR cardinal plural forms tag uses, in
// CLDR order, by asking x/text about integers 0..1000, some large round
// numbers (French-style "many") and some decimals (Slavic "other").
func pluralCategories(tag language.Tag) []string {
	seen := map[plural.Form]bool{}
	for i := 0; i <= 1000; i++ {
		seen[plural.Cardinal.MatchPlural(tag, i, 0, 0, 0, 0)] = true
	}
	for _, i := range []int{1000000, 2000000, 10000000} {
		seen[plural.Cardinal.MatchPlural(tag, i, 0, 0, 0, 0)] = true
	}
	// i, v (fraction digits), w (without trailing zeros), f, t.
	for _, d := range [][5]int{{0, 1, 1, 5, 5}, {1, 1, 1, 5, 5}, {2, 1, 1, 5, 5}, {0, 1, 1, 1, 1}, {1, 1, 0, 0, 0}, {2, 1, 0, 0, 0}, {5, 2, 2, 25, 25}, {10, 1, 1, 5, 5}} {
		seen[plural.Cardinal.MatchPlural(tag, d[0], d[1], d[2], d[3], d[4])] = true
	}
	names := map[plural.Form]string{plural.Zero: "zero", plural.One: "one", plural.Two: "two", plural.Few: "few", plural.Many: "many", plural.Other: "other"}
	var out []string
	for _, f := range []plural.Form{plural.Zero, plural.One, plural.Two, plural.Few, plural.Many, plural.Other} {
		if seen[f] {
			out = append(out, names[f])
		}
	}
	return out
}

// scriptTable maps an ISO 15924 script code to its name and Unicode
// table. Mixed scripts (Jpan, Kore) and scripts signpost has no content
// in yet are left out, which disables the check for them.
func scriptTable(code string) (string, *unicode.RangeTable) {
	name := map[string]string{
		"Arab": "Arabic", "Armn": "Armenian", "Beng": "Bengali", "Cyrl": "Cyrillic",
		"Deva": "Devanagari", "Ethi": "Ethiopic", "Geor": "Georgian", "Grek": "Greek",
		"Gujr": "Gujarati", "Guru": "Gurmukhi", "Hans": "Han", "Hant": "Han",
		"Hebr": "Hebrew", "Khmr": "Khmer", "Laoo": "Lao", "Latn": "Latin",
		"Mymr": "Myanmar", "Sinh": "Sinhala", "Taml": "Tamil", "Thaa": "Thaana",
		"Thai": "Thai", "Tibt": "Tibetan",
	}[code]
	if name == "" {
		return "", nil
	}
	return name, unicode.Scripts[name]
}

// allowedPlaceholders lists the template placeholders card text may use.
// It is empty: cards are shown exactly as written, so a placeholder would
// reach people as literal braces. A placeholder the renderer learns to
// fill (say {{.Platform}}) is added here, as written between the braces.
func allowedPlaceholders() []string { return nil }

var (
	placeholderRe = regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	tagRe         = regexp.MustCompile(`<[^<>]{0,40}>?|>`)
	entityRe      = regexp.MustCompile(`&(#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]*);`)
	// data: counts only when a media type or a comma follows, so that
	// prose like "your data: name, age" passes.
	schemeRe = regexp.MustCompile(`(?i)\b((?:java|vb)\s*script\s*:|data:)(?:[a-z-]+/|,|)`)
)

// textProblem is one problem of one text, with the plural form it is in.
type textProblem struct {
	form string
	msg  string
}

// checkMessage applies every content rule to m and returns one sentence
// per problem.
func (r langRules) checkMessage(m *Message) []textProblem {
	var out []textProblem
	plural := len(m.Forms) > 1
	for form := range m.Forms {
		if form != "other" {
			plural = true
		}
	}
	if plural {
		if _, ok := m.Forms["other"]; !ok {
			out = append(out, textProblem{"", `plural forms need an "other" form`})
		}
		for _, form := range pluralForms() {
			if _, ok := m.Forms[form]; ok && !slices.Contains(r.plurals, form) {
				out = append(out, textProblem{form, fmt.Sprintf("plural form %q is not used in %s (it uses %s): remove it", form, r.locale, strings.Join(r.plurals, ", "))})
			}
		}
	}
	for _, form := range pluralForms() {
		text, ok := m.Forms[form]
		if !ok {
			continue
		}
		for _, msg := range r.checkText(m.ID, text) {
			if plural {
				msg = fmt.Sprintf("plural form %q: %s", form, msg)
			}
			out = append(out, textProblem{form, msg})
		}
	}
	return out
}

// checkText applies the limits and rules every card text must meet.
func (r langRules) checkText(id, text string) []string {
	if strings.TrimSpace(text) == "" {
		return []string{"text is empty"}
	}
	var out []string
	n := utf8.RuneCountInString(text)
	switch {
	case strings.HasSuffix(id, ".title") && n > MaxTitle:
		out = append(out, fmt.Sprintf("title is %d characters, more than %d", n, MaxTitle))
	case strings.HasSuffix(id, ".body") && n > MaxBody:
		out = append(out, fmt.Sprintf("body is %d characters, more than %d", n, MaxBody))
	case (strings.HasSuffix(id, ".label") || strings.HasSuffix(id, ".dismiss") || strings.HasSuffix(id, ".continue")) && n > MaxLabel:
		out = append(out, fmt.Sprintf("label is %d characters, more than %d", n, MaxLabel))
	}
	if i := strings.IndexFunc(text, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }); i >= 0 {
		r, _ := utf8.DecodeRuneInString(text[i:])
		out = append(out, fmt.Sprintf("contains the invisible control character U+%04X: remove it", r))
	}
	if m := tagRe.FindString(text); m != "" {
		out = append(out, fmt.Sprintf("contains %q: HTML is not allowed in card text, which is shown as written", m))
	}
	if m := entityRe.FindString(text); m != "" {
		out = append(out, fmt.Sprintf("contains the HTML entity %q: write the character itself", m))
	}
	for _, m := range schemeRe.FindAllStringSubmatch(text, -1) {
		if strings.EqualFold(m[1], "data:") && m[0] == m[1] {
			continue
		}
		out = append(out, fmt.Sprintf("contains %q: links and scripts are not allowed in card text", m[1]))
		break
	}
	out = append(out, checkPlaceholders(text)...)
	if msg := r.checkScript(text); msg != "" {
		out = append(out, msg)
	}
	return out
}

func checkPlaceholders(text string) []string {
	var out []string
	for _, p := range placeholderRe.FindAllString(text, -1) {
		inner := strings.TrimSpace(p[2 : len(p)-2])
		if !slices.Contains(allowedPlaceholders(), inner) {
			out = append(out, fmt.Sprintf("placeholder %s is not allowed: card text takes no placeholders", p))
		}
	}
	if rest := placeholderRe.ReplaceAllString(text, ""); strings.Contains(rest, "{{") {
		out = append(out, `contains "{{" without a closing "}}": card text takes no placeholders`)
	}
	return out
}

// checkScript reports text written mostly in another script than the
// language's, which usually means a file uploaded under the wrong locale.
// Half the letters is the bar so that names like UNHCR inside Arabic
// text pass.
func (r langRules) checkScript(text string) string {
	if r.script == nil {
		return ""
	}
	letters, in := 0, 0
	others := map[string]int{}
	for _, c := range text {
		if !unicode.IsLetter(c) {
			continue
		}
		letters++
		if unicode.Is(r.script, c) {
			in++
			continue
		}
		for _, name := range []string{"Latin", "Arabic", "Cyrillic", "Greek", "Hebrew", "Ethiopic", "Han", "Devanagari"} {
			if unicode.Is(unicode.Scripts[name], c) {
				others[name]++
				break
			}
		}
	}
	if letters == 0 || 2*in >= letters {
		return ""
	}
	found, most := "another", 0
	for name, k := range others {
		if k > most || (k == most && name < found) {
			found, most = name, k
		}
	}
	return fmt.Sprintf("text is mostly in %s script, but %s is written in %s script (%d of %d letters): check the file was uploaded under the right locale",
		found, r.locale, r.scriptName, in, letters)
}
