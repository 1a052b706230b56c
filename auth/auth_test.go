package auth

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"signpost/store"
)

// memTokens is a fake of the two store methods the cache uses; the real
// stores are covered by store/storetest.
type memTokens struct {
	mu     sync.Mutex
	tokens []store.Token
	fail   bool
}

func (m *memTokens) CreateToken(_ context.Context, t store.Token) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tokens = append(m.tokens, t)
	return nil
}

func (m *memTokens) ListTokens(context.Context) ([]store.Token, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return nil, store.ErrUnavailable
	}
	return append([]store.Token(nil), m.tokens...), nil
}

func TestNewToken(t *testing.T) {
	tok, secret, err := NewToken("Acme search", RolePlatform, "acme", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "sp_") || len(secret) != 3+43 {
		t.Errorf("secret %q: want sp_ + 43 base64url chars (256 bits)", secret)
	}
	if string(tok.Hash) != string(Hash(secret)) || strings.Contains(string(tok.Hash), secret) {
		t.Error("stored hash is not the secret's SHA-256")
	}
	_, s2, _ := NewToken("Acme search", RolePlatform, "acme", time.Now())
	if s2 == secret {
		t.Error("two secrets are equal")
	}
	for name, args := range map[string][3]string{
		"bad role":               {"x", "root", ""},
		"platform without id":    {"x", RolePlatform, ""},
		"bad platform id":        {"x", RolePlatform, "Acme Corp"},
		"empty name":             {"", RoleAdmin, ""},
		"name with control char": {"a\nb", RoleAdmin, ""},
	} {
		if _, _, err := NewToken(args[0], args[1], args[2], time.Now()); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestCacheAuthenticates(t *testing.T) {
	st := &memTokens{}
	c, err := NewCache(context.Background(), st, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if c.HasAdmin() {
		t.Error("HasAdmin on an empty store")
	}
	tok, secret, _ := NewToken("p", RolePlatform, "acme", time.Now())
	if err := c.Create(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	p, ok := c.Authenticate(secret)
	if !ok || p.Role != RolePlatform || p.Platform != "acme" || p.TokenID != tok.ID {
		t.Errorf("Authenticate = %+v, %v", p, ok)
	}
	for _, bad := range []string{"", secret + "x", strings.ToUpper(secret), strings.Repeat("a", 300)} {
		if _, ok := c.Authenticate(bad); ok {
			t.Errorf("Authenticate(%q) succeeded", bad)
		}
	}
	// A store outage keeps the cached table: authentication goes on.
	st.fail = true
	if err := c.Refresh(context.Background()); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Refresh with the store down: err = %v", err)
	}
	if _, ok := c.Authenticate(secret); !ok {
		t.Error("authentication failed while the store is down")
	}
}

func TestCacheRunPicksUpOtherInstancesTokens(t *testing.T) {
	st := &memTokens{}
	c, _ := NewCache(context.Background(), st, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx, 10*time.Millisecond); close(done) }()
	defer func() { cancel(); <-done }()
	tok, secret, _ := NewToken("p", RoleAnalyst, "", time.Now())
	_ = st.CreateToken(context.Background(), tok) // written by "another instance"
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, ok := c.Authenticate(secret); ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("a token created elsewhere was not picked up by the refresh loop")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
