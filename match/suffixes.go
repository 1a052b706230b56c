package match

import (
	"maps"
	"math/bits"
	"slices"
	"unicode/utf8"
)

// Inflectional endings of the suffixing languages, for the corrected
// view: a word of such a language's rules with a case, plural, possessive
// or definite ending glued on (bodrumdan, from Bodrum; basaborka, the
// passport; keştiyekê, a boat) is read as the word. Rules can write a
// stem with * for that, but most of their words are written whole, and
// texts nobody has seen inflect them in ways no list of forms anticipates.
//
// The endings are written as the language spells them and normalised
// when the index is built (Turkish ı and i, ş and s fold alike). An
// ending applies only to a word that the same language's rules use, of
// at least inflectStemMin letters, and only near another term's hit, as
// every correction: a Somali ending does not turn an English word into
// a term.
var inflections = map[string][]string{
	// Turkish: plural, possessive, case and the relative -ki, in the
	// orders they chain (kamyonlarda, bodrumdan, ingiltere'deki is
	// split at the apostrophe already).
	"tr": turkishEndings(),
	// Albanian: definite and case endings of the noun (varkën, gomonet,
	// kufirit, kamionave).
	"sq": {"a", "i", "u", "e", "ja", "ri", "ra", "in", "un", "en", "ën", "n", "it", "ut", "et", "ët", "t",
		"të", "s", "së", "ës", "es", "ve", "ave", "eve", "ëve", "at", "rat", "ret", "ash", "esh", "je", "jes",
		"jen", "jet", "sit", "në"},
	// Kurmanji: oblique, ezafe, plural and indefinite endings, with the
	// y that joins them to a vowel (Îtalyayê, qaçaxçiyan, keştiyekê).
	"kmr": {"ê", "î", "a", "an", "ên", "ek", "ekê", "ekî", "eke", "ekê", "ya", "yê", "yî", "yan", "yên", "yek",
		"yekê", "yekî", "yeke", "ekan", "yekan", "de", "da", "ve", "va", "re", "ra"},
	// Somali: the definite article in its forms (ka, ga, ha, ta, da, sha)
	// with the vowels of case and distance, and plural endings
	// (baasaboorka, doonyaha, tahriibkii).
	"so": somaliEndings(),
	// Sorani: definite, indefinite, plural, ezafe and the -ewe of
	// direction (پاسپۆرتەکە, بەلەمێک, قاچاخچییەکان, ئیتاڵیاوە).
	"ckb": {"ەکە", "ەکان", "یەکە", "یەکان", "ێک", "یەک", "ێکی", "ی", "یی", "کە", "کان", "ان", "ەوە", "وە", "دا",
		"ش", "یش", "ەکەی", "ەکانی", "ێکە", "م", "ت", "مان", "تان", "یان", "ە", "یە", "ەیە"},
	// Persian and Dari: plural, ezafe and possessive endings, glued once
	// the zero-width non-joiner is dropped (قاچاقچی‌ها).
	"fa": {"ها", "های", "هایی", "ی", "ای", "یی", "ام", "ات", "اش", "مان", "تان", "شان", "ان", "هام", "هات", "هاش"},
	// Pashto: plural and oblique endings (قاچاقبرانو, کښتۍ ته is split).
	"ps": {"ان", "انو", "ونه", "ونو", "ګان", "ګانو", "و", "ې", "ه", "ۍ"},
}

// inflectStemMin is the fewest letters a word takes an ending at: below
// it, a word with an ending is too often another word.
const inflectStemMin = 4

// turkishEndings chains plural, possessive and case endings (with the
// buffer consonants y, n and s): the folded forms cover both vowel
// harmonies.
func turkishEndings() []string {
	plural := []string{"", "lar", "ler"}
	poss := []string{"", "i", "u", "si", "su", "im", "um", "in", "un", "imiz", "umuz", "iniz", "unuz", "leri", "lari"}
	cases := []string{"", "a", "e", "ya", "ye", "na", "ne", "da", "de", "ta", "te", "nda", "nde", "dan", "den", "tan",
		"ten", "ndan", "nden", "i", "u", "yi", "yu", "ni", "nu", "in", "un", "nin", "nun", "yla", "yle", "la", "le",
		"ca", "ce", "ki", "daki", "deki", "taki", "teki", "ndaki", "ndeki", "yken", "dir", "tir"}
	var out []string
	for _, p := range plural {
		for _, s := range poss {
			for _, c := range cases {
				if e := p + s + c; e != "" {
					out = append(out, e)
				}
			}
		}
	}
	return out
}

