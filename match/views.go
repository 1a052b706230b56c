package match

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The views a text is matched in. Every text gets the canonical view;
// the others are built only when the canonical view shows the evasion
// they undo, and a view that undoes an evasion replaces the one it was
// built from (so exclusions see the undone words too).
const (
	viewCanonical    = iota
	viewLeet         // digits and symbols read as letters
	viewSegmented    // spaced-out letters joined, glued words (hashtags) split
	viewFuzzy        // words within a small edit distance of a term corrected
	viewArabizi      // Arabizi digits read as letters; an extra view, not a replacement
	viewArabiziFuzzy // the Arabizi view with typos corrected
	numViews
)

// ViewNames name the views in explain output.
var ViewNames = [numViews]string{"canonical", "leet", "segmented", "fuzzy", "arabizi", "arabizi-fuzzy"}

// maxGlued bounds the length of a glued word that is segmented; longer
// ones are left whole (segmentation is quadratic in the length).
const maxGlued = 64

// needsSegmenting reports whether v has spaced-out letters or hashtags.
func (v *view) needsSegmenting() bool {
	return v.hasHashtag || v.innerSep || v.singleRun || v.hasZW || v.longArabic
}

// segment fills v from src, joining runs of two or more one-letter words
// and splitting hashtags and joined runs into vocabulary words: "s m u g
// g l e r" and "#smugglercontact" become "smugler" and "smugler
// contact". Pieces that are not vocabulary words are kept as words of
// their own.
//
// A hashtag runs to the next white space, across the dots and
// apostrophes it may hold ("#f.a.k.epassportuk", "#ingiltere'yekacak").
// It is re-read from the original text, in src's mode, without
// squeezing, because squeezing across the words it glues loses letters
// ("#boattouk" would read "boatouk", "#sm4llb04tt0uk" "smalboatouk");
// pieces are then looked up and written squeezed. tmp is scratch space
// for that reading. Emoji in a hashtag stay words of their own. The
// scraps a misspelt word in a hashtag was cut into are then joined again
// where fx finds them a typo of a vocabulary word (see joinMisspelt).
func (v *view) segment(src *view, vocab *hashIndex, fx *fuzzyIndex, text string, tmp *view) {
	v.reset()
	ws := src.words
	for i := 0; i < len(ws); {
		if ws[i].hashtag {
			j := gluedEnd(ws, i, text)
			origS, origE := ws[i].origS, ws[j-1].origE
			tmp.mode, tmp.noSqueeze = src.mode, true
			tag := text[origS:origE]
			tmp.normalize(tag)
			mode := glue{hashtag: true, unsqueezed: true, leetRead: src.mode != modeBase}
			if src.mode == modeBase {
				// Not in leetspeak's reading, where the hashtag's digits
				// are letters a typo piece would swallow (garantie1,
				// 0angleterre for garantie 100% angleterre).
				mode.typos = fx
			}
			for hw := tmp.words; len(hw) > 0; {
				k := underscorePart(v, tmp, hw, tag, vocab)
				v.segmentRun(tmp, hw[:k], vocab, origS, mode)
				hw = hw[k:]
			}
			i = j
			continue
		}
		if ws[i].zw && !ws[i].emoji {
			v.splitZW(src, ws[i], vocab, text, tmp)
			i++
			continue
		}
		if src.longArabic && v.splitGlued(src, ws[i], vocab, fx) {
			i++
			continue
		}
		// Fragments glued by dots, hyphens or underscores that join into
		// a term's word: ka.çak.çı, smug-gler, pa_sa_port.
		if j := dottedEnd(ws, i, text); j-i >= 2 {
			// Only into a whole word (boat-trip is not boat* + rip), or
			// into a prefix term's stem with an ending, when the stem
			// reaches past the first fragment and no fragment is a word
			// of the rules itself (ئیزم*یرەوە, from Izmir, is ئیزمیر* +
			// ەوە).
			first := src.words[i]
			if g := v.joinWords(src, ws[i:j]); isVocab(vocab, g) ||
				stemEnding(g, int(first.end-first.start), vocab) && !anyVocab(src, ws[i:j], vocab) {
				v.addWord(g, ws[i].origS, ws[j-1].origE)
				i = j
				continue
			}
			// Dots standing for spaces, with a word split among them
			// (xuồn.g.cao.su.sang.anh): the longest run of fragments from
			// here that joins into a whole word of the rules is one word.
			// Letters spaced out one by one are the run below's to join.
			if k := v.vocabPrefix(src, ws[i:j], vocab); k >= 2 {
				v.addWord(v.joinWords(src, ws[i:i+k]), ws[i].origS, ws[i+k-1].origE)
				i += k
				continue
			}
		}
		// A run of one-letter words, with single digits among them
		// (spaced leetspeak or Arabizi: s m u 9 9 l e r, t a 7 r e e b).
		j, letters := i, 0
		for j < len(ws) {
			if isSingle(src, ws[j]) && !elided(text, ws[j]) {
				letters++
			} else if letters == 0 || !isSingleDigit(src, ws[j]) || j+1 == len(ws) || !(isSingle(src, ws[j+1]) || isSingleDigit(src, ws[j+1])) {
				break
			}
			j++
		}
		if letters < 2 || j-i == 2 && elidedBare(src, ws[i+1], ws[j:]) {
			v.copyWord(src, ws[i])
			i++
			continue
		}
		// Words spelled out are often set apart by a wider gap ("s m u g
		// g l e r  t o  u k"): each is joined on its own, so that a
		// word a prefix term's stem starts does not swallow the next.
		run := ws[i:j]
		mode := glue{unsqueezed: true, leetSplit: wideGap(run, text) == len(run), leetRead: src.mode != modeBase}
		if src.mode == modeBase {
			mode.typos = fx // for a phrase spelled out (see addSegments)
		}
		for len(run) > 0 {
			k := wideGap(run, text)
			v.segmentRun(src, run[:k], vocab, 0, mode)
			run = run[k:]
		}
		i = j
	}
	if src.hasHashtag {
		v.joinMisspelt(fx, vocab, tmp)
	}
}

// maxZW bounds the fragments that splitZW groups at once: a word of
// more is grouped maxZW fragments at a time (a text typed with zero-width
// spaces for all its spaces is one word of dozens of fragments).
const maxZW = 16

