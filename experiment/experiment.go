package experiment

import (
	"fmt"
	"math"
	"strings"
)

// Experiment is what assignment needs to know about one A/B test.
//
// Seed decides which subjects go together: two experiments with the same
// seed and weights put every subject in the same variant of both, so give
// each experiment its own seed and keep it for the experiment's life.
// Changing it reshuffles everyone.
//
// Coverage is the fraction of subjects enrolled, from 0 to 1. Its zero
// value enrols nobody, so set it to 1 for a full experiment.
//
// Weights gives both the number of variants and each one's share of the
// enrolled subjects; variant 0 is the control.
type Experiment struct {
	Seed     string
	Coverage float64
	Weights  []float64
}

// Assign returns the variant for subject and reports whether subject is
// enrolled at all. Subjects who are not enrolled (the empty subject, those
// outside coverage, and everyone when the experiment has no variants) get
// variant 0, the control, so callers can always show the returned variant
// but must record exposure only when inExperiment is true; otherwise the
// control group would be padded with subjects who were never randomised.
//
// The empty subject is kept out because every anonymous caller would share
// it and land in one variant together, skewing the split.
//
// Assignment uses hash version 2 of Seed and subject, and the same bucket
// ranges as GrowthBook, so it agrees with GrowthBook SDKs and stays stable:
// a subject keeps its variant for as long as Seed and Weights do not
// change, and raising Coverage only adds subjects.
func (e Experiment) Assign(subject string) (variant int, inExperiment bool) {
	if subject == "" {
		return 0, false
	}
	n, _ := Hash(e.Seed, subject, 2)
	v := ChooseVariation(n, BucketRanges(len(e.Weights), e.Coverage, e.Weights))
	if v < 0 {
		return 0, false
	}
	return v, true
}

// weightSumTolerance is how far the weights may add up from 1 in Validate.
// It is tighter than the tolerance BucketRanges inherits from GrowthBook,
// so that what editors save is exact to a tenth of a percent.
const weightSumTolerance = 0.001

// ValidationError lists what is wrong with an experiment, one plain
// sentence per problem, so that an editor can be shown all of them at once
// rather than fixing one and meeting the next on the following save.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	return strings.Join(e.Problems, "\n")
}

// Validate returns a *ValidationError when the experiment would behave
// differently from what its editor intended, and nil otherwise. Assign
// tolerates every one of these problems (bad weights fall back to equal
// ones, coverage is clamped), which is why they must be caught here,
// before the experiment is saved. Variants are numbered from 0, the
// control, as Assign returns them.
func (e Experiment) Validate() error {
	var problems []string
	if !(e.Coverage >= 0 && e.Coverage <= 1) {
		problems = append(problems, fmt.Sprintf("Coverage is %s, but it must be between 0 and 1.", formatNumber(e.Coverage)))
	}
	if len(e.Weights) == 0 {
		problems = append(problems, "The experiment has no variants, but it needs at least one.")
	}
	var sum float64
	finite := true
	for i, w := range e.Weights {
		switch {
		case math.IsNaN(w) || math.IsInf(w, 0):
			finite = false
			problems = append(problems, fmt.Sprintf("Variant %d has weight %s, but weights must be numbers.", i, formatNumber(w)))
		case w < 0:
			problems = append(problems, fmt.Sprintf("Variant %d has weight %s, but weights cannot be negative.", i, formatNumber(w)))
		}
		sum += w
	}
	// The tiny extra margin accepts sums that are 0.001 away from 1 on
	// paper but slightly more in floating point.
	if len(e.Weights) > 0 && finite && math.Abs(sum-1) > weightSumTolerance+1e-12 {
		problems = append(problems, fmt.Sprintf("The weights add up to %s, but they must add up to 1.", formatNumber(sum)))
	}
	if len(problems) > 0 {
		return &ValidationError{Problems: problems}
	}
	return nil
}

// formatNumber prints x briefly, so that sums such as 0.1+0.2 read as 0.3
// rather than as their exact floating-point value.
func formatNumber(x float64) string {
	return fmt.Sprintf("%.6g", x)
}
