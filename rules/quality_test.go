package rules_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"signpost/match"
)

// labelled is one labelled text.
type labelled struct {
	file  string
	line  int
	label bool
	kind  match.Kind
	lang  string
	text  string
}

// readCases reads testdata/cases/<lang>.tsv (label, kind, category, text)
// and the development sample (label, lang, category, text).
func readCases(t *testing.T) []labelled {
	t.Helper()
	var out []labelled
	files, _ := filepath.Glob("testdata/cases/*.tsv")
	for _, name := range files {
		lang := strings.TrimSuffix(filepath.Base(name), ".tsv")
		forEachRow(t, name, func(line int, cols []string) {
			kind, ok := match.ParseKind(cols[1])
			if !ok {
				t.Fatalf("%s:%d: kind %q", name, line, cols[1])
			}
			out = append(out, labelled{name, line, cols[0] == "1", kind, lang, cols[3]})
		})
	}
	for name, kind := range map[string]match.Kind{"testdata/dev-queries.tsv": match.KindSearch, "testdata/dev-posts.tsv": match.KindView} {
		forEachRow(t, name, func(line int, cols []string) {
			out = append(out, labelled{name, line, cols[0] == "1", kind, cols[1], cols[3]})
		})
	}
	return out
}

func forEachRow(t *testing.T, name string, fn func(line int, cols []string)) {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		cols := strings.SplitN(l, "\t", 4)
		if len(cols) != 4 || (cols[0] != "0" && cols[0] != "1") {
			t.Fatalf("%s:%d: want label, kind/lang, category, text", name, n)
		}
		fn(n, cols)
	}
}

// score counts a confusion matrix.
type score struct{ tp, fp, fn, tn int }

func (s *score) add(want, got bool) {
	switch {
	case want && got:
		s.tp++
	case want:
		s.fn++
	case got:
		s.fp++
	default:
		s.tn++
	}
}

