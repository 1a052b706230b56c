package uitest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"signpost/internal/uitest"
)

// statsXSS is the campaign's name: it must show as text.
const statsXSS = `<script>alert(1)</script>"'><img src=x onerror=alert(1)>`

const statsDefinition = `{
  "id": "stats-ui",
  "name": %q,
  "default_locale": "en",
  "targeting": {"categories": ["crossing", "smuggler", "documents", "discount", "children", "safety"]},
  "priority": 100,
  "experiment": {"seed": "stats-ui", "coverage": 1, "variants": [{"key": "a", "weight": 0.5}, {"key": "b", "weight": 0.5}]},
  "allowed_hosts": ["help.example.org"],
  "actions": [{"id": "help", "url": "https://help.example.org/"}]
}`

const statsContent = `"a.title" = "The crossing is dangerous"
"a.body" = "People die in the Channel every year."
"a.action.help.label" = "Get help"
"a.dismiss" = "Close"
"a.continue" = "Continue"
"b.title" = "Smugglers lie"
"b.body" = "A promise is not a guarantee."
"b.action.help.label" = "Get help"
"b.dismiss" = "Close"
"b.continue" = "Continue"
`

type statsRow struct {
	Variant     string `json:"variant"`
	Suppressed  bool   `json:"suppressed"`
	Impressions *int64 `json:"impressions"`
	Served      *int64 `json:"served"`
}

type statsReport struct {
	Rows  []statsRow `json:"rows"`
	Total statsRow   `json:"total"`
}

