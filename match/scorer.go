package match

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"unicode/utf8"
)

// A Scorer is a linear model over the words of a text's main view: its
// words, pairs of neighbouring words and four-letter pieces of words,
// hashed into a table of weights. The rules fire on combinations their
// writers foresaw; the scorer adds up evidence from words no rule pairs
// (a price, a sea, a country, a "how much" in any of the languages), so
// it catches phrasings nobody wrote a rule for. It is trained on the
// labelled texts of rules/testdata (`signpost rules train`). It decides
// the texts no rule matched; a rule's match, with its id and category,
// stands unless the scorer reads the text as plainly benign (under its
// veto: news and rescue posts that put the rules' terms side by side).
//
// The scorer reads the view the rules read (leetspeak, spaced letters
// and hashtags already undone), so evasions reach it undone too. Its
// pieces of words carry it across inflections and typos the rules would
// need a term for.
type Scorer struct {
	bits, catBits uint8
	// threshold is the logit a text's score must reach to match; a
	// rule's match on a text that scores under veto is suppressed.
	threshold, veto float32
	scale           float32
	weights         []int16
	// cats are the categories the scorer assigns (indices into
	// Categories), with one table each; a text gets the category whose
	// table scores it highest.
	cats     []uint8
	catScale float32
	catW     [][]int16
	// ruleIDs are the rule ids of matches, by position in cats.
	ruleIDs []string
	// trained identifies the training data (see TrainingDigest).
	trained string
	version string
}

// ScorerFile is the name of the scorer in a rules directory.
const ScorerFile = "scorer.bin"

// scorerMagic starts a scorer file; the digit is the feature version:
// a change to the features must change it, as old weights would then
// score the wrong things.
const scorerMagic = "spscore3"

// ScorerRulePrefix starts the rule id of a scorer match: scorer.crossing.
const ScorerRulePrefix = "scorer."

// LoadScorer reads ScorerFile from fsys, or returns nil when there is
// none: a rules directory without one is matched by its rules alone.
func LoadScorer(fsys fs.FS) (*Scorer, error) {
	data, err := fs.ReadFile(fsys, ScorerFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load scorer: %w", err)
	}
	s, err := ParseScorer(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ScorerFile, err)
	}
	return s, nil
}

// ParseScorer decodes a scorer written by MarshalBinary.
func ParseScorer(data []byte) (*Scorer, error) {
	r := bytes.NewReader(data)
	magic := make([]byte, len(scorerMagic))
	if _, err := r.Read(magic); err != nil || string(magic) != scorerMagic {
		return nil, errors.New("not a scorer file of this version (retrain it with `signpost rules train`)")
	}
	var hdr struct {
		Bits, CatBits, NCats, _          uint8
		Threshold, Veto, Scale, CatScale float32
		Trained                          [16]byte
	}
	if err := binary.Read(r, binary.LittleEndian, &hdr); err != nil {
		return nil, fmt.Errorf("scorer header: %w", err)
	}
	if hdr.Bits < 8 || hdr.Bits > 20 || hdr.CatBits < 8 || hdr.CatBits > hdr.Bits || hdr.NCats == 0 || int(hdr.NCats) > len(Categories) {
		return nil, fmt.Errorf("scorer header: bad sizes (%d, %d, %d)", hdr.Bits, hdr.CatBits, hdr.NCats)
	}
	s := &Scorer{bits: hdr.Bits, catBits: hdr.CatBits, threshold: hdr.Threshold, veto: hdr.Veto, scale: hdr.Scale, catScale: hdr.CatScale,
		trained: hex.EncodeToString(hdr.Trained[:])}
	for range hdr.NCats {
		c, err := r.ReadByte()
		if err != nil || int(c) >= len(Categories) {
			return nil, errors.New("scorer categories: bad index")
		}
		s.cats = append(s.cats, c)
		s.ruleIDs = append(s.ruleIDs, ScorerRulePrefix+Categories[c])
	}
	s.weights = make([]int16, 1<<s.bits)
	if err := binary.Read(r, binary.LittleEndian, s.weights); err != nil {
		return nil, fmt.Errorf("scorer weights: %w", err)
	}
	for range s.cats {
		w := make([]int16, 1<<s.catBits)
		if err := binary.Read(r, binary.LittleEndian, w); err != nil {
			return nil, fmt.Errorf("scorer category weights: %w", err)
		}
		s.catW = append(s.catW, w)
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("scorer: %d bytes after the weights", r.Len())
	}
	if math.IsNaN(float64(s.threshold)) || math.IsNaN(float64(s.veto)) || math.IsNaN(float64(s.scale)) || math.IsNaN(float64(s.catScale)) {
		return nil, errors.New("scorer header: not a number")
	}
	if s.veto >= s.threshold {
		return nil, errors.New("scorer header: the veto is not below the threshold")
	}
	sum := sha256.Sum256(data)
	s.version = hex.EncodeToString(sum[:6])
	return s, nil
}

