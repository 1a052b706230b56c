package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries a delivery's signature.
const SignatureHeader = "Signpost-Signature"

// DefaultTolerance is how far a signature's timestamp may be from the
// receiver's clock: enough for clock skew and a slow network, short
// enough that a captured delivery cannot be replayed much later.
const DefaultTolerance = 5 * time.Minute

// Errors Verify returns, so receivers can tell a forgery from a stale or
// garbled header in their logs. Each wraps ErrSignature.
var (
	ErrSignature = errors.New("webhook: signature rejected")
	ErrMalformed = fmt.Errorf("%w: malformed %s header", ErrSignature, SignatureHeader)
	ErrTimestamp = fmt.Errorf("%w: timestamp outside the tolerance", ErrSignature)
	ErrMismatch  = fmt.Errorf("%w: no v1 signature matches", ErrSignature)
)

// Sign returns the Signpost-Signature value for body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>". Signing
// the timestamp with the body keeps an old delivery from being replayed
// with a fresh time.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks that header (a Signpost-Signature value) signs body with
// secret, at a time within tolerance of now (DefaultTolerance when
// tolerance is zero or less). Pass the body exactly as received, before
// any JSON decoding. Several v1 values are accepted (any one may match),
// so a receiver keeps working while secrets are rotated; unknown keys are
// ignored. The comparison takes constant time.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	var ts string
	var sigs [][]byte
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrMalformed
		}
		switch k {
		case "t":
			if ts != "" {
				return ErrMalformed
			}
			ts = v
		case "v1":
			sig, err := hex.DecodeString(v)
			if err != nil || len(sig) != sha256.Size {
				return ErrMalformed
			}
			sigs = append(sigs, sig)
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrMalformed
	}
	if d := now.Sub(time.Unix(unix, 0)); d > tolerance || d < -tolerance {
		return ErrTimestamp
	}
	want := mac(secret, ts, body)
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			return nil
		}
	}
	return ErrMismatch
}
