package uitest_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"signpost/internal/uitest"
)

// TestWrongPasswordIsShown: a wrong password shows the form again with
// the message, and no session.
func TestWrongPasswordIsShown(t *testing.T) {
	env := uitest.Start(t)
	b := env.Browser(t, 1280, 900)
	var msg string
	b.Run(t,
		chromedp.Navigate(env.URL+"/ui/signin"),
		chromedp.SendKeys(`#name`, "eddie", chromedp.ByQuery),
		chromedp.SendKeys(`#password`, "not the password", chromedp.ByQuery),
		chromedp.Submit(`form.signin`, chromedp.ByQuery),
		chromedp.WaitVisible(`p.error`, chromedp.ByQuery),
		chromedp.Text(`p.error`, &msg, chromedp.ByQuery),
	)
	if msg != "Wrong name or password." {
		t.Errorf("message %q", msg)
	}
}

// TestSignInPageSpeaksArabic: with ?lang=ar the page is Arabic and
// right-to-left, as the browser computes it.
func TestSignInPageSpeaksArabic(t *testing.T) {
	env := uitest.Start(t)
	b := env.Browser(t, 1280, 900)
	var dir, heading string
	b.Run(t,
		chromedp.Navigate(env.URL+"/ui/signin?lang=ar"),
		chromedp.WaitVisible(`h1`, chromedp.ByQuery),
		chromedp.Evaluate(`getComputedStyle(document.documentElement).direction`, &dir),
		chromedp.Text(`h1`, &heading, chromedp.ByQuery),
	)
	if dir != "rtl" || heading != "تسجيل الدخول" {
		t.Errorf("Arabic sign-in page: direction %q, heading %q", dir, heading)
	}
}

// TestSignInAndOut: a person signs in through the page, lands on the UI,
// and signs out again; the pages raise no console error or CSP
// violation. The sign-in page in Arabic is right-to-left.
func TestSignInAndOut(t *testing.T) {
	env := uitest.Start(t)
	b := env.Browser(t, 1280, 900)
	var dir, heading string
	b.Run(t,
		chromedp.Navigate(env.URL+"/ui/signin?lang=ar"),
		chromedp.WaitVisible(`h1`, chromedp.ByQuery),
		chromedp.Evaluate(`getComputedStyle(document.documentElement).direction`, &dir),
		chromedp.Text(`h1`, &heading, chromedp.ByQuery),
	)
	if dir != "rtl" || heading != "تسجيل الدخول" {
		t.Errorf("Arabic sign-in page: direction %q, heading %q", dir, heading)
	}
	b.Run(t, chromedp.Navigate(env.URL+"/ui/signin?lang=en"))
	b.SignIn(t, "eddie")
	var loc string
	b.Run(t, chromedp.Location(&loc))
	if !strings.HasPrefix(loc, env.URL+"/ui/") || strings.Contains(loc, "signin") {
		t.Errorf("after sign-in the browser is at %s", loc)
	}
	b.Run(t,
		chromedp.Click(`form.signout button`, chromedp.ByQuery),
		chromedp.WaitVisible(`form.signin`, chromedp.ByQuery),
		chromedp.Location(&loc),
	)
	if !strings.HasPrefix(loc, env.URL+"/ui/signin") {
		t.Errorf("after sign-out the browser is at %s", loc)
	}
}
