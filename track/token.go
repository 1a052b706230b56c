// Package track signs and verifies the tokens that cards carry. A token
// names what was shown (campaign, version, variant, locale, platform,
// kind) so that later interactions can be attributed without signpost
// keeping any record of who was shown what.
package track

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync/atomic"
	"time"
)

// DefaultTTL is how long a card token stays valid.
const DefaultTTL = 7 * 24 * time.Hour

// maxTokenLen bounds what Verify will look at; real tokens are ~250 bytes.
const maxTokenLen = 1024

// macLen is the length of the truncated HMAC-SHA256 tag: 128 bits is
// ample against forgery and keeps URLs short.
const macLen = 16

// ErrInvalidToken is the only error Verify returns: callers must not be
// able to tell a forged token from an expired or malformed one.
var ErrInvalidToken = errors.New("track: invalid token")

// Claims is what a card token says.
type Claims struct {
	KeyID    string `json:"k"`
	Campaign string `json:"c"`
	Version  int64  `json:"v"`
	Variant  string `json:"x"`
	Locale   string `json:"l"`
	Platform string `json:"p,omitempty"`
	Kind     string `json:"t"`
	Issued   int64  `json:"i"` // unix seconds
	ID       string `json:"r"` // random, so each served card is distinct
	// Rules are the ids of the rules that matched, at most MaxTokenRules
	// in the matcher's order, so a platform's feedback on the card can
	// name them. Tokens issued before this claim existed lack it and
	// still verify.
	Rules []string `json:"m,omitempty"`
}

// MaxTokenRules bounds the rule ids a token carries: cards travel in
// URLs, and the first few rules are the ones worth reviewing.
const MaxTokenRules = 3

// Signer issues and verifies tokens with a set of keys: new tokens are
// signed with the current key; tokens signed with any known key verify,
// so keys can rotate without breaking cards already shown.
type Signer struct {
	ring atomic.Pointer[keyring]
	ttl  time.Duration
	now  func() time.Time
}

// keyring is the signing key id and every key that verifies.
type keyring struct {
	current string
	keys    map[string][]byte
}

// NewSigner returns a Signer that signs with keys[current].
func NewSigner(current string, keys map[string][]byte, ttl time.Duration) (*Signer, error) {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	s := &Signer{ttl: ttl, now: time.Now}
	if err := s.Rotate(current, keys); err != nil {
		return nil, err
	}
	return s, nil
}

// Rotate makes keys[current] the signing key and keys the set that
// verifies; cards signed with a key no longer in keys stop working.
func (s *Signer) Rotate(current string, keys map[string][]byte) error {
	if len(keys[current]) < 32 {
		return fmt.Errorf("track: signing key %q missing or shorter than 32 bytes", current)
	}
	s.ring.Store(&keyring{current: current, keys: maps.Clone(keys)})
	return nil
}

// Sign returns a token for c, filling in the key id, issue time and a
// random id.
func (s *Signer) Sign(c Claims) (string, error) {
	var rid [8]byte
	if _, err := rand.Read(rid[:]); err != nil {
		return "", fmt.Errorf("track: random id: %w", err)
	}
	if len(c.Rules) > MaxTokenRules {
		c.Rules = c.Rules[:MaxTokenRules]
	}
	ring := s.ring.Load()
	c.KeyID, c.Issued, c.ID = ring.current, s.now().Unix(), hex.EncodeToString(rid[:])
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("track: encode claims: %w", err)
	}
	enc := base64.RawURLEncoding
	var b strings.Builder
	b.Grow(enc.EncodedLen(len(payload)) + 1 + enc.EncodedLen(macLen))
	b.WriteString(enc.EncodeToString(payload))
	b.WriteByte('.')
	b.WriteString(enc.EncodeToString(s.mac(ring.keys[ring.current], payload)))
	return b.String(), nil
}

// Verify checks a token's signature and age and returns its claims.
func (s *Signer) Verify(token string) (Claims, error) {
	if len(token) > maxTokenLen {
		return Claims{}, ErrInvalidToken
	}
	p, m, ok := strings.Cut(token, ".")
	if !ok {
		return Claims{}, ErrInvalidToken
	}
	enc := base64.RawURLEncoding
	payload, err1 := enc.DecodeString(p)
	tag, err2 := enc.DecodeString(m)
	if err1 != nil || err2 != nil || len(tag) != macLen {
		return Claims{}, ErrInvalidToken
	}
	var c Claims
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Claims{}, ErrInvalidToken
	}
	key, ok := s.ring.Load().keys[c.KeyID]
	if !ok || !hmac.Equal(tag, s.mac(key, payload)) {
		return Claims{}, ErrInvalidToken
	}
	issued := time.Unix(c.Issued, 0)
	if now := s.now(); now.Sub(issued) > s.ttl || issued.After(now.Add(time.Minute)) {
		return Claims{}, ErrInvalidToken
	}
	return c, nil
}

func (s *Signer) mac(key, payload []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(payload)
	return h.Sum(nil)[:macLen]
}
