package match

import (
	"unicode/utf8"
)

// The views a text is matched in. Every text gets the canonical view;
// the others are built only when the canonical view shows the evasion
// they undo, and a view that undoes an evasion replaces the one it was
// built from (so exclusions see the undone words too).
const (
	viewCanonical = iota
	viewLeet      // digits and symbols read as letters
	viewSegmented // spaced-out letters joined, glued words (hashtags) split
	viewFuzzy     // words within a small edit distance of a term corrected
	viewArabizi   // Arabizi digits read as letters; an extra view, not a replacement
	numViews
)

// ViewNames name the views in explain output.
var ViewNames = [numViews]string{"canonical", "leet", "segmented", "fuzzy", "arabizi"}

// maxGlued bounds the length of a glued word that is segmented; longer
// ones are left whole (segmentation is quadratic in the length).
const maxGlued = 64

// needsSegmenting reports whether v has spaced-out letters or hashtags.
func (v *view) needsSegmenting() bool {
	if v.hasHashtag {
		return true
	}
	return v.hasSingleRun()
}

// segment fills v from src, joining runs of two or more one-letter words
// and splitting hashtags and joined runs into vocabulary words: "s m u g
// g l e r" and "#smugglercontact" become "smugler" and "smugler
// contact". Pieces that are not vocabulary words are kept as words of
// their own.
//
// A hashtag is re-read from the original text without squeezing, because
// squeezing across the words it glues loses letters ("#boattouk" would
// read "boatouk"); pieces are then looked up and written squeezed. tmp
// is scratch space for that reading.
func (v *view) segment(src *view, vocab *hashIndex, text string, tmp *view) {
	v.reset()
	ws := src.words
	var glued [maxGlued * 2]byte
	for i := 0; i < len(ws); {
		j := i
		for j < len(ws) && isSingle(src, ws[j]) {
			j++
		}
		if j-i < 2 {
			j = i + 1
		}
		origS, origE := ws[i].origS, ws[j-1].origE
		if j-i == 1 && !ws[i].hashtag {
			v.copyWord(src, ws[i])
			i = j
			continue
		}
		if j-i == 1 && src.mode == modeBase {
			tmp.noSqueeze = true
			tmp.normalize(text[origS:origE])
			g := glued[:0]
			for _, w := range tmp.words {
				if len(g)+int(w.end-w.start) <= len(glued) {
					g = append(g, tmp.buf[w.start:w.end]...)
				}
			}
			v.addSegments(g, vocab, origS, origE, true, true)
			i = j
			continue
		}
		g := glued[:0]
		var last rune
		for k := i; k < j; k++ {
			for _, r := range string(src.buf[ws[k].start:ws[k].end]) {
				if r == last && squeezable(r) {
					continue
				}
				last = r
				if len(g)+utf8.RuneLen(r) > len(glued) {
					break
				}
				g = utf8.AppendRune(g, r)
			}
		}
		v.addSegments(g, vocab, origS, origE, ws[i].hashtag && j-i == 1, false)
		i = j
	}
}

// copyWord appends word w of src unchanged.
func (v *view) copyWord(src *view, w word) {
	nw := w
	nw.start = int32(len(v.buf))
	v.buf = append(v.buf, src.buf[w.start:w.end]...)
	nw.end = int32(len(v.buf))
	v.buf = append(v.buf, ' ')
	v.words = append(v.words, nw)
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
// With unsqueezed, g was read without squeezing: pieces are squeezed
// before lookup and when written, as every other word is.
func (v *view) addSegments(g []byte, vocab *hashIndex, origS, origE int32, hashtag, unsqueezed bool) {
	n := len(g)
	if n == 0 {
		return
	}
	if n > maxGlued {
		v.addPiece(g, origS, origE, unsqueezed)
		return
	}
	var unknown, pieces [maxGlued + 1]int16
	var from [maxGlued + 1]int8
	var known [maxGlued + 1]bool
	for i := 1; i <= n; i++ {
		// An unknown byte extends the previous piece.
		unknown[i], pieces[i], from[i], known[i] = unknown[i-1]+1, pieces[i-1]+1, int8(i-1), false
		// Unsqueezed pieces may be longer than the squeezed vocabulary
		// word they stand for.
		reach := vocab.maxKey
		if unsqueezed {
			reach *= 2
		}
		for j := max(0, i-reach); j < i; j++ {
			piece := g[j:i]
			if unsqueezed {
				piece = squeezeInto(v.keyBuf[:0], piece)
				v.keyBuf = piece
			}
			if _, ok := vocab.lookup(piece); !ok {
				continue
			}
			if unknown[j] < unknown[i] || (unknown[j] == unknown[i] && pieces[j]+1 < pieces[i]) {
				unknown[i], pieces[i], from[i], known[i] = unknown[j], pieces[j]+1, int8(j), true
			}
		}
	}
	if !hashtag && (unknown[n] > 2 || unknown[n] > 0 && utf8.RuneCount(g) <= 3) {
		v.addPiece(g, origS, origE, unsqueezed)
		return
	}
	// Walk back to collect the cut points, then emit pieces in order,
	// merging consecutive unknown bytes into one word.
	var cuts [maxGlued + 1]int8
	var kinds [maxGlued + 1]bool
	c := 0
	for i := n; i > 0; i = int(from[i]) {
		cuts[c], kinds[c] = int8(i), known[i]
		c++
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

// squeezeInto appends b with runs of a squeezable rune squeezed to dst.
func squeezeInto(dst, b []byte) []byte {
	var last rune
	for _, r := range string(b) {
		if r == last && squeezable(r) {
			continue
		}
		last = r
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

// addPiece appends a piece of a glued word, squeezed if it was read
// without squeezing.
func (v *view) addPiece(b []byte, origS, origE int32, unsqueezed bool) {
	if unsqueezed {
		v.keyBuf = squeezeInto(v.keyBuf[:0], b)
		b = v.keyBuf
	}
	v.addWord(b, origS, origE)
}

func (v *view) addWord(b []byte, origS, origE int32) {
	// A cut inside a multi-byte rune would leave invalid UTF-8; vocabulary
	// words are whole runes, so only unknown gaps can be cut badly, and
	// those are merged back into whole runs above.
	w := word{start: int32(len(v.buf)), origS: origS, origE: origE}
	v.buf = append(v.buf, b...)
	w.end = int32(len(v.buf))
	v.buf = append(v.buf, ' ')
	v.words = append(v.words, w)
}