// splitZW re-reads a word that held zero-width spaces. Writers use them
// both ways: inside a word, to break it for a filter (sm​uggler), and
// between words, to hide the space (boat​to​uk shows as boattouk). The
// word is re-read with the spaces separating fragments, and the
// fragments grouped so that the fewest bytes fall outside words of the
// rules, then into the fewest pieces: boat|to|uk is three words,
// sm|uggler one, and th|ere, neither way known, stays whole. A group of
// fragments also counts as known when a prefix term's stem reaches into
// its last fragment and makes most of the group (ta|rjamet, of tarjam*;
// es|yası, of eşya*; not boat|tour, whose squeezed boatour only looks
// as if boat* reached past boat, nor من|السودان, two words that a
// four-letter stem begins). Where the spaces
// are hidden (below), fragments that are each a word of the rules are
// joined into one only when each has three letters or more (pass|port;
// buy|uk and me|to are two words, whatever buyuk and meto are in other
// languages); a word broken once among others is read whole (ba|lam).
func (v *view) splitZW(src *view, w word, vocab *hashIndex, text string, tmp *view) {
	tmp.mode, tmp.noSqueeze, tmp.zwSeparates = src.mode, false, true
	tmp.normalize(text[w.origS:w.origE])
	tmp.zwSeparates = false
	fs := tmp.words
	n := len(fs)
	if n < 2 {
		v.copyWord(src, w)
		return
	}
	for _, f := range fs {
		if f.emoji {
			v.copyWord(src, w)
			return
		}
	}
	// Three fragments or more, or a text of this one word, are words
	// with their spaces hidden: fragments of two letters or more are
	// then joined only into a word of the rules (ሊቢያ|ዋጋው|ስንት is three
	// words), while single letters may still join (s|m|u|g).
	spaced := n >= 3 || len(src.words) == 1
	for len(fs) > 0 {
		k := min(len(fs), maxZW)
		if !v.groupZW(tmp, fs[:k], w.origS, vocab, spaced) {
			v.copyWord(src, w)
			return
		}
		fs = fs[k:]
	}
}

// groupZW appends the fragments fs of tmp (offsets relative to base)
// grouped into words as splitZW says, unless they are best read as one
// word, or (when not spaced) leave bytes outside words of the rules: it
// then appends nothing and reports false.
func (v *view) groupZW(tmp *view, fs []word, base int32, vocab *hashIndex, spaced bool) bool {
	n := len(fs)
	const unreachable = 1 << 30 // no grouping of these fragments ends here
	type cell struct{ unknown, pieces, from int }
	var best [maxZW + 1]cell
	for k := 1; k <= n; k++ {
		best[k] = cell{unknown: unreachable}
		for j := 0; j < k; j++ {
			if best[j].unknown == unreachable {
				continue
			}
			cost, ok := v.zwGroupCost(tmp, fs[j:k], vocab, spaced)
			if !ok {
				continue
			}
			c := cell{best[j].unknown + cost, best[j].pieces + 1, j}
			if c.unknown < best[k].unknown || c.unknown == best[k].unknown && c.pieces < best[k].pieces {
				best[k] = c
			}
		}
	}
	if n == len(tmp.words) && (best[n].pieces == 1 || !spaced && best[n].unknown > 0) {
		// A word broken once for a filter is read whole unless it is
		// words of the rules side by side: in|gltere is a misspelt
		// ingiltere for the fuzzy view, not in and gltere.
		return false
	}
	var cuts [maxZW + 1]int
	m := 0
	for k := n; k > 0; k = best[k].from {
		cuts[m] = k
		m++
	}
	from := 0
	for ; m > 0; m-- {
		to := cuts[m-1]
		g := v.joinWords(tmp, fs[from:to])
		v.addWord(g, base+fs[from].origS, base+fs[to-1].origE)
		from = to
	}
	return true
}

// stemJoins reports whether a prefix term's stem of stem bytes, at the
// start of a group of fragments of n bytes, joins them: it must reach
// past the pre bytes of all but the last fragment and make more than
// half the group.
func stemJoins(stem, pre, n int) bool {
	return stem > pre && 2*stem > n
}

// zwGroupCost returns the bytes of the group of fragments fs outside
// words of the rules, and whether splitZW may make them one word at all.
func (v *view) zwGroupCost(tmp *view, fs []word, vocab *hashIndex, spaced bool) (int, bool) {
	if len(fs) == 1 {
		g := tmp.buf[fs[0].start:fs[0].end]
		if isVocab(vocab, g) {
			return 0, true
		}
		return len(g), true
	}
	known, short := 0, false
	for _, f := range fs {
		fb := tmp.buf[f.start:f.end]
		if isVocab(vocab, fb) {
			known++
			short = short || utf8.RuneCount(fb) < 3
		}
	}
	single := singleLetters(tmp, fs)
	if spaced && known == len(fs) && short && !single {
		return 0, false
	}
	pre := len(v.joinWords(tmp, fs[:len(fs)-1]))
	g := v.joinWords(tmp, fs)
	if isVocab(vocab, g) || stemJoins(longestStem(g, vocab, 4), pre, len(g)) {
		return 0, true
	}
	if spaced && !single {
		return 0, false
	}
	return len(g), true
}

// gluedArabicMin is the fewest letters of an Arabic-script word that
// splitGlued splits, gluedPieceMin the fewest of each piece it splits it
// into. Six letters a word split a benign word among the labelled texts
// (جگەرەی, cigarettes, into جگه رهي), and two-letter pieces five more.
const (
	gluedArabicMin = 8
	gluedPieceMin  = 3
	// gluedShortMin is the fewest letters of a word splitGlued splits
	// when it begins with a glue word (ازمرز, از مرز: from the border).
	gluedShortMin = 5
)

// glueWords are the short prepositions, postpositions and conjunctions of
// Persian, Urdu, Sorani and Pashto that end in a letter joining no
// other, as normalised: از با تا را به در (Persian), کا پر کو اور (Urdu),
// لە بۆ (Sorani), په ته تر له او (Pashto). Typed without the space after
// them, they glue to the next word and nothing shows (باقایق, ازفرانسه,
// تابلغارستان). The Arabic في من عن الى على glue to the word before when
// it ends in such a letter (ماجستيرعن), hiding it from the exclusions.
// Two-letter pieces that are merely words of the rules split benign
// words (see gluedArabicMin); these few did not.
var glueWords = [...]string{"از", "با", "تا", "را", "به", "در", "كا", "پر", "كو", "اور", "له", "بو", "په", "ته", "تر", "او", "في", "من", "عن", "الي", "علي"}

// isGlueWord reports whether b is one of glueWords.
func isGlueWord(b []byte) bool {
	if len(b) > 6 {
		return false
	}
	for _, g := range glueWords {
		if string(b) == g {
			return true
		}
	}
	return false
}

// yeGlueWords are the Urdu postpositions سے کے نے as normalised: their
// ے, which joins no other letter, reads ي, which does, so no cut after
// a letter that joins none finds their end. A word beginning with one
// is cut after it too (سےانگلینڈ is سے انگلینڈ), but only there: کیسے,
// how, is not کی and سے.
var yeGlueWords = [...]string{"سي", "كي", "ني"}

// leadingWord returns the length in bytes of the word of words that b
// begins with and is longer than, or 0.
func leadingWord(b []byte, words []string) int {
	for _, g := range words {
		if len(b) > len(g) && string(b[:len(g)]) == g {
			return len(g)
		}
	}
	return 0
}

// mayBeGlued reports whether b, a normalised word of at least
// gluedShortMin letters' bytes, is an Arabic-script word that splitGlued
// may split: one of gluedArabicMin letters' bytes or more, or one that
// begins with a glue word or ends with an Arabic preposition.
func mayBeGlued(b []byte) bool {
	return isArabicLead(b[0]) && (len(b) >= 2*gluedArabicMin || startsWithGlue(b) || trailingWord(b, trailingGlueWords[:]) > 0)
}