// TestStatsDashboard publishes a campaign, sends it matching searches
// and interactions as a platform, and checks that an analyst sees the
// numbers on the dashboard: the variant table, the chart, the escaped
// campaign name.
func TestStatsDashboard(t *testing.T) {
	env := uitest.Start(t)

	// An editor writes the campaign; the admin, a second person,
	// publishes it (the two-person rule).
	status, body := env.API(t, "POST", "/v1/tokens", env.Admin, "application/json", []byte(`{"name":"stats editor","role":"editor"}`))
	var tok struct{ Secret string }
	if err := json.Unmarshal(body, &tok); err != nil || status != http.StatusCreated {
		t.Fatalf("editor token: %d %s", status, body)
	}
	editor := tok.Secret
	st, b, tag := env.Send(t, "POST", "/v1/campaigns", editor, "application/json", "", []byte(fmt.Sprintf(statsDefinition, statsXSS)))
	if st != http.StatusCreated {
		t.Fatalf("create: %d %s", st, b)
	}
	if st, b, tag = env.Send(t, "PUT", "/v1/campaigns/stats-ui/content/en", editor, "application/toml", tag, []byte(statsContent)); st != http.StatusOK {
		t.Fatalf("content: %d %s", st, b)
	}
	if st, b, tag = env.Send(t, "POST", "/v1/campaigns/stats-ui/submit", editor, "", tag, nil); st != http.StatusOK {
		t.Fatalf("submit: %d %s", st, b)
	}
	if st, b, _ = env.Send(t, "POST", "/v1/campaigns/stats-ui/publish", env.Admin, "", tag, nil); st != http.StatusOK {
		t.Fatalf("publish: %d %s", st, b)
	}

	// Matching searches by distinct people, well over K, until the new
	// campaign answers; then an impression for every card, some clicks
	// and dismissals.
	type card struct{ Token, Campaign, Variant string }
	var cards []card
	deadline := time.Now().Add(5 * time.Second)
	const people = 60
	for i := 0; len(cards) < people; i++ {
		ev := fmt.Sprintf(`{"kind":"search","text":"small boat to uk price","locale":"en","subject":"s%d"}`, i)
		status, body := env.API(t, "POST", "/v1/events", env.Platform, "application/json", []byte(ev))
		var resp struct{ Card *card }
		if err := json.Unmarshal(body, &resp); err != nil || status != http.StatusOK {
			t.Fatalf("event: %d %s", status, body)
		}
		if resp.Card == nil || resp.Card.Campaign != "stats-ui" {
			if time.Now().After(deadline) {
				t.Fatalf("the published campaign never answered: %s", body)
			}
			time.Sleep(50 * time.Millisecond)
			continue
		}
		cards = append(cards, *resp.Card)
	}
	impressions := map[string]int64{}
	for i, c := range cards {
		for _, typ := range []string{"impression", map[bool]string{true: "dismiss", false: "continue"}[i%3 == 0]} {
			req := fmt.Sprintf(`{"token":%q,"type":%q}`, c.Token, typ)
			if status, body := env.API(t, "POST", "/v1/interactions", env.Platform, "application/json", []byte(req)); status != http.StatusNoContent {
				t.Fatalf("interaction: %d %s", status, body)
			}
		}
		impressions[c.Variant]++
		if i%4 == 0 {
			if st, b, _ := env.Send(t, "GET", "/r/"+c.Token+"?a=help", env.Platform, "", "", nil); st >= 400 {
				t.Fatalf("click: %d %s", st, b)
			}
		}
	}

	// Counts flush every 200 ms in the harness: wait for the API to
	// see every impression.
	var rep statsReport
	deadline = time.Now().Add(10 * time.Second)
	for {
		status, body := env.API(t, "GET", "/v1/stats/campaigns/stats-ui?by=variant", env.Admin, "", nil)
		if status != http.StatusOK {
			t.Fatalf("stats: %d %s", status, body)
		}
		rep = statsReport{}
		if err := json.Unmarshal(body, &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Total.Impressions != nil && *rep.Total.Impressions == people {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the report never reached %d impressions: %s", people, body)
		}
		time.Sleep(100 * time.Millisecond)
	}

	b2 := env.Browser(t, 1280, 900)
	dialogs := make(chan string, 4)
	chromedp.ListenTarget(b2.Ctx(), func(ev any) {
		if d, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			dialogs <- d.Message
		}
	})
	b2.SignIn(t, "ana")
	var rows []*cdp.Node
	var name, total string
	var canvases []*cdp.Node
	b2.Run(t,
		chromedp.Navigate(env.URL+"/ui/stats"),
		chromedp.WaitVisible(`a[href="/ui/stats/stats-ui"]`, chromedp.ByQuery),
		chromedp.Text(`a[href="/ui/stats/stats-ui"]`, &name, chromedp.ByQuery),
		chromedp.Click(`a[href="/ui/stats/stats-ui"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#variants`, chromedp.ByQuery),
		chromedp.WaitVisible(`#stats-chart.drawn canvas`, chromedp.ByQuery),
		uitest.Nodes(`#stats-chart canvas`, &canvases),
		uitest.Nodes(`#variants tbody tr`, &rows),
		chromedp.Text(`#variants tfoot td:nth-of-type(2)`, &total, chromedp.ByQuery),
	)
	if name != statsXSS {
		t.Errorf("the campaign's name reads %q, want the payload as text", name)
	}
	// The screenshots show a real name: the editor renames the campaign
	// and the admin publishes it (the dashboard shows the live name).
	st, b, tag = env.Send(t, "GET", "/v1/campaigns/stats-ui", editor, "", "", nil)
	if st != http.StatusOK {
		t.Fatalf("get: %d %s", st, b)
	}
	renamed := fmt.Sprintf(statsDefinition, "Winter crossings")
	if st, b, tag = env.Send(t, "PUT", "/v1/campaigns/stats-ui", editor, "application/json", tag, []byte(renamed)); st != http.StatusOK {
		t.Fatalf("rename: %d %s", st, b)
	}
	if st, b, tag = env.Send(t, "POST", "/v1/campaigns/stats-ui/submit", editor, "", tag, nil); st != http.StatusOK {
		t.Fatalf("submit the rename: %d %s", st, b)
	}
	if st, b, _ = env.Send(t, "POST", "/v1/campaigns/stats-ui/publish", env.Admin, "", tag, nil); st != http.StatusOK {
		t.Fatalf("publish the rename: %d %s", st, b)
	}
	if len(canvases) == 0 {
		t.Error("no chart canvas")
	}
	if len(rows) != 2 {
		t.Errorf("%d variant rows, want 2", len(rows))
	}
	if total != strconv.Itoa(people) {
		t.Errorf("total impressions %q, want %d", total, people)
	}
	for _, r := range rep.Rows {
		var got string
		b2.Run(t, chromedp.Text(fmt.Sprintf(`#variants tbody tr:nth-of-type(%d) td:nth-of-type(2)`, map[string]int{"a": 1, "b": 2}[r.Variant]), &got, chromedp.ByQuery))
		want := "<10"
		if !r.Suppressed {
			want = strconv.FormatInt(impressions[r.Variant], 10)
		}
		if !strings.HasPrefix(got, want) {
			t.Errorf("variant %s: impressions %q, want %s (API: %+v)", r.Variant, got, want, r)
		}
	}
	// The explanations open with the keyboard.
	var open bool
	b2.Run(t,
		chromedp.Focus(`#variants thead th:nth-of-type(3) summary`, chromedp.ByQuery),
		chromedp.KeyEvent("\r"),
		chromedp.Evaluate(`document.querySelector('#variants thead th:nth-of-type(3) details').open`, &open),
	)
	if !open {
		t.Error("Enter on an explanation did not open it")
	}
	b2.Run(t, chromedp.KeyEvent("\x1b"), chromedp.Evaluate(`document.querySelector('#variants thead th:nth-of-type(3) details').open`, &open))
	if open {
		t.Error("Escape did not close the explanation")
	}
	b2.Run(t, chromedp.Reload(), chromedp.WaitVisible(`#stats-chart.drawn canvas`, chromedp.ByQuery))
	b2.Screenshot(t, "dashboard")

	// The CSV link works with the session: the total is the last line.
	var csv string
	b2.Run(t, chromedp.Evaluate(`fetch(document.querySelector('#h-variants').parentElement.querySelector('a[download]').href).then(r => r.text())`, &csv,
		func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	if !strings.HasPrefix(csv, "variant,locale,platform,day,served,impressions") || !strings.Contains(csv, "\ntotal,,,,60,60,") {
		t.Errorf("CSV download:\n%s", csv)
	}

	// In Arabic the page mirrors and the chart still draws.
	var dir string
	b2.Run(t,
		chromedp.Navigate(env.URL+"/ui/stats/stats-ui?lang=ar"),
		chromedp.WaitVisible(`#stats-chart.drawn canvas`, chromedp.ByQuery),
		chromedp.AttributeValue(`html`, "dir", &dir, nil, chromedp.ByQuery),
	)
	if dir != "rtl" {
		t.Errorf("dir = %q in Arabic", dir)
	}
	b2.Screenshot(t, "dashboard-ar")
	b2.Run(t, chromedp.Navigate(env.URL+"/ui/stats/stats-ui?lang=en"), chromedp.WaitVisible(`#variants`, chromedp.ByQuery))
	select {
	case m := <-dialogs:
		t.Errorf("a dialog opened: %q", m)
	default:
	}
}
