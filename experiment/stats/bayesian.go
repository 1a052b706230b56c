package stats

import "math"

// Prior is a normal prior on the relative effect. The zero value is the
// flat (improper) prior, under which the posterior is just the likelihood.
type Prior struct {
	// Proper enables the prior; when false Mean and Variance are ignored.
	Proper bool
	// Mean and Variance are on the relative scale. GrowthBook's organisation
	// default, when enabled, is Mean 0 and Variance 0.09 (sd 0.3).
	Mean, Variance float64
}

// BayesOptions configures Bayesian. The zero value is a flat prior on the
// relative scale with a 95% credible interval.
type BayesOptions struct {
	Scale Scale
	Prior Prior
	// Alpha sets the credible interval to 1 − Alpha; values outside (0, 1),
	// including the zero value, mean 0.05.
	Alpha float64
	// Inverse marks a metric where lower is better (for example dismissals):
	// ChanceToWin then is P(effect < 0) and Risk is swapped.
	Inverse bool
}

// BayesResult is the Gaussian posterior of the effect of B over A and what
// the report derives from it.
//
// When the data cannot support an analysis it is the default output:
// Expected 0, interval (0, 0), SD 0, ChanceToWin 0.5 and Risk [0, 0].
type BayesResult struct {
	Expected      float64 // posterior mean
	CILow, CIHigh float64 // equal-tailed credible interval
	SD            float64 // posterior standard deviation
	ChanceToWin   float64
	// Risk is the expected loss [of choosing control, of choosing
	// treatment], in units of the chosen scale.
	Risk [2]float64
}

// Bayesian computes GrowthBook's "effect" model: a normal likelihood for
// the effect Δ with variance se², combined with opts.Prior. It returns the
// default output in the same cases as Welch, and also when a proper prior
// has a non-positive variance.
//
// For the absolute scale the relative prior is rescaled by |μA| so that one
// prior setting means the same thing on both scales.
func Bayesian(a, b Statistic, opts BayesOptions) BayesResult {
	e := newEffect(a, b, opts.Scale)
	if !e.ok {
		return defaultBayes()
	}
	mean, variance := e.delta, e.variance
	if opts.Prior.Proper {
		m0, v0 := opts.Prior.Mean, opts.Prior.Variance
		if opts.Scale == Absolute {
			ma := math.Abs(a.Mean())
			m0, v0 = m0*ma, v0*ma*ma
		}
		if !(v0 > 0) {
			return defaultBayes()
		}
		prec := 1/variance + 1/v0
		mean = (e.delta/variance + m0/v0) / prec
		variance = 1 / prec
	}
	sd := math.Sqrt(variance)
	z := normalQuantile(1 - alphaOr(opts.Alpha)/2)
	r := BayesResult{
		Expected:    mean,
		CILow:       mean - z*sd,
		CIHigh:      mean + z*sd,
		SD:          sd,
		ChanceToWin: normalCDF(mean / sd),
		Risk:        Risk(mean, sd),
	}
	if opts.Inverse {
		r.ChanceToWin = 1 - r.ChanceToWin
		r.Risk[0], r.Risk[1] = r.Risk[1], r.Risk[0]
	}
	return r
}

func defaultBayes() BayesResult { return BayesResult{ChanceToWin: 0.5} }

// Risk returns the expected loss [of choosing control, of choosing
// treatment] when the effect is N(mean, sd²): E[max(effect, 0)] and
// E[max(−effect, 0)].
//
// Beyond |mean/sd| > 37 the normal tail underflows and the closed form
// becomes 0·∞ noise, so the loss is taken as certain: [max(mean,0),
// max(−mean,0)].
func Risk(mean, sd float64) [2]float64 {
	z := mean / sd
	if math.Abs(z) > 37 {
		return [2]float64{math.Max(mean, 0), math.Max(-mean, 0)}
	}
	pdf := sd * normalPDF(z)
	return [2]float64{
		mean*normalCDF(z) + pdf,
		pdf - mean*normalCDF(-z),
	}
}
