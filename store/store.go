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
	"fmt"
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
	// ExpiresAt ends the token's validity; zero never expires.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// RevokedAt, once set, ends it for good; the record stays for audit.
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// ErrConflict is returned by SaveCampaign when the campaign changed since
// the caller read it (its revision moved on), or when a create finds the
// campaign already there. Nothing is written.
var ErrConflict = errors.New("store: conflict")

// Campaign is an editable record: a campaign, or a language's rule set
// (package editing keeps those under ids starting "rules.", which campaign
// ids cannot). It holds the workflow state and the working copy (the
// draft editors change), guarded by a revision for optimistic
// concurrency. Published content lives in immutable CampaignVersions.
type Campaign struct {
	ID string
	// Rev is set by the store: 1 on creation, one more on every save.
	Rev int64
	// State is the workflow state as an opaque JSON document owned by
	// package editing (status, reviewers, live version).
	State []byte
	// Draft is the working copy. ListCampaigns leaves it empty.
	Draft Draft
}

// Draft is a campaign's content: its definition as an opaque JSON document
// (owned by package messages) and one go-i18n message file per locale.
type Draft struct {
	Definition []byte
	// Content maps a locale tag (e.g. "ar", "ckb") to a message file.
	Content map[string]LocaleContent
}

// CampaignVersion is one published version of a campaign: never changed
// once written, so a rollback can restore it exactly.
type CampaignVersion struct {
	CampaignID string
	Version    int64
	Draft      Draft
	CreatedAt  time.Time
	CreatedBy  string
}

// LocaleContent is one locale's uploaded message file and its format
// ("toml", "json" or "yaml").
type LocaleContent struct {
	Format string `json:"format"`
	Data   []byte `json:"data"`
}

// AuditEntry is one change, as appended to a campaign's audit log. The
// store keeps entries in the order they were appended and never changes or
// deletes one.
type AuditEntry struct {
	Time       time.Time `json:"time"`
	Campaign   string    `json:"campaign"`
	Action     string    `json:"action"`
	ActorID    string    `json:"actor_id"`
	ActorName  string    `json:"actor_name,omitempty"`
	Detail     string    `json:"detail,omitempty"`
	RevBefore  int64     `json:"rev_before"`
	RevAfter   int64     `json:"rev_after"`
	LiveBefore int64     `json:"live_version_before"`
	LiveAfter  int64     `json:"live_version_after"`
}

// MaxSecurityEvents bounds the security log: denials can come in floods,
// and the log must not grow without end because of them.
const MaxSecurityEvents = 100_000

