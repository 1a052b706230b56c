package handlers

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"signpost/auth"
	"signpost/editing"
	"signpost/locales"
	"signpost/messages"
	"signpost/track"
	"signpost/web"
)

// xss is typed into every field of the stats pages that people (or
// counts) fill: campaign name, variant keys, platform and locale names.
const xss = `<script>alert(1)</script>"'><img src=x onerror=alert(1)>`

type fakeTokens struct {
	TokenIssuer
	roles map[string]auth.Principal
}

func (f fakeTokens) Authenticate(secret string) (auth.Principal, bool) {
	p, ok := f.roles[secret]
	return p, ok
}

type fakeCampaigns struct {
	CampaignEditor
	defs map[string]*messages.Definition
}

func (f fakeCampaigns) List(context.Context) ([]editing.Summary, error) {
	var out []editing.Summary
	for id := range f.defs {
		out = append(out, editing.Summary{ID: id, Status: "published", Serving: true, LiveVersion: 1})
	}
	slices.SortFunc(out, func(a, b editing.Summary) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

func (f fakeCampaigns) Definition(_ context.Context, id string, _ int64) (*messages.Definition, map[string]messages.LocaleFile, error) {
	d, ok := f.defs[id]
	if !ok {
		return nil, nil, editing.ErrNotFound
	}
	return d, nil, nil
}

// fakeReports answers every breakdown with fixed rows; queries records
// what was asked.
type fakeReports struct {
	variants []string
	queries  []track.ReportQuery
}

func i64(v int64) *int64     { return &v }
func f64(v float64) *float64 { return &v }

func visible(served, imp, clicks, dis, reach int64) track.Row {
	r := track.Row{Figures: track.Figures{Served: i64(served), Impressions: i64(imp), Clicks: i64(clicks), Dismissals: i64(dis),
		Continues: i64(imp - clicks - dis), Reach: i64(reach), Exposed: i64(served), Repeats: i64(served / 10)}}
	r.CTR = f64(float64(clicks) / float64(imp))
	r.DismissRate = f64(float64(dis) / float64(imp))
	r.Desistance = f64(0.9)
	return r
}

func hidden() track.Row { return track.Row{Suppressed: true} }

func (f *fakeReports) Report(_ context.Context, q track.ReportQuery) (*track.Report, error) {
	f.queries = append(f.queries, q)
	rep := &track.Report{Campaign: q.Campaign, From: track.Day(q.From), To: track.Day(q.To), By: q.By, Total: visible(1234567, 2000, 150, 100, 1500),
		Comparisons: []track.Comparison{}}
	has := func(d string) bool { return slices.Contains(q.By, d) }
	switch {
	case has("variant"):
		a, b, c := visible(600, 1000, 100, 50, 700), visible(590, 990, 50, 50, 690), hidden()
		a.Variant, b.Variant, c.Variant = f.variants[0], f.variants[1], f.variants[2]
		rep.Rows = []track.Row{a, b, c}
		rep.Comparisons = []track.Comparison{{Variant: f.variants[1], Metric: "ctr",
			Uplift:      track.Interval{Expected: 0.123, Low: -0.021, High: 0.25, PValue: 0.04},
			Sequential:  track.Interval{Expected: 0.123, Low: -0.2, High: 0.4},
			ChanceToWin: 0.87}}
		rep.SRM = track.SRMCheck{PValue: 0.0002, Warning: true}
	case has("locale") && has("platform"):
		x, y := visible(700, 1000, 100, 50, 700), visible(20, 20, 1, 1, 15)
		x.Locale, x.Platform, y.Locale, y.Platform = "en", "test", "en", xss
		z := hidden()
		z.Locale, z.Platform = "en", "other"
		rep.Rows = []track.Row{x, y, z}
	case has("locale"):
		en, fr, ar := visible(700, 1000, 100, 50, 700), hidden(), hidden()
		en.Locale, fr.Locale, ar.Locale = "en", "fr", xss
		rep.Rows = []track.Row{en, fr, ar}
	case has("platform"):
		p := visible(1200, 2000, 150, 100, 1500)
		p.Platform = "test"
		rep.Rows = []track.Row{p}
	case has("day"):
		d1, d2 := visible(10, 20, 1, 1, 12), hidden()
		d1.Day, d2.Day = track.Day(q.To.AddDate(0, 0, -2)), track.Day(q.To.AddDate(0, 0, -1))
		rep.Rows = []track.Row{d1, d2}
	}
	return rep, nil
}

type statsEnv struct {
	app     *fiber.App
	reports *fakeReports
}

func newStatsEnv(t *testing.T) *statsEnv {
	t.Helper()
	assets, err := web.NewAssets()
	if err != nil {
		t.Fatal(err)
	}
	ui, err := web.NewUI(assets, locales.UI())
	if err != nil {
		t.Fatal(err)
	}
	variants := []string{"a", xss, "c"}
	def := &messages.Definition{ID: "boats", Name: xss, Experiment: messages.ExperimentConfig{Variants: []messages.Variant{
		{Key: variants[0], Weight: 1}, {Key: variants[1], Weight: 1}, {Key: variants[2], Weight: 1}}}}
	rep := &fakeReports{variants: variants}
	s := &Server{
		Tokens: fakeTokens{roles: map[string]auth.Principal{
			"an": {TokenID: "tok_an", Name: "ana", Role: auth.RoleAnalyst},
			"ed": {TokenID: "tok_ed", Name: "eddie", Role: auth.RoleEditor},
			"re": {TokenID: "tok_re", Name: "rita", Role: auth.RoleReviewer},
			"pl": {TokenID: "tok_pl", Name: "plat", Role: auth.RolePlatform, Platform: "test"},
			"ad": {TokenID: "tok_ad", Name: "root", Role: auth.RoleAdmin},
		}},
		Campaigns: fakeCampaigns{defs: map[string]*messages.Definition{"boats": def}},
		Reports:   rep,
		UI:        ui,
		Assets:    assets,
		Log:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	app := fiber.New(fiber.Config{ErrorHandler: ErrorHandler(s.Log)})
	s.registerStatsPages(app)
	return &statsEnv{app: app, reports: rep}
}

func (e *statsEnv) get(t *testing.T, path, secret string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	resp, err := e.app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// TestStatsPagesRoles: analysts, editors, reviewers and admins see the
// pages; a platform token is refused; nobody signed in goes to sign in.
func TestStatsPagesRoles(t *testing.T) {
	e := newStatsEnv(t)
	for _, path := range []string{"/ui/stats", "/ui/stats/boats", "/ui/stats/boats/csv?by=variant"} {
		for secret, want := range map[string]int{"an": 200, "ed": 200, "re": 200, "ad": 200, "pl": 403} {
			resp, body := e.get(t, path, secret)
			if resp.StatusCode != want {
				t.Errorf("%s as %s: %d, want %d", path, secret, resp.StatusCode, want)
			}
			if want == 403 && (strings.Contains(body, "1,234,567") || !strings.Contains(body, "You do not have access")) {
				t.Errorf("%s as platform: the refusal page is not the forbidden page or shows figures", path)
			}
		}
		resp, _ := e.get(t, path, "")
		if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/ui/signin?next=") {
			t.Errorf("%s without a session: %d %q, want 303 to sign-in", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if resp, _ := e.get(t, "/ui/stats/nope", "an"); resp.StatusCode != 404 {
		t.Errorf("unknown campaign: %d, want 404", resp.StatusCode)
	}
}

// TestStatsDashboard: the figures, hidden cells as <K, the comparison
// formatting, the SRM badge, the chart's data and the CSV links.
func TestStatsDashboard(t *testing.T) {
	e := newStatsEnv(t)
	resp, body := e.get(t, "/ui/stats/boats?days=7&platform=test", "an")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); csp != web.UICSP {
		t.Errorf("CSP %q", csp)
	}
	for _, want := range []string{
		`<span aria-hidden="true">&lt;10</span><span class="vh">hidden: fewer than 10 people</span>`,
		`<td class="num">1,234,567</td>`,  // the total, grouped
		`<td class="num">10.0%</td>`,      // a's CTR
		`<td class="num">&#43;12.3%</td>`, // uplift (html/template writes + as &#43;)
		`<td class="num">−2.1% to &#43;25.0%</td>`,
		`<td class="num">87.0%</td>`, // chance to win
		`<td class="num">0.04</td>`,  // p-value
		`class="srm srm-warning" role="alert"`,
		`<details class="explain"><summary><span class="vh">What does “Click-through rate” mean?</span>`,
		`role="img" aria-label="Chart of cards served`,
		`<option value="7" selected>Last 7 days</option>`,
		`<option value="test" selected>test</option>`,
		`/ui/stats/boats/csv?by=variant&amp;days=7&amp;platform=test`,
		`<span class="tag">control</span>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %s", want)
		}
	}
	// Every report but the platform breakdown is limited to the platform;
	// the period is the last 7 days.
	for _, q := range e.reports.queries {
		wantPlatform := "test"
		if slices.Contains(q.By, "platform") {
			wantPlatform = ""
		}
		if q.Platform != wantPlatform || q.To.Sub(q.From) != 7*24*time.Hour || q.MinCount != MinReportCount {
			t.Errorf("query %+v", q)
		}
	}
	// The chart's data: JSON in an attribute, with every day of the
	// period and null for the hidden one.
	i := strings.Index(body, `data-series="`)
	if i < 0 {
		t.Fatal("no data-series")
	}
	attr := body[i+len(`data-series="`):]
	attr = html.UnescapeString(attr[:strings.IndexByte(attr, '"')])
	var ch statsChart
	if err := json.Unmarshal([]byte(attr), &ch); err != nil {
		t.Fatalf("data-series is not JSON: %v %s", err, attr)
	}
	if len(ch.X) != 7 || len(ch.Series) != 4 || ch.Series[1].Data[5] == nil || *ch.Series[1].Data[5] != 20 || ch.Series[1].Data[6] != nil || *ch.Series[1].Data[0] != 0 {
		t.Errorf("chart data %s", attr)
	}
}

// TestStatsXSS: a campaign name, variant keys, a platform and a locale
// holding markup are shown escaped, on the list and the dashboard.
func TestStatsXSS(t *testing.T) {
	e := newStatsEnv(t)
	for _, path := range []string{"/ui/stats", "/ui/stats/boats", "/ui/stats/boats?locale=en", "/ui/stats/boats?lang=ar"} {
		resp, body := e.get(t, path, "an")
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		for _, bad := range []string{"<script>alert", "<img src=x", `"'><img`} {
			if strings.Contains(body, bad) {
				t.Errorf("%s: %q is not escaped", path, bad)
			}
		}
		if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&#39;&gt;&lt;img src=x onerror=alert(1)&gt;") {
			t.Errorf("%s: the escaped payload is missing", path)
		}
		if strings.Count(body, "<script") != 2+2*btoi(path != "/ui/stats") {
			t.Errorf("%s: %d script elements", path, strings.Count(body, "<script"))
		}
	}
	_, body := e.get(t, "/ui/stats/boats", "an")
	if !strings.Contains(body, `<h1 dir="auto">&lt;script&gt;`) {
		t.Error("the campaign name is not shown with dir=auto")
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestStatsLanguages: numbers follow the reader's language; Arabic
// mirrors the page.
func TestStatsLanguages(t *testing.T) {
	e := newStatsEnv(t)
	_, fr := e.get(t, "/ui/stats/boats?lang=fr", "an")
	for _, want := range []string{"1\u00a0234\u00a0567", "&#43;12,3\u00a0%", "de −2,1\u00a0% à &#43;25,0\u00a0%", "87,0\u00a0%", "0,04", "Taux de clic", `lang="fr"`} {
		if !strings.Contains(fr, want) {
			t.Errorf("fr lacks %q", want)
		}
	}
	_, ar := e.get(t, "/ui/stats/boats?lang=ar", "an")
	for _, want := range []string{`dir="rtl"`, "نسبة النقر", `<span aria-hidden="true">&lt;10</span><span class="vh">مخفي`, "1,234,567"} {
		if !strings.Contains(ar, want) {
			t.Errorf("ar lacks %q", want)
		}
	}
	for lang, body := range map[string]string{"fr": fr, "ar": ar} {
		if strings.Contains(body, "stats.") {
			i := strings.Index(body, "stats.")
			if !strings.Contains(body[i-20:i], "/") { // asset and page URLs are fine
				t.Errorf("%s: untranslated id near %q", lang, body[i-20:min(len(body), i+40)])
			}
		}
	}
}

// TestStatsLocaleFilter: with a locale, only its rows are shown, the
// language's own row is the total, comparisons are withheld, and a lone
// hidden row gets a complement.
func TestStatsLocaleFilter(t *testing.T) {
	e := newStatsEnv(t)
	resp, body := e.get(t, "/ui/stats/boats?locale=en", "an")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if strings.Contains(body, `id="comparisons"`) || !strings.Contains(body, "Comparisons cover every language") {
		t.Error("comparisons shown under a locale filter")
	}
	// The variants' total is the language's own row (700 served), not
	// the all-language total.
	v := body[strings.Index(body, `id="variants"`):]
	v = v[:strings.Index(v, "</table>")]
	if strings.Contains(v, "1,234,567") || !strings.Contains(v, `<tfoot><tr><th scope="row">Total</th><td class="num">700</td>`) {
		t.Error("the variants' total under a locale filter is not the language's")
	}
	// Platforms for en: test (700), xss (reach 15) and other (hidden):
	// xss has the smallest reach of the visible ones, so it is hidden too.
	i := strings.Index(body, `id="platforms"`)
	plat := body[i:]
	plat = plat[:strings.Index(plat, "</table>")]
	if strings.Count(plat, `<span aria-hidden="true">&lt;10</span>`) != 18 {
		t.Errorf("platform rows under a locale filter: want two hidden rows, got %d hidden cells", strings.Count(plat, `&lt;10</span>`))
	}
	for _, q := range e.reports.queries {
		if !slices.Contains(q.By, "locale") {
			t.Errorf("query %v without locale under a locale filter", q.By)
		}
	}
}

func TestComplementSubset(t *testing.T) {
	rows := []track.Row{visible(1, 1, 0, 0, 40), hidden(), visible(1, 1, 0, 0, 12), visible(1, 1, 0, 0, 30)}
	complementSubset(rows)
	if !rows[2].Suppressed || rows[0].Suppressed || rows[3].Suppressed || rows[2].Served != nil {
		t.Errorf("the smallest visible row is not hidden: %+v", rows)
	}
	rows = []track.Row{hidden(), hidden(), visible(1, 1, 0, 0, 12)}
	complementSubset(rows)
	if rows[2].Suppressed {
		t.Error("two hidden rows already protect each other")
	}
}

func TestStatsFilters(t *testing.T) {
	now := time.Date(2026, 11, 29, 15, 0, 0, 0, time.UTC)
	app := fiber.New()
	var got statsFilter
	var problem string
	app.Get("/s/:id", func(c *fiber.Ctx) error {
		got, problem = statsFilters(c, now)
		return nil
	})
	for _, tt := range []struct {
		query, from, to, problem string
		days                     int
	}{
		{"", "2026-10-31", "2026-11-30", "", 30},
		{"days=7", "2026-11-23", "2026-11-30", "", 7},
		{"days=0", "2026-10-31", "2026-11-30", "stats.error.days", 30},
		{"days=401", "2026-10-31", "2026-11-30", "stats.error.days", 30},
		{"from=2026-11-01&to=2026-11-08", "2026-11-01", "2026-11-08", "", 0},
		{"from=2026-11-01&to=2026-11-08&days=7", "2026-11-23", "2026-11-30", "", 7},
		{"from=2026-11-08&to=2026-11-01", "2026-10-31", "2026-11-30", "stats.error.period", 30},
		{"from=2020-01-01&to=2026-11-01", "2026-10-31", "2026-11-30", "stats.error.period", 30},
		{"from=bad", "2026-10-31", "2026-11-30", "stats.error.period", 30},
		{"platform=" + "%3Cx%3E", "2026-10-31", "2026-11-30", "stats.error.platform", 30},
		{"locale=en%20x", "2026-10-31", "2026-11-30", "stats.error.locale", 30},
	} {
		if _, err := app.Test(httptest.NewRequest("GET", "/s/c?"+tt.query, nil)); err != nil {
			t.Fatal(err)
		}
		if track.Day(got.q.From) != tt.from || track.Day(got.q.To) != tt.to || problem != tt.problem || got.Days != tt.days {
			t.Errorf("%s: %s..%s days %d %q, want %s..%s days %d %q", tt.query, track.Day(got.q.From), track.Day(got.q.To), got.Days, problem,
				tt.from, tt.to, tt.days, tt.problem)
		}
	}
}

// TestStatsCSV: the CSV carries the filters, hides small cells as <10
// and is an attachment.
func TestStatsCSV(t *testing.T) {
	e := newStatsEnv(t)
	resp, body := e.get(t, "/ui/stats/boats/csv?by=variant&days=7", "ed")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
		resp.Header.Get("Content-Disposition") != `attachment; filename="boats-stats.csv"` {
		t.Fatalf("%d %v", resp.StatusCode, resp.Header)
	}
	if !strings.HasPrefix(body, "variant,locale,platform,day,served") || !strings.Contains(body, "c,,,,<10,<10") {
		t.Errorf("csv:\n%s", body)
	}
	if resp, _ := e.get(t, "/ui/stats/boats/csv?by=subject", "an"); resp.StatusCode != 400 {
		t.Errorf("bad by: %d, want 400", resp.StatusCode)
	}
}

func TestStatsFormat(t *testing.T) {
	en := newStatsFormat("en", "hidden")
	for _, tt := range []struct {
		got, want string
	}{
		{en.signed(0.1234), "+12.3%"},
		{en.signed(-0.0456), "−4.6%"},
		{en.signed(0), "0.0%"},
		{en.signed(math.NaN()), "—"},
		{en.pvalue(0.00001), "< 0.0001"},
		{en.pvalue(0.5), "0.5"},
		{en.pvalue(0.01234), "0.0123"},
		{en.rate(nil), "—"},
		{en.count(i64(1234)), "1,234"},
		{newStatsFormat("fr", "").signed(0.1234), "+12,3\u00a0%"},
		{newStatsFormat("ar", "").signed(-0.5), "\u2066−50.0\u200e%\u200e\u2069"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	if h := en.figures(hidden()); !h.CTR.Hidden || h.Served.Text != "<10" || h.Reach.SR != "hidden" {
		t.Errorf("hidden figures %+v", h)
	}
}
