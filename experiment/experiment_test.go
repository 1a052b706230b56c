package experiment

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

const subjects = 10_000

// shareTolerance allows four standard deviations of a share near 50% over
// 10,000 subjects (0.005 each), so a sound hash never fails the test while a
// skewed one does.
const shareTolerance = 0.02

func TestAssignDistribution(t *testing.T) {
	e := Experiment{Seed: "distribution", Coverage: 1, Weights: []float64{0.5, 0.5}}
	var counts [2]int
	for i := range subjects {
		subject := fmt.Sprintf("subject-%d", i)
		v, in := e.Assign(subject)
		if !in || v < 0 || v > 1 {
			t.Fatalf("Assign(%q) = %d, %v; want variant 0 or 1, enrolled", subject, v, in)
		}
		counts[v]++
		again := Experiment{Seed: "distribution", Coverage: 1, Weights: []float64{0.5, 0.5}}
		if v2, in2 := again.Assign(subject); v2 != v || !in2 {
			t.Fatalf("Assign(%q) = %d, then %d; want the same variant every time", subject, v, v2)
		}
	}
	share := float64(counts[1]) / subjects
	t.Logf("variant counts %v, share of variant 1 %.4f", counts, share)
	if math.Abs(share-0.5) > shareTolerance {
		t.Errorf("variant 1 got %.4f of subjects; want 0.5 ± %v", share, shareTolerance)
	}
}

func TestAssignCoverage(t *testing.T) {
	e := Experiment{Seed: "coverage", Coverage: 0.3, Weights: []float64{0.5, 0.5}}
	enrolled := 0
	for i := range subjects {
		v, in := e.Assign(fmt.Sprintf("subject-%d", i))
		if !in {
			if v != 0 {
				t.Fatalf("subject-%d outside coverage got variant %d; want 0", i, v)
			}
			continue
		}
		enrolled++
	}
	share := float64(enrolled) / subjects
	if math.Abs(share-0.3) > shareTolerance {
		t.Errorf("%.4f of subjects enrolled; want 0.3 ± %v", share, shareTolerance)
	}

	// Raising coverage must keep everyone already enrolled in their variant.
	wider := e
	wider.Coverage = 0.8
	for i := range subjects {
		subject := fmt.Sprintf("subject-%d", i)
		v, in := e.Assign(subject)
		if !in {
			continue
		}
		if v2, in2 := wider.Assign(subject); v2 != v || !in2 {
			t.Fatalf("raising coverage moved %q from variant %d to %d (enrolled %v)", subject, v, v2, in2)
		}
	}
}

func TestAssignNotEnrolled(t *testing.T) {
	tests := []struct {
		name    string
		e       Experiment
		subject string
	}{
		{"empty subject", Experiment{Seed: "s", Coverage: 1, Weights: []float64{0.5, 0.5}}, ""},
		{"empty subject, single variant", Experiment{Seed: "s", Coverage: 1, Weights: []float64{1}}, ""},
		{"zero coverage", Experiment{Seed: "s", Coverage: 0, Weights: []float64{0.5, 0.5}}, "subject-1"},
		{"no variants", Experiment{Seed: "s", Coverage: 1}, "subject-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if v, in := tt.e.Assign(tt.subject); v != 0 || in {
				t.Errorf("Assign(%q) = %d, %v; want 0, false", tt.subject, v, in)
			}
		})
	}
}