// trailingGlueWords are the Arabic prepositions of glueWords that glue
// to the word before them when it ends in a letter that joins no other
// (سافرمن, he travelled from; حرقةمن, a crossing from), and that a short
// word is cut before. Not الى and على, whose letters end too many words
// (the Sorani منداڵی, a child, reads مندالي).
var trailingGlueWords = [...]string{"في", "من", "عن"}

// trailingWord returns the length in bytes of the word of words that b
// ends with and is longer than, or 0.
func trailingWord(b []byte, words []string) int {
	for _, g := range words {
		if len(b) > len(g) && string(b[len(b)-len(g):]) == g {
			return len(g)
		}
	}
	return 0
}

// startsWithGlue reports whether b, an Arabic-script word, begins with a
// glue word (or an Urdu one of yeGlueWords) followed by more letters.
func startsWithGlue(b []byte) bool {
	return leadingWord(b, glueWords[:]) > 0 || leadingWord(b, yeGlueWords[:]) > 0
}

// maxGluedCuts bounds the places splitGlued may cut a word at.
const maxGluedCuts = 16

// isArabicLead reports whether b begins a rune of the Arabic block
// (U+0600-U+06FF), the letters of Arabic, Persian, Sorani, Pashto and
// Urdu.
func isArabicLead(b byte) bool { return b >= 0xd8 && b <= 0xdb }

// nonJoining reports whether r, as normalised, is an Arabic-script letter
// that never joins the letter after it (ه joins, but is counted: ة,
// which does not, reads ه). After such a letter a missing space does not show: بلم
// and انجلترا typed without one look the same as with it, and so do
// فيزا مزورة للبيع.
func nonJoining(r rune) bool {
	switch r {
	case 'ا', 'د', 'ذ', 'ر', 'ز', 'و', 'ه', 'ء', 'ژ', 'ڕ', 'ە', 'ۆ', 'ۇ', 'ۈ', 'ۋ', 'ڈ', 'ڑ', 'ے':
		return true
	}
	return false
}

// splitGlued appends word w of src split into words of the rules, and
// reports whether it did: an Arabic-script word of gluedArabicMin
// letters or more that is no word of the rules, cut only after letters
// that do not join the next (where a missing space does not show), into
// pieces of gluedPieceMin letters or more that are all words of the
// rules, fewest pieces first (جوازمزورللبيع is جواز مزور للبيع). A word
// that does not split so wholly, or that fx corrects towards a word of
// the rules, is left for the caller.
func (v *view) splitGlued(src *view, w word, vocab *hashIndex, fx *fuzzyIndex) bool {
	b := src.buf[w.start:w.end]
	if w.emoji || len(b) < 2*gluedShortMin || !mayBeGlued(b) || isVocab(vocab, b) {
		return false
	}
	// A short word splits only after the glue word it begins with, or
	// before the Arabic preposition it ends with (سافرمن is سافر من).
	tail := len(b) - trailingWord(b, trailingGlueWords[:])
	var cuts [maxGluedCuts + 2]int
	var runesAt [maxGluedCuts + 2]int
	m, runes := 1, 0
	ye := leadingWord(b, yeGlueWords[:]) // a cut there too, after the ے that reads ي
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		i += n
		runes++
		if i < len(b) && (nonJoining(r) || i == ye) {
			if m > maxGluedCuts {
				return false
			}
			cuts[m], runesAt[m] = i, runes
			m++
		}
	}
	if m == 1 || runes < gluedShortMin {
		return false
	}
	cuts[m], runesAt[m] = len(b), runes
	// best[k]: the split of b[:cuts[k]] with the fewest letters outside
	// words of the rules and glue words, then the fewest pieces (0
	// pieces marks an end no split reaches), from[k] where its last piece
	// starts. A word under gluedArabicMin letters splits only after the
	// glue word it begins with or before the preposition it ends with,
	// into words of the rules.
	var best, from, unknown, known [maxGluedCuts + 2]int
	for k := 1; k <= m; k++ {
		for j := 0; j < k; j++ {
			if j > 0 && best[j] == 0 {
				continue
			}
			piece := b[cuts[j]:cuts[k]]
			letters := runesAt[k] - runesAt[j]
			glue := isGlueWord(piece) || j == 0 && cuts[k] == ye
			if runes < gluedArabicMin && j == 0 && !glue && cuts[k] != tail {
				continue
			}
			word := glue || letters >= gluedPieceMin && isVocab(vocab, piece)
			if !word && (runes < gluedArabicMin || letters < 2) {
				continue
			}
			u, kn := unknown[j], known[j]
			if word {
				if !glue {
					kn += letters
				}
			} else {
				u += letters
			}
			if best[k] == 0 || u < unknown[k] || u == unknown[k] && best[j]+1 < best[k] {
				best[k], from[k], unknown[k], known[k] = best[j]+1, j, u, kn
			}
		}
	}
	// Letters outside words of the rules are allowed (لەفەرەنساوەبچمە,
	// of which فەرەنساوە is no word of the rules), two or more to a
	// piece, where words of the rules make more of the word than they
	// do, and not in a word that a prefix term's stem begins (بەلەمەکانی,
	// the boats, is بەلەم* inflected) or that is a word of the rules
	// misspelt (پەڕیەوە), which the corrected view reads.
	if unknown[m] > 0 {
		if known[m] <= unknown[m] || hasStem(b, vocab, 6) {
			return false
		}
		if p, c := fx.correctWithProclitic(b, 0); c != "" || p != nil {
			return false
		}
		if c, _ := fx.correctStemBytes(b, 0); c != "" {
			return false
		}
	}
	if best[m] < 2 {
		return false
	}
	// A word of the rules misspelt is that word, not words side by side
	// (باڵیۆخانە, the embassy with a letter changed, is no باڵ and
	// یۆخانە): the corrected view reads it.
	// A glue word first is a preposition whatever the rest (ازتركيه is
	// از تركيه, not التركيه misspelt).
	k := m
	for from[k] > 0 {
		k = from[k]
	}
	if glue := b[:cuts[k]]; !isGlueWord(glue) && len(glue) != ye {
		if p, c := fx.correctWithProclitic(b, 0); c != "" || p != nil {
			return false
		}
	} else if hasStem(b, vocab, len(glue)+4) {
		// A prefix term's stem of two letters more than the glue word
		// is the word (تاوانە, a crime, is تاوان*, not تا وانە).
		return false
	}
	var order [maxGluedCuts + 2]int
	n := 0
	for k := m; k > 0; k = from[k] {
		order[n] = k
		n++
	}
	start := 0
	for ; n > 0; n-- {
		end := cuts[order[n-1]]
		v.addWord(b[start:end], w.origS, w.origE)
		start = end
	}
	return true
}

// singleLetters reports whether every word of ws is one letter (see
// isSingle).
func singleLetters(v *view, ws []word) bool {
	for _, w := range ws {
		if !isSingle(v, w) {
			return false
		}
	}
	return true
}

