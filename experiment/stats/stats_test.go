package stats

import (
	"math"
	"testing"
)

// The vectors below are those of ../testdata/gbstats-cases.md, named by the
// ids used there. want5 holds values asserted to 5 decimals, want9 to 9.

// eq reports whether got rounds to want at the given number of decimals,
// allowing half a unit of the last place as the reference tests do.
func eq(got, want float64, decimals int) bool {
	if math.IsInf(want, 0) || math.IsNaN(want) {
		return got == want || (math.IsNaN(got) && math.IsNaN(want))
	}
	return math.Abs(got-want) <= 0.5*math.Pow10(-decimals)+1e-15
}

// checkFloat fails t when got does not match want to decimals places.
func checkFloat(t *testing.T, name string, got, want float64, decimals int) {
	t.Helper()
	if !eq(got, want, decimals) {
		t.Errorf("%s = %.12g, want %.12g (%d dp)", name, got, want, decimals)
	}
}

var (
	f1A = SampleMean{N: 3407, Sum: 1396.87, SumSquares: 52377.9767}
	f1B = SampleMean{N: 3461, Sum: 2422.7, SumSquares: 134698.29}
	f6A = SampleMean{N: 3000, Sum: 1396.87, SumSquares: 52377.9767}
	gA  = SampleMean{N: 100, Sum: 270, SumSquares: 848.79}
	gB  = SampleMean{N: 120, Sum: 300, SumSquares: 869}
	g3A = Ratio{N: 100, M: Moments{270, 848.79}, D: Moments{510, 810}, SumMD: -900}
	g3B = Ratio{N: 120, M: Moments{300, 869}, D: Moments{500, 800}, SumMD: -905}
	b2A = SampleMean{N: 10, Sum: 100, SumSquares: 1002.25}
	b2B = SampleMean{N: 10, Sum: 105, SumSquares: 1111.5}
)

// nan marks a value the document does not give; it is not checked.
var nan = math.NaN()

func TestWelch(t *testing.T) {
	inf := math.Inf(1)
	tests := []struct {
		name     string
		a, b     Statistic
		opts     Options
		decimals int
		want     Result
	}{
		{"F1", f1A, f1B, Options{}, 5, Result{0.70732, -0.03526, 1.44989, 0.37879, 0.06191}},
		{"F2", f1A, f1B, Options{Scale: Absolute}, 5, Result{0.29, 0.04538, 0.53462, 0.12478, 0.02016}},
		{"F3", Proportion{28, 14}, Proportion{30, 16}, Options{}, 5, Result{0.06667, -0.47767, 0.61101, 0.2717, 0.80707}},
		{"F6", f6A, f1B, Options{Alternative: Greater}, 5,
			Result{0.5033610858562358, -0.045136675850396046, inf, 0.3334122146400735, 0.06558262868467746}},
		{"F7", f6A, f1B, Options{Scale: Absolute, Alternative: Greater}, 5,
			Result{0.23437666666666668, 0.020791480063255735, inf, 0.12983081254184736, 0.03554272489873023}},
		{"G1", gA, gB, Options{}, 9, Result{-0.074074074, nan, nan, nan, 0.145219005}},
		{"G3", g3A, g3B, Options{}, 9, Result{0.133333333, nan, nan, nan, 0.610663339}},
		{"default/zero-variance", Proportion{10, 0}, Proportion{10, 5}, Options{}, 12, Result{PValue: 1}},
		{"default/zero-control-mean", SampleMean{10, 0, 0}, SampleMean{10, 5, 9}, Options{Scale: Absolute}, 12, Result{PValue: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Welch(tt.a, tt.b, tt.opts)
			checkResult(t, got, tt.want, tt.decimals)
		})
	}
}

func checkResult(t *testing.T, got, want Result, decimals int) {
	t.Helper()
	for _, f := range []struct {
		name      string
		got, want float64
	}{
		{"Expected", got.Expected, want.Expected},
		{"CILow", got.CILow, want.CILow},
		{"CIHigh", got.CIHigh, want.CIHigh},
		{"SE", got.SE, want.SE},
		{"PValue", got.PValue, want.PValue},
	} {
		if !math.IsNaN(f.want) {
			checkFloat(t, f.name, f.got, f.want, decimals)
		}
	}
}

func TestSequential(t *testing.T) {
	tests := []struct {
		name string
		a, b Statistic
		opts SequentialOptions
		want Result
	}{
		{"F4", f6A, f1B, SequentialOptions{Tau: 1000}, Result{0.50336, -0.55844, 1.56516, 0.33341, 1}},
		{"F5", Proportion{3000, 1396}, Proportion{3461, 2422}, SequentialOptions{}, Result{0.50386, 0.40098, 0.60675, 0.03386, 0}},
		{"default", Proportion{0, 0}, Proportion{10, 5}, SequentialOptions{}, Result{PValue: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkResult(t, Sequential(tt.a, tt.b, tt.opts), tt.want, 5)
		})
	}
}

