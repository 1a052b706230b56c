package track

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"signpost/experiment/stats"
	"signpost/store"
)

// Dimensions a report can be broken down by.
var dimensions = []string{"variant", "locale", "platform", "day"}

// ValidDimension reports whether d can be used in a report's by list.
func ValidDimension(d string) bool { return slices.Contains(dimensions, d) }

// ReportQuery says what to report on.
type ReportQuery struct {
	Campaign string
	From, To time.Time // whole UTC days, To exclusive
	By       []string
	// Platform limits the report to one platform (a platform's own view).
	Platform string
	// Variants are the experiment's variant keys in order (the first is
	// the control) with their weights, for comparisons and the SRM check.
	Variants []string
	Weights  []float64
	// MinCount is the suppression threshold K on unique subjects.
	MinCount int64
}

// Figures are one row's numbers. Pointers are nil when the row is
// suppressed, so that JSON says null rather than a misleading zero.
type Figures struct {
	Served      *int64           `json:"served"`
	Impressions *int64           `json:"impressions"`
	Clicks      *int64           `json:"clicks"`
	ClicksBy    map[string]int64 `json:"clicks_by_action,omitempty"`
	Dismissals  *int64           `json:"dismissals"`
	Continues   *int64           `json:"continues"`
	Reach       *int64           `json:"unique_reach"`
	Exposed     *int64           `json:"desistance_exposed"`
	Repeats     *int64           `json:"desistance_repeats"`
	CTR         *float64         `json:"ctr"`
	DismissRate *float64         `json:"dismiss_rate"`
	Desistance  *float64         `json:"desistance"`
}

// Cell names one row of the breakdown: the dimensions asked for are set.
type Cell struct {
	Variant  string `json:"variant,omitempty"`
	Locale   string `json:"locale,omitempty"`
	Platform string `json:"platform,omitempty"`
	Day      string `json:"day,omitempty"`
}

// Row is one cell of the breakdown and its figures.
type Row struct {
	Cell
	Suppressed bool `json:"suppressed"`
	Figures
}

// Comparison is one variant against the control on one metric.
type Comparison struct {
	Variant string `json:"variant"`
	Metric  string `json:"metric"` // ctr, dismiss_rate or desistance
	// Uplift is the relative difference with a 95% confidence interval
	// and p-value (Welch's t-test, delta method).
	Uplift Interval `json:"uplift"`
	// Sequential is the always-valid interval, for analysts who look at
	// the report while the experiment runs.
	Sequential  Interval   `json:"sequential"`
	ChanceToWin float64    `json:"chance_to_win"`
	Risk        [2]float64 `json:"risk"`
}

// Interval is a relative effect with its 95% interval, standard error
// and p-value.
type Interval struct {
	Expected float64 `json:"expected"`
	Low      float64 `json:"ci_low"`
	High     float64 `json:"ci_high"`
	SE       float64 `json:"se"`
	PValue   float64 `json:"p_value"`
}

func interval(r stats.Result) Interval {
	return Interval{Expected: r.Expected, Low: r.CILow, High: r.CIHigh, SE: r.SE, PValue: r.PValue}
}

// SRMCheck is the sample-ratio-mismatch test on cards served per variant.
type SRMCheck struct {
	PValue  float64 `json:"p_value"`
	Warning bool    `json:"warning"`
}

// Report is what the stats API returns.
type Report struct {
	Campaign    string       `json:"campaign"`
	From        string       `json:"from"`
	To          string       `json:"to"`
	By          []string     `json:"by"`
	Rows        []Row        `json:"rows"`
	Total       Row          `json:"total"`
	Comparisons []Comparison `json:"comparisons"`
	SRM         SRMCheck     `json:"srm"`
}

// Source is what a report reads: the store's counts and reach.
type Source interface {
	Counts(ctx context.Context, campaign string, fromHour, toHour int64) ([]store.Count, error)
	UniqueCount(ctx context.Context, campaign string, cells []store.UniqueCell) (int64, error)
}

// totals accumulates counts.
type totals struct {
	served, impressions, clicks, dismissals, continues, exposed, repeats int64
	clicksBy                                                             map[string]int64
	cells                                                                map[store.UniqueCell]bool
}

