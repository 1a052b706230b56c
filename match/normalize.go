package match

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// A view is one normalised rendering of a text: its words, separated by
// single spaces, with a space before the first and after the last, so that
// a pattern " word " can only match a whole word. Each word remembers the
// byte range of the original text it came from, which is what explain
// output points at; nothing else of the original is kept.
type view struct {
	buf   []byte
	words []word

	// cur is the word being written.
	cur wordState
	// noSqueeze keeps repeated letters (for re-reading hashtags).
	noSqueeze bool
	// altLeet reads leetspeak's ambiguous signs the other way (see
	// Matcher.readAmbiguous): the digit 1 in a Latin word as l rather than
	// i, an @ or ! starting a word and a ! ending one as letters rather
	// than a mention or punctuation.
	altLeet bool
	// keyBuf is scratch space for squeezed lookup keys, leetBuf for the
	// letters of spelled-out leetspeak being segmented.
	keyBuf, leetBuf []byte
	// glued (the letters of a glued run being segmented) and seg
	// (addSegments' table) are allocated on first use.
	glued *[maxGlued * 2]byte
	seg   *segTable
	// mode says how digits and symbols inside Latin words are read.
	mode viewMode
	// emoji, when not nil, is the set of emoji and flags kept as words
	// (see Matcher.emoji); the others are dropped like separators.
	emoji map[string]bool
	// inflect, when not nil, lets a hashtag's pieces be words of a
	// suffixing language's rules with an ending of that language glued
	// on (see findPieces).
	inflect *inflectionIndex
	// maybeLeet reports whether the text has anything the leet view would
	// read differently; without it the leet view is skipped.
	maybeLeet bool
	// maybeArabizi reports whether a Latin word has a digit that Arabizi
	// uses for an Arabic letter (2 3 5 6 7 8 9).
	maybeArabizi bool
	// hasHashtag reports whether a word followed '#'.
	hasHashtag bool
	// hasZW reports a word with a zero-width space dropped inside it;
	// zwSeparates makes zero-width spaces separate words instead (for
	// re-reading such a word, see splitZW).
	hasZW, zwSeparates bool
	// longArabic reports an Arabic-script word of gluedArabicMin
	// letters or more, which may be words typed without the spaces
	// between them (see view.splitGlued).
	longArabic  bool
	pendingHash bool
	// rtlOverride reports a right-to-left override (U+202E), which hides
	// text by reversing its display; explain reports it as a signal.
	rtlOverride bool
	// singleRun reports two one-letter words in a row (letters spaced out
	// to dodge filters); prevSingle tracks the last word for it.
	singleRun, prevSingle bool
	// innerSep reports glue between two letters: a dot, hyphen or
	// underscore (ka.çak.çı, smug-gler), another symbol (smug*gler,
	// pass/port) or an emoji dropped as decoration (smug🔥gler):
	// fragments that may join into a term (see innerGlue, glueGap).
	innerSep bool
	// joined reports that some words are empty: the later pieces of a
	// split word the corrected view reads joined into the first (see
	// view.correct), kept so that word i is still word i of the view it
	// corrects, but holding no bytes, so that a phrase reads across them.
	joined bool
	// text is the text being normalised, for looking ahead past symbols.
	text string
}

// viewMode is how a view reads digits and symbols inside Latin words.
type viewMode uint8

const (
	modeBase    viewMode = iota // as written
	modeLeet                    // b0at, $mu99l3r, sm@ll: digits and @ $ ! | as letters
	modeArabizi                 // ta7reeb, bri6ania: digits as the Arabic letters they stand for
)

// word is one word of a view: its byte range in view.buf and in the
// original text.
type word struct {
	start, end   int32 // in view.buf
	origS, origE int32 // in the original text
	emoji        bool  // the word is an emoji (or a flag), not letters
	hashtag      bool  // the word followed '#'
	// zw: a zero-width space was dropped inside the word (see
	// view.splitZW).
	zw bool
	// squeezed: a repeated letter was dropped from the word, so one
	// letter left is no letter spelled out ("oo" is not "o").
	squeezed bool
}

// wordState is what normalisation tracks about the word being written; it
// lives in the view rather than in the word record, so the per-byte path
// touches one small, fixed place.
type wordState struct {
	origE        int32 // end of the word so far in the original text
	lastRune     rune  // last rune written, for squeezing repeats
	letters      bool  // the word has a real letter
	others       bool  // the word has a digit or a leet symbol
	nonLatin     bool  // the word has a letter outside ASCII after folding
	arabiziDigit bool  // the word has a digit Arabizi uses for a letter
	squeezed     bool  // a repeated letter was dropped from the word
}

func (v *view) reset() {
	v.buf = append(v.buf[:0], ' ')
	v.words = v.words[:0]
	v.maybeLeet, v.maybeArabizi, v.hasHashtag, v.pendingHash = false, false, false, false
	v.singleRun, v.prevSingle, v.rtlOverride, v.innerSep, v.joined = false, false, false, false, false
	v.hasZW, v.longArabic = false, false
}

// lastWord returns the index of the nth word of v from word w (w is the
// first), skipping the empty words of a corrected view (see joined).
func (v *view) lastWord(w, n int) int {
	if !v.joined {
		return w + n - 1
	}
	for ; n > 1 && w+1 < len(v.words); n-- {
		w++
		for v.words[w].start == v.words[w].end && w+1 < len(v.words) {
			w++
		}
	}
	return w
}

// Normalize returns the normalised form of text as the matcher sees it:
// words separated by single spaces. It exists for explain output and tests;
// the matcher itself works on reusable buffers.
func Normalize(text string) string {
	return normalizeAs(text, modeBase)
}

// normalizeAs is Normalize in a given view mode.
func normalizeAs(text string, mode viewMode) string {
	v := view{mode: mode}
	v.normalize(text)
	if len(v.buf) <= 1 {
		return ""
	}
	return string(v.buf[1 : len(v.buf)-1])
}

// runeClass says how a folded rune takes part in words.
type runeClass uint8