// underscorePart returns the number of words of ws, the words of a
// hashtag tag read into tmp, that make its first underscore-separated
// part: an underscore in a hashtag stands for a space (#t7reeb_britania,
// #smugglers_southampton), and splitting across it loses letters at the
// junction. Parts that join into a vocabulary word stay one part, as
// fragments glued by underscores do outside hashtags (#pa_sa_port_satilik
// is pasaport and satilik): the longest such run of parts wins.
func underscorePart(v *view, tmp *view, ws []word, tag string, vocab *hashIndex) int {
	var ends [maxGlued]int // ends[p]: words up to the end of part p
	n := 0
	for k := 1; k <= len(ws) && n < len(ends); k++ {
		// Words from one rune ("¼" is "1 4") have overlapping ranges.
		if k == len(ws) || ws[k].origS > ws[k-1].origE && strings.Contains(tag[ws[k-1].origE:ws[k].origS], "_") {
			ends[n] = k
			n++
		}
	}
	if n <= 1 {
		return len(ws)
	}
	for p := n - 1; p > 0; p-- {
		if isVocab(vocab, v.joinWords(tmp, ws[:ends[p]])) {
			return ends[p]
		}
	}
	return ends[0]
}

// wideGap returns the index of the first word of ws (a run of spaced-out
// letters) set apart from the one before by two or more white-space
// characters where the run's letters are otherwise set apart by one or
// none, or len(ws).
func wideGap(ws []word, text string) int {
	narrow := 2
	for k := 1; k < len(ws); k++ {
		narrow = min(narrow, spaces(text, ws[k-1], ws[k]))
	}
	if narrow >= 2 {
		return len(ws)
	}
	for k := 1; k < len(ws); k++ {
		if spaces(text, ws[k-1], ws[k]) >= 2 {
			return k
		}
	}
	return len(ws)
}

// spaces returns the longest run of white-space characters between
// words a and b in text, up to 2. Runs, not all white space: "م ه ـ ـ
// ر ب" spaces out tatweels too.
func spaces(text string, a, b word) int {
	if b.origS <= a.origE {
		return 0
	}
	n, longest := 0, 0
	for _, r := range text[a.origE:b.origS] {
		if !unicode.IsSpace(r) {
			n = 0
			continue
		}
		n++
		if longest = max(longest, n); longest == 2 {
			break
		}
	}
	return longest
}

// gluedEnd returns the end of the run of words from ws[i] with no white
// space between them in text (a hashtag, or fragments glued by dots),
// stopping before another hashtag.
func gluedEnd(ws []word, i int, text string) int {
	j := i + 1
	// Words from one rune ("¼" is "1 4") have overlapping ranges.
	for j < len(ws) && !ws[j].hashtag && (ws[j].origS <= ws[j-1].origE || !breaksGlue(text[ws[j-1].origE:ws[j].origS])) {
		j++
	}
	return j
}

// dottedEnd returns the end of the run of words from ws[i] joined only by
// glue in text: dots, hyphens, underscores, other symbols and dropped
// emoji (see glueGap), and apostrophes between three letters or more
// either side (smug'gler; l'italie is two words).
func dottedEnd(ws []word, i int, text string) int {
	j := i + 1
	for ; j < len(ws) && ws[j].origS > ws[j-1].origE && !ws[j].emoji && !ws[j-1].emoji; j++ {
		gap := text[ws[j-1].origE:ws[j].origS]
		if glueGap(gap) {
			continue
		}
		// An apostrophe with apostropheMin letters or more either side
		// (smug'gler; not l'italie, it's or ingiltere'ye).
		r, n := utf8.DecodeRuneInString(gap)
		if n != len(gap) || !isApostrophe(r) || utf8.RuneCountInString(text[ws[j-1].origS:ws[j-1].origE]) < apostropheMin ||
			utf8.RuneCountInString(text[ws[j].origS:ws[j].origE]) < apostropheMin {
			break
		}
	}
	return j
}

// spelledWordMax is the most letters spelled out one by one that
// are read as one word (see addSegments).
const spelledWordMax = 12

// maxDotted bounds the fragments vocabPrefix tries to join.
const maxDotted = 8

// vocabPrefix returns the number of words at the start of ws, fragments
// glued by dots (see dottedEnd) of which one at least has two letters or
// more, that join into a word of vocab, the most that do, or 0.
func (v *view) vocabPrefix(src *view, ws []word, vocab *hashIndex) int {
	ws = ws[:min(len(ws), maxDotted)]
	multi := false
	for _, w := range ws {
		multi = multi || !isSingle(src, w)
	}
	if !multi {
		return 0
	}
	for k := len(ws); k >= 2; k-- {
		if isVocab(vocab, v.joinWords(src, ws[:k])) {
			return k
		}
	}
	return 0
}

// stemEnding reports whether g, fragments of a word joined, is a prefix
// term's stem (of four bytes or more) that reaches past its first
// fragment, of first bytes, with an ending of up to maxStemEnding
// letters: a word split inside its stem (ئیزم.یرەوە). A longer rest is
// more words spelled out with it (s.m.u.g.g.l.e.r.t.o.u.k), which the
// run of letters below splits.
func stemEnding(g []byte, first int, vocab *hashIndex) bool {
	l := longestStem(g, vocab, 4)
	return l > first && utf8.RuneCount(g[l:]) <= maxStemEnding
}

// anyVocab reports whether one of the words ws of src is a word of the
// rules.
func anyVocab(src *view, ws []word, vocab *hashIndex) bool {
	for _, w := range ws {
		if isVocab(vocab, src.buf[w.start:w.end]) {
			return true
		}
	}
	return false
}

// joinWords returns the words ws of src glued and squeezed, in v's key
// buffer (valid until its next use).
func (v *view) joinWords(src *view, ws []word) []byte {
	g := v.keyBuf[:0]
	var last rune
	for _, w := range ws {
		g, last = appendSqueezed(g, src.buf[w.start:w.end], last)
	}
	v.keyBuf = g
	return g
}

// segmentRun glues the words ws of src and appends them split into
// vocabulary words. Emoji words end a glued run and are copied whole.
// The words' original offsets are relative to base.
func (v *view) segmentRun(src *view, ws []word, vocab *hashIndex, base int32, mode glue) {
	// The glued letters live in the view: a local array would escape
	// through the vocabulary lookups and cost an allocation per run.
	if v.glued == nil {
		v.glued = new([maxGlued * 2]byte)
	}
	glued := v.glued[:]
	g := glued[:0]
	var last rune
	var origS, origE int32 = -1, 0
	for k, w := range ws {
		if !w.emoji {
			if origS < 0 {
				origS = base + w.origS
			}
			origE = base + w.origE
			for _, r := range string(src.buf[w.start:w.end]) {
				if r == last && squeezable(r) && !mode.unsqueezed {
					continue
				}
				last = r
				if len(g)+utf8.RuneLen(r) > len(glued) {
					break
				}
				g = utf8.AppendRune(g, r)
			}
		}
		if (w.emoji || k == len(ws)-1) && origS >= 0 {
			v.addSegments(g, vocab, origS, origE, mode)
			g, last, origS = glued[:0], 0, -1
		}
		if w.emoji {
			v.addWord(src.buf[w.start:w.end], base+w.origS, base+w.origE)
		}
	}
}

