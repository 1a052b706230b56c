// Package store persists signpost's durable state: API tokens, campaigns
// with their localised content, and a few named secrets. Two
// implementations exist, an embedded one (store/boltstore, the default) and a
// Redis one (store/redisstore); both must pass the conformance suite in
// store/storetest so the rest of the service can treat them alike.
//
// The hot path (POST /v1/events) never calls the store: it reads an
// in-process catalog built from what the store holds.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned when a requested record does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrUnavailable wraps failures to reach the backing store (closed file,
// Redis down or timing out), so callers can fail open where they must.
var ErrUnavailable = errors.New("store: unavailable")

// Token is an API token as stored: never the secret itself, only its
// SHA-256 hash, which is also the lookup key.
type Token struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Platform  string    `json:"platform,omitempty"`
	Hash      []byte    `json:"hash"`
	CreatedAt time.Time `json:"created_at"`
}

// Campaign is a campaign as stored: its definition as an opaque JSON
// document (owned by package messages) and its localised content, one
// go-i18n message file per locale.
type Campaign struct {
	ID         string
	Definition []byte
	// Content maps a locale tag (e.g. "ar", "ckb") to a message file.
	Content map[string]LocaleContent
	// Version is incremented by the store on every SaveCampaign.
	Version int64
}

// LocaleContent is one locale's uploaded message file and its format
// ("toml", "json" or "yaml").
type LocaleContent struct {
	Format string `json:"format"`
	Data   []byte `json:"data"`
}

// Store is everything signpost persists. Implementations are safe for
// concurrent use and honour ctx deadlines on every call.
type Store interface {
	// CreateToken stores t. It fails if a token with the same ID or Hash exists.
	CreateToken(ctx context.Context, t Token) error
	// TokenByHash returns the token whose Hash equals hash, or ErrNotFound.
	TokenByHash(ctx context.Context, hash []byte) (Token, error)
	// ListTokens returns every token, ordered by ID.
	ListTokens(ctx context.Context) ([]Token, error)

	// SaveCampaign atomically replaces the campaign c.ID (definition and all
	// content) and returns the new version, one more than the previous.
	SaveCampaign(ctx context.Context, c Campaign) (int64, error)
	// Campaign returns one campaign or ErrNotFound.
	Campaign(ctx context.Context, id string) (Campaign, error)
	// ListCampaigns returns every campaign, ordered by ID.
	ListCampaigns(ctx context.Context) ([]Campaign, error)

	// Secret returns the secret stored under name, first storing the value
	// returned by generate if there is none. Concurrent callers, also on other
	// instances sharing the store, all get the same value.
	Secret(ctx context.Context, name string, generate func() ([]byte, error)) ([]byte, error)

	// Ping reports whether the store is reachable.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}