const (
	classSep   runeClass = iota // separates words
	classWord                   // a letter or digit, part of a word
	classEmoji                  // a pictograph, a word of its own
	classFlag                   // a regional indicator; consecutive ones form one word
	classDrop                   // removed without separating (marks, zero-width, tatweel)
)

// normalize fills v with the words of text. It makes one pass over the
// text, decomposing each non-ASCII rune (NFKD, which unifies full-width,
// mathematical and ligature forms and splits off diacritics) and folding
// the pieces; it allocates only when v's buffers must grow.
func (v *view) normalize(text string) {
	v.reset()
	v.text = text
	open := false     // a word is open in v.buf
	var cur runeClass // class of the open word
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			// A capital I between lower-case letters is usually an l in
			// disguise (smuggIer): the leet view reads it so.
			// Not in a hashtag, where a capital starts a word
			// (#tahriibIngiriiska).
			if c == 'I' && leetI(text, i) && !(open && v.words[len(v.words)-1].hashtag) {
				v.maybeLeet = true
				if v.mode != modeBase {
					c = 'l'
				}
			}
			e := asciiFold[c]
			if open && cur == classWord && e.word && !e.digit && scriptOf(v.cur.lastRune) > scriptLatin {
				// A Latin letter after Arabic or Ethiopic ones starts a
				// word of its own (see scriptBreak).
				v.closeWord()
				open = false
			}
			if e.word && !open {
				// A letter or digit starting a word.
				v.openWord(int32(i), false)
				open, cur = true, classWord
			} else if !e.word && e.plainSep {
				// A space or punctuation, ending a word if one is open.
				wasOpen := open
				if open {
					v.closeWord()
					open = false
				}
				v.pendingHash = c == '#'
				if wasOpen && v.gluesWord(rune(c), i+1) {
					v.innerSep = true
				}
				i++
				continue
			}
			// Hot path: letters and digits continuing a word.
			if e.word && open && cur == classWord {
				i = v.asciiRun(text, i, e)
				continue
			}
			r := rune(c)
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			cls := classSep
			switch {
			case ('a' <= r && r <= 'z') || ('0' <= r && r <= '9'):
				cls = classWord
			case leetSymbol(r) != 0:
				cls = v.leetSign(text, i, i+1, c)
			}
			open, cur = v.emit(r, cls, int32(i), int32(i+1), open, cur)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		if r == utf8.RuneError && size == 1 {
			// Invalid UTF-8 separates words; it is not a symbol.
			open, cur = v.emit(' ', classSep, int32(i), int32(i+1), open, cur)
			i++
			continue
		}
		if r == '\u202e' {
			v.rtlOverride = true // a signal: text hidden by reversal
		}
		if zeroWidthSpace(r) {
			// Dropped inside a word below, as other invisible
			// characters are (sm​uggler), but it may hide a space
			// (boat​to​uk): the segmented view reads the word both ways.
			if v.zwSeparates {
				open, cur = v.emit(' ', classSep, int32(i), int32(i+size), open, cur)
				i += size
				continue
			}
			if open {
				v.words[len(v.words)-1].zw = true
				v.hasZW = true
			}
		}
		if r == '€' && euroLetterAt(text, i, size) {
			// The euro sign between letters is an e in leetspeak
			// (pass€ur, b€at); the leet views read it so, while the
			// canonical view keeps it a separator, as for a price.
			v.maybeLeet = true
			if v.mode != modeBase {
				open, cur = v.emit('e', classWord, int32(i), int32(i+size), open, cur)
				i += size
				continue
			}
		}
		if a := fromFullWidth(r); a != r && leetSymbol(a) != 0 {
			// A full-width leet sign (＠ ＄ ！ ｜) is read as its ASCII self,
			// with the same test of its neighbours: ｂ０＠ｔ is b0@t.
			open, cur = v.emit(a, v.leetSign(text, i, i+size, byte(a)), int32(i), int32(i+size), open, cur)
			i += size
			continue
		}
		if r < fastFoldLimit {
			if e := &fastFold[r]; e.n == 1 && e.cls == classWord && e.r1 >= utf8.RuneSelf && (!open || cur == classWord) {
				// Hot path: non-ASCII letters starting or continuing a
				// word.
				if open && scriptBreak(v.cur.lastRune, rune(e.r1)) {
					v.closeWord()
					open = false
				}
				if !open {
					v.openWord(int32(i), false)
					open, cur = true, classWord
				}
				i = v.letterRun(text, i)
				continue
			} else if e.n != slowFold {
				start, end := int32(i), int32(i+size)
				if e.n > 0 {
					open, cur = v.foldedEmit(rune(e.r1), e.cls, start, end, open, cur)
				}
				if e.n > 1 {
					open, cur = v.foldedEmit(rune(e.r2), e.cls, start, end, open, cur)
				}
				i += size
				continue
			}
		}
		start, end := int32(i), int32(i+size)
		if d := norm.NFKD.PropertiesString(text[i:]).Decomposition(); d != nil {
			for j := 0; j < len(d); {
				dr, n := utf8.DecodeRune(d[j:])
				j += n
				open, cur = v.foldEmit(dr, start, end, open, cur)
			}
		} else {
			open, cur = v.foldEmit(r, start, end, open, cur)
		}
		i += size
	}
	if open {
		v.closeWord()
	}
	v.text = "" // not kept: the view is pooled
}