// glue says how a glued run is read and split.
type glue struct {
	// hashtag: the words are a hashtag, and any split is kept.
	hashtag bool
	// unsqueezed: the words are glued without squeezing repeats across
	// them (the re-read of a hashtag, letters spaced out: "b o a t t o u
	// k" is boat to uk, not boatouk); pieces are squeezed when looked up
	// and written.
	unsqueezed bool
	// leetSplit: letters spelled out with no wider gap among them, which
	// may split by their leet reading (see addSegments).
	leetSplit bool
	// leetRead: the words were read as leetspeak (the leet or Arabizi
	// view), so terms' leet readings are words of the vocabulary.
	leetRead bool
	// typos, for a hashtag: a piece that is a typo of a vocabulary word
	// (a correction fx finds) may stand as a word where the exact split
	// leaves letters outside words (see addSegments).
	typos *fuzzyIndex
}

// breaksGlue reports whether s, the text between two words, holds white
// space or a number sign (a new hashtag starts a new run), of any width.
func breaksGlue(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ', c == '\t', c == '\n', c == '\r', c == '\f', c == '\v', c == '#':
			return true
		case c >= utf8.RuneSelf:
			r, _ := utf8.DecodeRuneInString(s[i:])
			if unicode.IsSpace(r) || r == '＃' || r == '﹟' {
				return true
			}
		}
	}
	return false
}

// copyWord appends word w of src unchanged.
func (v *view) copyWord(src *view, w word) {
	start := int32(len(v.buf))
	v.buf = append(v.buf, src.buf[w.start:w.end]...)
	end := int32(len(v.buf))
	v.buf = append(v.buf, ' ')
	nw := v.pushWord()
	*nw = w
	nw.start, nw.end = start, end
}

// addSegments appends g split into vocabulary words by dynamic
// programming: the split leaving the fewest bytes outside vocabulary
// words wins, then the one with the fewest pieces. A hashtag keeps any
// split (its unknown pieces become words); letters that were spaced out
// are split only when at most two bytes (one letter of most scripts) are
// left over, as when a one-letter word is glued on ("a s m u g g l e r"),
// and a run of three letters or fewer with any left over stays whole, so
// "f e r i b o t l a" is not cut into unrelated terms.
//
// Two-letter vocabulary words are pieces only in a run of vocabulary
// words that has a longer one, or that is the whole glued word: short
// terms hide inside unknown words by chance ("#ukraine" is not "uk r ai
// ne", "#pukhtoon" not "p uk h ton"), while "#boattouk" still reads "boat
// to uk" and "#touk" "to uk".
//
// With unsqueezed, g was read without squeezing: pieces are squeezed
// before lookup and when written, as every other word is.
func (v *view) addSegments(g []byte, vocab *hashIndex, origS, origE int32, mode glue) {
	hashtag, unsqueezed := mode.hashtag, mode.unsqueezed
	n := len(g)
	if n == 0 {
		return
	}
	if n > maxGlued {
		v.addPiece(g, origS, origE, unsqueezed)
		return
	}
	// Letters spaced out are usually one word: one that a prefix term's
	// stem starts ("f e r i b o t u n d a" is feribot*) stays whole
	// rather than falling apart into unrelated short words, unless it
	// splits into vocabulary words with nothing left over but an ending
	// of the stem, the first of which holds the stem ("s m u g g l e r s
	// t o u k" is smuglers to uk).
	// Spelled-out leetspeak with no wider gap between its words (s m u 9
	// 9 l e r t o u k) is split where its letters' reading splits
	// (smugler to uk); the pieces keep their digits, for the leet and
	// Arabizi views to read as they do. Runs set apart by wider gaps are
	// words already, which short pieces would only cut up (c 4 l 4 1 is
	// not ca lai).
	look := g
	if mode.leetSplit && latinLetters(g) && hasDigit(g) {
		v.leetBuf = append(v.leetBuf[:0], g...)
		for i, c := range v.leetBuf {
			if l := leetDigit(rune(c)); l != 0 {
				v.leetBuf[i] = byte(l)
			}
		}
		look = v.leetBuf
	}
	stem := 0
	if !hashtag {
		stem = longestStem(squeezed(look, unsqueezed, &v.keyBuf), vocab, 3)
	}
	// Letters spelled out with no wider gap, more of them than a word
	// has (s m u g g l i n g t o t u r k e y a t n i g h t), are a phrase
	// glued as a hashtag glues one, and split as a hashtag is, letters
	// outside words and all.
	phrase := !hashtag && unsqueezed && utf8.RuneCount(g) > spelledWordMax
	// dp[i][st] is the best split of g[:i] whose last piece is in state
	// st: segGap (an unknown byte, or nothing yet), segKnown (a run of
	// vocabulary words with one longer than two letters), segShortFirst
	// (a run of two-letter words from the start of g) or segShort (such
	// a run after an unknown byte, which needs a longer word to follow).
	// The table lives in the view and only its first n+1 rows are
	// cleared: a fresh array per call would zero 3 KB for a short word.
	if v.seg == nil {
		v.seg = new(segTable)
	}
	dp := v.seg.dp[:n+1]
	clear(dp)
	dp[0][segGap] = segCell{ok: true}
	reach := vocab.maxKey
	if unsqueezed {
		// Unsqueezed pieces may be longer than the squeezed vocabulary
		// word they stand for.
		reach *= 2
	}
	pc := &v.seg.pieces
	// Hashtags glue words whose endings are often short words of their
	// own (#boattouk is not boato uk): only letters spelled out take
	// endings on stems.
	// A term's leet reading (targa for 7arga) is a word only in text
	// written in leetspeak: #greeceboattragedy is not trag ed y.
	var infl *inflectionIndex
	if hashtag {
		infl = v.inflect
	}
	findPieces(look, vocab, infl, unsqueezed, !hashtag, mode.leetRead || hasDigit(g), reach, pc, &v.keyBuf)
	end := fillSegments(dp, pc, g, n, reach, unsqueezed)
	// A misspelt word in a hashtag (or a phrase spelled out) is no word
	// of the rules, so the exact split cuts it into the short words
	// inside it, or leaves it unknown: #zodiacangleerrecesoir read zo dia
	// cang le re cesoir. Where the split leaves letters outside words or
	// more than one two-letter word, pieces that are a typo of a word of
	// the rules may stand as words too, each costing as much as one
	// unknown byte: zodiac angleerre ce soir, which the corrected view
	// reads as angleterre.
	if b := dp[n][end]; mode.typos != nil && (hashtag || phrase) && b.ok && (b.unknown > 0 || b.short > 1) && typoPieces(look, mode.typos, unsqueezed, pc, &v.keyBuf) {
		clear(dp)
		dp[0][segGap] = segCell{ok: true}
		end = fillSegments(dp, pc, g, n, reach, unsqueezed)
	}
	best := dp[n][end]
	// Two letters left over in a short run are not glued-on words but a
	// misspelt word: "m h a r b" is mharb (mhareb), not m har b, and kept
	// whole it can be corrected; "b s h a h i n e t l" is still b
	// shahinet l.
	if !best.ok || (!hashtag && !phrase && (best.unknown > 2 || best.unknown > 1 && 4*int(best.unknown) > n || best.unknown > 0 && (stem > 0 || utf8.RuneCount(g) <= 3))) {
		v.addPiece(g, origS, origE, unsqueezed)
		return
	}
	// Walk back to collect the cut points, then emit pieces in order,
	// merging consecutive unknown bytes into one word.
	var cuts [maxGlued + 1]int8
	var kinds [maxGlued + 1]bool
	c := 0
	for i, st := n, end; i > 0; {
		cell := dp[i][st]
		cuts[c], kinds[c] = int8(i), cell.known
		c++
		i, st = int(cell.from), cell.fromSt
	}
	if stem > 0 && len(squeezed(look[:cuts[c-1]], unsqueezed, &v.keyBuf)) < stem {
		// The split cuts the stem ("f e r i b o t u n d a" would read
		// feri botun da).
		v.addPiece(g, origS, origE, unsqueezed)
		return
	}
	start := 0
	gapStart := -1
	for k := c - 1; k >= 0; k-- {
		end := int(cuts[k])
		if kinds[k] {
			if gapStart >= 0 {
				v.addPiece(g[gapStart:start], origS, origE, unsqueezed)
				gapStart = -1
			}
			v.addPiece(g[start:end], origS, origE, unsqueezed)
		} else if gapStart < 0 {
			gapStart = start
		}
		start = end
	}
	if gapStart >= 0 {
		v.addPiece(g[gapStart:n], origS, origE, unsqueezed)
	}
}

