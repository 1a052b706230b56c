package editing

import "strings"

// DiffOp is one line of a line diff: kept, inserted or deleted.
type DiffOp struct {
	// Kind is "same", "ins" or "del".
	Kind string
	Text string
}

// maxDiffCells bounds the LCS table (lines before x lines after); larger
// inputs are shown as everything deleted then everything inserted.
const maxDiffCells = 4_000_000

// LineDiff returns a line diff turning a into b: the longest common
// subsequence of lines kept, the rest deleted or inserted, deletions
// before insertions at each change.
func LineDiff(a, b string) []DiffOp {
	al, bl := splitLines(a), splitLines(b)
	n, m := len(al), len(bl)
	// Trim the common head and tail: most edits are small.
	pre := 0
	for pre < n && pre < m && al[pre] == bl[pre] {
		pre++
	}
	suf := 0
	for suf < n-pre && suf < m-pre && al[n-1-suf] == bl[m-1-suf] {
		suf++
	}
	var out []DiffOp
	for _, l := range al[:pre] {
		out = append(out, DiffOp{"same", l})
	}
	am, bm := al[pre:n-suf], bl[pre:m-suf]
	if len(am)*len(bm) > maxDiffCells {
		for _, l := range am {
			out = append(out, DiffOp{"del", l})
		}
		for _, l := range bm {
			out = append(out, DiffOp{"ins", l})
		}
	} else {
		out = append(out, lcsDiff(am, bm)...)
	}
	for _, l := range al[n-suf:] {
		out = append(out, DiffOp{"same", l})
	}
	return out
}

// Changed reports whether a diff has any insertion or deletion.
func Changed(ops []DiffOp) bool {
	for _, o := range ops {
		if o.Kind != "same" {
			return true
		}
	}
	return false
}

func lcsDiff(a, b []string) []DiffOp {
	n, m := len(a), len(b)
	// l[i][j] is the LCS length of a[i:] and b[j:].
	l := make([][]int, n+1)
	for i := range l {
		l[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				l[i][j] = l[i+1][j+1] + 1
			} else {
				l[i][j] = max(l[i+1][j], l[i][j+1])
			}
		}
	}
	var out []DiffOp
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case a[i] == b[j]:
			out = append(out, DiffOp{"same", a[i]})
			i++
			j++
		case l[i+1][j] >= l[i][j+1]:
			out = append(out, DiffOp{"del", a[i]})
			i++
		default:
			out = append(out, DiffOp{"ins", b[j]})
			j++
		}
	}
	for ; i < n; i++ {
		out = append(out, DiffOp{"del", a[i]})
	}
	for ; j < m; j++ {
		out = append(out, DiffOp{"ins", b[j]})
	}
	return out
}

// splitLines splits s into lines without their line ends; "" has none.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
