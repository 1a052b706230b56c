package stats

import "math"

// The distribution functions below are written from their textbook
// definitions (DLMF §8.11, §8.17) rather than taken from a library, because
// signpost uses only the standard library and the reports need the Student-t
// and χ² tails to about 1e-12.

const (
	cfEpsilon  = 1e-15  // relative convergence of series and continued fractions
	cfTiny     = 1e-300 // Lentz's guard against a zero denominator
	cfMaxSteps = 10000
)

// normalCDF returns Φ(x). Erfc keeps full relative precision in the lower
// tail, where 1 − Φ(−x) would cancel.
func normalCDF(x float64) float64 {
	return 0.5 * math.Erfc(-x/math.Sqrt2)
}

// normalPDF returns φ(x).
func normalPDF(x float64) float64 {
	return math.Exp(-0.5*x*x) / math.Sqrt(2*math.Pi)
}

// normalQuantile returns Φ⁻¹(p).
func normalQuantile(p float64) float64 {
	return math.Sqrt2 * math.Erfinv(2*p-1)
}

// regIncBeta returns the regularized incomplete beta function I_x(a, b).
// The caller passes y = 1 − x as well, computed without cancellation,
// because the Student-t tails need x close to 1 for large ν. The continued
// fraction converges fast only for x < (a+1)/(a+b+2), so on the other side
// it uses the symmetry I_x(a,b) = 1 − I_y(b,a).
func regIncBeta(x, y, a, b float64) float64 {
	switch {
	case x <= 0:
		return 0
	case y <= 0:
		return 1
	}
	front := math.Exp(a*math.Log(x) + b*math.Log(y) - logBeta(a, b))
	if x < (a+1)/(a+b+2) {
		return front * betaCF(x, a, b) / a
	}
	return 1 - front*betaCF(y, b, a)/b
}

// logBeta returns ln B(a, b). Welch's degrees of freedom run to thousands,
// where ln Γ(a+b) − ln Γ(a) subtracts two numbers near 10⁴ and would lose
// four digits; for large arguments it therefore uses Stirling's formula with
// the large terms cancelled analytically and only the small corrections
// (stirlingCorr) evaluated.
func logBeta(a, b float64) float64 {
	p, q := min(a, b), max(a, b)
	switch {
	case p >= 10:
		return -0.5*math.Log(q) + 0.5*math.Log(2*math.Pi) +
			stirlingCorr(p) + stirlingCorr(q) - stirlingCorr(p+q) +
			(p-0.5)*math.Log(p/(p+q)) + q*math.Log1p(-p/(p+q))
	case q >= 10:
		lp, _ := math.Lgamma(p)
		return lp + stirlingCorr(q) - stirlingCorr(p+q) + p - p*math.Log(p+q) +
			(q-0.5)*math.Log1p(-p/(p+q))
	}
	la, _ := math.Lgamma(a)
	lb, _ := math.Lgamma(b)
	lab, _ := math.Lgamma(a + b)
	return la + lb - lab
}

// stirlingCorr returns ln Γ(x) − ((x−½)ln x − x + ½ ln 2π) for x ≥ 10 by
// its asymptotic series (DLMF 5.11.1), which at x = 10 has converged to
// below 1e-16 by the last term kept.
func stirlingCorr(x float64) float64 {
	// Coefficients B₂ₖ/(2k(2k−1)) for k = 1…8.
	coef := [...]float64{
		1.0 / 12, -1.0 / 360, 1.0 / 1260, -1.0 / 1680,
		1.0 / 1188, -691.0 / 360360, 1.0 / 156, -3617.0 / 122400,
	}
	x2 := 1 / (x * x)
	sum, pow := 0.0, 1/x
	for _, c := range coef {
		sum += c * pow
		pow *= x2
	}
	return sum
}

// betaCF evaluates the continued fraction 1/(1+d1/(1+d2/(1+…))) of DLMF
// 8.17.22 by the modified Lentz method, where
//
//	d(2m+1) = −(a+m)(a+b+m)x / ((a+2m)(a+2m+1))
//	d(2m)   = m(b−m)x / ((a+2m−1)(a+2m))
func betaCF(x, a, b float64) float64 {
	// Terms are numbered j = 1, 2, …: a_1 = 1 and a_j = d(j−1) after it;
	// every partial denominator b_j is 1.
	f := cfTiny
	c, d := f, 0.0
	for j := 1; j <= cfMaxSteps; j++ {
		num := 1.0
		if j > 1 {
			n := float64(j - 1)
			if j%2 == 0 { // d(2m+1) with n = 2m+1
				m := (n - 1) / 2
				num = -(a + m) * (a + b + m) * x / ((a + 2*m) * (a + 2*m + 1))
			} else { // d(2m) with n = 2m
				m := n / 2
				num = m * (b - m) * x / ((a + 2*m - 1) * (a + 2*m))
			}
		}
		d = 1 + num*d
		if math.Abs(d) < cfTiny {
			d = cfTiny
		}
		c = 1 + num/c
		if math.Abs(c) < cfTiny {
			c = cfTiny
		}
		d = 1 / d
		delta := c * d
		f *= delta
		if math.Abs(delta-1) < cfEpsilon {
			break
		}
	}
	return f
}

