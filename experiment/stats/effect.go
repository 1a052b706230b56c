package stats

import "math"

// Scale says how the difference between treatment and control is expressed.
// The zero value is Relative because that is what the reports show.
type Scale int

const (
	// Relative is the lift (μB − μA)/|μA|.
	Relative Scale = iota
	// Absolute is the difference μB − μA.
	Absolute
)

// defaultAlpha is the conventional 5% significance level, used whenever a
// caller leaves Alpha at its zero value.
const defaultAlpha = 0.05

// alphaOr returns alpha, or defaultAlpha when alpha is not a usable level
// (including the zero value), so that the zero-value options are valid.
func alphaOr(alpha float64) float64 {
	if !(alpha > 0 && alpha < 1) {
		return defaultAlpha
	}
	return alpha
}

// effect holds the moments of the estimated effect of B over A that the
// frequentist and Bayesian tests share (section 1 of the cases document).
type effect struct {
	delta    float64 // point estimate
	variance float64 // variance of the estimate
	// ok is false when the data cannot support a test: a zero or negative
	// variance in either arm or overall, a zero control mean, or an arm
	// with fewer than two units. The callers
	// then return their default output instead of NaN or ±Inf.
	ok bool
}

// newEffect computes Δ and Var(Δ) on scale s. The relative variance is the
// delta method for the ratio of two independent means.
func newEffect(a, b Statistic, s Scale) effect {
	ma, mb := a.Mean(), b.Mean()
	va, vb := a.Variance(), b.Variance()
	na, nb := a.Count(), b.Count()
	// The built-in statistics already report zero variance for fewer than
	// two units; the count check keeps another Statistic from making
	// Welch's degrees of freedom divide by zero.
	if va <= 0 || vb <= 0 || ma == 0 || na <= 1 || nb <= 1 {
		return effect{}
	}
	var e effect
	if s == Absolute {
		e.delta = mb - ma
		e.variance = vb/nb + va/na
	} else {
		e.delta = (mb - ma) / math.Abs(ma)
		e.variance = vb/(nb*ma*ma) + va*mb*mb/(na*ma*ma*ma*ma)
	}
	e.ok = e.variance > 0 && !math.IsInf(e.variance, 0) && !math.IsNaN(e.variance)
	return e
}

// welchDF returns the Welch–Satterthwaite degrees of freedom. It uses the
// per-unit variances of the arms on every scale, as GrowthBook does, so the
// degrees of freedom do not depend on the scale.
func welchDF(a, b Statistic) float64 {
	ua := a.Variance() / a.Count()
	ub := b.Variance() / b.Count()
	return (ua + ub) * (ua + ub) / (ub*ub/(b.Count()-1) + ua*ua/(a.Count()-1))
}
