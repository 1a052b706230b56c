package match

import (
	"bytes"
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
// labelled texts of rules/testdata (`signpost rules train`) and only
// decides texts no rule matched: a rule's match, with its id and
// category, always stands.
//
// The scorer reads the view the rules read (leetspeak, spaced letters
// and hashtags already undone), so evasions reach it undone too. Its
// pieces of words carry it across inflections and typos the rules would
// need a term for.
type Scorer struct {
	bits, catBits uint8
	// threshold is the logit a text's score must reach to match.
	threshold float32
	scale     float32
	weights   []int16
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
const scorerMagic = "spscore1"

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
		Bits, CatBits, NCats, _    uint8
		Threshold, Scale, CatScale float32
		Trained                    [16]byte
	}
	if err := binary.Read(r, binary.LittleEndian, &hdr); err != nil {
		return nil, fmt.Errorf("scorer header: %w", err)
	}
	if hdr.Bits < 8 || hdr.Bits > 24 || hdr.CatBits < 8 || hdr.CatBits > hdr.Bits || int(hdr.NCats) > len(Categories) {
		return nil, fmt.Errorf("scorer header: bad sizes (%d, %d, %d)", hdr.Bits, hdr.CatBits, hdr.NCats)
	}
	s := &Scorer{bits: hdr.Bits, catBits: hdr.CatBits, threshold: hdr.Threshold, scale: hdr.Scale, catScale: hdr.CatScale,
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
	if math.IsNaN(float64(s.threshold)) || math.IsNaN(float64(s.scale)) || math.IsNaN(float64(s.catScale)) {
		return nil, errors.New("scorer header: not a number")
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
		Bits, CatBits, NCats, _    uint8
		Threshold, Scale, CatScale float32
		Trained                    [16]byte
	}{Bits: s.bits, CatBits: s.catBits, NCats: uint8(len(s.cats)), Threshold: s.threshold, Scale: s.scale, CatScale: s.catScale}
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

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// Feature hashing: FNV-1a over a tag byte and the feature's bytes. The
// tags keep a word and a piece of the same letters apart.
const (
	fnvOffset = 2166136261
	fnvPrime  = 16777619

	featKind = 'k'
	featWord = 'w'
	featPair = 'b'
	featGram = 'c'
	// gramEdge marks the start and end of a word in its pieces: ^kac and
	// ci$ are not the same pieces as a kac or a ci inside a word.
	gramStart, gramEnd = 1, 2
	gramLen            = 4
)

func fnvByte(h uint32, b byte) uint32 { return (h ^ uint32(b)) * fnvPrime }

func fnvBytes(h uint32, b []byte) uint32 {
	for _, c := range b {
		h = (h ^ uint32(c)) * fnvPrime
	}
	return h
}

// features appends to feats the feature hashes of v's words, and to
// from the index of the word each came from (-1 for the kind's). runes
// is scratch space for a word's rune offsets.
func features(v *view, kind Kind, feats []uint32, from []int32, runes []int32) ([]uint32, []int32, []int32) {
	feats = append(feats, fnvByte(fnvByte(fnvOffset, featKind), byte(kind)))
	from = append(from, -1)
	prev := -1
	for i, w := range v.words {
		b := v.buf[w.start:w.end]
		if len(b) == 0 {
			continue
		}
		feats = append(feats, fnvBytes(fnvByte(fnvOffset, featWord), b))
		from = append(from, int32(i))
		if prev >= 0 {
			p := v.words[prev]
			h := fnvBytes(fnvByte(fnvOffset, featPair), v.buf[p.start:p.end])
			feats = append(feats, fnvBytes(fnvByte(h, ' '), b))
			from = append(from, int32(prev))
		}
		prev = i
		// Pieces of gramLen runes of ^word$: units are the start mark,
		// the runes, the end mark.
		runes = runes[:0]
		for j := 0; j < len(b); {
			runes = append(runes, int32(j))
			if b[j] < utf8.RuneSelf {
				j++
			} else {
				_, n := utf8.DecodeRune(b[j:])
				j += n
			}
		}
		runes = append(runes, int32(len(b)))
		units := len(runes) + 1 // runes-1 letters plus two marks
		for k := 0; k+gramLen <= units; k++ {
			h := fnvByte(fnvOffset, featGram)
			for u := k; u < k+gramLen; u++ {
				switch u {
				case 0:
					h = fnvByte(h, gramStart)
				case units - 1:
					h = fnvByte(h, gramEnd)
				default:
					h = fnvBytes(h, b[runes[u-1]:runes[u]])
				}
			}
			feats = append(feats, h)
			from = append(from, int32(i))
		}
	}
	return feats, from, runes
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
	ex := &ScoreExplanation{Probability: sigmoid(float64(s.logit(feats))), Threshold: s.Threshold()}
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
	slices.SortStableFunc(order, func(a, b int) int { return -cmpFloat(weight[a], weight[b]) })
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

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
