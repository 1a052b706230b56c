package match

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// Example is a labelled text to train a Scorer on.
type Example struct {
	Text  string
	Kind  Kind
	Match bool
	// Category is the category of a text that should match, when known
	// ("" otherwise): only these teach the scorer its categories.
	Category string
}

// TrainOptions are the scorer's training settings; the zero value is the
// shipped scorer's.
type TrainOptions struct {
	// Threshold is the probability at which a text matches (default
	// 0.7: on texts of writers the training never saw, each tenth below
	// 0.8 found about 1.3 more positives in 100 for 0.3 more false
	// positives in 100, and 0.7 keeps the false-positive rate of the
	// hardest sets under 0.02).
	Threshold float64
	// Veto is the probability under which a rule's match is suppressed
	// (default 0.01: on texts of unseen writers, half the false
	// positives of the rules and the scorer together, most of them news
	// and NGO posts, went, and no positive; 0.02 took one more false
	// positive, and on a blind set two positives).
	Veto float64
}

const (
	trainBits    = 18 // 512 KB of weights: the table stays in cache
	trainCatBits = 15
	trainEpochs  = 8
	trainRate    = 0.1
	trainL2      = 1e-5
	trainBags    = 4
)

// TrainingDigest identifies a training set: the scorer keeps it, so a
// test can tell that the labelled texts changed since it was trained.
func TrainingDigest(examples []Example) string {
	h := sha256.New()
	for _, e := range examples {
		fmt.Fprintf(h, "%d\x00%t\x00%s\x00%s\x00", e.Kind, e.Match, e.Category, e.Text)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Train fits a Scorer to examples, reading each text as m reads it (the
// views m builds depend on its rules' vocabulary). It is deterministic:
// the same examples and rules give the same scorer.
func Train(m *Matcher, examples []Example, opt TrainOptions) (*Scorer, error) {
	if opt.Threshold == 0 {
		opt.Threshold = 0.7
	}
	if opt.Veto == 0 {
		opt.Veto = 0.01
	}
	if opt.Threshold <= 0 || opt.Threshold >= 1 {
		return nil, fmt.Errorf("train: threshold %v is not a probability", opt.Threshold)
	}
	if opt.Veto < 0 || opt.Veto >= opt.Threshold {
		return nil, fmt.Errorf("train: veto %v is not a probability under the threshold", opt.Veto)
	}
	var pos, neg int
	for _, e := range examples {
		if e.Match {
			pos++
		} else {
			neg++
		}
		if e.Category != "" && !slices.Contains(Categories, e.Category) {
			return nil, fmt.Errorf("train: unknown category %q", e.Category)
		}
	}
	if pos == 0 || neg == 0 {
		return nil, errors.New("train: need texts that match and texts that do not")
	}
	feats := make([][]uint32, len(examples))
	sc := m.pool.Get().(*scratch)
	for i, e := range examples {
		m.run(Query{Text: e.Text, Kind: e.Kind}, sc)
		sc.feats, sc.featFrom = features(&sc.views[sc.main], e.Kind, sc.feats[:0], sc.featFrom[:0])
		feats[i] = slices.Clone(sc.feats)
	}
	m.pool.Put(sc)

	rng := rand.New(rand.NewPCG(1, 2))
	labels := make([]float64, len(examples))
	for i, e := range examples {
		if e.Match {
			labels[i] = 1
		}
	}
	all := make([]int, len(examples))
	for i := range all {
		all[i] = i
	}
	w, g := fitMean(feats, labels, all, trainBits, rng, trainBags)
	threshold := logOdds(opt.Threshold)
	mineNegatives(feats, labels, w, g, trainBits, threshold)
	s := &Scorer{bits: trainBits, catBits: trainCatBits, threshold: float32(threshold), veto: float32(logOdds(opt.Veto)),
		trained: TrainingDigest(examples)}
	s.scale = scaleOf(w)
	s.weights = quantize(w, s.scale)

	// One table per category, each fitted on the matching texts of known
	// category: its own against the others'.
	var known []int
	for i, e := range examples {
		if e.Match && e.Category != "" {
			known = append(known, i)
		}
	}
	var catFloat [][]float64
	for ci, c := range Categories {
		catLabels := make([]float64, len(examples))
		n := 0
		for _, i := range known {
			if examples[i].Category == c {
				catLabels[i] = 1
				n++
			}
		}
		if n == 0 {
			continue
		}
		s.cats = append(s.cats, uint8(ci))
		cw, _ := fit(feats, catLabels, known, trainCatBits, rng)
		catFloat = append(catFloat, cw)
	}
	if len(s.cats) == 0 {
		return nil, errors.New("train: no matching text has a category")
	}
	// The category tables share one scale, so that their sums compare.
	s.catScale = scaleOf(slices.Concat(catFloat...))
	for _, cw := range catFloat {
		s.catW = append(s.catW, quantize(cw, s.catScale))
	}
	data, err := s.MarshalBinary()
	if err != nil {
		return nil, err
	}
	// Reading back what a file holds derives the rest (the version, the
	// rule ids) in one place.
	return ParseScorer(data)
}

// logOdds is the logit of probability p.
func logOdds(p float64) float64 { return math.Log(p / (1 - p)) }

// fitMean is fit repeated n times, each over its own shuffles of the
// texts (rng moves on between them), returning the mean of the weights
// and of the AdaGrad accumulators. One fit's false positives on texts of
// unseen writers moved by half when 360 texts were added to 49,000, by
// the order alone; the mean holds still. The accumulators are averaged
// too because the hard-negative steps that follow (mineNegatives) go on
// from them: their step sizes are those of a typical fit, not of the
// last one.
func fitMean(feats [][]uint32, labels []float64, idx []int, bits uint8, rng *rand.Rand, n int) (w, g []float64) {
	w, g = fit(feats, labels, idx, bits, rng)
	for range n - 1 {
		w2, g2 := fit(feats, labels, idx, bits, rng)
		for k := range w {
			w[k] += w2[k]
			g[k] += g2[k]
		}
	}
	for k := range w {
		w[k] /= float64(n)
		g[k] /= float64(n)
	}
	return w, g
}

// fit is logistic regression over hashed features by stochastic gradient
// descent with per-weight (AdaGrad) steps and a little L2, over the
// examples in idx.
func fit(feats [][]uint32, labels []float64, idx []int, bits uint8, rng *rand.Rand) (w, g []float64) {
	w = make([]float64, 1<<bits)
	g = make([]float64, 1<<bits)
	order := slices.Clone(idx)
	for range trainEpochs {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			step(feats[i], labels[i], w, g, bits)
		}
	}
	return w, g
}

// step is one gradient step on one example; it returns the example's
// logit before the step.
func step(feats []uint32, label float64, w, g []float64, bits uint8) float64 {
	mask := uint32(1)<<bits - 1
	z := logit(feats, w, bits)
	d := sigmoid(z) - label
	for _, f := range feats {
		k := f & mask
		gr := d + trainL2*w[k]
		g[k] += gr * gr
		w[k] -= trainRate * gr / math.Sqrt(g[k]+1e-8)
	}
	return z
}

func logit(feats []uint32, w []float64, bits uint8) float64 {
	mask := uint32(1)<<bits - 1
	var z float64
	for _, f := range feats {
		z += w[f&mask]
	}
	return z
}

// mineNegatives steps on the texts that must not match but score near
// the threshold or above, until none does (or a bound): a labelled
// negative, a line of the benign corpus, is a promise, and the
// linter's and the editors' checks rely on the labelled texts being
// answered as labelled.
func mineNegatives(feats [][]uint32, labels []float64, w, g []float64, bits uint8, threshold float64) {
	// A quarter of a logit of room for quantising and for later steps:
	// a whole logit cost a point of recall on texts of unseen writers
	// for two fewer false positives in 2,100.
	const margin = 0.25
	for range 50 {
		hard := 0
		for i, f := range feats {
			if labels[i] != 0 {
				continue
			}
			if logit(f, w, bits) >= threshold-margin {
				step(f, 0, w, g, bits)
				hard++
			}
		}
		if hard == 0 {
			return
		}
	}
}

// scaleOf is the scale that maps the largest of w to the largest int16.
func scaleOf(w []float64) float32 {
	var top float64
	for _, x := range w {
		top = max(top, math.Abs(x))
	}
	if top == 0 {
		return 1
	}
	return float32(top / math.MaxInt16)
}

// quantize maps weights to int16 at scale.
func quantize(w []float64, scale float32) []int16 {
	q := make([]int16, len(w))
	for i, x := range w {
		q[i] = int16(max(math.MinInt16, min(math.MaxInt16, math.Round(x/float64(scale)))))
	}
	return q
}

// TrainingSet reads the labelled texts a scorer is trained on from a
// rules directory: testdata/cases/*.tsv (label, kind, category, text),
// testdata/scorer/*.tsv (the same, for texts the rules alone get wrong:
// the cases are also the rule files' samples, which the rules alone must
// get right), the used holdout sets, testdata/holdout-used/*/*.tsv (label, kind,
// text), and the benign corpus, testdata/benign/*.txt (one text per
// line, none of which may match, as a search or as a post). The blind
// sets (testdata/holdout, testdata/holdout-next) are never read: they
// measure the scorer on texts it has not seen.
func TrainingSet(fsys fs.FS) ([]Example, error) {
	var out []Example
	labelled := func(name string, data []byte) error {
		ex, err := ParseExamples(name, data)
		out = append(out, ex...)
		return err
	}
	benign := func(_ string, data []byte) error {
		for line := range strings.SplitSeq(string(data), "\n") {
			line = strings.TrimSpace(line)
			if line != "" && !strings.HasPrefix(line, "#") {
				out = append(out, Example{Text: line, Kind: KindSearch}, Example{Text: line, Kind: KindView})
			}
		}
		return nil
	}
	for _, src := range []struct {
		pattern string
		read    func(name string, data []byte) error
	}{{"testdata/cases/*.tsv", labelled}, {"testdata/scorer/*.tsv", labelled}, {"testdata/holdout-used/*/*.tsv", labelled}, {"testdata/benign/*.txt", benign}} {
		names, err := fs.Glob(fsys, src.pattern)
		if err != nil {
			return nil, err
		}
		slices.Sort(names)
		for _, name := range names {
			data, err := fs.ReadFile(fsys, name)
			if err != nil {
				return nil, fmt.Errorf("training set: %w", err)
			}
			if err := src.read(name, data); err != nil {
				return nil, err
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("training set: no labelled texts under testdata/cases, testdata/scorer or testdata/holdout-used")
	}
	return out, nil
}

// ParseExamples reads labelled texts, one per line: label (1 or 0),
// kind (search or view), an optional category, and the text, separated
// by tabs. Empty lines and lines starting with # are skipped.
func ParseExamples(name string, data []byte) ([]Example, error) {
	var out []Example
	for n, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) < 3 || len(cols) > 4 || (cols[0] != "0" && cols[0] != "1") {
			return nil, fmt.Errorf("%s:%d: want label (0 or 1), kind, [category,] text separated by tabs", name, n+1)
		}
		kind, ok := ParseKind(cols[1])
		if !ok {
			return nil, fmt.Errorf("%s:%d: kind %q is not search or view", name, n+1, cols[1])
		}
		e := Example{Text: cols[len(cols)-1], Kind: kind, Match: cols[0] == "1"}
		if len(cols) == 4 && e.Match && slices.Contains(Categories, cols[2]) {
			e.Category = cols[2]
		}
		out = append(out, e)
	}
	return out, nil
}