// fillSegments fills dp (cleared, with dp[0][segGap] set) with the best
// splits of g[:i] for every i, from the pieces pc, and returns the state
// of the best split of all of g.
func fillSegments(dp [][segStates]segCell, pc *pieceSet, g []byte, n, reach int, unsqueezed bool) int8 {
	for i := 1; i <= n; i++ {
		// An unknown byte extends the previous piece, unless it ends a
		// run of two-letter words.
		for _, st := range [...]int8{segGap, segKnown} {
			if p := dp[i-1][st]; p.ok {
				dp[i][segGap].offer(segCell{ok: true, unknown: p.unknown + 1, ending: p.ending, pieces: p.pieces + 1, short: p.short, proclitic: p.proclitic, lead: p.lead, inner: p.inner, inflected: p.inflected, typo: p.typo, from: int8(i - 1), fromSt: st})
			}
		}
		for j := max(0, i-reach); j < i; j++ {
			bit := uint64(1) << (i - j - 1)
			if pc[j].known&bit == 0 {
				continue
			}
			proclitic := int16(0)
			if pc[j].proclitic&bit != 0 {
				proclitic = 1
			}
			short := pc[j].short&bit != 0
			ending := int16(0)
			if pc[j].ending&bit != 0 {
				ending = 1
			}
			lead := int16(0)
			if unsqueezed && doubledAt(g, j) {
				lead = 1
			}
			inner := int16(0)
			if pc[j].inner&bit != 0 {
				inner = 1
			}
			inflected := int16(0)
			if pc[j].inflected&bit != 0 {
				inflected = 1
			}
			typo := int16(0)
			if pc[j].typo&bit != 0 {
				typo = 1
			}
			for st := int8(0); st < segStates; st++ {
				p := dp[j][st]
				if !p.ok {
					continue
				}
				to := int8(segKnown)
				switch {
				case !short || st == segKnown:
				case j == 0:
					to = segShortFirst
				case st == segGap:
					to = segShort
				default:
					to = st
				}
				nshort := p.short
				if short {
					nshort++
				}
				dp[i][to].offer(segCell{ok: true, unknown: p.unknown, ending: p.ending + ending, pieces: p.pieces + 1, short: nshort, proclitic: p.proclitic + proclitic, lead: p.lead + lead, inner: p.inner + inner, inflected: p.inflected + inflected, typo: p.typo + typo, from: int8(j), fromSt: st, known: true})
			}
		}
	}
	end := int8(segGap)
	for _, st := range [...]int8{segKnown, segShortFirst} {
		if dp[n][st].better(dp[n][end]) {
			end = st
		}
	}
	return end
}

// doubledAt reports whether g[j:] starts with the same letter twice.
func doubledAt(g []byte, j int) bool {
	r, n := utf8.DecodeRune(g[j:])
	if n == 0 || !squeezable(r) {
		return false
	}
	r2, _ := utf8.DecodeRune(g[j+n:])
	return r2 == r
}

// segTable is addSegments' scratch space, allocated with the view's
// first glued word.
type segTable struct {
	dp     [maxGlued + 1][segStates]segCell
	pieces pieceSet
}

// pieceSet says which pieces of a glued word are vocabulary words, by
// where they start (see pieceFlags).
type pieceSet [maxGlued]pieceFlags

// pieceFlags are the pieces g[j:i] starting at one place j of a glued
// word g: bit i-j-1 of known is set when the piece is a vocabulary word,
// of proclitic when it is a term only with an Arabic proclitic, of short
// when it is two letters or fewer (two bytes of most scripts, two
// Ethiopic syllables), of ending when it is a prefix term's stem with an
// ending, of inner when it is a word only inside phrase terms. One
// struct, so that clearing a place clears every flag: the set lives in
// the pooled view, and a flag left from the previous text once steered
// the next text's split.
type pieceFlags struct {
	known, proclitic, short, ending, inner, inflected uint64
	// typo marks the pieces that are no vocabulary word but a typo of
	// one (see typoPieces); they are in known too.
	typo uint64
}

// endings returns the bits of the ends up to two bytes of letters after
// k in g (at rune boundaries, up to end), bit 0 for k+1.
func endings(g []byte, k, end int) uint64 {
	var bits uint64
	for e := k; e < end; {
		r, rl := utf8.DecodeRune(g[e:])
		if e += rl; e > k+2 || e > end || !unicode.IsLetter(r) {
			break
		}
		bits |= 1 << (e - k - 1)
	}
	return bits
}

// hashtagStemMin is the fewest letters a word of a hashtag takes an
// inflectional ending at: one more than elsewhere, because a hashtag's
// short words glue to the next (#almanyayagiden is almanyaya giden, to
// Germany going, not almanya yagiden).
const hashtagStemMin = inflectStemMin + 1