// Save is one atomic change to a campaign, for SaveCampaign.
type Save struct {
	Campaign Campaign
	// ExpectRev is the revision the change was based on; 0 creates the
	// campaign, which must not exist yet.
	ExpectRev int64
	// Version, when set, is stored as a new published version; a version
	// with that number must not exist yet.
	Version *CampaignVersion
	// Audit is appended to the campaign's audit log in the same step, so
	// the log never misses a change nor records one that did not happen.
	Audit AuditEntry
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
	// RevokeToken marks token id revoked at at (keeping an earlier
	// revocation time) and returns it, or ErrNotFound.
	RevokeToken(ctx context.Context, id string, at time.Time) (Token, error)

	// SaveCampaign applies s atomically: the campaign's state and draft,
	// the new version if any, and the audit entry are all written, or
	// nothing is. It returns the new revision, or ErrConflict when the
	// stored revision is not s.ExpectRev.
	SaveCampaign(ctx context.Context, s Save) (int64, error)
	// Campaign returns one campaign with its draft, or ErrNotFound.
	Campaign(ctx context.Context, id string) (Campaign, error)
	// ListCampaigns returns every campaign ordered by ID, without drafts.
	ListCampaigns(ctx context.Context) ([]Campaign, error)
	// CampaignVersion returns one published version, or ErrNotFound.
	CampaignVersion(ctx context.Context, id string, version int64) (CampaignVersion, error)
	// ListCampaignVersions returns a campaign's versions, oldest first.
	ListCampaignVersions(ctx context.Context, id string) ([]CampaignVersion, error)
	// Audit returns a campaign's audit log, oldest first; with id empty,
	// every campaign's, ordered by time.
	Audit(ctx context.Context, id string) ([]AuditEntry, error)

	// AppendSecurityEvent appends e (a sign-in, a failed one, a token or
	// account change, a permission denial; Campaign "security") to the
	// security log, which keeps the newest MaxSecurityEvents entries.
	AppendSecurityEvent(ctx context.Context, e AuditEntry) error
	// SecurityEvents returns the security log, oldest first.
	SecurityEvents(ctx context.Context) ([]AuditEntry, error)

	// Generation returns the published-state generation: a counter that
	// BumpGeneration increments whenever what the hot path serves changes,
	// so instances can poll one small key to notice a change they missed.
	Generation(ctx context.Context) (int64, error)
	// BumpGeneration increments the generation and returns the new value.
	// Stores shared by several instances also notify their subscribers.
	BumpGeneration(ctx context.Context) (int64, error)

	// Secret returns the secret stored under name, first storing the value
	// returned by generate if there is none. Concurrent callers, also on other
	// instances sharing the store, all get the same value.
	Secret(ctx context.Context, name string, generate func() ([]byte, error)) ([]byte, error)

	// Engagement keeps engagement counts, unique reach, the daily salt
	// and desistance markers.
	Engagement

	// Accounts keeps web UI users and their sign-in sessions.
	Accounts

	// PausedRules keeps the rules the flood guard paused.
	PausedRules

	// Webhooks keeps webhook subscriptions, deliveries and their log.
	Webhooks

	// Feedback keeps per-rule match counts and platforms' feedback.
	Feedback

	// Backup reads and writes records exactly, for export and import.
	Backup

	// Ping reports whether the store is reachable.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}

// CountKey is one cell of engagement counting: what was shown (campaign,
// version, variant, locale), where (platform, kind), what happened (event:
// "served", "impression", "click:<action>", "dismiss", "continue",
// "exposed", "repeat") and when, to the hour (Unix time / 3600).
type CountKey struct {
	Campaign string `json:"c"`
	Version  int64  `json:"v"`
	Variant  string `json:"x"`
	Locale   string `json:"l"`
	Platform string `json:"p"`
	Kind     string `json:"k"`
	Event    string `json:"e"`
	Hour     int64  `json:"h"`
}

// Count is a number of events in one cell.
type Count struct {
	Key CountKey
	N   int64
}

// OnceCount adds to Key one for each of IDs not seen before: a card
// token's interaction counts once per type however often it is reported.
type OnceCount struct {
	Key CountKey
	IDs []string
}

// UniqueCell is one cell of unique reach: a campaign's subjects on one
// day (YYYY-MM-DD, UTC) who saw one variant in one locale on one platform.
type UniqueCell struct {
	Day      string `json:"d"`
	Variant  string `json:"x"`
	Locale   string `json:"l"`
	Platform string `json:"p"`
}

// UniqueAdd adds subjects to a cell, as hashes salted with the day's
// salt: never a subject id, nor a hash of one under a stable key.
type UniqueAdd struct {
	Cell   UniqueCell
	Hashes [][]byte
}

// CountBatch is one flush of one campaign's engagement. Everything in it
// belongs to one campaign, so Redis Cluster can apply it in one slot.
type CountBatch struct {
	// ID makes the batch idempotent: a batch retried with the same ID
	// (its first attempt's reply was lost) is applied once.
	ID       string
	Campaign string
	Counts   []Count
	Once     []OnceCount
	Uniques  []UniqueAdd
}

// Check rejects a batch a store could not apply as one campaign's, with
// the expiries ApplyCounts was given.
func (b CountBatch) Check(onceTTL, retention time.Duration) error {
	switch {
	case b.ID == "" || b.Campaign == "":
		return errors.New("store: batch id and campaign are required")
	case retention <= 0:
		return fmt.Errorf("store: retention %v is not positive", retention)
	case len(b.Once) > 0 && onceTTL <= 0:
		return fmt.Errorf("store: once TTL %v is not positive", onceTTL)
	}
	for _, c := range b.Counts {
		if c.Key.Campaign != b.Campaign {
			return fmt.Errorf("store: count for campaign %q in a batch of %q", c.Key.Campaign, b.Campaign)
		}
	}
	for _, c := range b.Once {
		if c.Key.Campaign != b.Campaign {
			return fmt.Errorf("store: once-count for campaign %q in a batch of %q", c.Key.Campaign, b.Campaign)
		}
	}
	return nil
}

// Marker is a short-lived note under a salted key, for desistance: a
// card shown to someone, waiting to see whether they search again.
type Marker struct {
	Key   string
	Value string
}

// Engagement is the store's part of engagement counting. Like the rest of
// Store, every call honours ctx; unlike it, callers batch and retry, so a
// slow or absent store delays counts without losing them.
type Engagement interface {
	// ApplyCounts applies b atomically and at most once per b.ID: counts
	// and once-counts are added (an ID seen within onceTTL adds nothing),
	// unique hashes join their cells' HyperLogLog. Everything written
	// expires after retention.
	ApplyCounts(ctx context.Context, b CountBatch, onceTTL, retention time.Duration) error
	// Counts returns campaign's counts for hours in [fromHour, toHour).
	Counts(ctx context.Context, campaign string, fromHour, toHour int64) ([]Count, error)
	// UniqueCount estimates the number of distinct subjects in the union
	// of cells of campaign.
	UniqueCount(ctx context.Context, campaign string, cells []UniqueCell) (int64, error)
	// ExpiringSecret is Secret for a value that is destroyed ttl after it
	// was first generated (the daily reach salt).
	ExpiringSecret(ctx context.Context, name string, ttl time.Duration, generate func() ([]byte, error)) ([]byte, error)
	// SetMarkers stores each marker for ttl, unless its key already
	// holds one (a person's first card in the window is the one judged).
	// It reports, per marker, whether it was stored.
	SetMarkers(ctx context.Context, ms []Marker, ttl time.Duration) ([]bool, error)
	// TakeMarkers removes and returns the markers under keys (empty
	// Value for none).
	TakeMarkers(ctx context.Context, keys []string) ([]Marker, error)
}

// User is a person who signs in to the web UI. The password is kept only
// as an argon2id hash in PHC string form.
type User struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"` // the sign-in name, unique
	Role         string    `json:"role"`
	Platform     string    `json:"platform,omitempty"`
	PasswordHash string    `json:"password_hash"`
	CreatedAt    time.Time `json:"created_at"`
	DisabledAt   time.Time `json:"disabled_at,omitzero"`
}

