package stats

// Statistic is what the tests need from one variant's data. It is declared
// here, by its only consumer, so that new metric types (for example a
// CUPED-adjusted mean) can be added without touching the tests.
//
// Variance is the per-unit variance σ², not the variance of the mean; the
// tests divide by Count themselves because Welch's degrees of freedom need
// the two separately.
type Statistic interface {
	Mean() float64
	Variance() float64
	Count() float64
}

var (
	_ Statistic = Proportion{}
	_ Statistic = SampleMean{}
	_ Statistic = Ratio{}
)

// Proportion is a binomial metric such as "clicked at least once": N units
// of which Sum converted.
type Proportion struct {
	N, Sum float64
}

// Mean returns Sum/N, or 0 when there are no units, so that an empty arm
// yields the default (no-evidence) result rather than NaN.
func (p Proportion) Mean() float64 {
	if p.N <= 0 {
		return 0
	}
	return p.Sum / p.N
}

// Variance returns p(1−p) without the n−1 correction, as GrowthBook does, so
// that results match its reports.
func (p Proportion) Variance() float64 {
	m := p.Mean()
	return m * (1 - m)
}

// Count returns N.
func (p Proportion) Count() float64 { return p.N }

// SampleMean is a count or revenue metric given by its first two sums.
type SampleMean struct {
	N, Sum, SumSquares float64
}

// Mean returns Sum/N, or 0 when there are no units.
func (s SampleMean) Mean() float64 {
	if s.N <= 0 {
		return 0
	}
	return s.Sum / s.N
}

// Variance returns the unbiased sample variance, and 0 when N ≤ 1 because
// one unit carries no information about spread; a zero variance makes the
// tests return their default output instead of dividing by zero.
func (s SampleMean) Variance() float64 {
	return sampleVariance(s.N, s.Sum, s.SumSquares)
}

// Count returns N.
func (s SampleMean) Count() float64 { return s.N }

// Moments holds the sum and sum of squares of one metric over the units.
type Moments struct {
	Sum, SumSquares float64
}

// Ratio is a metric whose unit of analysis is finer than the unit of
// randomisation, such as clicks per impression when users are randomised.
// Treating impressions as independent would understate the variance, so
// Variance uses the delta method over the N randomised units: M is the
// numerator, D the denominator and SumMD the sum over units of m·d.
type Ratio struct {
	N     float64
	M, D  Moments
	SumMD float64
}

// Mean returns M.Sum/D.Sum, or 0 when the denominator is 0.
func (r Ratio) Mean() float64 {
	if r.D.Sum == 0 {
		return 0
	}
	return r.M.Sum / r.D.Sum
}

// Variance returns the delta-method variance of the ratio per randomised
// unit:
//
//	σm²/μd² + σd²·μm²/μd⁴ − 2·cov(m,d)·μm/μd³
//
// with μ the per-unit means and σ², cov the n−1 sample (co)variances. It
// returns 0 when N ≤ 1 or the denominator mean is 0, where the ratio has no
// usable variance.
func (r Ratio) Variance() float64 {
	if r.N <= 1 || r.D.Sum == 0 {
		return 0
	}
	mm := r.M.Sum / r.N
	md := r.D.Sum / r.N
	vm := sampleVariance(r.N, r.M.Sum, r.M.SumSquares)
	vd := sampleVariance(r.N, r.D.Sum, r.D.SumSquares)
	cov := (r.SumMD - r.M.Sum*r.D.Sum/r.N) / (r.N - 1)
	return vm/(md*md) + vd*mm*mm/(md*md*md*md) - 2*cov*mm/(md*md*md)
}

// Count returns N, the number of randomised units.
func (r Ratio) Count() float64 { return r.N }

func sampleVariance(n, sum, ss float64) float64 {
	if n <= 1 {
		return 0
	}
	return (ss - sum*sum/n) / (n - 1)
}
