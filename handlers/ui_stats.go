package handlers

import (
	"context"
	"encoding/json"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"

	"signpost/auth"
	"signpost/messages"
	"signpost/track"
)

// registerStatsPages adds the stats pages of the web UI: the list of
// campaigns, each campaign's dashboard, and its CSV download (the same
// report as the dashboard's tables, for editors too, who may not use the
// stats API).
func (s *Server) registerStatsPages(app *fiber.App) {
	guard := s.page(auth.RoleAnalyst, auth.RoleEditor, auth.RoleReviewer)
	app.Get("/ui/stats", guard, s.statsListPage)
	app.Get("/ui/stats/:id", guard, s.statsDashboardPage)
	app.Get("/ui/stats/:id/csv", guard, s.statsCSV)
}

// statsDayChoices are the periods the dashboard offers, in days.
var statsDayChoices = []int{7, 30, 90, 365}

// Filter values the dashboard accepts: a platform id, as tokens name them,
// and a locale as the counts record it.
var (
	statsPlatformRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)
	statsLocaleRe   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,34}$`)
)

// statsFilter is the period and filters of a dashboard or CSV: the API's
// from/to (to excluded), or days ending today, plus a platform and a
// locale.
type statsFilter struct {
	q track.ReportQuery
	// Days is the period in days ending today, 0 when from/to set it.
	Days     int
	From, To string // the API's from and to (to excluded), as given
	Platform string
	Locale   string
}

// statsFilters reads the dashboard's query parameters. A bad value is
// dropped (the default applies) and named by the returned message id.
func statsFilters(c *fiber.Ctx, now time.Time) (statsFilter, string) {
	var f statsFilter
	var problem string
	today := now.UTC().Truncate(24 * time.Hour)
	f.q = track.ReportQuery{Campaign: strings.Clone(c.Params("id")), MinCount: MinReportCount, By: []string{}}
	days := strings.TrimSpace(c.Query("days"))
	from, to := strings.TrimSpace(c.Query("from")), strings.TrimSpace(c.Query("to"))
	switch {
	case days == "" && (from != "" || to != ""):
		// The API's rules: to excluded, tomorrow by default; from 30
		// days before by default; at most 400 days.
		t, f2 := today.AddDate(0, 0, 1), time.Time{}
		var err error
		if to != "" {
			t, err = time.Parse("2006-01-02", to)
		}
		if err == nil && from != "" {
			f2, err = time.Parse("2006-01-02", from)
		} else if err == nil {
			f2 = t.AddDate(0, 0, -defaultReportDays)
		}
		if err != nil || !f2.Before(t) || t.Sub(f2) > maxReportDays*24*time.Hour {
			problem = "stats.error.period"
			f.Days = defaultReportDays
			break
		}
		f.q.From, f.q.To = f2, t
		f.From, f.To = track.Day(f2), track.Day(t)
	default:
		n := defaultReportDays
		if days != "" {
			v, err := strconv.Atoi(days)
			if err != nil || v < 1 || v > maxReportDays {
				problem = "stats.error.days"
			} else {
				n = v
			}
		}
		f.Days = n
	}
	if f.Days > 0 {
		f.q.To = today.AddDate(0, 0, 1)
		f.q.From = f.q.To.AddDate(0, 0, -f.Days)
	}
	if v := c.Query("platform"); v != "" {
		if statsPlatformRe.MatchString(v) {
			f.Platform = strings.Clone(v)
		} else {
			problem = "stats.error.platform"
		}
	}
	if v := c.Query("locale"); v != "" {
		if statsLocaleRe.MatchString(v) {
			f.Locale = strings.Clone(v)
		} else {
			problem = "stats.error.locale"
		}
	}
	return f, problem
}

// query returns f's report query for one breakdown; platform says whether
// the platform filter applies (the platform breakdown shows them all).
func (f statsFilter) query(platform bool, by ...string) track.ReportQuery {
	q := f.q
	q.By = slices.Clone(by)
	if q.By == nil {
		q.By = []string{}
	}
	if platform {
		q.Platform = f.Platform
	}
	if f.Locale != "" && !slices.Contains(q.By, "locale") {
		q.By = append(q.By, "locale")
	}
	return q
}

// params are f as query parameters, for links that keep the filters.
func (f statsFilter) params() url.Values {
	v := url.Values{}
	if f.Days > 0 {
		v.Set("days", strconv.Itoa(f.Days))
	} else {
		v.Set("from", f.From)
		v.Set("to", f.To)
	}
	if f.Platform != "" {
		v.Set("platform", f.Platform)
	}
	if f.Locale != "" {
		v.Set("locale", f.Locale)
	}
	return v
}

// report runs one breakdown of the dashboard. With a locale filter the
// report is asked by locale too and only that locale's rows are kept;
// localeTotal (that locale's row of the language breakdown) becomes the
// total, and the comparisons and SRM check, which cover every language,
// are dropped.
func (s *Server) statsReport(ctx context.Context, f statsFilter, platform bool, localeTotal *track.Row, by ...string) (*track.Report, error) {
	rep, err := s.Reports.Report(ctx, f.query(platform, by...))
	if err != nil {
		return nil, err
	}
	if f.Locale == "" {
		return rep, nil
	}
	rows := []track.Row{}
	for _, r := range rep.Rows {
		if r.Locale == f.Locale {
			rows = append(rows, r)
		}
	}
	complementSubset(rows)
	rep.Rows = rows
	rep.Total = track.Row{}
	if localeTotal != nil {
		rep.Total = *localeTotal
	}
	rep.Comparisons = nil
	rep.SRM = track.SRMCheck{}
	return rep, nil
}

// complementSubset keeps a locale's slice of a breakdown safe to show
// next to that locale's total (published in the language breakdown): the
// rows sum to it, so if exactly one row is hidden it could be recovered
// by subtraction. Then the smallest visible row is hidden too, as
// track.BuildReport does for a whole breakdown.
func complementSubset(rows []track.Row) {
	hidden, smallest := 0, -1
	for i, r := range rows {
		if r.Suppressed {
			hidden++
			continue
		}
		if smallest < 0 || reachOf(r) < reachOf(rows[smallest]) {
			smallest = i
		}
	}
	if hidden == 1 && smallest >= 0 {
		rows[smallest].Suppressed, rows[smallest].Figures = true, track.Figures{}
	}
}

func reachOf(r track.Row) int64 {
	if r.Reach == nil {
		return 0
	}
	return *r.Reach
}

// statsDefinition is the campaign's definition as its report uses it: the
// live one, else the working copy.
func (s *Server) statsDefinition(ctx context.Context, id string) (*messages.Definition, error) {
	if s.Catalog != nil {
		if cat := s.Catalog.Load(); cat != nil {
			if camp, ok := cat.Campaign(id); ok {
				return camp.Def, nil
			}
		}
	}
	def, _, err := s.Campaigns.Definition(ctx, id, 0)
	return def, err
}

// statsCampaign is one campaign in the list.
type statsCampaign struct {
	ID, Name, Status string
	Serving          bool
	URL              string
}

func (s *Server) statsListPage(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 10*time.Second)
	defer cancel()
	list, err := s.Campaigns.List(ctx)
	if err != nil {
		return err
	}
	p := s.newPage(c, "stats.list.title", "stats")
	out := make([]statsCampaign, 0, len(list))
	for _, sum := range list {
		sc := statsCampaign{ID: sum.ID, Status: sum.Status, Serving: sum.Serving, URL: "/ui/stats/" + url.PathEscape(sum.ID)}
		if def, err := s.statsDefinition(ctx, sum.ID); err == nil && def != nil {
			sc.Name = def.Name
		}
		out = append(out, sc)
	}
	p.Data = out
	return s.render(c, fiber.StatusOK, "stats", p)
}

// statsCell is one figure as shown: formatted for the reader, or hidden.
type statsCell struct {
	Text string
	// Hidden cells show Text ("<10") with SR, the words for screen readers.
	Hidden bool
	SR     string
}

// statsFigures are a row's figures as shown.
type statsFigures struct {
	Served, Impressions, Clicks, Dismissals, Continues, Reach, CTR, DismissRate, Desistance statsCell
}

// statsRow is a row of a table: a variant, a language, a platform or a day.
type statsRow struct {
	Name    string
	Control bool
	Current bool // the row the filters select
	statsFigures
}

// statsComparison is a variant against the control on one metric.
type statsComparison struct {
	Variant, Metric string
	Uplift, CI      string
	Sequential      string
	ChanceToWin     string
	PValue          string
	// Significant: the 95% interval excludes 0.
	Significant bool
}

// statsHelp is one statistic's plain-language explanation.
type statsHelp struct {
	Label, Text string
}

// statsOption is a choice of a select.
type statsOption struct {
	Value, Label string
	Selected     bool
}

// statsDashboard is what the dashboard template shows.
type statsDashboard struct {
	ID, Name     string
	Period       string // the days covered, for people (last day included)
	K            int
	Days         []statsOption
	From, To     string
	Platforms    []statsOption
	Locales      []statsOption
	Platform     string
	Locale       string
	Variants     []statsRow
	Total        statsRow
	Comparisons  []statsComparison
	Control      string
	HasSRM       bool
	SRMWarning   bool
	SRMPValue    string
	ByLocale     []statsRow
	LocaleTotal  statsRow
	ByPlatform   []statsRow
	PlatformTot  statsRow
	ByDay        []statsRow
	Series       string // JSON for stats.js
	CSV          map[string]string
	Help         map[string]statsHelp
	ChartLabel   string
	LocaleFilter bool
}

// statsFormat formats numbers for the reader's language.
type statsFormat struct {
	p   *message.Printer
	sr  string // what a hidden cell says to screen readers
	k   string
	rtl bool
}

func newStatsFormat(lang, sr string) statsFormat {
	tag, err := language.Parse(lang)
	if err != nil {
		tag = language.English
	}
	// Arabic keeps Western digits, as browsers (current CLDR) write them
	// in the chart beside the tables; the page still mirrors.
	rtl := false
	if b, _ := tag.Base(); b.String() == "ar" {
		tag, rtl = language.MustParse("ar-u-nu-latn"), true
	}
	f := statsFormat{p: message.NewPrinter(tag), sr: sr, rtl: rtl}
	f.k = f.p.Sprint(number.Decimal(MinReportCount))
	return f
}

func (f statsFormat) count(v *int64) string {
	if v == nil {
		return "—"
	}
	return f.p.Sprint(number.Decimal(*v))
}

func (f statsFormat) percent(v float64, digits int) string {
	return f.p.Sprint(number.Percent(v, number.MinFractionDigits(digits), number.MaxFractionDigits(digits)))
}

func (f statsFormat) rate(v *float64) string {
	if v == nil {
		return "—"
	}
	return f.percent(*v, 1)
}

// signed is a relative effect with its sign: +12.3 %, −4.0 %. In a
// right-to-left language the number is isolated left-to-right (U+2066
// ... U+2069), so the sign stays before it.
func (f statsFormat) signed(v float64) string {
	var s string
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "—"
	case v > 0:
		s = "+" + f.percent(v, 1)
	case v < 0:
		s = "−" + f.percent(-v, 1)
	default:
		s = f.percent(0, 1)
	}
	if f.rtl {
		s = "\u2066" + s + "\u2069"
	}
	return s
}

// pvalue shows a p-value with up to 4 decimals, "< 0.0001" below.
func (f statsFormat) pvalue(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	if v < 0.0001 {
		return "< " + f.p.Sprint(number.Decimal(0.0001, number.MinFractionDigits(4), number.MaxFractionDigits(4)))
	}
	return f.p.Sprint(number.Decimal(v, number.MaxFractionDigits(4), number.MinFractionDigits(1)))
}

func (f statsFormat) figures(r track.Row) statsFigures {
	if r.Suppressed {
		h := statsCell{Text: "<" + f.k, Hidden: true, SR: f.sr}
		return statsFigures{h, h, h, h, h, h, h, h, h}
	}
	c := func(v *int64) statsCell { return statsCell{Text: f.count(v)} }
	r2 := func(v *float64) statsCell { return statsCell{Text: f.rate(v)} }
	return statsFigures{Served: c(r.Served), Impressions: c(r.Impressions), Clicks: c(r.Clicks), Dismissals: c(r.Dismissals),
		Continues: c(r.Continues), Reach: c(r.Reach), CTR: r2(r.CTR), DismissRate: r2(r.DismissRate), Desistance: r2(r.Desistance)}
}

// statsMetrics are the compared metrics, in the report's order.
var statsMetrics = []string{"ctr", "dismiss_rate", "desistance"}

// statsHelpIDs are the statistics the dashboard explains.
var statsHelpIDs = []string{"served", "impressions", "clicks", "dismissals", "continues", "reach", "ctr", "dismiss_rate", "desistance",
	"uplift", "ci", "sequential", "chance", "pvalue", "srm", "hidden"}

func (s *Server) statsDashboardPage(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 20*time.Second)
	defer cancel()
	id := strings.Clone(c.Params("id"))
	def, err := s.statsDefinition(ctx, id)
	if err != nil {
		return err
	}
	p := s.newPage(c, "", "stats")
	name := def.Name
	if name == "" {
		name = id
	}
	p.Title = p.T("stats.dashboard.title", "Name", name)
	f, problem := statsFilters(c, time.Now())
	if problem != "" {
		p.Error = p.T(problem)
	}
	fm := newStatsFormat(p.Lang, p.T("stats.hidden.sr", "K", MinReportCount))
	d := &statsDashboard{ID: id, Name: name, K: MinReportCount, From: f.From, To: f.To, Platform: f.Platform, Locale: f.Locale,
		LocaleFilter: f.Locale != "", Help: map[string]statsHelp{}, CSV: map[string]string{}}
	last := f.q.To.AddDate(0, 0, -1)
	d.Period = p.T("stats.period.range", "From", track.Day(f.q.From), "To", track.Day(last))
	for _, n := range statsDayChoices {
		d.Days = append(d.Days, statsOption{Value: strconv.Itoa(n), Label: p.T("stats.filter.lastdays", "N", n), Selected: f.Days == n})
	}
	d.Days = append(d.Days, statsOption{Value: "", Label: p.T("stats.filter.dates"), Selected: f.Days == 0})
	if f.Days > 0 && !slices.Contains(statsDayChoices, f.Days) {
		d.Days = append([]statsOption{{Value: strconv.Itoa(f.Days), Label: p.T("stats.filter.lastdays", "N", f.Days), Selected: true}}, d.Days...)
	}
	for _, h := range statsHelpIDs {
		d.Help[h] = statsHelp{Label: p.T("stats.help.label", "Name", p.T("stats.col."+h)), Text: p.T("stats.help."+h, "K", MinReportCount)}
	}
	for _, by := range []string{"variant", "locale", "platform", "day"} {
		v := f.params()
		v.Set("by", by)
		d.CSV[by] = "/ui/stats/" + url.PathEscape(id) + "/csv?" + v.Encode()
	}

	// Languages first: with a locale filter, its row is the total of the
	// other breakdowns.
	byLocale, err := s.Reports.Report(ctx, statsFilter{q: f.q, Platform: f.Platform}.query(true, "locale"))
	if err != nil {
		return err
	}
	var localeTotal *track.Row
	for i, r := range byLocale.Rows {
		row := statsRow{Name: r.Locale, Current: r.Locale == f.Locale && f.Locale != "", statsFigures: fm.figures(r)}
		d.ByLocale = append(d.ByLocale, row)
		d.Locales = append(d.Locales, statsOption{Value: r.Locale, Label: r.Locale, Selected: r.Locale == f.Locale})
		if r.Locale == f.Locale && f.Locale != "" {
			localeTotal = &byLocale.Rows[i]
		}
	}
	d.LocaleTotal = statsRow{statsFigures: fm.figures(byLocale.Total)}
	if f.Locale != "" && localeTotal == nil {
		d.Locales = append(d.Locales, statsOption{Value: f.Locale, Label: f.Locale, Selected: true})
	}

	variants, err := s.statsReport(ctx, f, true, localeTotal, "variant")
	if err != nil {
		return err
	}
	rows := map[string]track.Row{}
	var order []string
	for _, v := range def.Experiment.Variants {
		order = append(order, v.Key)
	}
	var extra []string
	for _, r := range variants.Rows {
		rows[r.Variant] = r
		if !slices.Contains(order, r.Variant) {
			extra = append(extra, r.Variant)
		}
	}
	slices.Sort(extra)
	order = append(order, extra...)
	zero := func() track.Row {
		z := int64(0)
		return track.Row{Figures: track.Figures{Served: &z, Impressions: &z, Clicks: &z, Dismissals: &z, Continues: &z, Reach: &z}}
	}
	for i, v := range order {
		r, ok := rows[v]
		if !ok {
			r = zero()
		}
		d.Variants = append(d.Variants, statsRow{Name: v, Control: i == 0 && len(def.Experiment.Variants) > 0, statsFigures: fm.figures(r)})
	}
	if len(def.Experiment.Variants) > 0 {
		d.Control = def.Experiment.Variants[0].Key
	}
	d.Total = statsRow{statsFigures: fm.figures(variants.Total)}
	if f.Locale == "" {
		d.HasSRM = len(def.Experiment.Variants) > 1
		d.SRMWarning = variants.SRM.Warning
		d.SRMPValue = fm.pvalue(variants.SRM.PValue)
		for _, v := range order {
			for _, m := range statsMetrics {
				for _, cmp := range variants.Comparisons {
					if cmp.Variant != v || cmp.Metric != m {
						continue
					}
					d.Comparisons = append(d.Comparisons, statsComparison{Variant: v, Metric: m,
						Uplift:      fm.signed(cmp.Uplift.Expected),
						CI:          p.T("stats.ci.range", "Low", fm.signed(cmp.Uplift.Low), "High", fm.signed(cmp.Uplift.High)),
						Sequential:  p.T("stats.ci.range", "Low", fm.signed(cmp.Sequential.Low), "High", fm.signed(cmp.Sequential.High)),
						ChanceToWin: fm.percent(cmp.ChanceToWin, 1),
						PValue:      fm.pvalue(cmp.Uplift.PValue),
						Significant: cmp.Uplift.Low > 0 || cmp.Uplift.High < 0,
					})
				}
			}
		}
	}

	byPlatform, err := s.statsReport(ctx, f, false, localeTotal, "platform")
	if err != nil {
		return err
	}
	for _, r := range byPlatform.Rows {
		d.ByPlatform = append(d.ByPlatform, statsRow{Name: r.Platform, Current: r.Platform == f.Platform && f.Platform != "", statsFigures: fm.figures(r)})
		d.Platforms = append(d.Platforms, statsOption{Value: r.Platform, Label: r.Platform, Selected: r.Platform == f.Platform})
	}
	d.PlatformTot = statsRow{statsFigures: fm.figures(byPlatform.Total)}
	if f.Platform != "" && !slices.ContainsFunc(d.Platforms, func(o statsOption) bool { return o.Selected }) {
		d.Platforms = append(d.Platforms, statsOption{Value: f.Platform, Label: f.Platform, Selected: true})
	}

	byDay, err := s.statsReport(ctx, f, true, localeTotal, "day")
	if err != nil {
		return err
	}
	series, days := statsSeries(p.T, byDay, f.q.From, f.q.To)
	for _, day := range days {
		d.ByDay = append(d.ByDay, statsRow{Name: day.Day, statsFigures: fm.figures(day)})
	}
	d.Series = series
	d.ChartLabel = p.T("stats.chart.label", "From", track.Day(f.q.From), "To", track.Day(last))
	p.Data = d
	return s.render(c, fiber.StatusOK, "stats_dashboard", p)
}

// statsChart is the chart's data for stats.js: x in Unix seconds (UTC
// midnights), one series per figure, null where a day is hidden.
type statsChart struct {
	X      []int64     `json:"x"`
	XLabel string      `json:"xlabel"`
	Series []statsLine `json:"series"`
	Hidden string      `json:"hidden"`
}

type statsLine struct {
	Label string   `json:"label"`
	Data  []*int64 `json:"data"`
}

// statsSeries lays the day breakdown out over every day of [from, to):
// a day without counts has none (zeros), a hidden day is null. It returns
// the chart's JSON and the rows, one per day, for the table beside it.
func statsSeries(t func(string, ...any) string, rep *track.Report, from, to time.Time) (string, []track.Row) {
	byDay := map[string]track.Row{}
	for _, r := range rep.Rows {
		byDay[r.Day] = r
	}
	ch := statsChart{XLabel: t("stats.col.day"), Hidden: t("stats.chart.hidden")}
	figs := []struct {
		label string
		get   func(track.Row) *int64
	}{
		{"stats.col.served", func(r track.Row) *int64 { return r.Served }},
		{"stats.col.impressions", func(r track.Row) *int64 { return r.Impressions }},
		{"stats.col.clicks", func(r track.Row) *int64 { return r.Clicks }},
		{"stats.col.dismissals", func(r track.Row) *int64 { return r.Dismissals }},
	}
	for _, fg := range figs {
		ch.Series = append(ch.Series, statsLine{Label: t(fg.label)})
	}
	var rows []track.Row
	for day := from; day.Before(to); day = day.AddDate(0, 0, 1) {
		key := track.Day(day)
		r, ok := byDay[key]
		if !ok {
			z := int64(0)
			r = track.Row{Cell: track.Cell{Day: key}, Figures: track.Figures{Served: &z, Impressions: &z, Clicks: &z, Dismissals: &z, Continues: &z, Reach: &z}}
		}
		r.Day = key
		rows = append(rows, r)
		ch.X = append(ch.X, day.Unix())
		for i, fg := range figs {
			var v *int64
			if !r.Suppressed {
				v = fg.get(r)
			}
			ch.Series[i].Data = append(ch.Series[i].Data, v)
		}
	}
	b, err := json.Marshal(ch)
	if err != nil {
		return "{}", rows
	}
	return string(b), rows
}

// statsCSV is the dashboard's report as CSV (the stats API's columns,
// "<10" in hidden cells), with the dashboard's filters and ?by=.
func (s *Server) statsCSV(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 10*time.Second)
	defer cancel()
	f, problem := statsFilters(c, time.Now())
	if problem != "" {
		return errorf(fiber.StatusBadRequest, "invalid_filter", "days, from, to, platform or locale is not valid")
	}
	by := []string{}
	if v := c.Query("by"); v != "" {
		for _, d := range strings.Split(v, ",") {
			d = strings.TrimSpace(d)
			if !track.ValidDimension(d) {
				return errorf(fiber.StatusBadRequest, "invalid_by", "by takes variant, locale, platform and day, separated by commas")
			}
			if !slices.Contains(by, d) {
				by = append(by, strings.Clone(d))
			}
		}
	}
	var localeTotal *track.Row
	if f.Locale != "" {
		byLocale, err := s.Reports.Report(ctx, statsFilter{q: f.q, Platform: f.Platform}.query(true, "locale"))
		if err != nil {
			return err
		}
		for i, r := range byLocale.Rows {
			if r.Locale == f.Locale {
				localeTotal = &byLocale.Rows[i]
			}
		}
	}
	rep, err := s.statsReport(ctx, f, true, localeTotal, by...)
	if err != nil {
		return err
	}
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, f.q.Campaign)
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`-stats.csv"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return writeCSV(c, rep)
}
