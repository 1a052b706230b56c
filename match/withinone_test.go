package match

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestWithinOneAgreesWithTable checks the linear distance-1 test against
// the full table on random short words over a small alphabet (so that
// near misses are common), Arabic letters included.
func TestWithinOneAgreesWithTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alpha := []rune("abcسمه")
	word := func() []rune {
		w := make([]rune, rng.IntN(8))
		for i := range w {
			w[i] = alpha[rng.IntN(len(alpha))]
		}
		return w
	}
	for range 200000 {
		a, b := word(), word()
		if rng.IntN(2) == 0 { // make near pairs frequent
			b = append([]rune(nil), a...)
			if len(b) > 0 {
				i := rng.IntN(len(b))
				switch rng.IntN(4) {
				case 0:
					b[i] = alpha[rng.IntN(len(alpha))]
				case 1:
					b = append(b[:i], b[i+1:]...)
				case 2:
					b = append(b[:i], append([]rune{alpha[rng.IntN(len(alpha))]}, b[i:]...)...)
				case 3:
					if i+1 < len(b) {
						b[i], b[i+1] = b[i+1], b[i]
					}
				}
			}
		}
		want := min(fullDistance(a, b), 2)
		if got := withinOne(a, b); got != want {
			t.Fatalf("withinOne(%q, %q) = %d, the table says %d", string(a), string(b), got, want)
		}
		if got := min(editDistance([]byte(string(a)), string(b), 1), 2); got != want {
			t.Fatalf("editDistance(%q, %q, 1) = %d, the table says %d", string(a), string(b), got, want)
		}
	}
}

// fullDistance is the optimal-string-alignment distance without limits.
func fullDistance(a, b []rune) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// stemEdit agrees with withinOne on the word's beginnings of the stem's
// length and one either side, on every word one edit or less from a
// stem with an ending, except that a word beginning with the stem itself
// has no correction.
func TestStemEditAgreesWithWithinOne(t *testing.T) {
	ref := func(rs, s []rune) int {
		if len(rs) >= len(s) && slices.Equal(rs[:len(s)], s) {
			return 0 // begins with the stem: an exact hit
		}
		for _, c := range []int{len(s), len(s) - 1, len(s) + 1} {
			if c <= len(rs) && withinOne(rs[:c], s) == 1 {
				return c
			}
		}
		return 0
	}
	const letters = "abzé"
	for _, stem := range []string{"smugler", "kacakci", "ፓስፖርት", "abab"} {
		s := []rune(stem)
		var words [][]rune
		for _, end := range []string{"", "s", "ing", "a"} {
			base := append(append([]rune(nil), s...), []rune(end)...)
			words = append(words, base)
			for i := range base {
				words = append(words, append(append([]rune(nil), base[:i]...), base[i+1:]...))
				for _, r := range letters {
					c := append([]rune(nil), base...)
					c[i] = r
					words = append(words, c)
					words = append(words, append(append(append([]rune(nil), base[:i]...), r), base[i:]...))
				}
				if i+1 < len(base) {
					c := append([]rune(nil), base...)
					c[i], c[i+1] = c[i+1], c[i]
					words = append(words, c)
				}
			}
		}
		for _, w := range words {
			if got, want := stemEdit(w, s), ref(w, s); got != want {
				t.Errorf("stemEdit(%q, %q) = %d, withinOne says %d", string(w), stem, got, want)
			}
		}
	}
}