func (t *totals) add(c store.Count) {
	k := c.Key
	switch {
	case k.Event == EventServed:
		t.served += c.N
		t.cells[store.UniqueCell{Day: Day(time.Unix(k.Hour*3600, 0)), Variant: k.Variant, Locale: k.Locale, Platform: k.Platform}] = true
	case k.Event == EventImpression:
		t.impressions += c.N
	case strings.HasPrefix(k.Event, EventClick):
		t.clicks += c.N
		t.clicksBy[strings.TrimPrefix(k.Event, EventClick)] += c.N
	case k.Event == EventDismiss:
		t.dismissals += c.N
	case k.Event == EventContinue:
		t.continues += c.N
	case k.Event == EventExposed:
		t.exposed += c.N
	case k.Event == EventRepeat:
		t.repeats += c.N
	}
}

func newTotals() *totals {
	return &totals{clicksBy: map[string]int64{}, cells: map[store.UniqueCell]bool{}}
}

// BuildReport reads q's counts and reach from src and assembles the
// report: rows by q.By, the total, comparisons of every variant with the
// control, and the SRM check. Rows with fewer than q.MinCount unique
// subjects are suppressed, with complementary suppression so that no
// hidden row can be recovered from the total and the other rows.
func BuildReport(ctx context.Context, src Source, q ReportQuery) (*Report, error) {
	counts, err := src.Counts(ctx, q.Campaign, q.From.Unix()/3600, q.To.Unix()/3600)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	rows := map[Cell]*totals{}
	total := newTotals()
	byVariant := map[string]*totals{}
	for _, c := range counts {
		k := c.Key
		if q.Platform != "" && k.Platform != q.Platform {
			continue
		}
		var r Cell
		for _, d := range q.By {
			switch d {
			case "variant":
				r.Variant = k.Variant
			case "locale":
				r.Locale = k.Locale
			case "platform":
				r.Platform = k.Platform
			case "day":
				r.Day = Day(time.Unix(k.Hour*3600, 0))
			}
		}
		if rows[r] == nil {
			rows[r] = newTotals()
		}
		rows[r].add(c)
		total.add(c)
		if byVariant[k.Variant] == nil {
			byVariant[k.Variant] = newTotals()
		}
		byVariant[k.Variant].add(c)
	}

	rep := &Report{Campaign: q.Campaign, From: Day(q.From), To: Day(q.To), By: q.By, Rows: []Row{}, Comparisons: []Comparison{}}
	keys := make([]Cell, 0, len(rows))
	for r := range rows {
		keys = append(keys, r)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		return a.Variant+"\x00"+a.Locale+"\x00"+a.Platform+"\x00"+a.Day < b.Variant+"\x00"+b.Locale+"\x00"+b.Platform+"\x00"+b.Day
	})
	reach := make([]float64, len(keys))
	for i, r := range keys {
		n, err := uniques(ctx, src, q.Campaign, rows[r].cells)
		if err != nil {
			return nil, err
		}
		reach[i] = float64(n)
		rep.Rows = append(rep.Rows, Row{Cell: r, Figures: figures(rows[r], n)})
	}
	n, err := uniques(ctx, src, q.Campaign, total.cells)
	if err != nil {
		return nil, err
	}
	rep.Total.Figures = figures(total, n)
	// Rows are hidden on their unique subjects; the total's figures are
	// sums of the rows', so the breakdown's one line is rows plus total.
	b, err := stats.NewBreakdown(reach)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	mask := stats.SuppressBreakdown(b, float64(q.MinCount))
	for i := range rep.Rows {
		if mask.Cells[i] {
			rep.Rows[i].Suppressed, rep.Rows[i].Figures = true, Figures{}
		}
	}
	if mask.Total || (n > 0 && n < q.MinCount) {
		rep.Total.Suppressed, rep.Total.Figures = true, Figures{}
	}
	// A variant's rates are shown only if it reached MinCount people, like
	// a row: a rate over one person's cards is that person's behaviour.
	reachOK := map[string]bool{}
	for v, t := range byVariant {
		n, err := uniques(ctx, src, q.Campaign, t.cells)
		if err != nil {
			return nil, err
		}
		reachOK[v] = n >= q.MinCount
	}
	rep.Comparisons, rep.SRM = compare(q, byVariant, reachOK, float64(q.MinCount))
	return rep, nil
}