// findPieces fills ps for g: every piece g[j:i] at rune boundaries, at
// most reach bytes long, squeezed first when unsqueezed, is looked up in
// vocab. The piece's hash is extended a rune at a time (the index's hash
// is a polynomial over the bytes, finished with the length), so each
// lookup costs one probe and no copy; a piece stops growing once no
// vocabulary word begins like it (see hashIndex.isPrefix) or it is
// longer than every key.
//
// With infl, a piece that is a word of a suffixing language's rules or a
// prefix term's stem (of hashtagStemMin letters or more) followed by an
// inflectional ending of
// that language is a piece too, whole: #londrayagitmek is londraya
// gitmek (to London, to go), not londr aya gitmek, and the corrected
// view reads londraya as londra. buf is scratch space.
func findPieces(g []byte, vocab *hashIndex, infl *inflectionIndex, unsqueezed, withEndings, leetWords bool, reach int, ps *pieceSet, buf *[]byte) {
	n := len(g)
	for j := 0; j < n; {
		ps[j] = pieceFlags{}
		_, first := utf8.DecodeRune(g[j:])
		end := min(n, j+reach)
		var p, ends, inflected uint64
		size, runes := 0, 0
		last := rune(-1)
		for k := j; k < end; {
			r, rl := utf8.DecodeRune(g[k:])
			if r == utf8.RuneError && rl == 1 || k+rl > end {
				break
			}
			if !unsqueezed || r != last || !squeezable(r) {
				for _, c := range g[k : k+rl] {
					p = p*vocab.base + uint64(c)
				}
				size += rl
				runes++
			}
			last = r
			k += rl
			if size > vocab.maxKey {
				break
			}
			hv := vocab.mix(p, size)
			if !vocab.isPrefix(hv) {
				break
			}
			f, ok := vocab.flagsHash(hv)
			if !ok || f&vocabLeetOnly != 0 && !leetWords {
				continue
			}
			bit := uint64(1) << (k - j - 1)
			ps[j].known |= bit
			if f&vocabProclitic != 0 {
				ps[j].proclitic |= bit
			}
			if f&vocabInner != 0 {
				ps[j].inner |= bit
			}
			if size <= 4 && runes <= 2 {
				ps[j].short |= bit
			}
			if withEndings && f&vocabPrefix != 0 && size >= 4 {
				// A prefix term's stem with an ending of up to two
				// letters' bytes (smuglers, boatyards) is a piece the
				// term matches.
				ends |= endings(g, k, end) << (k - j)
			}
			if infl != nil && runes >= hashtagStemMin {
				inflected |= infl.endingsAfter(g, j, k, end, unsqueezed, buf) << (k - j)
			}
		}
		ps[j].inflected = inflected &^ ps[j].known
		ps[j].known |= inflected
		ps[j].ending = ends &^ ps[j].known
		ps[j].known |= ends
		// Pieces cannot start inside a rune.
		for k := j + 1; k < j+first; k++ {
			ps[k] = pieceFlags{}
		}
		j += first
	}
}

// typoPieces adds to ps the pieces of g of fuzzyMin1-1 runes or more,
// squeezed first when unsqueezed, that are no vocabulary word but that
// fx corrects towards one (with an Arabic proclitic too), and reports
// whether it found any. buf is scratch space.
func typoPieces(g []byte, fx *fuzzyIndex, unsqueezed bool, ps *pieceSet, buf *[]byte) bool {
	found := false
	for j := 0; j < len(g); {
		_, first := utf8.DecodeRune(g[j:])
		runes := 0
		for k := j; k < len(g) && runes < fuzzyMax; {
			_, rl := utf8.DecodeRune(g[k:])
			k += rl
			if runes++; runes < fuzzyMin1-1 || k-j > maxGlued {
				continue
			}
			bit := uint64(1) << (k - j - 1)
			// A word of the rules that makes more than half the piece,
			// at either end, is that word beside letters of another, not
			// a typo: قاچاقبرکیه is قاچاقبر کیه, not قاچاقبرک یه, and
			// الیانجلترا is الی انجلترا.
			if ps[j].known&bit != 0 || wordAtEnd(ps, j, k) {
				continue
			}
			w := squeezed(g[j:k], unsqueezed, buf)
			if utf8.RuneCount(w) < fuzzyMin1-1 {
				continue
			}
			if p, c := fx.correctWithProclitic(w, 0); c != "" || p != nil {
				ps[j].known |= bit
				ps[j].typo |= bit
				found = true
			}
		}
		j += first
	}
	return found
}

// wordAtEnd reports whether g[j:k] begins or ends with a piece of ps
// (a word of the rules) longer than half of it. Half is not enough:
// #continertouk is a misspelt container beside to uk, not cont, a word
// of the rules, and iner.
func wordAtEnd(ps *pieceSet, j, k int) bool {
	half := (k-j)/2 + 1
	if ps[j].known&(uint64(1)<<(k-j-1)-1)>>(half-1) != 0 {
		return true
	}
	for s := j + 1; s <= k-half; s++ {
		if ps[s].known&(uint64(1)<<(k-s-1)) != 0 {
			return true
		}
	}
	return false
}

// longestStem returns the length of the longest stem of a prefix term,
// at least minLen bytes, that g starts with, or 0.
func longestStem(g []byte, vocab *hashIndex, minLen int) int {
	// Extend the hash a byte at a time, up to the first byte no key
	// continues with: most words leave the keys after a few bytes.
	best := 0
	var p uint64
	for l := 1; l <= min(len(g), vocab.maxKey); l++ {
		p = p*vocab.base + uint64(g[l-1])
		if l < len(g) && !utf8.RuneStart(g[l]) {
			continue // inside a rune: neither a beginning nor a stem ends here
		}
		hv := vocab.mix(p, l)
		if !vocab.isPrefix(hv) {
			break
		}
		if l >= minLen {
			if f, _ := vocab.flagsHash(hv); f&vocabPrefix != 0 {
				best = l
			}
		}
	}
	return best
}

// hasStem reports whether g starts with the stem of a prefix term at
// least minLen bytes long.
func hasStem(g []byte, vocab *hashIndex, minLen int) bool {
	return longestStem(g, vocab, minLen) > 0
}

// States of the last piece in addSegments.
const (
	segGap = iota
	segKnown
	segShortFirst
	segShort
	segStates
)

// segCell is one entry of addSegments' table: a split of a prefix of the
// glued word, its cost and where it came from.
type segCell struct {
	unknown, pieces int16
	ending          int16 // pieces that are a prefix term's stem with an ending
	short           int16 // two-letter pieces
	proclitic       int16 // pieces that are terms only with a proclitic
	lead            int16 // pieces that start with a doubled letter
	inner           int16 // pieces that are words only inside phrase terms
	inflected       int16 // pieces that are words with an inflectional ending
	typo            int16 // pieces that are a vocabulary word misspelt
	from, fromSt    int8
	known, ok       bool
}

// typoCost is what a piece that is a misspelt word of the rules (see
// typoPieces) costs a split, in halves of an unknown byte: as much as
// one unknown byte, as a stem with an ending does. Costing it more did
// not help: the splits of hashtags without a typo were no better, and
// fewer with one were read.
const typoCost = 2

// better reports whether c is a better split than d: the one with
// fewer bytes outside vocabulary words, where a stem with an ending
// counts as one unknown byte (a split into whole words wins over it) and
// a two-letter piece as half of one and a misspelt word as one (short words fit anywhere by chance: "#mazota"
// is mazot + a, not ma zo ta; "رقم مهرب", number + smuggler, is not "رقم
// هر" with the doubled م swallowed), then the one with fewer pieces, then
// the one with fewer words with an inflectional ending (#perendimdielli
// is perendim dielli, sunset, not perendimdi eli), then
// the one with fewer words that are terms only with an Arabic proclitic
// (مهربالى is مهرب + الى, smuggler to, not مهر + بالى), then the one with
// fewer pieces that start with a doubled letter: where a doubled letter
// meets two words read unsqueezed, it is likelier to end the first than
// to start the second (#t7reebbritania is treeb britania, not tree
// bbritania, which squeeze to tre britania), then the one with fewer
// pieces that are words only inside other terms' phrases: #gametouk is
// game to uk, not ga meto uk, whose pieces are the insides of Somali and
// Amharic phrases.
func (c segCell) better(d segCell) bool {
	if !c.ok || !d.ok {
		return c.ok
	}
	if cc, dc := 2*(c.unknown+c.ending)+c.short+typoCost*c.typo, 2*(d.unknown+d.ending)+d.short+typoCost*d.typo; cc != dc {
		return cc < dc
	}
	if c.pieces != d.pieces {
		return c.pieces < d.pieces
	}
	if c.inflected != d.inflected {
		return c.inflected < d.inflected
	}
	if c.proclitic != d.proclitic {
		return c.proclitic < d.proclitic
	}
	if c.lead != d.lead {
		return c.lead < d.lead
	}
	return c.inner < d.inner
}

