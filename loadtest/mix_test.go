package loadtest

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"signpost/match"
	"signpost/rules"
)

func TestParseCorpus(t *testing.T) {
	tests := []struct {
		name, in string
		want     int
		wantErr  bool
	}{
		{"comment and blank lines", "# c\n\nen\tsearch\t0\tferry times\n", 1, false},
		{"empty lang", "\tview\t1\tsome post\n", 1, false},
		{"bad kind", "en\tclick\t0\tx\n", 0, true},
		{"bad label", "en\tsearch\tyes\tx\n", 0, true},
		{"missing text", "en\tsearch\t0\t\n", 0, true},
		{"too few fields", "en\tsearch\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCorpus(tt.in)
			if (err != nil) != tt.wantErr || len(got) != tt.want {
				t.Errorf("got %d samples, err %v; want %d, error %v", len(got), err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestCorpusLabels checks the embedded corpus's match labels against the
// shipped rules, so the matched share the generator aims at is real.
// Rule changes can move a few texts; more than 2% disagreeing means the
// corpus needs relabelling.
func TestCorpusLabels(t *testing.T) {
	files, err := match.LoadRules(rules.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	m, err := match.Compile(files)
	if err != nil {
		t.Fatal(err)
	}
	samples := Corpus()
	langs := map[string]bool{}
	wrong := 0
	for _, s := range samples {
		kind, _ := match.ParseKind(s.Kind)
		if m.Match(match.Query{Text: s.Text, Kind: kind}).Matched != s.Matches {
			wrong++
		}
		langs[s.Lang] = true
	}
	if float64(wrong) > 0.02*float64(len(samples)) {
		t.Errorf("%d of %d corpus labels disagree with the shipped rules", wrong, len(samples))
	}
	for _, l := range sortedLangs {
		if !langs[l] {
			t.Errorf("corpus has no %s texts", l)
		}
		if acceptLanguage[l] == "" {
			t.Errorf("no Accept-Language for %s", l)
		}
	}
}

func TestMixShares(t *testing.T) {
	tests := []struct {
		name              string
		matchShare, views float64
	}{
		{"platform default", 0.04, 0.3},
		{"searches only", 0.05, 0},
		{"views only, all matching", 1, 1},
		{"nothing matching", 0, 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := NewMix(Corpus(), tt.matchShare, tt.views, 1000)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			const n = 20000
			var matching, views, noSubject int
			for range n {
				ev := m.Next(rng)
				if ev.Matches {
					matching++
				}
				if ev.Kind == "view" {
					views++
				}
				if ev.Subject == "" {
					noSubject++
				}
				if ev.Locale == "" || ev.Text == "" {
					t.Fatalf("event without locale or text: %+v", ev)
				}
			}
			near := func(got int, want float64) bool { return math.Abs(float64(got)/n-want) < 0.01 }
			if !near(matching, tt.matchShare) || !near(views, tt.views) || !near(noSubject, 0.1) {
				t.Errorf("matching %d, views %d, without subject %d of %d; want shares %v, %v, 0.1",
					matching, views, noSubject, n, tt.matchShare, tt.views)
			}
		})
	}
}

func TestMixIsDeterministic(t *testing.T) {
	m, err := NewMix(Corpus(), 0.04, 0.3, 1000)
	if err != nil {
		t.Fatal(err)
	}
	draw := func() string {
		rng := rand.New(rand.NewPCG(9, 9))
		var b strings.Builder
		for range 50 {
			ev := m.Next(rng)
			b.WriteString(ev.Text + ev.Locale + ev.Subject + ev.Country)
		}
		return b.String()
	}
	first := draw()
	if first != draw() {
		t.Error("the same seed gave different traffic")
	}
}

func TestNewMixRejects(t *testing.T) {
	onlySearch := []Sample{{Kind: "search", Text: "x"}}
	for name, f := range map[string]func() error{
		"share above 1":         func() error { _, err := NewMix(Corpus(), 1.5, 0, 1); return err },
		"negative share":        func() error { _, err := NewMix(Corpus(), 0.1, -1, 1); return err },
		"no matching texts":     func() error { _, err := NewMix(onlySearch, 0.1, 0, 1); return err },
		"no views to draw from": func() error { _, err := NewMix(onlySearch, 0, 0.5, 1); return err },
	} {
		if f() == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
