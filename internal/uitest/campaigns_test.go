package uitest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"signpost/internal/uitest"
)

const campaignEN = `# English
"a.title" = "The sea in winter kills"
"a.body" = "In winter the Channel is colder and rougher. Small boats capsize."
"a.action.help.label" = "Get help"
"a.dismiss" = "Close"
"a.continue" = "Continue"
`

// Broken: a message no variant uses, on line 3.
const campaignENBroken = `"a.title" = "The sea in winter kills"
"a.body" = "In winter the Channel is colder and rougher."
"a.nope" = "Nobody asked for this message"
"a.action.help.label" = "Get help"
"a.dismiss" = "Close"
"a.continue" = "Continue"
`

const campaignAR = `{
  "a.title": "البحر في الشتاء يقتل",
  "a.body": "في الشتاء تكون القناة أبرد وأكثر اضطرابا. القوارب الصغيرة تنقلب.",
  "a.action.help.label": "احصل على المساعدة",
  "a.dismiss": "إغلاق",
  "a.continue": "متابعة"
}`

// TestCampaignEditorInBrowser: an editor creates a campaign through the
// form, sees an upload's problem beside its message, uploads English and
// Arabic, previews them (the Arabic card right to left) and submits; a
// reviewer publishes in another browser.
func TestCampaignEditorInBrowser(t *testing.T) {
	env := uitest.Start(t)
	dir := t.TempDir()
	file := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	broken, en, ar := file("en-broken.toml", campaignENBroken), file("en.toml", campaignEN), file("ar.json", campaignAR)

	b := env.Browser(t, 1280, 900)
	b.SignIn(t, "eddie")
	var flash string
	b.Run(t,
		chromedp.Navigate(env.URL+"/ui/campaigns?lang=en"),
		chromedp.WaitVisible(`form.camp-new`, chromedp.ByQuery),
		chromedp.SendKeys(`#new-id`, "winter", chromedp.ByQuery),
		chromedp.SendKeys(`#new-name`, "Winter crossings", chromedp.ByQuery),
		chromedp.SendKeys(`#new-url`, "https://help.example.org/winter", chromedp.ByQuery),
		chromedp.Submit(`form.camp-new`, chromedp.ByQuery),
		chromedp.WaitVisible(`#camp-editor`, chromedp.ByQuery),
		chromedp.Text(`p.flash`, &flash, chromedp.ByQuery),
	)
	if flash != "The campaign was created as a draft." {
		t.Errorf("after create: flash %q", flash)
	}

	// A file with a problem: shown next to its message, nothing stored.
	upload := func(locale, path string) {
		t.Helper()
		b.Run(t,
			chromedp.Navigate(env.URL+"/ui/campaigns/winter/content"),
			chromedp.WaitVisible(`form.camp-upload`, chromedp.ByQuery),
			chromedp.SetValue(`#u-locale`, locale, chromedp.ByQuery),
			chromedp.SetUploadFiles(`#u-file`, []string{path}, chromedp.ByQuery),
			chromedp.Submit(`form.camp-upload`, chromedp.ByQuery),
			chromedp.WaitVisible(`p.flash, p.error`, chromedp.ByQuery),
		)
	}
	upload("en", broken)
	var group, kept string
	b.Run(t,
		chromedp.WaitVisible(`li.camp-group`, chromedp.ByQuery),
		chromedp.Text(`li.camp-group`, &group, chromedp.ByQuery),
		chromedp.Value(`#u-text`, &kept, chromedp.ByQuery),
	)
	if !strings.Contains(group, "a.nope") || !strings.Contains(group, "line 3") || !strings.Contains(group, "Nobody asked for this message") {
		t.Errorf("the problem is not shown beside its message: %q", group)
	}
	if kept != campaignENBroken {
		t.Errorf("the uploaded text is not kept in the form: %q", kept)
	}
	upload("en", en)
	upload("ar", ar)
	var locales string
	b.Run(t, chromedp.Text(`table.camp-locales`, &locales, chromedp.ByQuery))
	if !strings.Contains(locales, "ar") || !strings.Contains(locales, "en") {
		t.Errorf("locales listed: %q", locales)
	}

	// The preview: the Arabic card, framed, is right to left.
	arDir := `(() => { const f = document.querySelector('iframe[data-locale="ar"]'); const d = f && f.contentDocument; return d && d.readyState === 'complete' && d.querySelector('h1') ? getComputedStyle(d.documentElement).direction + '|' + d.querySelector('h1').textContent : ''; })()`
	var got string
	b.Run(t,
		chromedp.Navigate(env.URL+"/ui/campaigns/winter/preview"),
		chromedp.WaitVisible(`iframe[data-locale="ar"]`, chromedp.ByQuery),
		chromedp.Poll(arDir, &got, chromedp.WithPollingTimeout(10*time.Second)),
	)
	if got != "rtl|البحر في الشتاء يقتل" {
		t.Errorf("Arabic preview: %q, want rtl and the Arabic title", got)
	}
	var title string
	b.Run(t, chromedp.AttributeValue(`iframe[data-locale="ar"]`, "title", &title, nil, chromedp.ByQuery))
	if title != "Card preview: variant a, language ar" {
		t.Errorf("iframe title %q", title)
	}

	b.Run(t,
		chromedp.Navigate(env.URL+"/ui/campaigns/winter"),
		chromedp.WaitVisible(`#camp-editor`, chromedp.ByQuery),
	)
	b.Screenshot(t, "editor")
	b.Run(t,
		chromedp.Navigate(env.URL+"/ui/campaigns/winter/preview?lang=ar"),
		chromedp.WaitVisible(`iframe[data-locale="ar"]`, chromedp.ByQuery),
		chromedp.Poll(arDir, &got, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Poll(`(() => { const f = document.querySelector('iframe[data-locale="en"]'); return !!(f && f.contentDocument && f.contentDocument.readyState === 'complete' && f.contentDocument.querySelector('h1')); })()`, nil, chromedp.WithPollingTimeout(10*time.Second)),
	)
	var uiDir string
	b.Run(t, chromedp.Evaluate(`getComputedStyle(document.documentElement).direction`, &uiDir))
	if uiDir != "rtl" {
		t.Errorf("the Arabic UI is %s", uiDir)
	}
	b.Screenshot(t, "preview-ar")

	// Submit; the editor is offered no publish.
	b.Run(t,
		chromedp.Navigate(env.URL+"/ui/campaigns/winter?lang=en"),
		chromedp.WaitVisible(`button[value="submit"]`, chromedp.ByQuery),
		chromedp.Click(`button[value="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`p.flash`, chromedp.ByQuery),
		chromedp.Text(`p.flash`, &flash, chromedp.ByQuery),
	)
	if flash != "Submitted for review." {
		t.Errorf("after submit: %q", flash)
	}
	var publishButtons int
	b.Run(t, chromedp.Evaluate(`document.querySelectorAll('button[value="publish"]').length`, &publishButtons))
	if publishButtons != 0 {
		t.Errorf("the editor is offered publish")
	}

	// Rita, in her own browser, publishes.
	r := env.Browser(t, 1280, 900)
	r.SignIn(t, "rita")
	var status string
	r.Run(t,
		chromedp.Navigate(env.URL+"/ui/campaigns/winter?lang=en"),
		chromedp.WaitVisible(`button[value="publish"]`, chromedp.ByQuery),
		chromedp.Click(`button[value="publish"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`p.flash`, chromedp.ByQuery),
		chromedp.Text(`p.flash`, &flash, chromedp.ByQuery),
		chromedp.Text(`.camp-state .camp-status`, &status, chromedp.ByQuery),
	)
	if flash != "Published: this is now the live version." || status != "Published" {
		t.Errorf("after publish: flash %q, status %q", flash, status)
	}
}
