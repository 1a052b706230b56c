package stats

import (
	"math"
	"testing"
)

// Reference values below were computed with mpmath at 40 digits (and agree
// with published tables where those exist).

func TestTQuantile(t *testing.T) {
	tests := []struct {
		name  string
		p, nu float64
		want  float64
	}{
		{"t10 0.975", 0.975, 10, 2.228138851986274748},
		{"t10 0.025", 0.025, 10, -2.228138851986274748},
		{"t1 0.975 (Cauchy)", 0.975, 1, 12.70620473617471},
		{"t6087 0.95", 0.95, 6087.382549159770623752, 1.645103981264599607},
		{"median", 0.5, 7, 0},
		{"p=1", 1, 5, math.Inf(1)},
		{"p=0", 0, 5, math.Inf(-1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tQuantile(tt.p, tt.nu)
			if math.IsInf(tt.want, 0) {
				if got != tt.want {
					t.Errorf("tQuantile(%v, %v) = %v, want %v", tt.p, tt.nu, got, tt.want)
				}
				return
			}
			if math.Abs(got-tt.want) > 1e-11*math.Max(1, math.Abs(tt.want)) {
				t.Errorf("tQuantile(%v, %v) = %.15g, want %.15g", tt.p, tt.nu, got, tt.want)
			}
		})
	}
}

// TestTQuantileRoundTrip checks that the solver inverts tCDF across tails
// and degrees of freedom, including the extreme tails where a naive
// 1 − CDF would have cancelled.
func TestTQuantileRoundTrip(t *testing.T) {
	for _, p := range []float64{1e-12, 1e-6, 0.01, 0.3, 0.7, 0.99} {
		for _, nu := range []float64{1, 3, 30, 5000} {
			x := tQuantile(p, nu)
			if got := tCDF(x, nu); math.Abs(got-p) > 1e-11*math.Min(p, 1-p) {
				t.Errorf("tCDF(tQuantile(%v, %v)) = %.15g", p, nu, got)
			}
		}
	}
}

func TestTCDF(t *testing.T) {
	tests := []struct {
		name  string
		x, nu float64
		want  float64
	}{
		{"t10 at 2.228", 2.228138851986274748, 10, 0.975},
		{"t1 at 1 (Cauchy)", 1, 1, 0.75},
		{"t2 at -2", -2, 2, 0.5 - 1/math.Sqrt(6)}, // closed form for ν = 2
		{"zero", 0, 4, 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tCDF(tt.x, tt.nu); math.Abs(got-tt.want) > 1e-13 {
				t.Errorf("tCDF(%v, %v) = %.15g, want %.15g", tt.x, tt.nu, got, tt.want)
			}
		})
	}
}

func TestChiSquareCDF(t *testing.T) {
	tests := []struct {
		name  string
		x, df float64
		want  float64
	}{
		{"df1 0.95", 3.841458821, 1, 0.9500000000091209991},
		{"df2 closed form", 3, 2, 1 - math.Exp(-1.5)},
		{"df10 median-ish", 9.341817765591966, 10, 0.5},
		{"df1 series side", 0.5, 1, math.Erf(0.5)},
		{"zero", 0, 3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := chiSquareCDF(tt.x, tt.df); math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("chiSquareCDF(%v, %v) = %.15g, want %.15g", tt.x, tt.df, got, tt.want)
			}
			if got := chiSquareSF(tt.x, tt.df); math.Abs(got-(1-tt.want)) > 1e-12 {
				t.Errorf("chiSquareSF(%v, %v) = %.15g, want %.15g", tt.x, tt.df, got, 1-tt.want)
			}
		})
	}
}
