package messages

import (
	"strconv"
	"strings"

	"golang.org/x/text/language"
)

// maxAcceptEntries bounds how much of an Accept-Language list is read;
// real lists have a handful of entries.
const maxAcceptEntries = 16

// aliases maps language codes that x/text keeps apart, or would match to a
// wrong neighbour, onto the locale signpost writes content in. Only
// confident equivalences belong here: Dari is written Persian, the Pashto
// and Albanian macrolanguage members read the standard language, Arabic
// dialect codes read Modern Standard Arabic. Sorani (ckb) is deliberately
// absent: it must never fall to Arabic.
var aliases = map[string]string{
	"prs": "fa", "pes": "fa",
	"pbt": "ps", "pbu": "ps", "pst": "ps",
	"als": "sq", "aln": "sq",
	"arb": "ar", "arz": "ar", "apc": "ar", "ajp": "ar", "acm": "ar", "ayl": "ar", "aeb": "ar", "ary": "ar", "afb": "ar", "apd": "ar",
}

// Languages parses a BCP 47 tag or an Accept-Language list into base
// language codes, most preferred first, with aliases applied. Malformed
// entries are skipped rather than failing the whole list, since platforms
// pass on whatever the browser sent.
func Languages(locale string) []string {
	type entry struct {
		lang string
		q    float64
	}
	var entries []entry
	for i, part := range strings.Split(locale, ",") {
		if i >= maxAcceptEntries {
			break
		}
		tagText, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || f > 1 {
				continue
			}
			q = f
		}
		if q == 0 {
			continue
		}
		lang := baseLanguage(strings.ReplaceAll(strings.TrimSpace(tagText), "_", "-"))
		if lang == "" {
			continue
		}
		entries = append(entries, entry{lang, q})
	}
	// Stable insertion sort by descending q: lists are short.
	for i := 1; i < len(entries); i++ {
		for j := i; j > 0 && entries[j].q > entries[j-1].q; j-- {
			entries[j], entries[j-1] = entries[j-1], entries[j]
		}
	}
	var out []string
	for _, e := range entries {
		if !contains(out, e.lang) {
			out = append(out, e.lang)
		}
	}
	return out
}

// baseLanguage returns the content language a single tag asks for, or ""
// for a tag that is malformed, unknown or a wildcard.
func baseLanguage(s string) string {
	if s == "" || s == "*" {
		return ""
	}
	tag, err := language.Parse(s)
	if err != nil {
		return ""
	}
	base, conf := tag.Base()
	if conf != language.Exact {
		return ""
	}
	b := base.String()
	if a, ok := aliases[b]; ok {
		return a
	}
	// Kurdish written in Arabic script is Sorani; Latin-script Kurdish
	// (Kurmanji) is not, and gets no Kurdish content rather than Sorani.
	if b == "ku" {
		if script, conf := tag.Script(); conf == language.Exact && script.String() == "Arab" {
			return "ckb"
		}
	}
	return b
}

// Negotiate picks the locale to show from available for a request's locale
// (a tag or an Accept-Language list). Each requested language, in order of
// preference, is tried as is and then through the campaign's explicit
// fallback chain for it (e.g. "prs" → "fa"); the campaign's default locale
// is the last resort. No implicit similarity is used: a language is only
// served content written for it or chosen for it by an editor.
func Negotiate(locale string, available []string, fallbacks map[string][]string, def string) string {
	return NegotiateLanguages(Languages(locale), available, fallbacks, def)
}

// NegotiateLanguages is Negotiate for a list already parsed by Languages.
func NegotiateLanguages(langs []string, available []string, fallbacks map[string][]string, def string) string {
	for _, lang := range langs {
		if contains(available, lang) {
			return lang
		}
		for _, fb := range fallbacks[lang] {
			if fb != def && contains(available, fb) {
				return fb
			}
		}
	}
	return def
}

// Dir returns the text direction of a locale: "rtl" for languages written
// in Arabic or Hebrew script, "ltr" otherwise.
func Dir(locale string) string {
	switch locale {
	case "ar", "fa", "ckb", "ps", "ur", "sd", "ug", "dv", "he", "yi", "prs":
		return "rtl"
	}
	return "ltr"
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