func uniques(ctx context.Context, src Source, campaign string, cells map[store.UniqueCell]bool) (int64, error) {
	if len(cells) == 0 {
		return 0, nil
	}
	list := make([]store.UniqueCell, 0, len(cells))
	for c := range cells {
		list = append(list, c)
	}
	n, err := src.UniqueCount(ctx, campaign, list)
	if err != nil {
		return 0, fmt.Errorf("report: unique reach: %w", err)
	}
	return n, nil
}

func figures(t *totals, reach int64) Figures {
	i := func(v int64) *int64 { return &v }
	f := Figures{Served: i(t.served), Impressions: i(t.impressions), Clicks: i(t.clicks), ClicksBy: t.clicksBy,
		Dismissals: i(t.dismissals), Continues: i(t.continues), Reach: i(reach), Exposed: i(t.exposed), Repeats: i(t.repeats)}
	f.CTR = ratio(t.clicks, t.impressions)
	f.DismissRate = ratio(t.dismissals, t.impressions)
	if d := ratio(t.exposed-t.repeats, t.exposed); d != nil {
		f.Desistance = d
	}
	return f
}

func ratio(num, den int64) *float64 {
	if den <= 0 {
		return nil
	}
	r := float64(num) / float64(den)
	return &r
}

// compare tests every variant against the control (the first) on CTR,
// dismiss rate and desistance, treating each impression (or exposure) as
// a unit: signpost keeps no per-person data, so this is the proportion
// test on cards, not people. A variant or control below minCount
// impressions (or people, reachOK) is not compared: small samples only
// produce noise, and a rate over a handful of people describes them.
func compare(q ReportQuery, byVariant map[string]*totals, reachOK map[string]bool, minCount float64) ([]Comparison, SRMCheck) {
	out := []Comparison{}
	served := make([]float64, len(q.Variants))
	for i, v := range q.Variants {
		if t := byVariant[v]; t != nil {
			served[i] = float64(t.served)
		}
	}
	var total float64
	for _, s := range served {
		total += s
	}
	p := stats.SRM(served, q.Weights)
	srm := SRMCheck{PValue: p, Warning: stats.SRMWarning(p, total, len(q.Variants))}
	if len(q.Variants) < 2 || byVariant[q.Variants[0]] == nil || !reachOK[q.Variants[0]] {
		return out, srm
	}
	ctrl := byVariant[q.Variants[0]]
	metrics := []struct {
		name    string
		num     func(*totals) int64
		den     func(*totals) int64
		inverse bool
	}{
		{"ctr", func(t *totals) int64 { return min(t.clicks, t.impressions) }, func(t *totals) int64 { return t.impressions }, false},
		{"dismiss_rate", func(t *totals) int64 { return t.dismissals }, func(t *totals) int64 { return t.impressions }, true},
		{"desistance", func(t *totals) int64 { return t.exposed - t.repeats }, func(t *totals) int64 { return t.exposed }, false},
	}
	for _, v := range q.Variants[1:] {
		t := byVariant[v]
		if t == nil || !reachOK[v] {
			continue
		}
		for _, m := range metrics {
			if float64(m.den(ctrl)) < minCount || float64(m.den(t)) < minCount {
				continue
			}
			a := stats.Proportion{N: float64(m.den(ctrl)), Sum: float64(m.num(ctrl))}
			b := stats.Proportion{N: float64(m.den(t)), Sum: float64(m.num(t))}
			bayes := stats.Bayesian(a, b, stats.BayesOptions{Inverse: m.inverse})
			c := Comparison{Variant: v, Metric: m.name, Uplift: interval(stats.Welch(a, b, stats.Options{})),
				Sequential: interval(stats.Sequential(a, b, stats.SequentialOptions{})), ChanceToWin: bayes.ChanceToWin, Risk: bayes.Risk}
			out = append(out, c)
		}
	}
	return out, srm
}