// asciiRun writes the ASCII letters and digits of the open word from
// text[i] on (text[i] is one, already folded to e: a leet view reads a
// disguised I as l) and returns the index after them. It is the path
// most bytes take, so the word's state stays in locals until the run
// ends; a capital I ends the run, for the leet check of the main loop.
func (v *view) asciiRun(text string, i int, e asciiEntry) int {
	w := &v.cur
	buf, last := v.buf, w.lastRune
	letters, others, arz, sq := w.letters, w.others, w.arabiziDigit, w.squeezed
	squeeze := v.mode == modeBase && !v.noSqueeze
	j := i
	for {
		if squeeze && !e.digit {
			// Letters of a squeezed view, the bulk of every Latin text:
			// one table lookup and one comparison a byte.
			letters = true
			if rune(e.b) != last {
				last = rune(e.b)
				buf = append(buf, e.b)
			} else {
				sq = true
			}
			for j++; j < len(text); j++ {
				lc := asciiLetter[text[j]]
				if lc == 0 {
					break
				}
				if rune(lc) != last {
					last = rune(lc)
					buf = append(buf, lc)
				} else {
					sq = true
				}
			}
		} else {
			if e.digit {
				others = true
				arz = arz || arabiziDigit(rune(e.b)) != 0
				last = rune(e.b)
				buf = append(buf, e.b)
			} else {
				letters = true
				if !squeeze || rune(e.b) != last {
					last = rune(e.b)
					buf = append(buf, e.b)
				} else {
					sq = true
				}
			}
			j++
		}
		if j == len(text) {
			break
		}
		c := text[j]
		if c >= utf8.RuneSelf || c == 'I' || !asciiFold[c].word {
			break
		}
		e = asciiFold[c]
	}
	v.buf = buf
	w.lastRune, w.origE = last, int32(j)
	w.letters, w.others, w.arabiziDigit, w.squeezed = letters, others, arz, sq
	if letters && others && !w.nonLatin {
		v.maybeLeet = true
		v.maybeArabizi = v.maybeArabizi || arz
	}
	return j
}

// letterRun is asciiRun for letters outside ASCII whose folding is one
// letter outside ASCII (most of Arabic, Persian, Cyrillic, Ethiopic and
// accented Latin): text[i] is one, continuing the open word. Two-byte
// UTF-8, the bulk of those scripts, is decoded inline.
func (v *view) letterRun(text string, i int) int {
	w := &v.cur
	buf, last := v.buf, w.lastRune
	squeeze := v.mode == modeBase && !v.noSqueeze
	j := i
	for j < len(text) {
		c := text[j]
		if c < utf8.RuneSelf {
			break
		}
		var r rune
		size := 2
		if c >= 0xC2 && c <= 0xDF && j+1 < len(text) && text[j+1]&0xC0 == 0x80 {
			r = rune(c&0x1F)<<6 | rune(text[j+1]&0x3F)
		} else {
			r, size = utf8.DecodeRuneInString(text[j:])
		}
		if r >= fastFoldLimit {
			break
		}
		e := &fastFold[r]
		if e.n != 1 || e.cls != classWord || e.r1 < utf8.RuneSelf {
			break
		}
		if f := rune(e.r1); !squeeze || f != last {
			last = f
			if f < 0x800 {
				buf = append(buf, byte(0xC0|f>>6), byte(0x80|f&0x3F))
			} else {
				buf = utf8.AppendRune(buf, f)
			}
		} else {
			w.squeezed = true
		}
		j += size
	}
	v.buf = buf
	w.lastRune, w.origE = last, int32(j)
	w.letters, w.nonLatin = true, true
	return j
}

// foldEmit folds one decomposed rune and emits what it becomes.
func (v *view) foldEmit(r rune, start, end int32, open bool, cur runeClass) (bool, runeClass) {
	r, extra, cls := fold(r)
	if cls == classDrop {
		return open, cur
	}
	open, cur = v.foldedEmit(r, cls, start, end, open, cur)
	if extra != 0 {
		open, cur = v.foldedEmit(extra, cls, start, end, open, cur)
	}
	return open, cur
}

// foldedEmit emits a rune that is already folded.
func (v *view) foldedEmit(r rune, cls runeClass, start, end int32, open bool, cur runeClass) (bool, runeClass) {
	return v.emit(r, cls, start, end, open, cur)
}

// asciiEntry is the folding of an ASCII byte.
type asciiEntry struct {
	b        byte // lower-cased
	word     bool // a letter or digit
	digit    bool
	plainSep bool // a separator that is not a leet symbol
}

// asciiFold folds ASCII in one lookup; it is never written after init.
var asciiFold = func() (t [utf8.RuneSelf]asciiEntry) {
	for c := 0; c < utf8.RuneSelf; c++ {
		b := byte(c)
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		word := ('a' <= b && b <= 'z') || ('0' <= b && b <= '9')
		t[c] = asciiEntry{b: b, word: word, digit: '0' <= b && b <= '9', plainSep: !word && leetSymbol(rune(b)) == 0}
	}
	return t
}()

// asciiLetter maps an ASCII letter to its lower case, except the capital
// I (which the leet check looks at), and every other byte to 0; it is
// never written after init.
var asciiLetter = func() (t [256]byte) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = byte(c)
		if c != 'i' {
			t[c-'a'+'A'] = byte(c)
		}
	}
	return t
}()

// fastFoldLimit bounds the runes whose folding is precomputed: Latin,
// Greek, Cyrillic, Arabic, Ethiopic, Vietnamese and the punctuation and
// format characters evaders use, everything signpost's languages type.
const fastFoldLimit = 0x3000

// slowFold marks a rune whose folding is not in the table.
const slowFold = 255

// foldEntry is the precomputed result of decomposing and folding a rune:
// n runes (0, 1 or 2) of one class.
type foldEntry struct {
	r1, r2 uint16
	n      uint8
	cls    runeClass
}

// fastFold caches decomposition and folding for runes below
// fastFoldLimit, so the common path is one table lookup per rune instead
// of a normalisation-table walk and several Unicode range checks. It is
// computed once from the same code as the slow path and never written
// after.
var fastFold = buildFastFold()

func buildFastFold() *[fastFoldLimit]foldEntry {
	var t [fastFoldLimit]foldEntry
	for r := rune(0x80); r < fastFoldLimit; r++ {
		t[r] = foldEntry{n: slowFold}
		var out []rune
		cls := classDrop
		ok := true
		add := func(x rune) {
			f, extra, c := fold(x)
			if c == classDrop {
				return
			}
			if cls != classDrop && c != cls {
				ok = false
			}
			cls = c
			out = append(out, f)
			if extra != 0 {
				out = append(out, extra)
			}
		}
		if d := norm.NFKD.PropertiesString(string(r)).Decomposition(); d != nil {
			for _, x := range string(d) {
				add(x)
			}
		} else {
			add(r)
		}
		if !ok || len(out) > 2 {
			continue
		}
		e := foldEntry{n: uint8(len(out)), cls: cls}
		for i, x := range out {
			if x > 0xFFFF {
				ok = false
			}
			if i == 0 {
				e.r1 = uint16(x)
			} else {
				e.r2 = uint16(x)
			}
		}
		if ok {
			t[r] = e
		}
	}
	return &t
}

