package handlers

import "signpost/track"

// CardSigner signs and verifies card tokens.
type CardSigner interface {
	Sign(c track.Claims) (string, error)
	Verify(token string) (track.Claims, error)
}
