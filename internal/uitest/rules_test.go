package uitest_test

import (
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"signpost/internal/uitest"
)

// TestRulesTryBox: an editor opens the English rule set, types a text in
// the "try a text" box and, without submitting anything, sees the
// matched words marked, the rule that fired and the normalised text. A
// script payload typed in the box is shown as text: no dialog opens and
// the page reports no error or CSP violation.
func TestRulesTryBox(t *testing.T) {
	env := uitest.Start(t)
	b := env.Browser(t, 1280, 900)
	var dialogs atomic.Int32
	chromedp.ListenTarget(b.Ctx(), func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			dialogs.Add(1)
			go chromedp.Run(b.Ctx(), page.HandleJavaScriptDialog(false))
		}
	})
	b.SignIn(t, "eddie")

	var marks []string
	var result, rows string
	b.Run(t,
		chromedp.Navigate(env.URL+"/ui/rules"),
		chromedp.WaitVisible(`a[href="/ui/rules/en"]`, chromedp.ByQuery),
		chromedp.Click(`a[href="/ui/rules/en"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#try-text`, chromedp.ByQuery),
		chromedp.SendKeys(`#try-text`, "small boat to uk price whatsapp", chromedp.ByQuery),
		chromedp.WaitVisible(`#try-result .try-text mark`, chromedp.ByQuery),
		chromedp.Evaluate(`Array.from(document.querySelectorAll("#try-result .try-text mark")).map(m => m.textContent)`, &marks),
		chromedp.Text(`#try-result`, &result, chromedp.ByQuery),
		chromedp.Text(`#try-result table.try-matches`, &rows, chromedp.ByQuery),
	)
	joined := strings.Join(marks, " ")
	for _, w := range []string{"boat", "uk"} {
		if !strings.Contains(joined, w) {
			t.Errorf("marked %q, want %q among them", marks, w)
		}
	}
	if !strings.Contains(rows, "en.") {
		t.Errorf("no English rule listed as fired: %q", rows)
	}
	if !strings.Contains(result, "small boat to uk price whatsapp") {
		t.Errorf("the normalised text is not shown: %q", result)
	}
	var dir string
	b.Run(t, chromedp.AttributeValue(`#try-result .try-text`, "dir", &dir, nil, chromedp.ByQuery))
	if dir != "auto" {
		t.Errorf("the tried text has dir=%q, want auto", dir)
	}
	b.Screenshot(t, "rules-try")

	// The payload, typed as an editor would: shown back as text.
	const payload = `<script>alert(1)</script>"'><img src=x onerror=alert(1)> boat to uk`
	var shown string
	var imgs int
	b.Run(t,
		chromedp.Evaluate(`document.getElementById("try-text").value = ""`, nil),
		chromedp.SendKeys(`#try-text`, payload, chromedp.ByQuery),
		chromedp.Poll(`document.querySelector("#try-result .try-text") && document.querySelector("#try-result .try-text").textContent.includes("onerror")`, nil),
		chromedp.Text(`#try-result .try-text`, &shown, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("#try-result img, #try-result script").length`, &imgs),
	)
	if !strings.Contains(shown, "<script>alert(1)</script>") || imgs != 0 {
		t.Errorf("payload not shown as text (text %q, %d elements)", shown, imgs)
	}
	if n := dialogs.Load(); n != 0 {
		t.Errorf("%d dialog(s) opened: the payload ran", n)
	}
}