// emit appends one folded rune of class cls, opening and closing words as
// the class changes.
func (v *view) emit(r rune, cls runeClass, start, end int32, open bool, cur runeClass) (bool, runeClass) {
	switch cls {
	case classSep:
		if open {
			v.closeWord()
			// r is folded: the text has the separator as written.
			if int(start) < len(v.text) && v.gluesWord(firstRune(v.text[start:]), int(end)) {
				v.innerSep = true
			}
		}
		v.pendingHash = r == '#'
		return false, classSep
	case classEmoji:
		if open {
			v.closeWord()
		}
		var b [utf8.UTFMax]byte
		if v.emoji != nil && !v.emoji[string(b[:utf8.EncodeRune(b[:], r)])] {
			if open && int(start) < len(v.text) && v.gluesWord(firstRune(v.text[start:]), int(end)) {
				v.innerSep = true
			}
			return false, classSep
		}
		v.openWord(start, true)
		v.buf = utf8.AppendRune(v.buf, r)
		v.cur.origE = end
		v.closeWord()
		return false, classSep
	}
	// A flag is two regional indicators; consecutive flags (🇫🇷🇬🇧) are
	// separate words.
	if open && (cur != cls || (cls == classFlag && int(int32(len(v.buf))-v.words[len(v.words)-1].start) >= 2*utf8.RuneLen(r)) ||
		cls == classWord && scriptBreak(v.cur.lastRune, r)) {
		v.closeWord()
		open = false
	}
	if !open {
		v.openWord(start, cls == classFlag)
		open, cur = true, cls
	}
	w := &v.cur
	w.origE = end
	if cls == classWord {
		switch {
		case isDigit(r) || leetSymbol(r) != 0:
			w.others = true
			if arabiziDigit(r) != 0 {
				w.arabiziDigit = true
			}
		case r >= utf8.RuneSelf:
			w.letters, w.nonLatin = true, true
		default:
			w.letters = true
		}
		if w.letters && w.others && !w.nonLatin {
			v.maybeLeet = true
			v.maybeArabizi = v.maybeArabizi || w.arabiziDigit
		}
	}
	// Squeeze runs of the same letter (not digits: 1000 is not 10) so that
	// "smuggggler" and "smuggler" meet at "smugler". The leet view squeezes
	// when the word is complete, after digits have become letters.
	if v.mode == modeBase && !v.noSqueeze && r == w.lastRune && squeezable(r) && cls == classWord {
		w.squeezed = true
		return open, cur
	}
	w.lastRune = r
	v.buf = utf8.AppendRune(v.buf, r)
	return open, cur
}

// Scripts that a word does not mix (see scriptBreak).
const (
	scriptLatin = iota + 1
	scriptArabic
	scriptEthiopic
)

// scriptOf returns the script of a folded letter among those a word does
// not mix, or 0 (digits, other scripts).
func scriptOf(r rune) uint8 {
	switch {
	case 'a' <= r && r <= 'z':
		return scriptLatin
	case r >= 0x0600 && r <= 0x06FF, r >= 0x0750 && r <= 0x077F, r >= 0x08A0 && r <= 0x08FF:
		return scriptArabic
	case r >= 0x1200 && r <= 0x139F, r >= 0x2D80 && r <= 0x2DDF:
		return scriptEthiopic
	}
	return 0
}

// scriptBreak reports whether letter r, written after prev in a word,
// starts a word of its own: Latin after Arabic-script or Ethiopic letters,
// or the reverse. Writers glue their language's article or preposition
// to a borrowed word (الboat, بالvisa, ብlorry), which would otherwise be
// one word matching neither.
func scriptBreak(prev, r rune) bool {
	a, b := scriptOf(prev), scriptOf(r)
	return a != 0 && b != 0 && a != b
}

// leetSymbol returns the letter a symbol or digit stands for in leetspeak,
// or 0. Digits count only inside words that also have real letters.
func leetSymbol(r rune) rune {
	switch r {
	case '@':
		return 'a'
	case '$':
		return 's'
	case '!':
		return 'i'
	case '|':
		return 'l'
	}
	return 0
}

// leetLetterSpan reports whether the leet sign sym, written as text[i:j]
// (one byte, or a full-width form of three), stands for a letter: inside
// a word (sm@ll, h!gh, c0n7@!ner), $ starting or ending one ($mu99ler,
// b04t$), or @ ending one (v!s@). A mention (@smuggler), an exclamation
// (UK!) or a price ($100) is not, unless edges is set: then an @ or !
// starting a word (@gent, !llegal) and a ! ending one (ngl!) are letters
// too, the other reading of those signs.
func leetLetterSpan(text string, i, j int, sym byte, edges bool) bool {
	// Bytes outside ASCII count as letters here: k@ç@kçı is a word.
	prev := i > 0 && (isAlnumASCII(text[i-1]) || leetSymbol(rune(text[i-1])) != 0 || text[i-1] >= utf8.RuneSelf)
	next := j < len(text) && (isWordByte(text[j]) || leetSymbol(rune(text[j])) != 0 && j+1 < len(text) && isWordByte(text[j+1]))
	if sym == '$' && !prev {
		// $ starting a word is a letter if a letter follows in the word
		// ($mu99l3r, $4l3), a currency sign if only digits do ($100,
		// ＄１００: full-width digits are digits).
		for k := j; k < len(text) && (isAlnumASCII(text[k]) || text[k] == '$' || text[k] >= utf8.RuneSelf); {
			r, n := utf8.DecodeRuneInString(text[k:])
			r = fromFullWidth(r)
			if !isDigit(r) && r != '$' {
				return r < utf8.RuneSelf || unicode.IsLetter(r)
			}
			k += n
		}
		return false
	}
	if edges && (!prev && next || prev && !next && sym == '!') {
		return true
	}
	return prev && (next || sym == '$' || sym == '@')
}

