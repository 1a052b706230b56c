package uitest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"signpost/internal/uitest"
)

// eventCard is the card of a POST /v1/events answer.
type eventCard struct {
	Token, Campaign, Variant, Locale, Dir, Title, Body string
}

// searchText is what the people of these tests search for: it must never
// appear on a card.
const searchText = "boat from france to uk cost"

// serveCard asks for a card as the platform, for a search in locale by
// subject, and returns the raw "card" object and its fields.
func serveCard(t *testing.T, env *uitest.Env, text, locale, subject string) (json.RawMessage, eventCard) {
	t.Helper()
	req, _ := json.Marshal(map[string]string{"kind": "search", "text": text, "locale": locale, "subject": subject})
	status, body := env.API(t, "POST", "/v1/events", env.Platform, "application/json", req)
	var er struct{ Card json.RawMessage }
	if err := json.Unmarshal(body, &er); status != http.StatusOK || err != nil || len(er.Card) == 0 || string(er.Card) == "null" {
		t.Fatalf("POST /v1/events (%s): %d %s", locale, status, body)
	}
	var c eventCard
	if err := json.Unmarshal(er.Card, &c); err != nil || c.Token == "" {
		t.Fatalf("card %s: %v", er.Card, err)
	}
	return er.Card, c
}

// serveReach serves cards to n distinct subjects, so that the statistics
// reach the suppression threshold and show their totals.
func serveReach(t *testing.T, env *uitest.Env, n int) {
	t.Helper()
	for i := range n {
		serveCard(t, env, searchText, "en", fmt.Sprint("reach-", i))
	}
}

type totals struct {
	Impressions, Dismissals, Continues *int64
}

// waitForTotals polls the stats API (as admin) until the totals are
// impressions and dismissals, or fails after ten seconds.
func waitForTotals(t *testing.T, env *uitest.Env, impressions, dismissals int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		status, body := env.API(t, "GET", "/v1/stats/campaigns/small-boats", env.Admin, "", nil)
		var rep struct{ Total totals }
		if status == http.StatusOK && json.Unmarshal(body, &rep) == nil && rep.Total.Impressions != nil &&
			*rep.Total.Impressions == impressions && *rep.Total.Dismissals == dismissals {
			return
		}
		last = fmt.Sprintf("%d %s", status, body)
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("stats never showed %d impressions and %d dismissals; last answer %s", impressions, dismissals, last)
}

// waitPath waits until the browser's location has path p.
func waitPath(t *testing.T, b *uitest.Browser, p string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var loc string
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.Ctx(), 2*time.Second)
		err := chromedp.Run(ctx, chromedp.Location(&loc))
		cancel()
		if u, perr := url.Parse(loc); err == nil && perr == nil && u.Path == p && u.Query().Get("x") == "" {
			return loc
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the browser is at %q, want path %s", loc, p)
	return ""
}

// watchDialogs records (and closes) every alert, confirm or prompt a page
// opens: an XSS payload that runs would open one.
func watchDialogs(b *uitest.Browser) func() []string {
	var mu sync.Mutex
	var seen []string
	chromedp.ListenTarget(b.Ctx(), func(ev any) {
		if d, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			mu.Lock()
			seen = append(seen, d.Message)
			mu.Unlock()
			go func() { _ = chromedp.Run(b.Ctx(), page.HandleJavaScriptDialog(false)) }()
		}
	})
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

