package match

import (
	"testing"
	"unicode/utf8"
)

// TestTypoFilterKeepsWhatLookupsFind checks the filter in front of the
// deletion lookups against every typo the lookups are meant to find:
// for each vocabulary word (Latin, Arabic, Ethiopic; six to eleven
// letters), every form with one letter changed, added or dropped or two
// neighbours swapped, and for words of nine or more letters every form
// with two letters dropped or one dropped and one changed. Each must be
// corrected back. The filter is what used to miss a swap of the two
// middle letters of a six-letter word and two edits at both ends of a
// long one.
func TestTypoFilterKeepsWhatLookupsFind(t *testing.T) {
	vocab := []string{"bateau", "smugler", "passeport", "guarantexd", "qacaxciliq", "مهربين", "بريطانيا", "الاوروبية", "ኮንቴይነር", "ኮንትሮባንዲስት"}
	set := map[string]uint32{}
	for _, w := range vocab {
		set[w] = 1
	}
	fx := newFuzzyIndex(set, nil)
	const sub = 'ж' // a letter in no vocabulary word
	edits1 := func(w []rune) [][]rune {
		var out [][]rune
		for i := range w {
			out = append(out, del(w, i))
			c := append([]rune(nil), w...)
			c[i] = sub
			out = append(out, c)
			out = append(out, ins(w, i, sub))
			if i+1 < len(w) && w[i] != w[i+1] {
				s := append([]rune(nil), w...)
				s[i], s[i+1] = s[i+1], s[i]
				out = append(out, s)
			}
		}
		return append(out, ins(w, len(w), sub))
	}
	tried := 0
	for _, v := range vocab {
		w := []rune(v)
		forms := edits1(w)
		if len(w) >= fuzzyMin2 {
			for i := range w {
				d := del(w, i)
				for j := range d {
					forms = append(forms, del(d, j))
					c := append([]rune(nil), d...)
					c[j] = sub
					forms = append(forms, c)
				}
			}
		}
		for _, f := range forms {
			s := string(f)
			if utf8.RuneCountInString(s) < fuzzyMin1-1 {
				continue
			}
			tried++
			if c, known := fx.correct([]byte(s), 0); c != v && !known {
				t.Errorf("%q (from %q): corrected to %q; want %q", s, v, c, v)
			}
		}
	}
	if tried < 1000 {
		t.Fatalf("only %d forms tried", tried)
	}
}

func del(w []rune, i int) []rune {
	return append(append([]rune(nil), w[:i]...), w[i+1:]...)
}

func ins(w []rune, i int, r rune) []rune {
	out := append([]rune(nil), w[:i]...)
	return append(append(out, r), w[i:]...)
}