func TestBayesian(t *testing.T) {
	tests := []struct {
		name     string
		a, b     Statistic
		opts     BayesOptions
		decimals int
		want     BayesResult
	}{
		{"B1", Proportion{100, 49}, Proportion{100, 51}, BayesOptions{}, 5,
			BayesResult{0.04082, -0.24779, 0.32943, 0.14725, 0.60918, [2]float64{0.0814, 0.04058}}},
		{"B2", b2A, b2B, BayesOptions{}, 5,
			BayesResult{0.05, -0.02, 0.12, 0.03572, 0.91923, [2]float64{0.05131, 0.00131}}},
		{"B3", b2A, b2B, BayesOptions{Prior: Prior{Proper: true, Mean: 0.1, Variance: 0.1}}, 5,
			BayesResult{0.05063, -0.01893, 0.12019, 0.03549, 0.92315, [2]float64{0.05186, 0.00123}}},
		{"G2", gA, gB, BayesOptions{}, 9,
			BayesResult{-0.074074074, nan, nan, nan, 0.071834168, [2]float64{nan, 0.075691131}}},
		{"G4", g3A, g3B, BayesOptions{}, 9,
			BayesResult{0.133333333, nan, nan, nan, 0.694926359, [2]float64{nan, 0.050934045}}},
		{"inverse/B2", b2A, b2B, BayesOptions{Inverse: true}, 5,
			BayesResult{0.05, -0.02, 0.12, 0.03572, 1 - 0.91923, [2]float64{0.00131, 0.05131}}},
		{"default", Proportion{10, 10}, Proportion{10, 5}, BayesOptions{}, 12,
			BayesResult{ChanceToWin: 0.5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Bayesian(tt.a, tt.b, tt.opts)
			for _, f := range []struct {
				name      string
				got, want float64
			}{
				{"Expected", got.Expected, tt.want.Expected},
				{"CILow", got.CILow, tt.want.CILow},
				{"CIHigh", got.CIHigh, tt.want.CIHigh},
				{"SD", got.SD, tt.want.SD},
				{"ChanceToWin", got.ChanceToWin, tt.want.ChanceToWin},
				{"Risk[0]", got.Risk[0], tt.want.Risk[0]},
				{"Risk[1]", got.Risk[1], tt.want.Risk[1]},
			} {
				if !math.IsNaN(f.want) {
					checkFloat(t, f.name, f.got, f.want, tt.decimals)
				}
			}
		})
	}
}

func TestRisk(t *testing.T) {
	tests := []struct {
		name      string
		mean, sd  float64
		ctrl, trt float64
		decimals  int
	}{
		{"B4", 0.1, 0.05, 0.1004245351308, 0.0004245351308414, 10},
		{"z>37", 1, 0.01, 1, 0, 15},
		{"z<-37", -1, 0.01, 0, 1, 15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Risk(tt.mean, tt.sd)
			checkFloat(t, "risk ctrl", got[0], tt.ctrl, tt.decimals)
			checkFloat(t, "risk trt", got[1], tt.trt, tt.decimals)
		})
	}
}

func TestSRM(t *testing.T) {
	tests := []struct {
		name           string
		users, weights []float64
		want           float64
	}{
		{"S1", []float64{1000, 1200}, []float64{0.5, 0.5}, 0.000020079},
		{"S2", []float64{135, 115}, []float64{0.5, 0.5}, 0.205903211},
		{"S3", []float64{310, 98}, []float64{0.75, 0.25}, 0.647434186},
		{"S4", []float64{1000}, []float64{0.5, 0.5}, 1},
		{"S5", []float64{1000, 900, 800}, []float64{1, 0, 0}, 1},
		{"S6", []float64{1000, 1200, 900}, []float64{0.5, 0.5, 0}, 0.000020079},
		{"S7", []float64{0, 0, 0}, []float64{0.34, 0.33, 0.33}, 1},
		{"S8", []float64{0, 10, 10}, []float64{0.34, 0.33, 0.33}, 0.005790624},
		{"S9", []float64{500, 500, 600}, []float64{0.34, 0.33, 0.33}, 0.000592638},
		{"S10", []float64{500, 500}, []float64{0.5, 0.5}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkFloat(t, "p", SRM(tt.users, tt.weights), tt.want, 9)
		})
	}
}

func TestSRMWarning(t *testing.T) {
	tests := []struct {
		name  string
		p     float64
		total float64
		k     int
		want  bool
	}{
		{"mismatch with traffic", 0.0005, 16, 2, true},
		{"mismatch without traffic", 0.0005, 15, 2, false},
		{"at threshold", 0.001, 1000, 2, false},
		{"healthy", 0.5, 1000, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SRMWarning(tt.p, tt.total, tt.k); got != tt.want {
				t.Errorf("SRMWarning(%v, %v, %v) = %v, want %v", tt.p, tt.total, tt.k, got, tt.want)
			}
		})
	}
}
