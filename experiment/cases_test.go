package experiment

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
)

// casesFile holds GrowthBook's cross-SDK cases for the functions of this
// package; see testdata/README.md for its source and licence.
const casesFile = "testdata/growthbook-cases.json"

// tolerance absorbs floating-point noise such as 0.2*0.2 = 0.04000000000000001.
// The cases themselves are exact to at least four decimals.
const tolerance = 1e-9

// TestGrowthBookCases runs every case of every section in casesFile and
// fails if a section is added to the file without a runner, or if any case
// of a section did not run.
func TestGrowthBookCases(t *testing.T) {
	sections := mustLoadCases(t)
	runners := []struct {
		section string
		named   bool // whether each case starts with a descriptive name
		run     func(t *testing.T, raw json.RawMessage)
	}{
		{"hash", false, runHashCase},
		{"getBucketRange", true, runBucketRangeCase},
		{"chooseVariation", true, runChooseVariationCase},
		{"getEqualWeights", false, runEqualWeightsCase},
		{"inNamespace", true, runInNamespaceCase},
	}
	known := make(map[string]bool)
	for _, r := range runners {
		known[r.section] = true
	}
	for section := range sections {
		if !known[section] {
			t.Errorf("section %q of %s has no runner", section, casesFile)
		}
	}

	for _, r := range runners {
		cases, ok := sections[r.section]
		if !ok {
			t.Errorf("section %q is missing from %s", r.section, casesFile)
			continue
		}
		ran := 0
		t.Run(r.section, func(t *testing.T) {
			for i, raw := range cases {
				t.Run(caseName(i, raw, r.named), func(t *testing.T) {
					ran++
					r.run(t, raw)
				})
			}
		})
		t.Logf("%s: ran %d of %d cases", r.section, ran, len(cases))
		if subtestFiltered() {
			continue
		}
		if ran == 0 || ran != len(cases) {
			t.Errorf("%s: ran %d cases, want all %d in %s", r.section, ran, len(cases), casesFile)
		}
	}
}

func runHashCase(t *testing.T, raw json.RawMessage) {
	var (
		seed, value string
		version     int
		want        *float64
	)
	mustUnpack(t, raw, &seed, &value, &version, &want)
	got, ok := Hash(seed, value, version)
	switch {
	case want == nil && ok:
		t.Errorf("Hash(%q, %q, %d) = %v, true; want ok=false", seed, value, version, got)
	case want != nil && !ok:
		t.Errorf("Hash(%q, %q, %d) reported ok=false; want %v", seed, value, version, *want)
	case want != nil && math.Abs(got-*want) > tolerance:
		t.Errorf("Hash(%q, %q, %d) = %v; want %v", seed, value, version, got, *want)
	}
}

func runBucketRangeCase(t *testing.T, raw json.RawMessage) {
	var (
		name    string
		args    json.RawMessage
		wantRaw [][2]float64
	)
	mustUnpack(t, raw, &name, &args, &wantRaw)
	var (
		numVariations int
		coverage      float64
		weights       []float64
	)
	mustUnpack(t, args, &numVariations, &coverage, &weights)
	got := BucketRanges(numVariations, coverage, weights)
	want := toRanges(wantRaw)
	if !rangesClose(got, want) {
		t.Errorf("BucketRanges(%d, %v, %v) = %v; want %v", numVariations, coverage, weights, got, want)
	}
}

func runChooseVariationCase(t *testing.T, raw json.RawMessage) {
	var (
		name      string
		n         float64
		rangesRaw [][2]float64
		want      int
	)
	mustUnpack(t, raw, &name, &n, &rangesRaw, &want)
	ranges := toRanges(rangesRaw)
	if got := ChooseVariation(n, ranges); got != want {
		t.Errorf("ChooseVariation(%v, %v) = %d; want %d", n, ranges, got, want)
	}
}

func runEqualWeightsCase(t *testing.T, raw json.RawMessage) {
	var (
		n    int
		want []float64
	)
	mustUnpack(t, raw, &n, &want)
	got := EqualWeights(n)
	// The file writes 1/3 to eight decimals, so compare to that precision.
	if !floatsClose(got, want, 1e-8) {
		t.Errorf("EqualWeights(%d) = %v; want %v", n, got, want)
	}
	if got == nil {
		t.Errorf("EqualWeights(%d) = nil; want a non-nil slice", n)
	}
}

func runInNamespaceCase(t *testing.T, raw json.RawMessage) {
	var (
		name   string
		userID string
		nsRaw  json.RawMessage
		want   bool
	)
	mustUnpack(t, raw, &name, &userID, &nsRaw, &want)
	var ns Namespace
	mustUnpack(t, nsRaw, &ns.ID, &ns.Start, &ns.End)
	if got := InNamespace(userID, ns); got != want {
		t.Errorf("InNamespace(%q, %+v) = %v; want %v", userID, ns, got, want)
	}
}

func mustLoadCases(tb testing.TB) map[string][]json.RawMessage {
	tb.Helper()
	data, err := os.ReadFile(casesFile)
	if err != nil {
		tb.Fatal(err)
	}
	var sections map[string][]json.RawMessage
	if err := json.Unmarshal(data, &sections); err != nil {
		tb.Fatalf("parse %s: %v", casesFile, err)
	}
	return sections
}

// mustUnpack decodes the JSON array raw into dst, one element each, as the
// cases are positional arrays of mixed types.
func mustUnpack(tb testing.TB, raw json.RawMessage, dst ...any) {
	tb.Helper()
	var parts []json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil {
		tb.Fatalf("case %s is not an array: %v", raw, err)
	}
	if len(parts) != len(dst) {
		tb.Fatalf("case %s has %d elements, want %d", raw, len(parts), len(dst))
	}
	for i, p := range parts {
		if err := json.Unmarshal(p, dst[i]); err != nil {
			tb.Fatalf("case %s, element %d: %v", raw, i, err)
		}
	}
}

// caseName uses a case's own name when its section gives one first, and
// its contents otherwise, so that a failure points at the case in the file.
func caseName(i int, raw json.RawMessage, named bool) string {
	if named {
		var parts []json.RawMessage
		var name string
		if json.Unmarshal(raw, &parts) == nil && len(parts) > 0 && json.Unmarshal(parts[0], &name) == nil {
			return fmt.Sprintf("%d/%s", i, name)
		}
	}
	var compact bytes.Buffer
	if json.Compact(&compact, raw) != nil {
		return fmt.Sprint(i)
	}
	return fmt.Sprintf("%d/%s", i, compact.Bytes())
}

// subtestFiltered reports whether -run selects among subtests, in which
// case not every case runs and the count check does not apply.
func subtestFiltered() bool {
	f := flag.Lookup("test.run")
	return f != nil && strings.Contains(f.Value.String(), "/")
}

func toRanges(raw [][2]float64) []Range {
	ranges := make([]Range, len(raw))
	for i, r := range raw {
		ranges[i] = Range{Start: r[0], End: r[1]}
	}
	return ranges
}

func rangesClose(a, b []Range) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i].Start-b[i].Start) > tolerance || math.Abs(a[i].End-b[i].End) > tolerance {
			return false
		}
	}
	return true
}

func floatsClose(a, b []float64, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > tol {
			return false
		}
	}
	return true
}
