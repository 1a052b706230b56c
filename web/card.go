package web

import (
	"crypto/rand"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
)

//go:embed card.html
var cardHTML string

// Card is what the card page shows. It never holds the user's text.
type Card struct {
	Lang, Dir string
	Title     string
	Body      string
	Actions   []CardAction
	Dismiss   string
	Continue  string
	// Preview, when set, is a banner for editors saying what they see
	// (campaign, version, variant, locale); hosted cards leave it empty.
	Preview string
	// FormAction is where the continue and dismiss buttons post (the
	// hosted card's own URL); previews leave it empty and the buttons
	// inert.
	FormAction string
	// Nonce is the Content-Security-Policy nonce of the page's inline
	// style (see CSP): a fresh one per response.
	Nonce string
}

// CSP is the Content-Security-Policy of a card page with this nonce:
// nothing loads but the page's own inline style, forms post only to the
// service itself, and nothing may frame the page.
func CSP(nonce string) string {
	return "default-src 'none'; style-src 'nonce-" + nonce + "'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
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
	if err := r.t.Execute(w, c); err != nil {
		return fmt.Errorf("web: render card: %w", err)
	}
	return nil
}
