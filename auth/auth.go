// Package auth issues API tokens and authenticates requests against an
// in-process copy of the token table, so that authentication on the hot
// path never waits on the store and keeps working while it is down.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"signpost/store"
)

// Roles, from least to most privileged (DESIGN §3 Auth).
const (
	RolePlatform = "platform"
	RoleEditor   = "editor"
	// RoleReviewer is an editor who may also publish, reject, resume,
	// roll back and archive: the second person of the two-person rule.
	RoleReviewer = "reviewer"
	RoleAnalyst  = "analyst"
	RoleAdmin    = "admin"
)

// secretPrefix marks signpost secrets so that secret scanners and people
// recognise them.
const secretPrefix = "sp_"

// MinBootstrapSecret is the least length accepted for an operator-chosen
// bootstrap secret.
const MinBootstrapSecret = 24

var (
	nameRe     = regexp.MustCompile(`^[\pL\pN ._-]{1,64}$`)
	platformRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)
)

// Principal is who a request acts for.
type Principal struct {
	TokenID  string
	Name     string
	Role     string
	Platform string
}

// NewSecret returns a fresh secret (256 random bits) and its hash.
func NewSecret() (string, []byte, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, fmt.Errorf("auth: random secret: %w", err)
	}
	s := secretPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return s, Hash(s), nil
}

// Hash returns the stored form of a secret. Secrets carry 256 bits of
// entropy, so a fast hash is enough: there is nothing to brute-force.
func Hash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// MaxTokenLifetime bounds how long a token may be valid: one that never
// ends is a leak waiting to happen.
const MaxTokenLifetime = 3650 * 24 * time.Hour

// DefaultTokenLifetime is a new token's validity when none is asked for.
const DefaultTokenLifetime = 365 * 24 * time.Hour

// NewToken validates a token request and returns the token to store (with
// a fresh id and secret, valid for lifetime from now: DefaultTokenLifetime
// when 0) and the secret to show once.
func NewToken(name, role, platform string, lifetime time.Duration, now time.Time) (store.Token, string, error) {
	var errs []error
	if !nameRe.MatchString(name) {
		errs = append(errs, errors.New("name must be 1-64 letters, digits, spaces, '.', '_' or '-'"))
	}
	switch role {
	case RolePlatform:
		if !platformRe.MatchString(platform) {
			errs = append(errs, errors.New("a platform token needs a platform id of 1-32 lower-case letters, digits, '_' or '-'"))
		}
	case RoleEditor, RoleReviewer, RoleAnalyst, RoleAdmin:
		if platform != "" && !platformRe.MatchString(platform) {
			errs = append(errs, errors.New("platform id must be 1-32 lower-case letters, digits, '_' or '-'"))
		}
	default:
		errs = append(errs, fmt.Errorf("role %q is not one of platform, editor, reviewer, analyst, admin", role))
	}
	if lifetime == 0 {
		lifetime = DefaultTokenLifetime
	}
	if lifetime < time.Hour || lifetime > MaxTokenLifetime {
		errs = append(errs, errors.New("a token's lifetime must be between an hour and 3650 days"))
	}
	if len(errs) > 0 {
		return store.Token{}, "", errors.Join(errs...)
	}
	secret, hash, err := NewSecret()
	if err != nil {
		return store.Token{}, "", err
	}
	var id [8]byte
	if _, err := rand.Read(id[:]); err != nil {
		return store.Token{}, "", fmt.Errorf("auth: token id: %w", err)
	}
	t := store.Token{ID: "tok_" + hex.EncodeToString(id[:]), Name: name, Role: role, Platform: platform, Hash: hash,
		CreatedAt: now.UTC(), ExpiresAt: now.Add(lifetime).UTC()}
	return t, secret, nil
}

// TokenStore is the part of the store the cache reads and writes.
type TokenStore interface {
	CreateToken(ctx context.Context, t store.Token) error
	ListTokens(ctx context.Context) ([]store.Token, error)
	RevokeToken(ctx context.Context, id string, at time.Time) (store.Token, error)
}

// Cache authenticates secrets against an in-memory copy of the token
// table, refreshed from the store in the background.
type Cache struct {
	store  TokenStore
	log    *slog.Logger
	tokens atomic.Pointer[map[string]store.Token] // key: string(hash)
	mu     sync.Mutex                             // serialises refreshes
	// Now is the clock for expiry (time.Now when nil).
	Now func() time.Time
}

// NewCache returns a cache loaded from st. It fails if the first load
// fails: a service that cannot read its tokens cannot start.
func NewCache(ctx context.Context, st TokenStore, log *slog.Logger) (*Cache, error) {
	c := &Cache{store: st, log: log}
	if err := c.Refresh(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Refresh reloads the token table from the store.
func (c *Cache) Refresh(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	list, err := c.store.ListTokens(ctx)
	if err != nil {
		return fmt.Errorf("auth: load tokens: %w", err)
	}
	m := make(map[string]store.Token, len(list))
	for _, t := range list {
		m[string(t.Hash)] = t
	}
	c.tokens.Store(&m)
	return nil
}

// Run refreshes the cache every interval until ctx ends. A failed refresh
// keeps the previous table.
func (c *Cache) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			rctx, cancel := context.WithTimeout(ctx, interval)
			if err := c.Refresh(rctx); err != nil {
				c.log.Warn("token refresh failed; keeping the cached tokens", "err", err)
			}
			cancel()
		}
	}
}

// Revoke ends token id for good and drops it from this cache at once;
// other instances learn of it through their refresh.
func (c *Cache) Revoke(ctx context.Context, id string) (store.Token, error) {
	t, err := c.store.RevokeToken(ctx, id, c.now())
	if err != nil {
		return t, fmt.Errorf("auth: revoke token: %w", err)
	}
	return t, c.Refresh(ctx)
}

// List returns every token (revoked and expired ones too, for audit).
func (c *Cache) List() []store.Token {
	m := *c.tokens.Load()
	out := make([]store.Token, 0, len(m))
	for _, t := range m {
		out = append(out, t)
	}
	return out
}

func (c *Cache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Create stores a new token and adds it to the cache at once.
func (c *Cache) Create(ctx context.Context, t store.Token) error {
	if err := c.store.CreateToken(ctx, t); err != nil {
		return fmt.Errorf("auth: create token: %w", err)
	}
	return c.Refresh(ctx)
}

// Authenticate returns the principal for a secret.
func (c *Cache) Authenticate(secret string) (Principal, bool) {
	if secret == "" || len(secret) > 256 {
		return Principal{}, false
	}
	h := Hash(secret)
	t, ok := (*c.tokens.Load())[string(h)]
	if !ok || subtle.ConstantTimeCompare(t.Hash, h) != 1 || !t.RevokedAt.IsZero() ||
		(!t.ExpiresAt.IsZero() && !c.now().Before(t.ExpiresAt)) {
		return Principal{}, false
	}
	return Principal{TokenID: t.ID, Name: t.Name, Role: t.Role, Platform: t.Platform}, true
}

// HasAdmin reports whether an admin token exists.
func (c *Cache) HasAdmin() bool {
	for _, t := range *c.tokens.Load() {
		if t.Role == RoleAdmin && t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || c.now().Before(t.ExpiresAt)) {
			return true
		}
	}
	return false
}