// leetSign returns the class of the leet sign sym (@ $ ! |) written as
// text[i:j], one byte or a full-width form of three, and notes leetspeak
// in v: a letter in the leet views where it sits inside a word (see
// leetLetterSpan), a separator elsewhere. Starting a word, an @ or ! is a
// sign of leetspeak still, for the other reading of those signs, which
// takes it for a letter (@gent, !llegal; see Matcher.readAmbiguous).
func (v *view) leetSign(text string, i, j int, sym byte) runeClass {
	switch {
	case leetLetterSpan(text, i, j, sym, v.altLeet):
		v.maybeLeet = true
		if v.mode != modeBase {
			return classWord
		}
	case (sym == '@' || sym == '!') && j < len(text) && isWordByte(text[j]) && leetLetterSpan(text, i, j, sym, true):
		v.maybeLeet = true
	}
	return classSep
}

// fromFullWidth returns the ASCII character of a full-width form
// (U+FF01-FF5E: ＠ is @, １ is 1), or r itself.
func fromFullWidth(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		return r - 0xFEE0
	}
	return r
}

// isWordByte reports whether b is an ASCII letter or digit or a byte of a
// multi-byte rune.
func isWordByte(b byte) bool { return isAlnumASCII(b) || b >= utf8.RuneSelf }

// euroLetterAt reports whether the euro sign at text[i:i+size] sits
// between two ASCII letters, where it stands for an e: a price has a digit
// on one side (100€, €50).
func euroLetterAt(text string, i, size int) bool {
	return i > 0 && i+size < len(text) && isLetterASCII(text[i-1]) && isLetterASCII(text[i+size])
}

func isLetterASCII(b byte) bool { return 'a' <= b|0x20 && b|0x20 <= 'z' }

func isAlnumASCII(b byte) bool { return b < utf8.RuneSelf && asciiFold[b].word }

func isDigitByte(b byte) bool { return '0' <= b && b <= '9' }

// apostropheMin is how many letters an apostrophe needs either side to
// be read inside a word (see apostropheInside).
const apostropheMin = 3

// apostropheInside reports whether an apostrophe just read, ending the
// view's last word, sits inside a word split by it (smug'gler): at least
// apostropheMin letters on either side. Elision (l'italie, qu'il) and endings
// (it's, don't, ingiltere'ye) have fewer on one side, and are not read
// as one word.
func (v *view) apostropheInside(text string, i int) bool {
	if len(v.words) == 0 {
		return false
	}
	last := v.words[len(v.words)-1]
	if utf8.RuneCount(v.buf[last.start:last.end]) < apostropheMin {
		return false
	}
	n := 0
	for _, r := range text[i:] {
		if !unicode.IsLetter(r) {
			break
		}
		if n++; n == apostropheMin {
			return true
		}
	}
	return false
}

// firstRune returns the first rune of s (utf8.RuneError for none).
func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

// isApostrophe reports whether r is an apostrophe: typed, typographic
// (’, ʼ), full-width (＇) or as an opening quote (‘).
func isApostrophe(r rune) bool {
	return r == '\'' || r == '’' || r == 'ʼ' || r == '＇' || r == '‘'
}

// gluesWord reports whether separator r, read right after a word and
// ending at byte end of the text, is glue inside a word (see innerSep):
// glue (see glueRune) followed by a letter, past any more glue, or an
// apostrophe inside a word (see apostropheInside).
func (v *view) gluesWord(r rune, end int) bool {
	switch {
	case isApostrophe(r):
		return v.apostropheInside(v.text, end)
	case glueRune(r):
		return v.letterAfterGlue(end)
	}
	return false
}

// letterAfterGlue reports whether the text from byte i, past any symbols
// and emoji (with their variation selectors and joiners), goes on with
// a letter: whether a symbol just read sits inside a word (smug🔥gler).
func (v *view) letterAfterGlue(i int) bool {
	for i < len(v.text) {
		r, n := utf8.DecodeRuneInString(v.text[i:])
		if !glueRune(r) {
			return unicode.IsLetter(r)
		}
		i += n
	}
	return false
}

// glueGap reports whether gap, the text between two words, is glue that
// may join them into one (see innerGlue): no white space, only glue
// bytes, symbols and emoji.
func glueGap(gap string) bool {
	for _, r := range gap {
		if !glueRune(r) {
			return false
		}
	}
	return gap != ""
}

// glueRune reports whether r may be glue inside a word: an ASCII glue
// byte, or a symbol or emoji with its variation selectors, joiners and
// skin tones (not white space, quotes, apostrophes or dashes).
func glueRune(r rune) bool {
	if r < utf8.RuneSelf {
		return innerGlue(byte(r))
	}
	return unicode.IsSymbol(r) || r == '\u200d' || (r >= 0xfe00 && r <= 0xfe0f)
}

// zeroWidthSpace reports whether r is a zero-width space, word joiner,
// zero-width no-break space or zero-width non-joiner: invisible
// characters that may hide a space. Persian writes the non-joiner
// between the parts of a word (می‌خواهم), where search engines read it as
// a space; the segmented view joins the parts again when they make a
// word of the rules. The joiner of emoji sequences is not one.
func zeroWidthSpace(r rune) bool {
	return r == '\u200b' || r == '\u2060' || r == '\ufeff' || r == '\u200c'
}

// innerGlue reports whether c, between two fragments of letters with no
// space, may be glue inside one word: dots, hyphens and underscores
// (ka.çak.çı, smug-gler), and the symbols people put inside a word to
// break it for a filter (smug*gler, pass/port, smug,gler, pa+sa+port,
// smug~gler). Fragments are joined only into a word of the rules, or a
// stem with an ending (see view.segment). An apostrophe is glue only
// inside a word (see apostropheInside): l'italie is two words.
func innerGlue(c byte) bool {
	switch c {
	case '.', '-', '_', '*', '/', '+', '~', ',':
		return true
	}
	return false
}

