package editing

import (
	"strings"
	"testing"
)

func TestLineDiff(t *testing.T) {
	tests := []struct {
		name, a, b string
		want       string // one op a line: " x", "+x", "-x"
	}{
		{"empty", "", "", ""},
		{"same", "a\nb\n", "a\nb", " a  b"},
		{"insert", "a\nc\n", "a\nb\nc\n", " a +b  c"},
		{"delete", "a\nb\nc\n", "a\nc\n", " a -b  c"},
		{"replace", "a\nb\nc\n", "a\nx\nc\n", " a -b +x  c"},
		{"all new", "", "x\ny", "+x +y"},
		{"all gone", "x\ny", "", "-x -y"},
		{"crlf", "a\r\nb\r\n", "a\nb\n", " a  b"},
		{"move", "a\nb\nc", "b\nc\na", "-a  b  c +a"},
	}
	for _, tt := range tests {
		var got []string
		for _, op := range LineDiff(tt.a, tt.b) {
			got = append(got, map[string]string{"same": " ", "ins": "+", "del": "-"}[op.Kind]+op.Text)
		}
		if g := strings.Join(got, " "); g != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, g, tt.want)
		}
		hasChange := strings.Contains(" "+tt.want, " +") || strings.Contains(" "+tt.want, " -")
		if Changed(LineDiff(tt.a, tt.b)) != hasChange {
			t.Errorf("%s: Changed = %v, want %v", tt.name, !hasChange, hasChange)
		}
	}
}