// tTail returns P(T > t) for t ≥ 0 and ν degrees of freedom, computed
// directly as ½·I_{ν/(ν+t²)}(ν/2, ½) so that small p-values keep their
// relative precision.
func tTail(t, nu float64) float64 {
	t2 := t * t
	return 0.5 * regIncBeta(nu/(nu+t2), t2/(nu+t2), nu/2, 0.5)
}

// tCDF returns the Student-t distribution function T_ν(t).
func tCDF(t, nu float64) float64 {
	if t >= 0 {
		return 1 - tTail(t, nu)
	}
	return tTail(-t, nu)
}

// tPDF returns the Student-t density.
func tPDF(t, nu float64) float64 {
	l1, _ := math.Lgamma((nu + 1) / 2)
	l2, _ := math.Lgamma(nu / 2)
	return math.Exp(l1 - l2 - 0.5*math.Log(nu*math.Pi) - (nu+1)/2*math.Log1p(t*t/nu))
}

// tQuantile returns t with T_ν(t) = p. It solves the upper tail
// tTail(t) = min(p, 1−p) on t ≥ 0 and uses symmetry, which keeps precision
// for p near 1. The root is bracketed first and then refined by Newton steps
// that fall back to bisection whenever a step would leave the bracket, so it
// always converges, to a relative step of 1e-12 or a bracket that floating
// point cannot narrow further.
func tQuantile(p, nu float64) float64 {
	switch {
	case math.IsNaN(p) || math.IsNaN(nu) || nu <= 0 || p < 0 || p > 1:
		return math.NaN()
	case p == 0:
		return math.Inf(-1)
	case p == 1:
		return math.Inf(1)
	case p == 0.5:
		return 0
	}
	q, sign := 1-p, 1.0
	if p < 0.5 {
		q, sign = p, -1
	}
	lo, hi := 0.0, 1.0
	for tTail(hi, nu) > q {
		lo, hi = hi, 2*hi
		if math.IsInf(hi, 1) {
			return sign * hi
		}
	}
	x := (lo + hi) / 2
	for range 500 {
		f := tTail(x, nu) - q // decreasing in x
		if f == 0 {
			break
		}
		if f > 0 {
			lo = x
		} else {
			hi = x
		}
		next := x + f/tPDF(x, nu) // Newton: d tTail/dx = −pdf
		if !(next > lo && next < hi) {
			next = (lo + hi) / 2
		}
		step := math.Abs(next - x)
		x = next
		if step <= 1e-12*math.Max(1, math.Abs(x)) || hi-lo <= 1e-15*math.Max(1, hi) {
			break
		}
	}
	return sign * x
}

// regIncGammaLower returns P(a, x) by its power series (DLMF 8.11.4), which
// converges fast for x < a+1.
func regIncGammaLower(a, x float64) float64 {
	lg, _ := math.Lgamma(a + 1)
	term := 1.0
	sum := term
	for n := 1; n <= cfMaxSteps; n++ {
		term *= x / (a + float64(n))
		sum += term
		if term < sum*cfEpsilon {
			break
		}
	}
	return sum * math.Exp(a*math.Log(x)-x-lg)
}

// regIncGammaUpper returns Q(a, x) by Legendre's continued fraction
// (DLMF 8.9.2 in its even form), evaluated by the modified Lentz method;
// it converges fast for x ≥ a+1:
//
//	Q = e^{−x} x^a / Γ(a) · 1/(x+1−a − 1(1−a)/(x+3−a − 2(2−a)/(x+5−a − …)))
func regIncGammaUpper(a, x float64) float64 {
	lg, _ := math.Lgamma(a)
	b := x + 1 - a
	c := 1 / cfTiny
	d := 1 / b
	f := d
	for n := 1; n <= cfMaxSteps; n++ {
		num := -float64(n) * (float64(n) - a)
		b += 2
		d = num*d + b
		if math.Abs(d) < cfTiny {
			d = cfTiny
		}
		c = b + num/c
		if math.Abs(c) < cfTiny {
			c = cfTiny
		}
		d = 1 / d
		delta := d * c
		f *= delta
		if math.Abs(delta-1) < cfEpsilon {
			break
		}
	}
	return f * math.Exp(a*math.Log(x)-x-lg)
}

// chiSquareCDF returns F(x) of the χ² distribution with df degrees of
// freedom, P(df/2, x/2), choosing the series or the continued fraction by
// which converges faster.
func chiSquareCDF(x, df float64) float64 {
	if x <= 0 {
		return 0
	}
	a, h := df/2, x/2
	if h < a+1 {
		return regIncGammaLower(a, h)
	}
	return 1 - regIncGammaUpper(a, h)
}

// chiSquareSF returns 1 − F(x), computed without cancellation so that the
// tiny p-values of a real sample-ratio mismatch stay accurate.
func chiSquareSF(x, df float64) float64 {
	if x <= 0 {
		return 1
	}
	a, h := df/2, x/2
	if h < a+1 {
		return 1 - regIncGammaLower(a, h)
	}
	return regIncGammaUpper(a, h)
}