// leetI reports whether the capital I at text[i] sits between lower-case
// letters outside a camel-case word, where the leet view reads it as l.
func leetI(text string, i int) bool {
	return i > 0 && i+1 < len(text) && isLowerASCII(text[i-1]) && isLowerASCII(text[i+1]) && !camelCase(text, i)
}

// camelCase reports whether the word around text[i] has another capital
// letter (LinkedIn, #BoatToIreland, or alternating case: bIlLeT, hIdE):
// its capital I is a capital, not an l in disguise.
func camelCase(text string, i int) bool {
	for j := i - 1; j >= 0 && isAlnumASCII(text[j]); j-- {
		if 'A' <= text[j] && text[j] <= 'Z' {
			return true
		}
	}
	for j := i + 1; j < len(text) && isAlnumASCII(text[j]); j++ {
		if 'A' <= text[j] && text[j] <= 'Z' {
			return true
		}
	}
	return false
}

// arabiziDigit returns the Latin letter signpost reads for a digit that
// Arabizi uses for an Arabic letter, or 0. The reading only needs to be
// the same for texts and terms: 5 (kh) is read x to stay one byte.
func arabiziDigit(r rune) rune {
	switch r {
	case '2', '3':
		return 'a' // hamza, ain
	case '5':
		return 'x' // kha
	case '6':
		return 't' // tah
	case '7':
		return 'h' // hah
	case '8':
		return 'q' // qaf, ghain
	case '9':
		return 's' // sad
	}
	return 0
}

// leetDigit returns the letter a digit stands for in leetspeak, or 0.
func leetDigit(r rune) rune {
	switch r {
	case '0':
		return 'o'
	case '1':
		return 'i'
	case '3':
		return 'e'
	case '4':
		return 'a'
	case '5':
		return 's'
	case '7':
		return 't'
	case '8':
		return 'b'
	case '9':
		return 'g'
	}
	return 0
}

// pushWord appends a word record for the caller to fill in place, every
// field (the slot may hold an old record). Appending a record built on
// the stack writes it with narrow stores and copies it with wide loads:
// a store-forwarding stall that cost a quarter of normalisation.
func (v *view) pushWord() *word {
	n := len(v.words)
	if n == cap(v.words) {
		v.words = append(v.words, word{})
	}
	v.words = v.words[:n+1]
	return &v.words[n]
}

func (v *view) openWord(origStart int32, emoji bool) {
	w := v.pushWord()
	w.start, w.end = int32(len(v.buf)), 0
	w.origS, w.origE = origStart, 0
	w.emoji, w.hashtag, w.zw = emoji, v.pendingHash, false
	v.cur = wordState{origE: origStart}
	if v.pendingHash {
		v.hasHashtag, v.pendingHash = true, false
	}
}

func (v *view) closeWord() {
	w := &v.words[len(v.words)-1]
	w.origE = v.cur.origE
	if w.emoji && v.emoji != nil && !v.emoji[string(v.buf[w.start:])] {
		// A flag no term uses (emoji are dropped as they are read).
		v.buf = v.buf[:w.start]
		v.words = v.words[:len(v.words)-1]
		return
	}
	if v.mode != modeBase && !w.emoji {
		n := len(v.buf)
		v.buf = rewriteDigits(v.buf, int(w.start), v.mode, v.cur.letters && !v.cur.nonLatin, !v.noSqueeze, v.altLeet)
		if int32(len(v.buf)) == w.start {
			v.words = v.words[:len(v.words)-1]
			return
		}
		// Letters squeezed or symbols dropped.
		v.cur.squeezed = v.cur.squeezed || len(v.buf) != n
	}
	w.squeezed = v.cur.squeezed
	w.end = int32(len(v.buf))
	if w.end-w.start >= 2*gluedShortMin && !w.emoji && mayBeGlued(v.buf[w.start:w.end]) {
		v.longArabic = true
	}
	v.buf = append(v.buf, ' ')
	// One letter: an ASCII byte that is not a digit, or one multi-byte
	// rune (a word starting with an ASCII byte and longer than one byte
	// has several runes). Not a letter repeated and squeezed to one: the
	// Somali "oo u eg" (which looks like) is not the letters o u spelled
	// out.
	var single bool
	switch size := w.end - w.start; {
	case w.squeezed:
	case size == 1:
		single = !isDigitByte(v.buf[w.start])
	case size <= utf8.UTFMax && v.buf[w.start] >= utf8.RuneSelf:
		single = isSingle(v, *w)
	}
	if single && v.prevSingle {
		v.singleRun = true
	}
	v.prevSingle = single
}

// rewriteDigits rewrites the word buf[start:] in place for the leet or
// Arabizi view: in a Latin word with real letters, digits (and, for leet,
// symbols) become letters; in other words (a price, a year, Arabic
// script) symbols are dropped and digits kept. Then repeated letters are
// squeezed, unless squeeze is false (a hashtag re-read to be split). With
// oneAsL, 1 is read as l rather than i. Only ASCII bytes change, so the
// word never grows.
func rewriteDigits(buf []byte, start int, mode viewMode, latinLetters, squeeze, oneAsL bool) []byte {
	if numberInLetters(buf[start:]) {
		// The other way round: a number written with the letter O for
		// its zeros (1OO%, 2OOO€) reads as the number.
		for i := start; i < len(buf); i++ {
			if buf[i] == 'o' {
				buf[i] = '0'
			}
		}
		return buf
	}
	out := start
	var last rune
	for i := start; i < len(buf); {
		r, n := utf8.DecodeRune(buf[i:])
		i += n
		if l := leetSymbol(r); l != 0 {
			if !latinLetters {
				continue
			}
			r = l
		} else if latinLetters {
			// The Arabizi view reads Arabizi's digits its own way and the
			// rest (0, 1, 4) as leetspeak, so that a leet word such as an
			// exclusion written $h0f3r still reads as a word there.
			l := leetDigit(r)
			if mode == modeArabizi {
				if a := arabiziDigit(r); a != 0 {
					l = a
				}
			}
			if l == 'i' && oneAsL {
				l = 'l'
			}
			if l != 0 {
				r = l
			}
		}
		if squeeze && r == last && squeezable(r) {
			continue
		}
		last = r
		out += utf8.EncodeRune(buf[out:], r)
	}
	return buf[:out]
}

