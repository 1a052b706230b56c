package stats

import "math"

// Alternative is the alternative hypothesis of a frequentist test. The zero
// value is TwoSided.
type Alternative int

const (
	// TwoSided tests whether B differs from A in either direction.
	TwoSided Alternative = iota
	// Greater tests only whether B is better than A. Use it only when it was
	// chosen before looking at the data; its interval is (low, +Inf).
	Greater
)

// Options configures Welch. The zero value is a two-sided test on the
// relative scale at α = 0.05.
type Options struct {
	Scale       Scale
	Alternative Alternative
	// Alpha is the significance level; values outside (0, 1), including
	// the zero value, mean 0.05.
	Alpha float64
}

// Result is the outcome of a frequentist test on the chosen scale.
//
// When the data cannot support a test (see Welch) Result is the "default
// output": Expected 0, interval (0, 0), SE 0 and PValue 1, which reads as
// "no evidence" rather than an error so that a report can still render.
type Result struct {
	Expected float64 // estimated effect of B over A
	CILow    float64
	CIHigh   float64 // +Inf for a one-sided test
	SE       float64 // standard error of Expected
	PValue   float64
}

// defaultResult is the "no evidence" output.
func defaultResult() Result { return Result{PValue: 1} }

// Welch compares treatment b against control a with Welch's unequal-variance
// t-test. It uses t rather than z because small arms are common in signpost
// experiments and the normal approximation would overstate significance.
//
// Welch returns the default output when either arm has no positive
// variance, the effect variance is not positive, or the control mean is 0
// (on either scale, as GrowthBook does).
//
// The p-value is computed on the chosen scale, so the relative and absolute
// p-values of the same data differ.
func Welch(a, b Statistic, opts Options) Result {
	e := newEffect(a, b, opts.Scale)
	if !e.ok {
		return defaultResult()
	}
	alpha := alphaOr(opts.Alpha)
	nu := welchDF(a, b)
	se := math.Sqrt(e.variance)
	t := e.delta / se
	r := Result{Expected: e.delta, SE: se}
	if opts.Alternative == Greater {
		if t >= 0 {
			r.PValue = tTail(t, nu)
		} else {
			r.PValue = 1 - tTail(-t, nu)
		}
		r.CILow = e.delta - tQuantile(1-alpha, nu)*se
		r.CIHigh = math.Inf(1)
		return r
	}
	r.PValue = 2 * tTail(math.Abs(t), nu)
	w := tQuantile(1-alpha/2, nu) * se
	r.CILow, r.CIHigh = e.delta-w, e.delta+w
	return r
}