func (s score) precision() float64 { return ratio(s.tp, s.tp+s.fp) }
func (s score) recall() float64    { return ratio(s.tp, s.tp+s.fn) }
func (s score) fpRate() float64    { return 1 - ratio(s.tn, s.tn+s.fp) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

func (s score) String() string {
	return fmt.Sprintf("P=%.3f R=%.3f FPR=%.3f (tp=%d fp=%d fn=%d tn=%d)", s.precision(), s.recall(), s.fpRate(), s.tp, s.fp, s.fn, s.tn)
}

// TestQuality is the quality bar: precision and recall on every labelled
// text, and recall and false-positive rate on obfuscated variants of
// each, generated with every evasion signpost claims to defeat.
func TestQuality(t *testing.T) {
	m, _ := shipped(t)
	cases := readCases(t)
	var all score
	perLang := map[string]*score{}
	for _, c := range cases {
		got := m.Match(match.Query{Text: c.text, Kind: c.kind}).Matched
		all.add(c.label, got)
		if perLang[c.lang] == nil {
			perLang[c.lang] = &score{}
		}
		perLang[c.lang].add(c.label, got)
		if got != c.label {
			t.Logf("miss %s:%d [%s] label=%v %q", c.file, c.line, c.lang, c.label, c.text)
		}
	}
	langs := make([]string, 0, len(perLang))
	for l := range perLang {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	for _, l := range langs {
		t.Logf("%-8s %s", l, perLang[l])
	}
	t.Logf("ALL      %s", all)
	if all.precision() < 0.97 || all.recall() < 0.97 {
		t.Errorf("quality bar: %s, want P and R >= 0.97", all)
	}

	var obf score
	perEvasion := map[string]*score{}
	for _, ev := range evasions {
		perEvasion[ev.name] = &score{}
		for _, c := range cases {
			text := ev.apply(c.text)
			if text == c.text {
				continue // the evasion does not apply to this text
			}
			got := m.Match(match.Query{Text: text, Kind: c.kind}).Matched
			obf.add(c.label, got)
			perEvasion[ev.name].add(c.label, got)
			if got != c.label {
				t.Logf("miss %s %s:%d label=%v %q", ev.name, c.file, c.line, c.label, text)
			}
		}
	}
	for _, ev := range evasions {
		t.Logf("%-12s %s", ev.name, perEvasion[ev.name])
	}
	t.Logf("OBFUSCATED %s", obf)
	if obf.recall() < 0.95 || obf.fpRate() > 0.02 {
		t.Errorf("obfuscation bar: %s, want R >= 0.95 and FPR <= 0.02", obf)
	}
}

// An evasion rewrites a text the way people dodging filters do.
type evasion struct {
	name  string
	apply func(string) string
}

var evasions = []evasion{
	{"upper", strings.ToUpper},
	{"alternating-case", alternatingCase},
	{"zero-width", func(s string) string { return interleave(s, "\u200b") }},
	{"soft-hyphen", func(s string) string { return interleave(s, "\u00ad") }},
	{"zero-width-spaces", func(s string) string { return strings.ReplaceAll(s, " ", "\u200b") }},
	{"non-joiners-for-spaces", func(s string) string { return strings.ReplaceAll(s, " ", "\u200c") }},
	{"leet", leet},
	{"leet-l", leetL},
	{"leet-other", leetOther},
	{"zeros-as-o", zerosAsO},
	{"spaced", func(s string) string { return spaceLongest(s, " ") }},
	{"dotted", func(s string) string { return spaceLongest(s, ".") }},
	{"split-word", splitLongest},
	{"spelled-out", func(s string) string { return spellOut(s, " ") }},
	{"dotted-out", func(s string) string { return spellOut(s, ".") }},
	{"glue-inside", glueInside},
	{"repeated", repeatLetters},
	{"homoglyph", homoglyphs},
	{"homoglyph-caps", homoglyphCaps},
	{"fullwidth", fullwidth},
	{"fullwidth-leet", func(s string) string { return fullwidth(leetOther(s)) }},
	{"smallcaps", smallCaps},
	{"tatweel", tatweel},
	{"keyboard", arabicKeyboard},
	{"arabic-keyboard", strings.NewReplacer("پ", "ب", "چ", "ج", "ژ", "ز", "ڤ", "ف").Replace},
	{"arabic-glued", arabicGlued},
	{"hashtag", hashtag},
	{"hashtag-typo", hashtagTypo},
	{"typo", typo},
	{"typo-swap", typoSwap},
	{"typo-change", typoChange},
	{"typo-two", typoTwo},
	{"emoji-vs", func(s string) string { return strings.NewReplacer("🚤", "🚤\ufe0f", "⛵", "⛵\ufe0f").Replace(s) }},
	{"emoji-between", func(s string) string { return strings.Join(strings.Fields(s), " 🔥 ") }},
}

// zerosAsO writes the zeros of numbers as the letter O (1OO%, 2OOO€).
func zerosAsO(s string) string {
	return mapWords(s, func(w string) string {
		if w == "" || w[0] < '1' || w[0] > '9' {
			return w
		}
		return strings.ReplaceAll(w, "0", "O")
	})
}

// alternatingCase writes every other letter as a capital (sMuGgLeR).
func alternatingCase(s string) string {
	var b strings.Builder
	upper := false
	for _, r := range s {
		if unicode.IsLetter(r) {
			if upper {
				r = unicode.ToUpper(r)
			}
			upper = !upper
		}
		b.WriteRune(r)
	}
	return b.String()
}

// interleave puts sep inside every word of 4+ letters, after its second
// letter.
func interleave(s, sep string) string {
	return mapWords(s, func(w string) string {
		r := []rune(w)
		if len(r) < 4 || !allLetters(r) {
			return w
		}
		return string(r[:2]) + sep + string(r[2:])
	})
}

// leetWith returns an evasion that rewrites, by the pairs of old and new
// strings, every Latin word of four letters or more that contains need.
func leetWith(need string, pairs ...string) func(string) string {
	rep := strings.NewReplacer(pairs...)
	return func(s string) string {
		return mapWords(s, func(w string) string {
			r := []rune(w)
			if len(r) < 4 || !allLetters(r) || !isLatin(r) || !strings.Contains(w, need) {
				return w
			}
			return rep.Replace(w)
		})
	}
}

// The leet evasions: the usual letters; 1 for l, as leetspeak also
// writes (fa1se, ca1ais); and the other common ones, 5 7 8 for s t b and
// @ and ! for a and i wherever they fall in a word (@ngl!, v!s@).
var (
	leet      = leetWith("", "a", "4", "o", "0", "e", "3", "s", "$", "i", "1", "g", "9")
	leetL     = leetWith("l", "l", "1", "o", "0", "e", "3")
	leetOther = leetWith("", "s", "5", "t", "7", "b", "8", "a", "@", "i", "!")
)

// longestWord returns the index of the longest all-letter word of at
// least min letters, or -1.
func longestWord(words []string, min int) int {
	best := -1
	for i, w := range words {
		r := []rune(w)
		if len(r) >= min && allLetters(r) && (best < 0 || len(r) > utf8.RuneCountInString(words[best])) {
			best = i
		}
	}
	return best
}

// spaceLongest spells the longest word letter by letter with sep.
func spaceLongest(s, sep string) string {
	words := strings.Fields(s)
	best := longestWord(words, 5)
	if best < 0 {
		return s
	}
	words[best] = strings.Join(strings.Split(words[best], ""), sep)
	return strings.Join(words, " ")
}

// glueInside puts a symbol or a decorative emoji in the middle of the
// longest word of 5+ letters (smug*gler, pass/port, smug🔥gler), the
// symbol chosen by the text's length.
func glueInside(s string) string {
	glue := []string{"*", "/", "🔥", ",", "+", "✅"}[len(s)%6]
	return editLongest(s, 5, func(r []rune) []rune {
		m := len(r) / 2
		return append(append(append([]rune(nil), r[:m]...), []rune(glue)...), r[m:]...)
	})
}

// splitLongest puts a space in the middle of the longest word of 6+
// letters (smug gler).
func splitLongest(s string) string {
	return editLongest(s, 6, func(r []rune) []rune {
		m := len(r) / 2
		return append(append(append([]rune(nil), r[:m]...), ' '), r[m:]...)
	})
}

func repeatLetters(s string) string {
	return mapWords(s, func(w string) string {
		r := []rune(w)
		if len(r) < 4 || !allLetters(r) {
			return w
		}
		return string(r[:2]) + strings.Repeat(string(r[2]), 3) + string(r[3:])
	})
}

func homoglyphs(s string) string {
	return strings.NewReplacer("a", "а", "e", "е", "o", "о", "c", "с", "p", "р").Replace(s)
}

// homoglyphCaps writes a text in capitals, with the Cyrillic and Greek
// capitals that look like Latin ones in their place (ВОАТ ТО UK).
func homoglyphCaps(s string) string {
	return strings.NewReplacer("A", "А", "B", "В", "E", "Е", "K", "К", "M", "М", "H", "Н", "O", "О", "P", "Р",
		"C", "С", "T", "Т", "X", "Х", "Y", "Υ", "N", "Ν", "Z", "Ζ", "I", "І").Replace(strings.ToUpper(s))
}

func fullwidth(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '!' && r <= '~' {
			return r + 0xFEE0
		}
		return r
	}, s)
}

