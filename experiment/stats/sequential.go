package stats

import "math"

// DefaultTau is GrowthBook's default tuning parameter for sequential
// testing: the total sample size at which the interval is tightest.
const DefaultTau = 5000

// SequentialOptions configures Sequential. The zero value is the relative
// scale, α = 0.05 and τ = DefaultTau.
type SequentialOptions struct {
	Scale Scale
	// Alpha is the significance level; values outside (0, 1), including
	// the zero value, mean 0.05.
	Alpha float64
	// Tau is the tuning parameter τ; values ≤ 0 mean DefaultTau.
	Tau float64
}

// Sequential returns an always-valid two-sided confidence interval and
// p-value (the asymptotic confidence sequence of Waudby-Smith et al. 2023,
// arXiv 2103.06476). Unlike Welch, its error rate holds however often the
// report is looked at while the experiment runs, which is how analysts
// actually use the dashboard; the price is a wider interval.
//
// With N = nA + nB and ρ = √((−2 ln α + ln(−2 ln α + 1))/τ):
//
//	halfwidth = √(se²N) · √(2(Nρ²+1)/(N²ρ²) · ln(√(Nρ²+1)/α))
//	p         = min(1, √(Nρ²+1) · exp(−ρ²·Δ²N/se² / (2(Nρ²+1))))
//
// It returns Welch's default output in the same cases as Welch.
func Sequential(a, b Statistic, opts SequentialOptions) Result {
	e := newEffect(a, b, opts.Scale)
	if !e.ok {
		return defaultResult()
	}
	alpha := alphaOr(opts.Alpha)
	tau := opts.Tau
	if !(tau > 0) {
		tau = DefaultTau
	}
	n := a.Count() + b.Count()
	l := -2 * math.Log(alpha)
	rho2 := (l + math.Log(l+1)) / tau
	s2 := e.variance // se²
	k := n*rho2 + 1
	half := math.Sqrt(s2*n) * math.Sqrt(2*k/(n*n*rho2)*math.Log(math.Sqrt(k)/alpha))
	p := math.Sqrt(k) * math.Exp(-rho2*(e.delta*e.delta*n/s2)/(2*k))
	return Result{
		Expected: e.delta,
		CILow:    e.delta - half,
		CIHigh:   e.delta + half,
		SE:       math.Sqrt(s2),
		PValue:   math.Min(1, p),
	}
}