// TestCardServerSide: the hosted card never shows what was searched;
// POST /card/{token} type=impression counts once per token however often
// it comes (and the GET of the page is the same impression); a widget
// report gets 204 that other origins may read, a form post the neutral
// page; /widget.js and /exit carry their headers.
func TestCardServerSide(t *testing.T) {
	env := uitest.Start(t)
	serveReach(t, env, 12)
	_, c := serveCard(t, env, searchText, "en", "reach-0")

	resp, err := http.Get(env.URL + "/card/" + c.Token)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), c.Title) || strings.Contains(string(page), searchText) ||
		strings.Contains(string(page), "france") {
		t.Errorf("card page: %d, has title %v, shows the search text %v", resp.StatusCode, strings.Contains(string(page), c.Title), strings.Contains(string(page), searchText))
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'nonce-") || strings.Contains(csp, "unsafe") {
		t.Errorf("card CSP %q", csp)
	}

	post := func(token, typ, mode string) *http.Response {
		req, _ := http.NewRequest("POST", env.URL+"/card/"+token, strings.NewReader("type="+typ))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if mode != "" {
			req.Header.Set("Sec-Fetch-Mode", mode)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	for range 3 {
		if r := post(c.Token, "impression", "no-cors"); r.StatusCode != http.StatusNoContent || r.Header.Get("Cross-Origin-Resource-Policy") != "cross-origin" {
			t.Errorf("impression report: %d, CORP %q", r.StatusCode, r.Header.Get("Cross-Origin-Resource-Policy"))
		}
	}
	if r := post("bad.token", "impression", ""); r.StatusCode != http.StatusNoContent {
		t.Errorf("impression with a bad token: %d, want the same 204", r.StatusCode)
	}
	if r := post(c.Token, "dismiss", "navigate"); r.StatusCode != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") ||
		r.Header.Get("Cross-Origin-Resource-Policy") != "same-origin" {
		t.Errorf("form dismiss: %d %q CORP %q", r.StatusCode, r.Header.Get("Content-Type"), r.Header.Get("Cross-Origin-Resource-Policy"))
	}
	if r := post(c.Token, "dismiss", "no-cors"); r.StatusCode != http.StatusNoContent {
		t.Errorf("widget dismiss (again): %d", r.StatusCode)
	}
	waitForTotals(t, env, 1, 1)

	resp, err = http.Get(env.URL + "/widget.js")
	if err != nil {
		t.Fatal(err)
	}
	js, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for h, want := range map[string]string{"Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "public, max-age=3600",
		"Cross-Origin-Resource-Policy": "cross-origin", "X-Content-Type-Options": "nosniff"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("GET /widget.js %s = %q, want %q", h, got, want)
		}
	}
	if resp.StatusCode != 200 || len(js) >= 10*1024 || !strings.Contains(string(js), "Signpost") {
		t.Errorf("GET /widget.js: %d, %d bytes", resp.StatusCode, len(js))
	}

	resp, err = http.Get(env.URL + "/exit")
	if err != nil {
		t.Fatal(err)
	}
	exit, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "style-src 'sha256-") ||
		strings.Contains(strings.ToLower(string(exit)), "signpost") {
		t.Errorf("GET /exit: %d, cache %q, CSP %q", resp.StatusCode, resp.Header.Get("Cache-Control"), resp.Header.Get("Content-Security-Policy"))
	}
}