// MarshalBinary encodes s as ParseScorer reads it.
func (s *Scorer) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(scorerMagic)
	trained, err := hex.DecodeString(s.trained)
	if err != nil || len(trained) != 16 {
		return nil, errors.New("scorer: bad training digest")
	}
	hdr := struct {
		Bits, CatBits, NCats, _          uint8
		Threshold, Veto, Scale, CatScale float32
		Trained                          [16]byte
	}{Bits: s.bits, CatBits: s.catBits, NCats: uint8(len(s.cats)), Threshold: s.threshold, Veto: s.veto, Scale: s.scale, CatScale: s.catScale}
	copy(hdr.Trained[:], trained)
	_ = binary.Write(&b, binary.LittleEndian, hdr)
	b.Write(s.cats)
	_ = binary.Write(&b, binary.LittleEndian, s.weights)
	for _, w := range s.catW {
		_ = binary.Write(&b, binary.LittleEndian, w)
	}
	return b.Bytes(), nil
}

// Trained returns the digest of the data s was trained on (see
// TrainingDigest), so a test can tell a scorer trained on older data.
func (s *Scorer) Trained() string { return s.trained }

// Threshold is the probability a text's score must reach to match.
func (s *Scorer) Threshold() float64 { return sigmoid(float64(s.threshold)) }

// Veto is the probability under which the scorer suppresses a rule's
// match.
func (s *Scorer) Veto() float64 { return sigmoid(float64(s.veto)) }

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// Feature hashing: each feature is a 64-bit multiplicative hash of a
// tag and runes (xor, then multiply by an odd constant, FNV's way with
// one step per rune rather than per byte), whose high half indexes the
// weights. The tags keep a word and a piece of the same letters apart.
const (
	mixK = 0x9E3779B97F4A7C15

	featKind = 1
	featWord = 2
	featPair = 3
	featGram = 4
	// gramStart and gramEnd mark the start and end of a word in its
	// pieces (^kac and ci$ are not a kac or a ci inside a word); no rune
	// of a view's word is either.
	gramStart, gramEnd = 1, 2
)

func mix(h uint64, x uint32) uint64 { return (h ^ uint64(x)) * mixK }

func featHash(h uint64) uint32 { return uint32(h >> 32) }

// features appends to feats the feature hashes of v's words, and to from
// the index of the word each came from (-1 for the kind's). scoreView is
// the same features summed, without the slices; the two must agree.
func features(v *view, kind Kind, feats []uint32, from []int32) ([]uint32, []int32) {
	feats = append(feats, featHash(mix(featKind, uint32(kind))))
	from = append(from, -1)
	var prev uint32
	prevWord := int32(-1)
	for i, w := range v.words {
		b := v.buf[w.start:w.end]
		if len(b) == 0 {
			continue
		}
		// The pieces of four runes of ^word$, as a window sliding over
		// the runes; then the word, then the pair with the word before.
		word := uint64(featWord)
		r0, r1, r2 := uint32(0), uint32(0), uint32(gramStart)
		n := 1
		for j := 0; j <= len(b); {
			r := uint32(gramEnd)
			if j < len(b) {
				if b[j] < utf8.RuneSelf {
					r = uint32(b[j])
					j++
				} else {
					c, size := utf8.DecodeRune(b[j:])
					r = uint32(c)
					j += size
				}
				word = mix(word, r)
			} else {
				j++
			}
			if n++; n >= 4 {
				feats = append(feats, featHash(mix(mix(mix(mix(featGram, r0), r1), r2), r)))
				from = append(from, int32(i))
			}
			r0, r1, r2 = r1, r2, r
		}
		wh := featHash(word)
		feats = append(feats, wh)
		from = append(from, int32(i))
		if prevWord >= 0 {
			feats = append(feats, featHash(mix(mix(featPair, prev), wh)))
			from = append(from, prevWord)
		}
		prev, prevWord = wh, int32(i)
	}
	return feats, from
}

