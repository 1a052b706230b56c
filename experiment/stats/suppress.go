package stats

import (
	"errors"
	"fmt"
	"math"
)

// Small-count suppression.
//
// Analysts see breakdowns such as variant × locale with every row, column
// and grand total published. A count of 1 or 2 in such a table can single
// out a person ("the one user in locale X who saw variant B clicked"), so
// small counts are hidden. Hiding them alone is not enough: a hidden cell is
// the published total of its row minus the visible cells, so further cells
// must be hidden too (complementary suppression).
//
// Rules, applied to every published number, totals included:
//
//   - Primary suppression hides every count c with 0 < c < k. True zeros
//     stay visible, as in GrowthBook-style small-cell rules: a zero says no
//     person is in the cell, so it cannot single anyone out, and hiding
//     zeros would blank much of the sparse tables (rare locales, low
//     click-through) that analysts most need to read. Totals are counts as
//     well, so a total below k is hidden like a cell.
//   - Complementary suppression treats each row with its total, each column
//     with its total, the row totals with the grand total and the column
//     totals with the grand total as a "line" whose entries satisfy one
//     published equation. Any line holding exactly one hidden entry gets a
//     second one, repeating until no line changes. The complement is the
//     smallest visible cell of the line, because it costs analysts the
//     least; among equals, the first. Two refinements: a visible non-zero
//     cell is preferred to a zero, because hiding a zero leaves the hidden
//     entries of the line summing to the small count itself, which still
//     tells a reader they are all small (every visible non-zero cell is at
//     least k, so this way the hidden sum is at least k+1); and when the
//     line has no visible cell left, for example a row with a single cell,
//     its total is hidden instead.
//
// Guarantee: in the result every line contains either no hidden entry or at
// least two, so no hidden number equals a published total minus visible
// numbers of the same line. This is the classic "at least two per line"
// rule and that is all it guarantees. It does not protect against attacks
// that combine several lines: hidden cells whose pattern contains a bridge
// (a cell joining two otherwise separate groups of hidden cells) can be
// solved exactly by adding and subtracting whole rows and columns, and
// even where no exact solution exists, linear programming over
// non-negative counts can narrow a hidden cell to a small interval. Large
// or adversarially queried tables, and overlapping tables published from
// the same data, need a proper audit (for example an LP-based check as in
// τ-ARGUS) that this function does not perform.

// Table is a two-way breakdown of non-negative counts; its row, column and
// grand totals are the sums of the cells and are assumed to be published.
// Build it with NewTable, which checks the shape once so that Suppress
// cannot fail.
type Table struct {
	cells [][]float64
	cols  int
}

// NewTable returns a Table of a copy of cells, indexed [row][column]. It
// fails when the rows differ in length or a count is negative or not
// finite, since the totals would then be meaningless.
func NewTable(cells [][]float64) (Table, error) {
	t := Table{cells: make([][]float64, len(cells))}
	if len(cells) > 0 {
		t.cols = len(cells[0])
	}
	for i, row := range cells {
		if len(row) != t.cols {
			return Table{}, fmt.Errorf("stats: table row %d has %d cells, want %d", i, len(row), t.cols)
		}
		if err := checkCounts(row); err != nil {
			return Table{}, fmt.Errorf("stats: table row %d: %w", i, err)
		}
		t.cells[i] = append([]float64(nil), row...)
	}
	return t, nil
}

// Rows returns the number of rows.
func (t Table) Rows() int { return len(t.cells) }

// Cols returns the number of columns.
func (t Table) Cols() int { return t.cols }

// Cell returns the count in row i, column j.
func (t Table) Cell(i, j int) float64 { return t.cells[i][j] }

// Mask says which numbers of a Table to hide; true means hidden. Cells is
// indexed like the table, RowTotals by row and ColTotals by column.
type Mask struct {
	Cells     [][]bool
	RowTotals []bool
	ColTotals []bool
	Total     bool
}