// TestAssignMatchesBuckets checks that Assign is ChooseVariation over hash
// version 2, the composition GrowthBook SDKs use.
func TestAssignMatchesBuckets(t *testing.T) {
	e := Experiment{Seed: "compose", Coverage: 0.9, Weights: []float64{0.2, 0.3, 0.5}}
	ranges := BucketRanges(3, e.Coverage, e.Weights)
	for _, subject := range []string{"a", "user-42", "Ünïcødé", "مرحبا", "😀👍", "x"} {
		n, _ := Hash(e.Seed, subject, 2)
		want := ChooseVariation(n, ranges)
		v, in := e.Assign(subject)
		if want < 0 {
			if v != 0 || in {
				t.Errorf("Assign(%q) = %d, %v; hash %v is outside coverage, want 0, false", subject, v, in, n)
			}
			continue
		}
		if v != want || !in {
			t.Errorf("Assign(%q) = %d, %v; want %d, true", subject, v, in, want)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		e    Experiment
		want []string // nil when the experiment is valid
	}{
		{
			name: "valid 50/50",
			e:    Experiment{Seed: "s", Coverage: 1, Weights: []float64{0.5, 0.5}},
		},
		{
			name: "valid single variant, zero coverage",
			e:    Experiment{Seed: "s", Coverage: 0, Weights: []float64{1}},
		},
		{
			name: "thirds rounded to three decimals",
			e:    Experiment{Seed: "s", Coverage: 1, Weights: []float64{0.333, 0.333, 0.334}},
		},
		{
			name: "sum 0.999 is at the tolerance",
			e:    Experiment{Seed: "s", Coverage: 1, Weights: []float64{0.4, 0.599}},
		},
		{
			name: "sum 1.001 is at the tolerance",
			e:    Experiment{Seed: "s", Coverage: 1, Weights: []float64{0.4, 0.601}},
		},
		{
			name: "sum 0.998 is outside the tolerance",
			e:    Experiment{Seed: "s", Coverage: 1, Weights: []float64{0.5, 0.498}},
			want: []string{"The weights add up to 0.998, but they must add up to 1."},
		},
		{
			name: "sum too high",
			e:    Experiment{Seed: "s", Coverage: 1, Weights: []float64{0.7, 0.6}},
			want: []string{"The weights add up to 1.3, but they must add up to 1."},
		},
		{
			name: "sum printed without floating-point noise",
			e:    Experiment{Seed: "s", Coverage: 1, Weights: []float64{0.1, 0.2}},
			want: []string{"The weights add up to 0.3, but they must add up to 1."},
		},
		{
			name: "negative weight summing to 1",
			e:    Experiment{Seed: "s", Coverage: 1, Weights: []float64{-0.5, 1.5}},
			want: []string{"Variant 0 has weight -0.5, but weights cannot be negative."},
		},
		{
			name: "weight not a number",
			e:    Experiment{Seed: "s", Coverage: 1, Weights: []float64{0.5, math.NaN()}},
			want: []string{"Variant 1 has weight NaN, but weights must be numbers."},
		},
		{
			name: "coverage above 1",
			e:    Experiment{Seed: "s", Coverage: 1.5, Weights: []float64{1}},
			want: []string{"Coverage is 1.5, but it must be between 0 and 1."},
		},
		{
			name: "coverage negative",
			e:    Experiment{Seed: "s", Coverage: -0.1, Weights: []float64{1}},
			want: []string{"Coverage is -0.1, but it must be between 0 and 1."},
		},
		{
			name: "coverage not a number",
			e:    Experiment{Seed: "s", Coverage: math.NaN(), Weights: []float64{1}},
			want: []string{"Coverage is NaN, but it must be between 0 and 1."},
		},
		{
			name: "no variants",
			e:    Experiment{Seed: "s", Coverage: 1, Weights: []float64{}},
			want: []string{"The experiment has no variants, but it needs at least one."},
		},
		{
			name: "every problem at once",
			e:    Experiment{Seed: "s", Coverage: 2, Weights: []float64{0.3, -0.2, 0.4}},
			want: []string{
				"Coverage is 2, but it must be between 0 and 1.",
				"Variant 1 has weight -0.2, but weights cannot be negative.",
				"The weights add up to 0.5, but they must add up to 1.",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.e.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate() = %q; want nil", err)
				}
				return
			}
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Validate() = %v (%T); want a *ValidationError", err, err)
			}
			if !slices.Equal(verr.Problems, tt.want) {
				t.Errorf("Validate() problems:\n got %q\nwant %q", verr.Problems, tt.want)
			}
			if got, want := err.Error(), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("Validate().Error() = %q; want %q", got, want)
			}
		})
	}
}

func BenchmarkAssign(b *testing.B) {
	e := Experiment{Seed: "benchmark", Coverage: 1, Weights: []float64{0.25, 0.25, 0.5}}
	subject := "0b6d1a3c-6a0e-4a59-9f3e-2f1d8c7b5a41"
	b.ReportAllocs()
	for b.Loop() {
		e.Assign(subject)
	}
}