// numberInLetters reports whether w is a number with the letter o for
// its trailing zeros: digits, then only o and 0, three bytes or more (1oo,
// 2ooo, 15oo, 1o0; not 1o, and not leetspeak's 8oo5, boos, or 90l4,
// gola).
func numberInLetters(w []byte) bool {
	if len(w) < 3 || !isDigitByte(w[0]) {
		return false
	}
	o := false
	for _, c := range w {
		switch {
		case c == 'o':
			o = true
		case c == '0':
		case isDigitByte(c) && !o:
		default:
			return false
		}
	}
	return o
}

// isSingle reports whether w is a one-letter word (not a digit or emoji).
func isSingle(v *view, w word) bool {
	if w.emoji || w.squeezed {
		return false
	}
	r, n := utf8.DecodeRune(v.buf[w.start:w.end])
	return int32(n) == w.end-w.start && !isDigit(r)
}

func isDigit(r rune) bool { return '0' <= r && r <= '9' }

// fold maps one rune (already NFKD-decomposed) to its matching form: a
// rune, sometimes a second one (ß → ss), and its class.
func fold(r rune) (rune, rune, runeClass) {
	if l, ok := upperLookalikes[r]; ok {
		return l, 0, classWord
	}
	if unicode.IsUpper(r) {
		r = unicode.ToLower(r)
	}
	if m, ok := foldTable[r]; ok {
		return m.r, m.extra, m.cls
	}
	switch {
	case r >= 0x1F150 && r <= 0x1F169: // negative circled capitals (🅐)
		return 'a' + r - 0x1F150, 0, classWord
	case r >= 0x1F170 && r <= 0x1F189: // negative squared capitals (🅰)
		return 'a' + r - 0x1F170, 0, classWord
	case r >= 0x0660 && r <= 0x0669: // Arabic-Indic digits
		return '0' + r - 0x0660, 0, classWord
	case r >= 0x06F0 && r <= 0x06F9: // Persian (extended Arabic-Indic) digits
		return '0' + r - 0x06F0, 0, classWord
	case r >= 0x1369 && r <= 0x1371:
		// Ethiopic digits one to nine (፭ ሰው, five people), which Unicode
		// does not class as decimal digits. The tens and hundreds (፲, ፻)
		// have no digit of their own and stay separators.
		return '1' + r - 0x1369, 0, classWord
	case r >= 0x1210 && r <= 0x1217, r >= 0x1280 && r <= 0x1286:
		// Ethiopic homophones: the ሐ and ኀ series are written for ሀ (and
		// ሠ for ሰ, ዐ for አ, ፀ for ጸ, below) by Amharic writers
		// interchangeably, as Arabic keyboards differ in yeh and kaf: one
		// spelling of ሐሰተኛ (fake) would otherwise need all of them.
		return 0x1200 + (r-0x1200)%8, 0, classWord
	case r >= 0x1220 && r <= 0x1227:
		return r + 0x10, 0, classWord
	case r >= 0x12D0 && r <= 0x12D6:
		return r - 0x30, 0, classWord
	case r >= 0x1340 && r <= 0x1346:
		return r - 8, 0, classWord
	case r >= 0x1F1E6 && r <= 0x1F1FF: // regional indicators: flags
		return r, 0, classFlag
	case r >= 0x1F3FB && r <= 0x1F3FF: // skin-tone modifiers
		return 0, 0, classDrop
	case r >= 0xFE00 && r <= 0xFE0F, r >= 0xE0100 && r <= 0xE01EF: // variation selectors
		return 0, 0, classDrop
	}
	switch {
	case unicode.IsLetter(r):
		return unicode.ToLower(r), 0, classWord
	case unicode.IsDigit(r):
		return r, 0, classWord
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		// Diacritics, harakat, zero-width characters, soft hyphens, bidi
		// controls and tag characters: removed without splitting the word,
		// since evaders insert them inside words.
		return 0, 0, classDrop
	case unicode.Is(unicode.So, r) && r >= 0x2190:
		return r, 0, classEmoji
	case r == '#':
		// The full-width and small number signs (＃, ﹟) decompose to
		// '#': they start a hashtag as '#' does.
		return '#', 0, classSep
	}
	return 0, 0, classSep
}

// upperLookalikes folds the Cyrillic and Greek capitals that look like
// Latin capitals (TR39's confusables), before lower-casing: their
// lower-case forms do not all look Latin (Т is T, т a small capital;
// the Greek Ν is N, ν a v), so ВОАТ ТО UK and ΡΑSSΡΟRΤ would otherwise
// read вoaт and ρasspoρt.
var upperLookalikes = map[rune]rune{
	'А': 'a', 'В': 'b', 'Е': 'e', 'К': 'k', 'М': 'm', 'Н': 'h', 'О': 'o', 'Р': 'p',
	'С': 'c', 'Т': 't', 'У': 'y', 'Х': 'x', 'Ѕ': 's', 'І': 'i', 'Ј': 'j', 'Ԛ': 'q',
	'Ԝ': 'w', 'Ү': 'y', 'Ь': 'b',
	'Α': 'a', 'Β': 'b', 'Ε': 'e', 'Ζ': 'z', 'Η': 'h', 'Ι': 'i', 'Κ': 'k', 'Μ': 'm',
	'Ν': 'n', 'Ο': 'o', 'Ρ': 'p', 'Τ': 't', 'Υ': 'y', 'Χ': 'x',
}

type folded struct {
	r, extra rune
	cls      runeClass
}