// TestHostedCardOnAPhone: the English and Arabic cards at 360 x 740 (and
// at 320 px, as 200% zoom on a small screen) fit without horizontal
// scrolling; Quick Exit is the first stop of Tab, at least 24 x 24 px;
// the Arabic one is right to left.
func TestHostedCardOnAPhone(t *testing.T) {
	env := uitest.Start(t)
	_, en := serveCard(t, env, searchText, "en", "phone-en")
	_, ar := serveCard(t, env, "رقم مهرب الى انجلترا", "ar", "phone-ar")
	if ar.Locale != "ar" || ar.Dir != "rtl" {
		t.Fatalf("Arabic card: locale %s dir %s", ar.Locale, ar.Dir)
	}
	b := env.Browser(t, 360, 740)
	for _, tc := range []struct {
		card       eventCard
		shot, lang string
		dir        string
	}{{en, "card-360", "en", "ltr"}, {ar, "card-360-ar", "ar", "rtl"}} {
		var scrollW, innerW, exitW, exitH float64
		var lang, dir, focused, title string
		b.Run(t,
			chromedp.EmulateViewport(360, 740),
			chromedp.Navigate(env.URL+"/card/"+tc.card.Token),
			chromedp.WaitVisible(`#exit`, chromedp.ByQuery),
			chromedp.Evaluate(`document.documentElement.scrollWidth`, &scrollW),
			chromedp.Evaluate(`window.innerWidth`, &innerW),
			chromedp.Evaluate(`document.documentElement.lang`, &lang),
			chromedp.Evaluate(`getComputedStyle(document.body).direction`, &dir),
			chromedp.Evaluate(`document.getElementById("exit").getBoundingClientRect().width`, &exitW),
			chromedp.Evaluate(`document.getElementById("exit").getBoundingClientRect().height`, &exitH),
			chromedp.Text(`h1`, &title, chromedp.ByQuery),
			chromedp.KeyEvent(kb.Tab),
			chromedp.Evaluate(`document.activeElement.id`, &focused),
		)
		if scrollW > 360 || innerW != 360 {
			t.Errorf("%s: scroll width %v at a %v px window", tc.shot, scrollW, innerW)
		}
		if lang != tc.lang || dir != tc.dir || title != tc.card.Title {
			t.Errorf("%s: lang %q dir %q title %q", tc.shot, lang, dir, title)
		}
		if focused != "exit" {
			t.Errorf("%s: the first Tab focuses %q, want Quick Exit", tc.shot, focused)
		}
		if exitW < 24 || exitH < 24 {
			t.Errorf("%s: Quick Exit is %vx%v px", tc.shot, exitW, exitH)
		}
		b.Screenshot(t, tc.shot)

		b.Run(t,
			chromedp.EmulateViewport(320, 640),
			chromedp.Reload(),
			chromedp.WaitVisible(`#exit`, chromedp.ByQuery),
			chromedp.Evaluate(`document.documentElement.scrollWidth`, &scrollW),
		)
		if scrollW > 320 {
			t.Errorf("%s at 320 px: scroll width %v", tc.shot, scrollW)
		}

		// prefers-reduced-motion: no transitions at all.
		var normal, reduced string
		b.Run(t,
			chromedp.Evaluate(`getComputedStyle(document.querySelector("a.action")).transitionDuration`, &normal),
			emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}}),
			chromedp.Evaluate(`getComputedStyle(document.querySelector("a.action")).transitionDuration`, &reduced),
			emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{}),
		)
		if normal == "0s" || reduced != "0s" {
			t.Errorf("%s: transition %q, with reduced motion %q", tc.shot, normal, reduced)
		}
	}
}

// TestQuickExitLeavesNoHistory: Quick Exit (a click, then Escape)
// replaces the card with the neutral page, and Back returns to the page
// before the card, not to the card.
func TestQuickExitLeavesNoHistory(t *testing.T) {
	env := uitest.Start(t)
	b := env.Browser(t, 360, 740)
	for _, how := range []string{"click", "escape"} {
		_, c := serveCard(t, env, searchText, "en", "exit-"+how)
		b.Run(t,
			chromedp.Navigate(env.URL+"/livez"),
			chromedp.Navigate(env.URL+"/card/"+c.Token),
			chromedp.WaitVisible(`#exit`, chromedp.ByQuery),
		)
		if how == "click" {
			b.Run(t, chromedp.Click(`#exit`, chromedp.ByQuery))
		} else {
			b.Run(t, chromedp.KeyEvent(kb.Escape))
		}
		waitPath(t, b, "/exit")
		var text string
		b.Run(t, chromedp.Text(`h1`, &text, chromedp.ByQuery))
		if strings.Contains(text, c.Title) {
			t.Errorf("%s: the exit page shows the card", how)
		}
		b.Run(t, chromedp.Evaluate(`history.back()`, nil))
		if loc := waitPath(t, b, "/livez"); strings.Contains(loc, "/card/") {
			t.Errorf("%s: Back returned to the card", how)
		}
	}
}