// somaliEndings are the definite article's forms with their endings.
func somaliEndings() []string {
	var out []string
	for _, art := range []string{"k", "g", "h", "t", "d", "sh", "y"} {
		for _, end := range []string{"a", "ii", "u", "an", "aas", "aan", "ana", "uu", "ooda", "eeda"} {
			out = append(out, art+end)
		}
	}
	return append(out, "o", "yo", "ooyin", "yaal", "ayaal", "aha", "ada")
}

// inflectionIndex says which words of the rules take which endings.
type inflectionIndex struct {
	// words maps a whole word of a suffixing language's terms (of
	// inflectStemMin letters or more) to that language's bit indexes
	// (see compiler.langBit); endings maps a normalised ending to the
	// bit indexes of the languages that have it.
	words, endings *hashIndex
	maxEnding      int // bytes
}

// newInflectionIndex indexes the words of vocab and the stems of prefix
// terms (word to language bits) of the languages in inflections that
// langBits (language to bit) has.
func newInflectionIndex(vocab, stems map[string]uint32, langBits map[string]uint32) *inflectionIndex {
	var mask uint32
	endings := map[string][]int32{}
	ix := &inflectionIndex{}
	// Languages in a fixed order, so that the ids' order is too.
	for _, lang := range slices.Sorted(maps.Keys(inflections)) {
		b, ok := langBits[lang]
		if !ok {
			continue
		}
		mask |= b
		id := int32(bits.TrailingZeros32(b))
		for _, e := range inflections[lang] {
			n := Normalize(e)
			if n == "" || len(endings[n]) > 0 && endings[n][len(endings[n])-1] == id {
				continue
			}
			endings[n] = append(endings[n], id)
			ix.maxEnding = max(ix.maxEnding, len(n))
		}
	}
	// Prefix terms' stems take endings too (selanik* in #selaniktenmakedonyaya):
	// a word of them is matched by the term, so only a hashtag's split
	// needs them.
	langs := map[string]uint32{}
	for _, m := range []map[string]uint32{vocab, stems} {
		for w, b := range m {
			if b&mask != 0 && utf8.RuneCountInString(w) >= inflectStemMin && isWordy(w) {
				langs[w] |= b & mask
			}
		}
	}
	words := map[string][]int32{}
	for w, b := range langs {
		for m := b; m != 0; m &= m - 1 {
			words[w] = append(words[w], int32(bits.TrailingZeros32(m)))
		}
	}
	if len(words) == 0 {
		return nil
	}
	ix.words, ix.endings = newHashIndex(words), newHashIndex(endings)
	return ix
}

// langsOf returns the ids stored for b in h as a bit set.
func langsOf(h *hashIndex, b []byte) uint64 {
	one, more, ok := h.lookupHash(h.hash(b))
	if !ok {
		return 0
	}
	var set uint64
	if one >= 0 {
		set |= 1 << one
	}
	for _, id := range more {
		set |= 1 << id
	}
	return set
}

// stem returns the length of the longest beginning of w (at a rune
// boundary) that is a word of a language whose ending the rest of w is,
// or 0.
func (ix *inflectionIndex) stem(w []byte) int {
	if ix == nil {
		return 0
	}
	for l := len(w) - 1; l > 0 && len(w)-l <= ix.maxEnding; l-- {
		if !utf8.RuneStart(w[l]) {
			continue
		}
		if utf8.RuneCount(w[:l]) < inflectStemMin {
			break
		}
		if e := langsOf(ix.endings, w[l:]); e != 0 && langsOf(ix.words, w[:l])&e != 0 {
			return l
		}
	}
	return 0
}

// endingsAfter returns the bits of the ends e (bit 0 for k+1, up to end
// and maxEnding bytes past k) where g[k:e] is an ending of a language
// whose rules have the word g[j:k] (squeezed first when unsqueezed, in
// buf), for a hashtag's pieces (see findPieces).
func (ix *inflectionIndex) endingsAfter(g []byte, j, k, end int, unsqueezed bool, buf *[]byte) uint64 {
	if ix == nil {
		return 0
	}
	w := squeezed(g[j:k], unsqueezed, buf)
	langs := langsOf(ix.words, w)
	if langs == 0 {
		return 0
	}
	var set uint64
	for e := k; e < min(end, k+ix.maxEnding); {
		_, rl := utf8.DecodeRune(g[e:])
		e += rl
		if e > end {
			break
		}
		if langsOf(ix.endings, g[k:e])&langs != 0 {
			set |= 1 << (e - k - 1)
		}
	}
	return set
}