// Suppress returns which cells and totals of t to hide so that no count c
// with 0 < c < k is shown or can be recovered by subtracting visible numbers
// from a published total of the same row or column; see the rules and the
// limits of this guarantee above.
func Suppress(t Table, k float64) Mask {
	r, c := t.Rows(), t.Cols()
	// The extended grid has the row totals as column c and the column
	// totals (with the grand total at [r][c]) as row r, so that every row
	// and column of it is one line: its first entries sum to its last.
	w := c + 1
	g := newGrid((r + 1) * w)
	for i := range r {
		for j := range c {
			v := t.cells[i][j]
			g.values[i*w+j] = v
			g.values[i*w+c] += v
			g.values[r*w+j] += v
			g.values[r*w+c] += v
		}
	}
	lines := make([]line, 0, r+c+2)
	for i := range r + 1 {
		l := line{total: i*w + c}
		for j := range c {
			l.members = append(l.members, i*w+j)
		}
		lines = append(lines, l)
	}
	for j := range c + 1 {
		l := line{total: r*w + j}
		for i := range r {
			l.members = append(l.members, i*w+j)
		}
		lines = append(lines, l)
	}
	g.suppress(lines, k)

	m := Mask{
		Cells:     make([][]bool, r),
		RowTotals: make([]bool, r),
		ColTotals: make([]bool, c),
		Total:     g.hidden[r*w+c],
	}
	for i := range r {
		m.Cells[i] = append([]bool(nil), g.hidden[i*w:i*w+c]...)
		m.RowTotals[i] = g.hidden[i*w+c]
	}
	copy(m.ColTotals, g.hidden[r*w:r*w+c])
	return m
}

// Breakdown is a one-way breakdown of non-negative counts whose total is
// published, for example clicks per locale for one variant. Build it with
// NewBreakdown.
type Breakdown struct {
	cells []float64
}

// NewBreakdown returns a Breakdown of a copy of cells. It fails when a count
// is negative or not finite.
func NewBreakdown(cells []float64) (Breakdown, error) {
	if err := checkCounts(cells); err != nil {
		return Breakdown{}, fmt.Errorf("stats: breakdown: %w", err)
	}
	return Breakdown{cells: append([]float64(nil), cells...)}, nil
}

// Len returns the number of cells.
func (b Breakdown) Len() int { return len(b.cells) }

// Cell returns the count of cell i.
func (b Breakdown) Cell(i int) float64 { return b.cells[i] }

// BreakdownMask says which cells of a Breakdown and whether its total to
// hide; true means hidden.
type BreakdownMask struct {
	Cells []bool
	Total bool
}

// SuppressBreakdown applies the rules of Suppress to a one-way breakdown,
// which is a single line: the cells with their total.
func SuppressBreakdown(b Breakdown, k float64) BreakdownMask {
	n := len(b.cells)
	g := newGrid(n + 1)
	l := line{total: n}
	for i, v := range b.cells {
		g.values[i] = v
		g.values[n] += v
		l.members = append(l.members, i)
	}
	g.suppress([]line{l}, k)
	return BreakdownMask{Cells: g.hidden[:n:n], Total: g.hidden[n]}
}

var errBadCount = errors.New("count must be finite and non-negative")

func checkCounts(cells []float64) error {
	for j, v := range cells {
		if !(v >= 0) || math.IsInf(v, 1) {
			return fmt.Errorf("cell %d = %v: %w", j, v, errBadCount)
		}
	}
	return nil
}

// grid holds every published number of a breakdown, cells and totals
// alike, with whether each is hidden.
type grid struct {
	values []float64
	hidden []bool
}

func newGrid(n int) grid {
	return grid{values: make([]float64, n), hidden: make([]bool, n)}
}

// line is one published equation: the members sum to the total. All are
// indices into a grid.
type line struct {
	members []int
	total   int
}

// suppress applies primary suppression and then complementary suppression
// until every line holds zero or at least two hidden entries. It ends
// because each pass that changes anything hides one more entry.
func (g grid) suppress(lines []line, k float64) {
	for i, v := range g.values {
		g.hidden[i] = v > 0 && v < k
	}
	for changed := true; changed; {
		changed = false
		for _, l := range lines {
			if g.hiddenIn(l) == 1 {
				g.hidden[g.complement(l)] = true
				changed = true
			}
		}
	}
}

// hiddenIn returns the number of hidden entries of l.
func (g grid) hiddenIn(l line) int {
	n := 0
	if g.hidden[l.total] {
		n++
	}
	for _, m := range l.members {
		if g.hidden[m] {
			n++
		}
	}
	return n
}

// complement returns the entry of l to hide next: the smallest visible
// non-zero member, else the first visible zero member, else the total. The
// caller guarantees that l has exactly one hidden entry, so l has at least
// one visible entry.
func (g grid) complement(l line) int {
	best, zero := -1, -1
	for _, m := range l.members {
		switch {
		case g.hidden[m]:
		case g.values[m] == 0:
			if zero < 0 {
				zero = m
			}
		case best < 0 || g.values[m] < g.values[best]:
			best = m
		}
	}
	switch {
	case best >= 0:
		return best
	case zero >= 0:
		return zero
	}
	return l.total
}
