package auth

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"signpost/store"
	"signpost/store/storetest"
)

func TestNewToken(t *testing.T) {
	tok, secret, err := NewToken("Acme search", RolePlatform, "acme", 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "sp_") || len(secret) != 3+43 {
		t.Errorf("secret %q: want sp_ + 43 base64url chars (256 bits)", secret)
	}
	if string(tok.Hash) != string(Hash(secret)) || strings.Contains(string(tok.Hash), secret) {
		t.Error("stored hash is not the secret's SHA-256")
	}
	_, s2, _ := NewToken("Acme search", RolePlatform, "acme", 0, time.Now())
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
		if _, _, err := NewToken(args[0], args[1], args[2], 0, time.Now()); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestCacheAuthenticates(t *testing.T) {
	st := storetest.OpenBolt(t)
	c, err := NewCache(context.Background(), st, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if c.HasAdmin() {
		t.Error("HasAdmin on an empty store")
	}
	tok, secret, _ := NewToken("p", RolePlatform, "acme", 0, time.Now())
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
	st.Close()
	if err := c.Refresh(context.Background()); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Refresh with the store down: err = %v", err)
	}
	if _, ok := c.Authenticate(secret); !ok {
		t.Error("authentication failed while the store is down")
	}
}

func TestCacheRunPicksUpOtherInstancesTokens(t *testing.T) {
	st := storetest.OpenBolt(t)
	c, _ := NewCache(context.Background(), st, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx, 10*time.Millisecond); close(done) }()
	defer func() { cancel(); <-done }()
	tok, secret, _ := NewToken("p", RoleAnalyst, "", 0, time.Now())
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

// TestExpiryAndRevocation: an expired or revoked token stops working, and
// a revoked admin no longer counts as the admin that bootstrap needs.
func TestExpiryAndRevocation(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	c, err := NewCache(ctx, storetest.OpenBolt(t), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	c.Now = func() time.Time { return now }
	short, shortSecret, err := NewToken("short", RoleAnalyst, "", 2*time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	admin, adminSecret, _ := NewToken("admin", RoleAdmin, "", 0, now)
	for _, tok := range []store.Token{short, admin} {
		if err := c.Create(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := c.Authenticate(shortSecret); !ok {
		t.Fatal("a fresh token does not authenticate")
	}
	now = now.Add(2 * time.Hour)
	if _, ok := c.Authenticate(shortSecret); ok {
		t.Error("a token authenticates at its expiry time")
	}
	if !c.HasAdmin() {
		t.Fatal("HasAdmin before revocation")
	}
	if _, err := c.Revoke(ctx, admin.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Authenticate(adminSecret); ok {
		t.Error("a revoked token authenticates")
	}
	if c.HasAdmin() {
		t.Error("a revoked admin still counts as an admin")
	}
	if _, err := c.Revoke(ctx, "tok_nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Revoke(unknown): err = %v", err)
	}
	if _, _, err := NewToken("x", RoleAnalyst, "", MaxTokenLifetime+time.Hour, now); err == nil {
		t.Error("a lifetime over the maximum was accepted")
	}
}
