package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"signpost/webhook"
)

// The known vector: HMAC-SHA256 with key "whsec_test" over
// "1767261600.{"id":"evt_1"}", computed independently of the package.
const (
	vecSecret = "whsec_test"
	vecBody   = `{"id":"evt_1"}`
	vecUnix   = 1767261600
)

func vecHeader(t *testing.T) string {
	t.Helper()
	m := hmac.New(sha256.New, []byte(vecSecret))
	m.Write([]byte("1767261600." + vecBody))
	return "t=1767261600,v1=" + hex.EncodeToString(m.Sum(nil))
}

func TestSignKnownVector(t *testing.T) {
	// Computed with: printf '%s' '1767261600.{"id":"evt_1"}' | openssl dgst -sha256 -hmac whsec_test
	const openssl = "t=1767261600,v1=3323833052977c13fa4097d5793e410ec62d126564d5a1c3dfeffdbbc414d5b2"
	if h := vecHeader(t); h != openssl {
		t.Fatalf("crypto/hmac gives %s, openssl %s", h, openssl)
	}
	if got := webhook.Sign(vecSecret, time.Unix(vecUnix, 0), []byte(vecBody)); got != openssl {
		t.Errorf("Sign = %s, want %s", got, openssl)
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(vecUnix, 0)
	good := vecHeader(t)
	_, goodSig, _ := strings.Cut(good, ",v1=")
	other := hex.EncodeToString(make([]byte, 32))
	tests := []struct {
		name   string
		secret string
		header string
		body   string
		now    time.Time
		want   error
	}{
		{"valid", vecSecret, good, vecBody, now, nil},
		{"valid within tolerance, late", vecSecret, good, vecBody, now.Add(4 * time.Minute), nil},
		{"valid within tolerance, early", vecSecret, good, vecBody, now.Add(-4 * time.Minute), nil},
		{"spaces and an unknown key", vecSecret, "t=1767261600, v0=zz, v1=" + goodSig, vecBody, now, nil},
		{"one of two v1 values (rotation)", vecSecret, "t=1767261600,v1=" + other + ",v1=" + goodSig, vecBody, now, nil},
		{"tampered body", vecSecret, good, `{"id":"evt_2"}`, now, webhook.ErrMismatch},
		{"body with a trailing newline", vecSecret, good, vecBody + "\n", now, webhook.ErrMismatch},
		{"wrong secret", "whsec_other", good, vecBody, now, webhook.ErrMismatch},
		{"old timestamp", vecSecret, good, vecBody, now.Add(6 * time.Minute), webhook.ErrTimestamp},
		{"future timestamp", vecSecret, good, vecBody, now.Add(-6 * time.Minute), webhook.ErrTimestamp},
		{"timestamp changed", vecSecret, "t=1767261601,v1=" + goodSig, vecBody, now, webhook.ErrMismatch},
		{"empty header", vecSecret, "", vecBody, now, webhook.ErrMalformed},
		{"no timestamp", vecSecret, "v1=" + goodSig, vecBody, now, webhook.ErrMalformed},
		{"no signature", vecSecret, "t=1767261600", vecBody, now, webhook.ErrMalformed},
		{"signature not hex", vecSecret, "t=1767261600,v1=xyz", vecBody, now, webhook.ErrMalformed},
		{"signature too short", vecSecret, "t=1767261600,v1=" + goodSig[:32], vecBody, now, webhook.ErrMalformed},
		{"timestamp not a number", vecSecret, "t=soon,v1=" + goodSig, vecBody, now, webhook.ErrMalformed},
		{"two timestamps", vecSecret, "t=1,t=1767261600,v1=" + goodSig, vecBody, now, webhook.ErrMalformed},
		{"no key=value", vecSecret, "1767261600," + goodSig, vecBody, now, webhook.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhook.Verify(tt.secret, tt.header, []byte(tt.body), tt.now, 0)
			if !errors.Is(err, tt.want) || (tt.want != nil && !errors.Is(err, webhook.ErrSignature)) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyTolerance(t *testing.T) {
	now := time.Unix(vecUnix, 0).Add(90 * time.Second)
	if err := webhook.Verify(vecSecret, vecHeader(t), []byte(vecBody), now, time.Minute); !errors.Is(err, webhook.ErrTimestamp) {
		t.Errorf("a 1m tolerance accepted a 90s old signature: %v", err)
	}
	if err := webhook.Verify(vecSecret, vecHeader(t), []byte(vecBody), now, 2*time.Minute); err != nil {
		t.Errorf("a 2m tolerance refused a 90s old signature: %v", err)
	}
}

func FuzzVerify(f *testing.F) {
	f.Add("t=1767261600,v1=00", []byte(vecBody))
	f.Add(",,,=,t=,v1=", []byte{})
	f.Add("t=1767261600,v1=3323833052977c13fa4097d5793e410ec62d126564d5a1c3dfeffdbbc414d5b2", []byte(vecBody))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		// Whatever the header, Verify must not panic, and it may accept
		// only a header holding the signature of its own timestamp.
		if webhook.Verify(vecSecret, header, body, time.Unix(vecUnix, 0), 0) != nil {
			return
		}
		m := regexp.MustCompile(`(?:^|,)\s*t=([^,]*)`).FindStringSubmatch(header)
		if m == nil {
			t.Fatalf("accepted %q without a timestamp", header)
		}
		mac := hmac.New(sha256.New, []byte(vecSecret))
		// Verify trims white space around each part, "\r" included.
		mac.Write([]byte(strings.TrimSpace(m[1]) + "."))
		mac.Write(body)
		if !strings.Contains(strings.ToLower(header), "v1="+hex.EncodeToString(mac.Sum(nil))) {
			t.Errorf("accepted %q, which does not hold the body's signature", header)
		}
	})
}
