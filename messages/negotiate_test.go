package messages

import (
	"slices"
	"testing"
)

func TestLanguages(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"ar-IQ,ar;q=0.9,en;q=0.5", []string{"ar", "en"}},
		{"en;q=0.5, fr", []string{"fr", "en"}},
		{"prs", []string{"fa"}},
		{"fa-AF", []string{"fa"}},
		{"pbt-AF", []string{"ps"}},
		{"ckb-IQ", []string{"ckb"}},
		{"ku-Arab", []string{"ckb"}},
		{"ku", []string{"ku"}},
		{"ar_EG", []string{"ar"}},
		{"garbage!!, tr", []string{"tr"}},
		{"xx, *;q=0.1", nil},
		{"sq-XK;q=abc, ti-ER", []string{"ti"}},
		{"fr;q=0, vi", []string{"vi"}},
		{"", nil},
	}
	for _, tt := range tests {
		if got := Languages(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("Languages(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestNegotiate(t *testing.T) {
	available := []string{"en", "fr", "ar", "fa", "ckb", "ps", "sq", "vi", "ti", "tr"}
	fallbacks := map[string][]string{"prs": {"fa", "en"}, "ku": {"en"}}
	tests := []struct {
		name, in, want string
	}{
		{"exact", "ar", "ar"},
		{"region dropped", "ar-IQ,ar;q=0.9,en;q=0.5", "ar"},
		{"sorani stays sorani", "ckb", "ckb"},
		{"dari gets persian", "prs-AF", "fa"},
		{"unknown gets default", "ja-JP", "en"},
		{"second preference", "de, fr;q=0.8", "fr"},
		{"kurmanji does not get sorani", "ku-TR", "en"},
		{"empty", "", "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Negotiate(tt.in, available, fallbacks, "en"); got != tt.want {
				t.Errorf("Negotiate(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	// Sorani with no Sorani content falls back to the default, never Arabic.
	if got := Negotiate("ckb", []string{"en", "ar"}, nil, "en"); got != "en" {
		t.Errorf("ckb without ckb content = %q, want en", got)
	}
	// An explicit chain is followed before later preferences.
	if got := Negotiate("prs, en", []string{"en", "fa"}, map[string][]string{"prs": {"fa"}}, "en"); got != "fa" {
		t.Errorf("prs chain = %q, want fa", got)
	}
}

func TestDir(t *testing.T) {
	for loc, want := range map[string]string{"ar": "rtl", "fa": "rtl", "ckb": "rtl", "ps": "rtl", "en": "ltr", "ti": "ltr", "tr": "ltr"} {
		if got := Dir(loc); got != want {
			t.Errorf("Dir(%q) = %q, want %q", loc, got, want)
		}
	}
}