// widgetPage is a platform's page on another origin, with a strict CSP:
// scripts only from signpost's /widget.js and the page's nonce, requests
// only to signpost, no styles or images at all. It renders the cards and
// records CSP violations itself as well.
var widgetPage = template.Must(template.New("host").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Search results</title></head>
<body>
<h1>Search results</h1>
<div id="en"></div>
<div id="ar"></div>
<div id="xss"></div>
<script src="{{.Base}}/widget.js"></script>
<script nonce="x">
window.violations = [];
document.addEventListener("securitypolicyviolation", function (e) { window.violations.push(e.violatedDirective + " " + e.blockedURI); });
window.exited = 0; window.dismissed = 0;
var opts = {base: {{.Base}}, onExit: function () { window.exited++; }, onDismiss: function () { window.dismissed++; }};
Signpost.render(document.getElementById("en"), {{.EN}}, opts);
Signpost.render(document.getElementById("ar"), {{.AR}}, {base: {{.Base}}, focus: false, escape: false});
Signpost.render(document.getElementById("xss"), {{.XSS}}, {base: {{.Base}}, focus: false, escape: false});
</script>
</body>
</html>`))

// TestWidget: a platform page on another origin with a strict CSP loads
// /widget.js and renders an English, an Arabic and an XSS-laden card;
// the cards show, the Arabic one right to left, the payloads as text;
// dismiss and the impressions are counted; Quick Exit calls onExit; no
// console error, dialog or CSP violation.
func TestWidget(t *testing.T) {
	env := uitest.Start(t)
	serveReach(t, env, 12)
	enJSON, en := serveCard(t, env, searchText, "en", "reach-1")
	arJSON, ar := serveCard(t, env, "رقم مهرب الى انجلترا", "ar", "widget-ar")

	// Every field of a card holds a payload; the token is not a real one,
	// so the card counts nothing.
	const payload = `<img src=x onerror=alert(1)>"'><script>alert(2)</script>`
	xss := map[string]any{"token": "x.y", "campaign": payload, "variant": payload, "locale": payload, "dir": payload,
		"title": payload, "body": payload, "actions": []map[string]string{{"id": "a", "label": payload, "url": "javascript:alert(3)"},
			{"id": "b", "label": payload, "url": env.URL + "/r/x.y?a=" + url.QueryEscape(payload)}},
		"dismiss": map[string]string{"label": payload}, "continue": map[string]string{"label": payload}}
	xssJSON, _ := json.Marshal(xss)

	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src "+env.URL+"/widget.js 'nonce-x'; connect-src "+env.URL+
			"; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = widgetPage.Execute(w, map[string]any{"Base": env.URL,
			"EN": template.JS(enJSON), "AR": template.JS(arJSON), "XSS": template.JS(xssJSON)}) // JSON from json.Marshal: < > & escaped
	}))
	defer host.Close()
	// localhost, not 127.0.0.1: another site, not only another origin.
	hostURL := strings.Replace(host.URL, "127.0.0.1", "localhost", 1)

	b := env.Browser(t, 1280, 900)
	dialogs := watchDialogs(b)
	shadow := func(id string) string {
		return `document.getElementById("` + id + `").querySelector(".signpost-card").shadowRoot`
	}
	var enTitle, arTitle, arDir, arComputed, arLang, xssTitle, xssBody, focusedIn string
	var xssLinks, xssHTMLTags float64
	b.Run(t,
		chromedp.Navigate(hostURL+"/"),
		chromedp.Poll(`document.querySelectorAll(".signpost-card").length === 3`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Evaluate(shadow("en")+`.querySelector("h2").textContent`, &enTitle),
		chromedp.Evaluate(shadow("ar")+`.querySelector("h2").textContent`, &arTitle),
		chromedp.Evaluate(shadow("ar")+`.querySelector("section").getAttribute("dir")`, &arDir),
		chromedp.Evaluate(`getComputedStyle(`+shadow("ar")+`.querySelector("h2")).direction`, &arComputed),
		chromedp.Evaluate(shadow("ar")+`.querySelector("section").getAttribute("lang")`, &arLang),
		chromedp.Evaluate(shadow("xss")+`.querySelector("h2").textContent`, &xssTitle),
		chromedp.Evaluate(shadow("xss")+`.querySelector("p").textContent`, &xssBody),
		chromedp.Evaluate(shadow("xss")+`.querySelectorAll("a").length`, &xssLinks),
		chromedp.Evaluate(shadow("xss")+`.querySelectorAll("img,script,iframe").length`, &xssHTMLTags),
		chromedp.Evaluate(shadow("en")+`.activeElement ? `+shadow("en")+`.activeElement.tagName : ""`, &focusedIn),
	)
	if enTitle != en.Title || arTitle != ar.Title {
		t.Errorf("titles %q, %q; want %q, %q", enTitle, arTitle, en.Title, ar.Title)
	}
	if arDir != "rtl" || arComputed != "rtl" || arLang != "ar" {
		t.Errorf("Arabic card: dir %q (computed %q), lang %q", arDir, arComputed, arLang)
	}
	if xssTitle != payload || xssBody != payload || xssLinks != 1 || xssHTMLTags != 0 {
		t.Errorf("XSS card: title %q body %q, %v links (want 1: the javascript: one dropped), %v injected elements", xssTitle, xssBody, xssLinks, xssHTMLTags)
	}
	if focusedIn != "SECTION" {
		t.Errorf("focus after render is on %q, want the card's region", focusedIn)
	}
	b.Screenshot(t, "widget")

	// Tab from the card: Quick Exit first.
	var firstTab string
	b.Run(t,
		chromedp.KeyEvent(kb.Tab),
		chromedp.Evaluate(shadow("en")+`.activeElement.className`, &firstTab),
	)
	if firstTab != "exit" {
		t.Errorf("first Tab in the card focuses %q, want Quick Exit", firstTab)
	}

	// Dismiss the English card: counted, removed, onDismiss called.
	var dismissed, left float64
	b.Run(t,
		chromedp.Click(shadow("en")+`.querySelector("button.choice:last-of-type")`, chromedp.ByJSPath),
		chromedp.Evaluate(`window.dismissed`, &dismissed),
		chromedp.Evaluate(`document.querySelectorAll("#en .signpost-card").length`, &left),
	)
	if dismissed != 1 || left != 0 {
		t.Errorf("after dismiss: onDismiss called %v times, %v cards left", dismissed, left)
	}
	// The English and Arabic impressions (the XSS card's token is not a
	// real one) and the one dismissal.
	waitForTotals(t, env, 2, 1)

	// Quick Exit with Escape and with the button calls onExit and removes
	// the card.
	var exited float64
	b.Run(t,
		chromedp.Evaluate(`Signpost.render(document.getElementById("en"), `+string(enJSON)+`, opts) !== null`, nil),
		chromedp.KeyEvent(kb.Escape),
		chromedp.Evaluate(`window.exited`, &exited),
		chromedp.Evaluate(`document.querySelectorAll("#en .signpost-card").length`, &left),
	)
	if exited != 1 || left != 0 {
		t.Errorf("after Escape: onExit called %v times, %v cards left", exited, left)
	}
	b.Run(t,
		chromedp.Evaluate(`Signpost.render(document.getElementById("en"), `+string(enJSON)+`, opts) !== null`, nil),
		chromedp.Click(shadow("en")+`.querySelector("button.exit")`, chromedp.ByJSPath),
		chromedp.Evaluate(`window.exited`, &exited),
	)
	if exited != 2 {
		t.Errorf("after the Quick Exit button: onExit called %v times", exited)
	}

	var violations []string
	b.Run(t, chromedp.Evaluate(`window.violations`, &violations))
	if len(violations) > 0 {
		t.Errorf("CSP violations on the host page: %v", violations)
	}
	if d := dialogs(); len(d) > 0 {
		t.Errorf("a payload ran: dialogs %v", d)
	}
}