// smallCaps writes Latin letters as small capitals, as "fancy text"
// generators do (ꜱᴍᴀʟʟ ʙᴏᴀᴛ).
func smallCaps(s string) string {
	return strings.NewReplacer("a", "ᴀ", "b", "ʙ", "c", "ᴄ", "d", "ᴅ", "e", "ᴇ", "f", "ꜰ", "g", "ɢ", "h", "ʜ", "i", "ɪ", "l", "ʟ",
		"m", "ᴍ", "n", "ɴ", "o", "ᴏ", "p", "ᴘ", "r", "ʀ", "s", "ꜱ", "t", "ᴛ", "u", "ᴜ", "w", "ᴡ", "y", "ʏ", "z", "ᴢ").Replace(s)
}

func tatweel(s string) string {
	return mapWords(s, func(w string) string {
		r := []rune(w)
		if len(r) < 3 || !unicode.Is(unicode.Arabic, r[0]) {
			return w
		}
		return string(r[:1]) + "ـ" + string(r[1:])
	})
}

// arabicKeyboard swaps letters between Arabic and Persian keyboards.
func arabicKeyboard(s string) string {
	return strings.NewReplacer("ی", "ي", "ي", "ی", "ک", "ك", "ك", "ک", "ه", "ة").Replace(s)
}

