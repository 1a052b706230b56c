package experiment

// Range is a half-open interval [Start, End) of hash values that map to
// one variant.
type Range struct{ Start, End float64 }

// contains reports whether n falls in r. The end is excluded so that
// adjacent ranges never both claim a boundary value.
func (r Range) contains(n float64) bool {
	return n >= r.Start && n < r.End
}

// BucketRanges splits [0, 1) into one range per variant. Each variant owns
// a slice of width equal to its weight, starting where the previous one
// ended, and only the first coverage fraction of that slice is used. Fixing
// each variant's start this way means that raising coverage adds subjects
// to an experiment without moving anyone already in it to another variant.
//
// Coverage is clamped to [0, 1] (NaN counts as 0). Weights whose length is
// not numVariations, or whose sum is outside [0.99, 1.01], are replaced by
// equal weights, as GrowthBook does; the tolerance absorbs rounding in
// weights typed as percentages. Negative weights are not rejected here, to
// stay compatible: Validate reports them instead.
func BucketRanges(numVariations int, coverage float64, weights []float64) []Range {
	switch {
	case !(coverage > 0):
		coverage = 0
	case coverage > 1:
		coverage = 1
	}
	if !weightsUsable(numVariations, weights) {
		weights = EqualWeights(numVariations)
	}
	ranges := make([]Range, len(weights))
	var cumulative float64
	for i, w := range weights {
		start := cumulative
		cumulative += w
		ranges[i] = Range{Start: start, End: start + coverage*w}
	}
	return ranges
}

func weightsUsable(numVariations int, weights []float64) bool {
	if len(weights) != numVariations {
		return false
	}
	var sum float64
	for _, w := range weights {
		sum += w
	}
	return sum >= 0.99 && sum <= 1.01
}

// ChooseVariation returns the index of the first range containing n, or -1
// when n falls in none of them, which is how a hash outside coverage shows.
// A zero-width range, from a zero weight or zero coverage, contains no value
// and so never takes a subject.
func ChooseVariation(n float64, ranges []Range) int {
	for i, r := range ranges {
		if r.contains(n) {
			return i
		}
	}
	return -1
}

// EqualWeights returns n weights of 1/n each, or an empty slice when n < 1.
func EqualWeights(n int) []float64 {
	if n < 1 {
		return []float64{}
	}
	weights := make([]float64, n)
	for i := range weights {
		weights[i] = 1 / float64(n)
	}
	return weights
}

// Namespace reserves the part [Start, End) of a shared hash space for one
// experiment, so that experiments given disjoint parts of the same
// namespace ID never enrol the same subject.
type Namespace struct {
	ID         string
	Start, End float64
}

// InNamespace reports whether userID falls in the namespace's part of its
// hash space. The hash is version 1 with seed "__" + ID, as GrowthBook
// defines it, so namespaces split users the same way in every SDK and are
// independent of any experiment's own seed.
func InNamespace(userID string, ns Namespace) bool {
	n, _ := Hash("__"+ns.ID, userID, 1)
	return n >= ns.Start && n < ns.End
}
