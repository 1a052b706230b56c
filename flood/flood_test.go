package flood

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// phase is a stretch of steady traffic: perMin matches of one rule every
// minute for minutes minutes.
type phase struct {
	minutes, perMin int
}

// step is how often the simulation evaluates, as the app's loop does.
const step = 10 * time.Second

var t0 = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

// simulate drives tr with a fake clock: each phase's matches spread evenly
// over its minutes, Evaluate after every step. It returns the minutes
// (counted from t0) at which rule was reported.
func simulate(t *testing.T, tr *Tracker, rule string, from time.Time, phases []phase) (spikes []int, end time.Time) {
	t.Helper()
	now := from
	perStep := int(time.Minute / step)
	for _, p := range phases {
		for range p.minutes {
			for i := range perStep {
				// Spread perMin over the steps, remainders first.
				n := p.perMin / perStep
				if i < p.perMin%perStep {
					n++
				}
				for range n {
					tr.Add(rule)
				}
				now = now.Add(step)
				for _, s := range tr.Evaluate(now) {
					if s.Rule != rule {
						t.Fatalf("spike of %q, which had no traffic", s.Rule)
					}
					spikes = append(spikes, int(now.Sub(t0)/time.Minute))
				}
			}
		}
	}
	return spikes, now
}

func TestSpikes(t *testing.T) {
	cfg := Config{Factor: 10, Min: 50, Window: time.Minute, Baseline: time.Hour}
	tests := []struct {
		name   string
		phases []phase
		want   []int // minutes at which a spike is reported
	}{
		{"steady traffic never spikes", []phase{{180, 40}}, nil},
		{"steady low traffic never spikes", []phase{{180, 1}}, nil},
		{"slow growth never spikes", []phase{{60, 10}, {60, 30}, {60, 90}, {60, 270}}, nil},
		{"a jump above N times is a spike", []phase{{60, 10}, {1, 150}, {5, 10}}, []int{60}},
		{"exactly N times is not", []phase{{60, 10}, {2, 100}, {5, 10}}, nil},
		{"below the minimum count is not", []phase{{60, 1}, {3, 40}, {5, 1}}, nil},
		{"a silent rule that bursts is", []phase{{60, 0}, {1, 60}}, []int{60}},
		// The first ten minutes (a sixth of the baseline) only learn.
		{"no judgement while warming up", []phase{{2, 0}, {1, 1000}, {2, 0}}, nil},
		{"judged once warmed up", []phase{{12, 0}, {1, 1000}, {2, 0}}, []int{12}},
		// One report per spike: the history restarts after it, so the
		// sustained burst is the rule's new normal once warmed up again.
		{"reported once", []phase{{60, 10}, {30, 1000}}, []int{60}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := New(cfg, t0)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := simulate(t, tr, "en.x", t0, tt.phases)
			if !slices.Equal(got, tt.want) {
				t.Errorf("spikes at minutes %v, want %v", got, tt.want)
			}
		})
	}
}

// TestBaselineRecovers: a burst just under N times inflates the baseline,
// hiding a later burst, until it leaves the trailing hour.
func TestBaselineRecovers(t *testing.T) {
	tr, err := New(Config{Factor: 10, Min: 50, Window: time.Minute, Baseline: time.Hour}, t0)
	if err != nil {
		t.Fatal(err)
	}
	// Hour 1: 10 a minute; then a 9x minute, not a spike.
	got, now := simulate(t, tr, "en.x", t0, []phase{{60, 10}, {1, 90}, {30, 10}})
	if got != nil {
		t.Fatalf("spikes %v while building the baseline", got)
	}
	// 105 is above 10x the clean baseline (100) but not above 10x the
	// inflated one (about 113).
	if got, now = simulate(t, tr, "en.x", now, []phase{{1, 105}, {5, 10}}); got != nil {
		t.Fatalf("spike %v while the first burst is in the baseline", got)
	}
	// Both bursts have left the hour: 105 is a spike again.
	got, _ = simulate(t, tr, "en.x", now, []phase{{70, 10}, {1, 105}})
	if len(got) != 1 {
		t.Fatalf("spikes %v after the baseline recovered, want one", got)
	}
}

func TestSpikeRatesAndReset(t *testing.T) {
	tr, err := New(Config{Factor: 5, Min: 20, Window: 30 * time.Second, Baseline: 10 * time.Minute}, t0)
	if err != nil {
		t.Fatal(err)
	}
	now := t0
	// 2 matches every 5 s for 10 minutes: 24 a minute, 12 a window.
	for range 120 {
		tr.Add("fr.a")
		tr.Add("fr.a")
		now = now.Add(5 * time.Second)
		if s := tr.Evaluate(now); s != nil {
			t.Fatalf("spike %+v on steady traffic", s)
		}
	}
	for range 100 {
		tr.Add("fr.a")
	}
	now = now.Add(5 * time.Second)
	spikes := tr.Evaluate(now)
	if len(spikes) != 1 {
		t.Fatalf("spikes %+v, want one", spikes)
	}
	s := spikes[0]
	// The window holds the burst and the last 25 s of steady traffic.
	if s.Rule != "fr.a" || s.Count != 110 || s.Rate != 220 || s.Baseline < 23 || s.Baseline > 25 {
		t.Errorf("spike %+v, want fr.a 110 matches, 220/min against about 24/min", s)
	}
	// Reset (an editor resumed it): the same burst again is not judged
	// until the baseline has warmed up again.
	tr.Reset("fr.a", now)
	for range 100 {
		tr.Add("fr.a")
	}
	now = now.Add(5 * time.Second)
	if s := tr.Evaluate(now); s != nil {
		t.Errorf("spike %+v right after Reset", s)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{
		{Factor: 0.5, Min: 50, Window: time.Minute, Baseline: time.Hour},
		{Factor: 10, Min: 0, Window: time.Minute, Baseline: time.Hour},
		{Factor: 10, Min: 50, Window: 0, Baseline: time.Hour},
		{Factor: 10, Min: 50, Window: time.Minute, Baseline: time.Second},
	} {
		if _, err := New(c, t0); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("DefaultConfig: %v", err)
	}
}

// TestManyRulesForgotten: rules silent for the whole span are dropped, so
// memory follows the rules in use.
func TestManyRulesForgotten(t *testing.T) {
	tr, err := New(Config{Factor: 10, Min: 50, Window: time.Minute, Baseline: 10 * time.Minute}, t0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		tr.Add(fmt.Sprint("en.r", i))
	}
	tr.Evaluate(t0.Add(step))
	if n := len(tr.hist); n != 100 {
		t.Fatalf("%d histories, want 100", n)
	}
	tr.Evaluate(t0.Add(12 * time.Minute))
	if n := len(tr.hist); n != 0 {
		t.Errorf("%d histories after every rule went silent, want 0", n)
	}
}

func BenchmarkAdd(b *testing.B) {
	tr, err := New(DefaultConfig(), t0)
	if err != nil {
		b.Fatal(err)
	}
	tr.Add("en.crossing.boat_uk")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			tr.Add("en.crossing.boat_uk")
		}
	})
}
