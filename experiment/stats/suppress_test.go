package stats

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// mustTable builds a Table or fails the test.
func mustTable(tb testing.TB, cells [][]float64) Table {
	tb.Helper()
	t, err := NewTable(cells)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// recovered lists every hidden number an attacker can compute as a
// published total minus the visible numbers of one row or column (or the
// published total itself, as a sum of visible numbers), with its value.
// It is written from the published equations, independently of Suppress.
func recovered(t Table, m Mask) []string {
	r, c := t.Rows(), t.Cols()
	rowTot := make([]float64, r)
	colTot := make([]float64, c)
	var grand float64
	for i := range r {
		for j := range c {
			rowTot[i] += t.Cell(i, j)
			colTot[j] += t.Cell(i, j)
			grand += t.Cell(i, j)
		}
	}
	type entry struct {
		name   string
		value  float64
		hidden bool
	}
	// check reports the hidden entry of an equation "parts sum to total"
	// when it is the only hidden one.
	var out []string
	check := func(parts []entry, total entry) {
		all := append(parts, total)
		var hid []entry
		for _, e := range all {
			if e.hidden {
				hid = append(hid, e)
			}
		}
		if len(hid) == 1 {
			out = append(out, fmt.Sprintf("%s=%v", hid[0].name, hid[0].value))
		}
	}
	for i := range r {
		var parts []entry
		for j := range c {
			parts = append(parts, entry{fmt.Sprintf("cell(%d,%d)", i, j), t.Cell(i, j), m.Cells[i][j]})
		}
		check(parts, entry{fmt.Sprintf("rowTotal(%d)", i), rowTot[i], m.RowTotals[i]})
	}
	for j := range c {
		var parts []entry
		for i := range r {
			parts = append(parts, entry{fmt.Sprintf("cell(%d,%d)", i, j), t.Cell(i, j), m.Cells[i][j]})
		}
		check(parts, entry{fmt.Sprintf("colTotal(%d)", j), colTot[j], m.ColTotals[j]})
	}
	var rows, cols []entry
	for i := range r {
		rows = append(rows, entry{fmt.Sprintf("rowTotal(%d)", i), rowTot[i], m.RowTotals[i]})
	}
	for j := range c {
		cols = append(cols, entry{fmt.Sprintf("colTotal(%d)", j), colTot[j], m.ColTotals[j]})
	}
	check(rows, entry{"total", grand, m.Total})
	check(cols, entry{"total", grand, m.Total})
	return out
}

// TestNaiveSuppressionLeaks shows why complementary suppression is needed:
// hiding only the small cell of a table whose totals are published lets a
// reader recompute it from its row.
func TestNaiveSuppressionLeaks(t *testing.T) {
	tab := mustTable(t, [][]float64{{3, 40, 57}, {20, 30, 50}})
	naive := Mask{
		Cells:     [][]bool{{true, false, false}, {false, false, false}},
		RowTotals: make([]bool, 2),
		ColTotals: make([]bool, 3),
	}
	got := recovered(tab, naive)
	want := []string{"cell(0,0)=3", "cell(0,0)=3"} // from its row and from its column
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("recovered (-want +got):\n%s", diff)
	}
}