func (c *segCell) offer(d segCell) {
	if d.better(*c) {
		*c = d
	}
}

// squeezed returns b squeezed, in *buf, when unsqueezed; b itself
// otherwise.
func squeezed(b []byte, unsqueezed bool, buf *[]byte) []byte {
	if !unsqueezed {
		return b
	}
	*buf = squeezeInto((*buf)[:0], b)
	return *buf
}

// squeezeInto appends b with runs of a squeezable rune squeezed to dst.
func squeezeInto(dst, b []byte) []byte {
	dst, _ = appendSqueezed(dst, b, 0)
	return dst
}

// appendSqueezed appends b to dst squeezing runs of a squeezable rune,
// continuing a run that ended with last, and returns the last rune.
func appendSqueezed(dst, b []byte, last rune) ([]byte, rune) {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r != last || !squeezable(r) {
			last = r
			if r == utf8.RuneError && size == 1 {
				dst = utf8.AppendRune(dst, r) // a cut rune reads as U+FFFD
			} else {
				dst = append(dst, b[i:i+size]...)
			}
		}
		i += size
	}
	return dst, last
}

// addPiece appends a piece of a glued word, squeezed if it was read
// without squeezing.
func (v *view) addPiece(b []byte, origS, origE int32, unsqueezed bool) {
	v.addWord(squeezed(b, unsqueezed, &v.keyBuf), origS, origE)
}

// elidedBare reports whether the one-letter word w of src, the second of
// two, is an elided article or pronoun typed without its apostrophe
// before the next word (the first of rest): "paiement a l arrivee" is à
// l'arrivée, not the letters a l spelled out. Only for a pair: in a
// longer run the letter ends a spelled-out word (p a s s p o r t
// available).
func elidedBare(src *view, w word, rest []word) bool {
	if len(rest) == 0 || w.end-w.start != 1 || !strings.ContainsRune("ldjnscmt", rune(src.buf[w.start])) {
		return false
	}
	next := src.buf[rest[0].start:rest[0].end]
	return len(next) >= 3 && strings.ContainsRune("aeiouy", rune(next[0]))
}

// elided reports whether the one-letter word w is an elided article or
// pronoun (l', d', qu'... before a word): "à l'arrivée" is not spaced
// letters.
func elided(text string, w word) bool {
	return isApostrophe(firstRune(text[w.origE:]))
}

// isSingleDigit reports whether w is one ASCII digit.
func isSingleDigit(v *view, w word) bool {
	return w.end-w.start == 1 && isDigitByte(v.buf[w.start])
}

// reread fills v, a leet or Arabizi view, with the words of src read in
// v's mode: digits (and leet symbols) in Latin words become letters.
func (v *view) reread(src *view) {
	v.reset()
	for _, w := range src.words {
		start := len(v.buf)
		v.buf = append(v.buf, src.buf[w.start:w.end]...)
		if !w.emoji {
			v.buf = rewriteDigits(v.buf, start, v.mode, latinLetters(v.buf[start:]), true, false)
		}
		if len(v.buf) == start {
			continue
		}
		nw := v.pushWord()
		*nw = w
		nw.start, nw.end = int32(start), int32(len(v.buf))
		v.buf = append(v.buf, ' ')
	}
}

// hasDigit reports whether b has an ASCII digit.
func hasDigit(b []byte) bool {
	for _, c := range b {
		if isDigitByte(c) {
			return true
		}
	}
	return false
}

// latinLetters reports whether b has an ASCII letter and nothing outside
// ASCII.
func latinLetters(b []byte) bool {
	letter := false
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
		letter = letter || 'a' <= c && c <= 'z'
	}
	return letter
}

func (v *view) addWord(b []byte, origS, origE int32) {
	// A glued piece that mixes letters and digits (a joined t a 7 r e e
	// b) calls for the leet and Arabizi readings.
	if latinLetters(b) {
		for _, c := range b {
			if isDigitByte(c) {
				v.maybeLeet = true
				v.maybeArabizi = v.maybeArabizi || arabiziDigit(rune(c)) != 0
			}
		}
	}
	// A cut inside a multi-byte rune would leave invalid UTF-8; vocabulary
	// words are whole runes, so only unknown gaps can be cut badly, and
	// those are merged back into whole runs above.
	w := v.pushWord()
	w.start, w.origS, w.origE, w.emoji, w.hashtag, w.zw = int32(len(v.buf)), origS, origE, false, false, false
	v.buf = append(v.buf, b...)
	w.end = int32(len(v.buf))
	v.buf = append(v.buf, ' ')
}

// maxTypoPieces bounds the pieces joinMisspelt joins into one word.
const maxTypoPieces = 4

// joinMisspelt rereads the pieces a hashtag was split into where a
// misspelt word was cut into scraps: a word with a typo is no word of
// the rules, so splitting finds the short words inside it instead
// (#ta7reebingitra is tatreb in gi tra, for inglitra; #passortmzawar is
// pas sor t mzawar). Up to maxTypoPieces neighbouring pieces of one
// hashtag, each no word of the rules or of three letters or fewer, are
// joined into one word when that makes a word of fuzzyMin1 letters or
// more that is a typo of a word of the rules (the longest such run from
// each piece); the fuzzy view then corrects it as any misspelt word.
// The result is written to out, which then swaps buffers with v.
func (v *view) joinMisspelt(fx *fuzzyIndex, vocab *hashIndex, out *view) {
	ws := v.words
	weak := func(w word) bool {
		b := v.buf[w.start:w.end]
		return !w.emoji && (utf8.RuneCount(b) <= 3 || !isVocab(vocab, b))
	}
	changed := false
	out.reset()
	for i := 0; i < len(ws); {
		k := 0
		if weak(ws[i]) {
			for n := 2; n <= maxTypoPieces && i+n <= len(ws); n++ {
				last := ws[i+n-1]
				// A hashtag's pieces all span the whole hashtag.
				if last.origS != ws[i].origS || last.origE != ws[i].origE || !weak(last) {
					break
				}
				g := v.joinWords(v, ws[i:i+n])
				if utf8.RuneCount(g) < fuzzyMin1 || isVocab(vocab, g) {
					continue
				}
				if p, c := fx.correctWithProclitic(g, 0); c != "" || p != nil {
					k = n
				}
			}
		}
		if k == 0 {
			out.copyWord(v, ws[i])
			i++
			continue
		}
		out.addWord(v.joinWords(v, ws[i:i+k]), ws[i].origS, ws[i].origE)
		changed = true
		i += k
	}
	if changed {
		v.buf, out.buf = out.buf, v.buf
		v.words, out.words = out.words, v.words
	}
}
