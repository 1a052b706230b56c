package webhook

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// ErrInvalid wraps every reason a subscription request is refused; its
// message is safe to show the admin who sent it.
var ErrInvalid = errors.New("invalid webhook")

// Limits of a subscription request.
const (
	MaxURL         = 2048
	MaxDescription = 500
)

// Request is what an admin asks for when subscribing.
type Request struct {
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Description string   `json:"description"`
}

// Check validates r and returns it normalised (event types sorted and
// deduplicated). allowHTTP permits plain http to any host; without it,
// http is accepted only for loopback receivers (local tools and tests).
func (r Request) Check(allowHTTP bool) (Request, error) {
	if err := CheckURL(r.URL, allowHTTP); err != nil {
		return r, err
	}
	if len(r.Events) == 0 {
		return r, fmt.Errorf("%w: list at least one event type in \"events\" (%s)", ErrInvalid, strings.Join(Types, ", "))
	}
	for _, e := range r.Events {
		if !ValidType(e) {
			return r, fmt.Errorf("%w: \"events\" lists an unknown event type; known types: %s", ErrInvalid, strings.Join(Types, ", "))
		}
	}
	if len(r.Description) > MaxDescription || !utf8.ValidString(r.Description) {
		return r, fmt.Errorf("%w: \"description\" must be UTF-8 text of at most %d bytes", ErrInvalid, MaxDescription)
	}
	r.Events = slices.Compact(slices.Sorted(slices.Values(r.Events)))
	return r, nil
}

// CheckURL accepts an absolute http(s) URL without user info or fragment.
// https is required unless the host is loopback or allowHTTP is set:
// deliveries carry a signature, but their content is not encrypted.
func CheckURL(raw string, allowHTTP bool) error {
	if raw == "" || len(raw) > MaxURL {
		return fmt.Errorf("%w: \"url\" must be an absolute https URL of at most %d bytes", ErrInvalid, MaxURL)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return fmt.Errorf("%w: \"url\" is not an absolute URL", ErrInvalid)
	}
	switch {
	case u.User != nil:
		return fmt.Errorf("%w: \"url\" must not carry a user name or password", ErrInvalid)
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return fmt.Errorf("%w: \"url\" must not have a fragment", ErrInvalid)
	case u.Scheme == "https":
		return nil
	case u.Scheme != "http":
		return fmt.Errorf("%w: \"url\" must be http or https, not %q", ErrInvalid, u.Scheme)
	case allowHTTP || isLoopback(u.Hostname()):
		return nil
	}
	return fmt.Errorf("%w: \"url\" must use https (plain http is allowed for loopback hosts, or everywhere with SIGNPOST_WEBHOOK_ALLOW_HTTP=1)", ErrInvalid)
}

// isLoopback reports whether host is localhost or a loopback address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