// foldTable holds the folds that Unicode decomposition and lower-casing do
// not provide: letters without a decomposition, and the Arabic-script
// letters that differ between Arabic, Persian, Sorani and Pashto keyboards
// but that people use interchangeably.
var foldTable = map[rune]folded{
	// Turkish dotless i is folded with the confusables below; İ
	// decomposes to I + combining dot.
	'ß': {'s', 's', classWord},
	'ς': {'σ', 0, classWord},
	'đ': {'d', 0, classWord},
	'ð': {'d', 0, classWord},
	'ł': {'l', 0, classWord},
	'ø': {'o', 0, classWord},
	'ħ': {'h', 0, classWord},
	'æ': {'a', 'e', classWord},
	'œ': {'o', 'e', classWord},

	// Cyrillic and Greek letters that look like Latin ones (the Latin part
	// of Unicode TR39's confusables), so that "smuggler" typed with a
	// Cyrillic "е" or Greek "ο" is still "smuggler". Whole words in those
	// scripts become Latin-looking nonsense that matches no term.
	'а': {'a', 0, classWord}, 'е': {'e', 0, classWord}, 'о': {'o', 0, classWord},
	'р': {'p', 0, classWord}, 'с': {'c', 0, classWord}, 'у': {'y', 0, classWord},
	'х': {'x', 0, classWord}, 'і': {'i', 0, classWord}, 'ј': {'j', 0, classWord},
	'ѕ': {'s', 0, classWord}, 'һ': {'h', 0, classWord}, 'ԁ': {'d', 0, classWord},
	'ӏ': {'l', 0, classWord}, 'ԛ': {'q', 0, classWord}, 'ԝ': {'w', 0, classWord},
	'ο': {'o', 0, classWord}, 'α': {'a', 0, classWord}, 'ι': {'i', 0, classWord},
	'κ': {'k', 0, classWord}, 'ν': {'v', 0, classWord}, 'ρ': {'p', 0, classWord},
	'υ': {'u', 0, classWord}, 'χ': {'x', 0, classWord}, 'τ': {'t', 0, classWord},
	'ɡ': {'g', 0, classWord}, 'ı': {'i', 0, classWord}, 'ɑ': {'a', 0, classWord},
	'ǀ': {'l', 0, classWord},
	// Lower-case Cyrillic letters shaped as Latin small capitals, folded
	// as the small capitals below are (ВОАТ typed in lower case is вoaт).
	'в': {'b', 0, classWord}, 'н': {'h', 0, classWord}, 'м': {'m', 0, classWord},
	'т': {'t', 0, classWord}, 'к': {'k', 0, classWord}, 'ь': {'b', 0, classWord},

	// Small capitals, which "fancy text" generators use for whole words
	// (ꜱᴍᴀʟʟ ʙᴏᴀᴛ) and which, unlike full-width or mathematical letters,
	// have no compatibility decomposition.
	'ᴀ': {'a', 0, classWord}, 'ʙ': {'b', 0, classWord}, 'ᴄ': {'c', 0, classWord},
	'ᴅ': {'d', 0, classWord}, 'ᴇ': {'e', 0, classWord}, 'ꜰ': {'f', 0, classWord},
	'ɢ': {'g', 0, classWord}, 'ʜ': {'h', 0, classWord}, 'ɪ': {'i', 0, classWord},
	'ᴊ': {'j', 0, classWord}, 'ᴋ': {'k', 0, classWord}, 'ʟ': {'l', 0, classWord},
	'ᴍ': {'m', 0, classWord}, 'ɴ': {'n', 0, classWord}, 'ᴏ': {'o', 0, classWord},
	'ᴘ': {'p', 0, classWord}, 'ʀ': {'r', 0, classWord}, 'ꜱ': {'s', 0, classWord},
	'ᴛ': {'t', 0, classWord}, 'ᴜ': {'u', 0, classWord}, 'ᴠ': {'v', 0, classWord},
	'ᴡ': {'w', 0, classWord}, 'ʏ': {'y', 0, classWord}, 'ᴢ': {'z', 0, classWord},

	'\u0640': {0, 0, classDrop},   // tatweel
	'\u0671': {'ا', 0, classWord}, // alef wasla
	'\u0649': {'ي', 0, classWord}, // alef maksura
	'\u06CC': {'ي', 0, classWord}, // Persian yeh
	'\u06CE': {'ي', 0, classWord}, // Sorani yeh with small v
	'\u06D0': {'ي', 0, classWord}, // Pashto yeh
	'\u06CD': {'ي', 0, classWord}, // Pashto yeh with tail
	'\u06D2': {'ي', 0, classWord}, // yeh barree
	'\u06A9': {'ك', 0, classWord}, // keheh (Persian kaf)
	'\u06AA': {'ك', 0, classWord}, // swash kaf
	'\u06AB': {'گ', 0, classWord}, // Pashto kaf with ring
	// The Maghrebi letters for a qaf said as g (Moroccan ڭ, Algerian and
	// Tunisian ڨ): الحرڭة is الحرقة, harga, as the rules spell it.
	'\u06AD': {'ق', 0, classWord}, // ng (Moroccan gaf)
	'\u06A8': {'ق', 0, classWord}, // qaf with three dots above
	'\u0629': {'ه', 0, classWord}, // teh marbuta
	'\u06D5': {'ه', 0, classWord}, // Sorani ae
	'\u06C1': {'ه', 0, classWord}, // heh goal
	'\u06BE': {'ه', 0, classWord}, // heh doachashmee
	'\u06C6': {'و', 0, classWord}, // Sorani oe
	'\u06C7': {'و', 0, classWord}, // u
	'\u0695': {'ر', 0, classWord}, // Sorani reh with small v
	'\u06B5': {'ل', 0, classWord}, // Sorani lam with small v
}

// wordStartingAt returns the index of the word that starts at byte b
// (or the first one after it) by binary search.
func (v *view) wordStartingAt(b int32) int {
	lo, hi := 0, len(v.words)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if v.words[m].start < b {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// squeezable reports whether a run of r is squeezed to one: letters are,
// digits are not (1000 is not 10). Ethiopic syllables are squeezed too,
// so ደላላ (broker) reads ደላ: people repeat syllables for emphasis, and
// terms fold the same way.
func squeezable(r rune) bool { return !isDigit(r) }

func isLowerASCII(b byte) bool { return 'a' <= b && b <= 'z' }