// scoreView is the logit of v's features (see features), summed as they
// are hashed: the hot path's scoring, with nothing written.
func (s *Scorer) scoreView(v *view, kind Kind) float32 {
	mask := uint32(1)<<s.bits - 1
	wt := s.weights
	sum := int64(wt[featHash(mix(featKind, uint32(kind)))&mask])
	var prev uint32
	havePrev := false
	for _, w := range v.words {
		b := v.buf[w.start:w.end]
		if len(b) == 0 {
			continue
		}
		word := uint64(featWord)
		r0, r1, r2 := uint32(0), uint32(0), uint32(gramStart)
		n := 1
		for j := 0; j <= len(b); {
			r := uint32(gramEnd)
			if j < len(b) {
				if b[j] < utf8.RuneSelf {
					r = uint32(b[j])
					j++
				} else {
					c, size := utf8.DecodeRune(b[j:])
					r = uint32(c)
					j += size
				}
				word = mix(word, r)
			} else {
				j++
			}
			if n++; n >= 4 {
				sum += int64(wt[featHash(mix(mix(mix(mix(featGram, r0), r1), r2), r))&mask])
			}
			r0, r1, r2 = r1, r2, r
		}
		wh := featHash(word)
		sum += int64(wt[wh&mask])
		if havePrev {
			sum += int64(wt[featHash(mix(mix(featPair, prev), wh))&mask])
		}
		prev, havePrev = wh, true
	}
	return float32(sum) * s.scale
}

// logit is the score of the features.
func (s *Scorer) logit(feats []uint32) float32 {
	mask := uint32(1)<<s.bits - 1
	var sum int64
	for _, f := range feats {
		sum += int64(s.weights[f&mask])
	}
	return float32(sum) * s.scale
}

// category picks the index into s.cats whose table scores feats highest.
func (s *Scorer) category(feats []uint32) int {
	mask := uint32(1)<<s.catBits - 1
	best, bestSum := 0, int64(math.MinInt64)
	for c, w := range s.catW {
		var sum int64
		for _, f := range feats {
			sum += int64(w[f&mask])
		}
		if sum > bestSum {
			best, bestSum = c, sum
		}
	}
	return best
}

// ScoreExplanation is the scorer's reading of a text, in explain output.
type ScoreExplanation struct {
	// Probability is the scorer's estimate that the text is about an
	// irregular crossing, a smuggler or false documents; it matches at
	// Threshold or above, when no rule matched.
	Probability float64 `json:"probability"`
	Threshold   float64 `json:"threshold"`
	Category    string  `json:"category"`
	// Words are the words that weighed most towards a match.
	Words []Span `json:"words,omitempty"`
}

// explain reads feats (from word indexes from) of view v of text.
func (s *Scorer) explain(feats []uint32, from []int32, v *view, text string) *ScoreExplanation {
	// Four decimals: the weights are quantised, and the threshold is
	// stored as a float32 logit, so further digits are noise.
	round := func(x float64) float64 { return math.Round(x*1e4) / 1e4 }
	ex := &ScoreExplanation{Probability: round(sigmoid(float64(s.logit(feats)))), Threshold: round(s.Threshold())}
	if len(s.cats) > 0 {
		ex.Category = Categories[s.cats[s.category(feats)]]
	}
	mask := uint32(1)<<s.bits - 1
	weight := make([]float64, len(v.words))
	for i, f := range feats {
		if from[i] >= 0 {
			weight[from[i]] += float64(s.weights[f&mask]) * float64(s.scale)
		}
	}
	order := make([]int, len(v.words))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(weight[b], weight[a]) })
	var top []int
	for _, i := range order {
		if len(top) == 3 || weight[i] <= 0 {
			break
		}
		top = append(top, i)
	}
	slices.Sort(top)
	for _, i := range top {
		w := v.words[i]
		ex.Words = append(ex.Words, Span{Start: int(w.origS), End: int(w.origE), Text: text[w.origS:w.origE]})
	}
	return ex
}