func TestSuppress(t *testing.T) {
	const k = 5
	tests := []struct {
		name  string
		cells [][]float64
		want  Mask
	}{
		{
			name:  "2x3 one small cell",
			cells: [][]float64{{3, 40, 57}, {20, 30, 50}},
			want: Mask{
				Cells:     [][]bool{{true, true, false}, {true, true, false}},
				RowTotals: []bool{false, false},
				ColTotals: []bool{false, false, false},
			},
		},
		{
			name:  "all large",
			cells: [][]float64{{10, 20}, {30, 40}, {5, 6}},
			want: Mask{
				Cells:     [][]bool{{false, false}, {false, false}, {false, false}},
				RowTotals: []bool{false, false, false},
				ColTotals: []bool{false, false},
			},
		},
		{
			// Rows have a single cell, so each row total equals its cell
			// and is hidden with it; the column still needs a complement.
			name:  "single column",
			cells: [][]float64{{3}, {40}, {57}},
			want: Mask{
				Cells:     [][]bool{{true}, {true}, {false}},
				RowTotals: []bool{true, true, false},
				ColTotals: []bool{false},
			},
		},
		{
			// True zeros stay visible and a non-zero complement is
			// preferred to them.
			name:  "zeros shown",
			cells: [][]float64{{0, 2, 50}, {0, 60, 70}},
			want: Mask{
				Cells:     [][]bool{{false, true, true}, {false, true, true}},
				RowTotals: []bool{false, false},
				ColTotals: []bool{false, false, false},
			},
		},
		{
			// The first row's total (2) is itself small, so it is hidden
			// with its cell; the row totals then need a complement of
			// their own, which also covers the second row.
			name:  "small row total",
			cells: [][]float64{{2, 0}, {50, 60}},
			want: Mask{
				Cells:     [][]bool{{true, false}, {true, false}},
				RowTotals: []bool{true, true},
				ColTotals: []bool{false, false},
			},
		},
		{
			name:  "empty",
			cells: nil,
			want:  Mask{Cells: [][]bool{}, RowTotals: []bool{}, ColTotals: []bool{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab := mustTable(t, tt.cells)
			got := Suppress(tab, k)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Suppress (-want +got):\n%s", diff)
			}
			if leaks := recovered(tab, got); len(leaks) > 0 {
				t.Errorf("recoverable from one row or column: %v", leaks)
			}
			for i := range tab.Rows() {
				for j := range tab.Cols() {
					if v := tab.Cell(i, j); v > 0 && v < k && !got.Cells[i][j] {
						t.Errorf("small cell (%d,%d)=%v shown", i, j, v)
					}
				}
			}
		})
	}
}

// TestSuppressNoSingleLineLeak checks the guarantee on tables with many
// small cells, where complements cascade across rows and columns.
func TestSuppressNoSingleLineLeak(t *testing.T) {
	tables := [][][]float64{
		{{1, 9, 9, 9}, {9, 2, 9, 9}, {9, 9, 3, 9}, {9, 9, 9, 4}},
		{{1, 2, 3}, {4, 0, 0}, {0, 0, 100}},
		{{0, 0, 1}, {0, 0, 0}},
		{{1, 100}},
		{{7}},
		{{3}},
	}
	for n, cells := range tables {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			tab := mustTable(t, cells)
			m := Suppress(tab, 5)
			if leaks := recovered(tab, m); len(leaks) > 0 {
				t.Errorf("Suppress(%v) = %+v; recoverable: %v", cells, m, leaks)
			}
		})
	}
}

func TestSuppressBreakdown(t *testing.T) {
	tests := []struct {
		name  string
		cells []float64
		want  BreakdownMask
	}{
		{"one small", []float64{12, 3, 40, 8}, BreakdownMask{Cells: []bool{false, true, false, true}}},
		{"two small", []float64{12, 3, 40, 1}, BreakdownMask{Cells: []bool{false, true, false, true}}},
		{"zero not a complement", []float64{0, 3, 40}, BreakdownMask{Cells: []bool{false, true, true}}},
		{"small total", []float64{0, 3}, BreakdownMask{Cells: []bool{false, true}, Total: true}},
		{"single cell", []float64{3}, BreakdownMask{Cells: []bool{true}, Total: true}},
		{"all large", []float64{10, 20}, BreakdownMask{Cells: []bool{false, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := NewBreakdown(tt.cells)
			if err != nil {
				t.Fatal(err)
			}
			got := SuppressBreakdown(b, 5)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SuppressBreakdown (-want +got):\n%s", diff)
			}
			hidden := 0
			for _, h := range append(got.Cells, got.Total) {
				if h {
					hidden++
				}
			}
			if hidden == 1 {
				t.Errorf("exactly one hidden number: it equals the total minus the visible cells")
			}
		})
	}
}

func TestNewTableErrors(t *testing.T) {
	tests := []struct {
		name  string
		cells [][]float64
	}{
		{"ragged", [][]float64{{1, 2}, {3}}},
		{"negative", [][]float64{{1, -2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewTable(tt.cells); err == nil {
				t.Errorf("NewTable(%v) succeeded, want an error", tt.cells)
			}
		})
	}
	if _, err := NewBreakdown([]float64{1, nan}); !errors.Is(err, errBadCount) {
		t.Errorf("NewBreakdown with NaN: err = %v, want errBadCount", err)
	}
}
