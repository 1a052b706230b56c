package web

import (
	"crypto/rand"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"regexp"
	"strings"
)

//go:embed card.html
var cardHTML string

// ExitPath is the neutral page Quick Exit leaves for: a fixed address
// that says nothing about signpost, campaigns or what was searched.
const ExitPath = "/exit"

// Card is what the card page shows. It never holds the user's text.
type Card struct {
	Lang, Dir string
	Title     string
	Body      string
	Actions   []CardAction
	Dismiss   string
	Continue  string
	// Exit is the Quick Exit control's label; Render fills in the
	// built-in one for Lang (ExitLabel) when it is empty.
	Exit string
	// Preview, when set, is a banner for editors saying what they see
	// (campaign, version, variant, locale); hosted cards leave it empty.
	Preview string
	// FormAction is where the continue and dismiss buttons post (the
	// hosted card's own URL); previews leave it empty and the buttons
	// inert.
	FormAction string
	// Nonce is the Content-Security-Policy nonce of the page's inline
	// style and script (see CSP): a fresh one per response.
	Nonce string
}

// CSP is the Content-Security-Policy of a card page with this nonce:
// nothing loads but the page's own inline style and its Quick Exit
// script, forms post only to the service itself, and nothing may frame
// the page.
func CSP(nonce string) string {
	return "default-src 'none'; style-src 'nonce-" + nonce + "'; script-src 'nonce-" + nonce + "'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
}

// NewNonce returns a fresh random nonce for CSP.
func NewNonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawStdEncoding.EncodeToString(b[:])
}

// CardAction is one action button: its label and the link it opens.
type CardAction struct {
	Label string
	URL   string
}

// exitLabels are Quick Exit's built-in labels: a short, neutral word per
// language (campaign content has no message for it). widget.js carries
// the same table; TestExitLabelsMatchWidget keeps the two equal.
var exitLabels = map[string]string{
	"en":  "Exit",
	"fr":  "Quitter",
	"ar":  "خروج",
	"fa":  "خروج",
	"prs": "خروج",
	"ckb": "دەرچوون",
	"ku":  "Derkeve",
	"kmr": "Derkeve",
	"ps":  "وتل",
	"sq":  "Dil",
	"vi":  "Thoát",
	"ti":  "ውጻእ",
	"tr":  "Çıkış",
	"so":  "Ka bax",
	"ur":  "باہر نکلیں",
	"am":  "ውጣ",
	"es":  "Salir",
	"de":  "Verlassen",
	"it":  "Esci",
	"ru":  "Выйти",
	"uk":  "Вийти",
}

// ExitLabel returns the Quick Exit label for a locale ("ar", "ku-Latn"):
// the language's own, else English.
func ExitLabel(locale string) string {
	l := strings.ToLower(locale)
	if s, ok := exitLabels[l]; ok {
		return s
	}
	base, _, _ := strings.Cut(l, "-")
	if s, ok := exitLabels[base]; ok {
		return s
	}
	return exitLabels["en"]
}

// CardRenderer renders the card page: the hosted interstitial and the
// editors' preview share it, so a preview is exactly what people see.
type CardRenderer struct {
	t *template.Template
}

// NewCardRenderer parses the embedded card template.
func NewCardRenderer() (*CardRenderer, error) {
	t, err := template.New("card").Parse(cardHTML)
	if err != nil {
		return nil, fmt.Errorf("web: parse card template: %w", err)
	}
	return &CardRenderer{t: t}, nil
}

// Render writes the card page for c.
func (r *CardRenderer) Render(w io.Writer, c Card) error {
	if c.Exit == "" {
		c.Exit = ExitLabel(c.Lang)
	}
	if err := r.t.Execute(w, c); err != nil {
		return fmt.Errorf("web: render card: %w", err)
	}
	return nil
}

// safeStyle finds the neutral page's one inline style.
var safeStyle = regexp.MustCompile(`(?s)<style>(.*?)</style>`)

// SafeCSP is the Content-Security-Policy of the neutral page: its own
// inline style (allowed by hash) and nothing else.
var SafeCSP = func() string {
	m := safeStyle.FindSubmatch(SafePage)
	if m == nil {
		return "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	}
	sum := sha256.Sum256(m[1])
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}()