// spellOut spells a short text (five words or fewer) out letter by
// letter with sep between every two, the words' own spaces included
// (s m u g g l e r t o u k, s.m.u.g.g.l.e.r.t.o.u.k).
func spellOut(s, sep string) string {
	words := strings.Fields(s)
	if len(words) > 5 {
		return s
	}
	return strings.Join(strings.Split(strings.Join(words, ""), ""), sep)
}

// arabicGlued drops the space after each Arabic-script word that ends in
// a letter that does not join the next, where a missing space does not
// show (فيزا مزورة للبيع typed فيزامزورةللبيع).
func arabicGlued(s string) string {
	words := strings.Fields(s)
	var b strings.Builder
	for i, w := range words {
		b.WriteString(w)
		if i == len(words)-1 {
			break
		}
		last, _ := utf8.DecodeLastRuneInString(w)
		next, _ := utf8.DecodeRuneInString(words[i+1])
		if !unicode.Is(unicode.Arabic, next) || !strings.ContainsRune("اأإآدذرزوؤةءژڕەۆۇۈۋڈڑے", last) {
			b.WriteString(" ")
		}
	}
	return b.String()
}

// hashtag glues a short text into one hashtag.
func hashtag(s string) string {
	words := strings.Fields(s)
	if len(words) < 2 || len(words) > 4 {
		return s
	}
	return "#" + strings.Join(words, "")
}

// hashtagTypo glues a short text with a typo (see typo) into one
// hashtag, or leaves it alone when either does not apply.
func hashtagTypo(s string) string {
	t := typo(s)
	if t == s || hashtag(t) == t {
		return s
	}
	return hashtag(t)
}

// typo drops the middle letter of the longest word of 6+ letters.
func typo(s string) string {
	return editLongest(s, 6, func(r []rune) []rune {
		return append(r[:len(r)/2:len(r)/2], r[len(r)/2+1:]...)
	})
}

// typoSwap swaps the two middle letters of the longest word of 6+ letters.
func typoSwap(s string) string {
	return editLongest(s, 6, func(r []rune) []rune {
		m := len(r)/2 - 1
		if r[m] == r[m+1] {
			return nil
		}
		r[m], r[m+1] = r[m+1], r[m]
		return r
	})
}

// typoChange replaces the middle letter of the longest word of 6+ letters
// with the letter before it in its script's alphabet.
func typoChange(s string) string {
	return editLongest(s, 6, func(r []rune) []rune {
		m := len(r) / 2
		c := r[m] - 1
		if !unicode.IsLetter(c) || c == r[m-1] {
			c = r[m] + 1
		}
		r[m] = c
		return r
	})
}

// typoTwo drops a letter near each end of the longest word of 9+ letters.
func typoTwo(s string) string {
	return editLongest(s, 9, func(r []rune) []rune {
		a, b := 1, len(r)-2
		return append(append(append([]rune(nil), r[:a]...), r[a+1:b]...), r[b+1:]...)
	})
}

// editLongest rewrites the longest all-letter word of s of at least min
// letters with edit (nil for no change), and returns s with it.
func editLongest(s string, min int, edit func([]rune) []rune) string {
	words := strings.Fields(s)
	best := longestWord(words, min)
	if best < 0 {
		return s
	}
	r := edit([]rune(words[best]))
	if r == nil {
		return s
	}
	words[best] = string(r)
	return strings.Join(words, " ")
}

func mapWords(s string, fn func(string) string) string {
	words := strings.Fields(s)
	for i, w := range words {
		words[i] = fn(w)
	}
	return strings.Join(words, " ")
}

func allLetters(r []rune) bool {
	for _, c := range r {
		if !unicode.IsLetter(c) {
			return false
		}
	}
	return true
}

func isLatin(r []rune) bool {
	for _, c := range r {
		if !unicode.Is(unicode.Latin, c) {
			return false
		}
	}
	return true
}
