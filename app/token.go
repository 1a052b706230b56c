package app

import (
	"context"
	"fmt"
	"time"

	"signpost/auth"
	"signpost/store"
)

// CreateToken opens the configured store, stores a new API token and
// returns its id and secret. It is the `signpost token create` command;
// with the embedded store it fails if a server holds the data directory,
// since bbolt allows one process at a time (use POST /v1/tokens then).
func CreateToken(ctx context.Context, cfg Config, name, role, platform string) (id, secret string, err error) {
	t, secret, err := auth.NewToken(name, role, platform, 0, time.Now())
	if err != nil {
		return "", "", err
	}
	st, err := openStore(cfg)
	if err != nil {
		return "", "", err
	}
	defer st.Close()
	if err := st.CreateToken(ctx, t); err != nil {
		return "", "", fmt.Errorf("create token: %w", err)
	}
	if err := st.AppendSecurityEvent(ctx, cliEvent("token_created", t.ID+" ("+t.Role+")")); err != nil {
		return "", "", fmt.Errorf("create token: audit: %w", err)
	}
	return t.ID, secret, nil
}

// CreateUser opens the configured store and stores a new person's account
// with password hashed. It is the `signpost user add` command (see
// CreateToken on the embedded store).
func CreateUser(ctx context.Context, cfg Config, name, role, platform, password string) (string, error) {
	u, err := auth.NewUser(name, role, platform, password, time.Now())
	if err != nil {
		return "", err
	}
	st, err := openStore(cfg)
	if err != nil {
		return "", err
	}
	defer st.Close()
	if err := st.CreateUser(ctx, u); err != nil {
		return "", fmt.Errorf("create user: %w", err)
	}
	if err := st.AppendSecurityEvent(ctx, cliEvent("user_created", u.ID+" ("+u.Role+")")); err != nil {
		return "", fmt.Errorf("create user: audit: %w", err)
	}
	return u.ID, nil
}

// cliEvent is a security event made by an operator on the command line,
// who has the store's keys rather than a token.
func cliEvent(action, detail string) store.AuditEntry {
	return store.AuditEntry{Time: time.Now().UTC(), Campaign: "security", Action: action, ActorID: "cli", ActorName: "signpost command", Detail: detail}
}