// TestWidgetQuickExitWithoutCallback: without onExit, Quick Exit replaces
// the platform's page with signpost's neutral page, leaving no history
// entry for it.
func TestWidgetQuickExitWithoutCallback(t *testing.T) {
	env := uitest.Start(t)
	cardJSON, _ := serveCard(t, env, searchText, "en", "widget-exit")
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src "+env.URL+"/widget.js 'nonce-x'; connect-src "+env.URL)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.URL.Path == "/before" {
			_, _ = io.WriteString(w, `<!doctype html><title>before</title><p>before</p>`)
			return
		}
		_, _ = fmt.Fprintf(w, `<!doctype html><title>results</title><div id="c"></div><script src="%s/widget.js"></script>`+
			`<script nonce="x">Signpost.render(document.getElementById("c"), %s, {base: %q});</script>`, env.URL, cardJSON, env.URL)
	}))
	defer host.Close()
	b := env.Browser(t, 360, 740)
	b.Run(t,
		chromedp.Navigate(host.URL+"/before"),
		chromedp.Navigate(host.URL+"/results"),
		chromedp.Poll(`document.querySelector(".signpost-card") !== null`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Click(`document.querySelector(".signpost-card").shadowRoot.querySelector("button.exit")`, chromedp.ByJSPath),
	)
	if loc := waitPath(t, b, "/exit"); !strings.HasPrefix(loc, env.URL) {
		t.Errorf("Quick Exit went to %s", loc)
	}
	b.Run(t, chromedp.Evaluate(`history.back()`, nil))
	waitPath(t, b, "/before")
}