// Session is a signed-in browser, stored under the SHA-256 of its id (the
// cookie's value is never stored), so a leaked store does not leak
// sessions.
type Session struct {
	Hash      []byte    `json:"hash"`
	UserID    string    `json:"user_id"`
	CSRF      string    `json:"csrf"` // the token forms must send back
	CreatedAt time.Time `json:"created_at"`
	// Expires is the absolute end; the store also drops a session idle
	// for longer than the idle timeout given to SaveSession.
	Expires time.Time `json:"expires"`
}

// Accounts is the store's part in people signing in.
type Accounts interface {
	// CreateUser stores u; a user with the same ID or Name is an error.
	CreateUser(ctx context.Context, u User) error
	// UserByName returns the user signing in as name, or ErrNotFound.
	UserByName(ctx context.Context, name string) (User, error)
	// User returns the user id, or ErrNotFound.
	User(ctx context.Context, id string) (User, error)
	// ListUsers returns every user ordered by name.
	ListUsers(ctx context.Context) ([]User, error)
	// SaveSession stores s (replacing one with the same hash) so that it
	// expires after idle without a new SaveSession, and at s.Expires at
	// the latest.
	SaveSession(ctx context.Context, s Session, idle time.Duration) error
	// Session returns the live session with this hash, or ErrNotFound.
	Session(ctx context.Context, hash []byte) (Session, error)
	// DeleteSession ends one session; ending one that is gone is no error.
	DeleteSession(ctx context.Context, hash []byte) error
	// DeleteUserSessions ends every session of user id (sign-out
	// everywhere, or a disabled account).
	DeleteUserSessions(ctx context.Context, userID string) error
}
