package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"time"

	"signpost/store"
)

// SessionStore is the part of the store sessions need.
type SessionStore interface {
	CreateUser(ctx context.Context, u store.User) error
	UserByName(ctx context.Context, name string) (store.User, error)
	User(ctx context.Context, id string) (store.User, error)
	SaveSession(ctx context.Context, s store.Session, idle time.Duration) error
	Session(ctx context.Context, hash []byte) (store.Session, error)
	DeleteSession(ctx context.Context, hash []byte) error
	DeleteUserSessions(ctx context.Context, userID string) error
}

// ErrBadCredentials is the one answer to a failed sign-in: it does not
// say whether the name or the password was wrong.
var ErrBadCredentials = errors.New("auth: wrong name or password")

// ErrNoSession means the session id is unknown, expired or ended.
var ErrNoSession = errors.New("auth: no such session")

// Session lifetimes: a session ends after IdleTimeout without use, and
// AbsoluteTimeout after sign-in whatever happens (ASVS 3.3).
const (
	DefaultIdleTimeout     = 30 * time.Minute
	DefaultAbsoluteTimeout = 12 * time.Hour
)

var userNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._@-]{2,63}$`)

// Sessions signs people in and out. Sessions live in the store, so they
// work on every instance; only the SHA-256 of a session id is stored.
type Sessions struct {
	st       SessionStore
	idle     time.Duration
	absolute time.Duration
	now      func() time.Time
}

// NewSessions returns Sessions on st; zero timeouts take the defaults.
func NewSessions(st SessionStore, idle, absolute time.Duration) *Sessions {
	if idle <= 0 {
		idle = DefaultIdleTimeout
	}
	if absolute <= 0 {
		absolute = DefaultAbsoluteTimeout
	}
	return &Sessions{st: st, idle: idle, absolute: absolute, now: time.Now}
}

// AbsoluteTimeout is how long a session can live at most.
func (s *Sessions) AbsoluteTimeout() time.Duration { return s.absolute }

// NewUser validates and returns a user to store, with password hashed.
func NewUser(name, role, platform, password string, now time.Time) (store.User, error) {
	var errs []error
	if !userNameRe.MatchString(name) {
		errs = append(errs, errors.New("name must be 3-64 lower-case letters, digits, '.', '_', '@' or '-'"))
	}
	if _, _, err := NewToken("x", role, platform, 0, now); err != nil {
		errs = append(errs, err)
	}
	hash, err := HashPassword(password)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return store.User{}, errors.Join(errs...)
	}
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		return store.User{}, fmt.Errorf("auth: user id: %w", err)
	}
	return store.User{ID: "usr_" + base64.RawURLEncoding.EncodeToString(id), Name: name, Role: role, Platform: platform,
		PasswordHash: hash, CreatedAt: now.UTC()}, nil
}

// dummyHash is checked against when the name is unknown, so a sign-in
// takes as long whether or not the account exists.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$c2lnbnBvc3RzaWducG9zdA$3u3ngMPD9WFv1iFJ0Jw0GyA5F4Ljy7NqU5Hvc8XzV0I"

// SignIn checks name and password and starts a new session, returning
// its id (for the cookie) and record. A session the browser already had
// (previous, the old cookie's value) is ended first: the id is always a
// fresh one, so a session id planted before sign-in is never adopted.
func (s *Sessions) SignIn(ctx context.Context, name, password, previous string) (string, store.Session, store.User, error) {
	if previous != "" {
		_ = s.st.DeleteSession(ctx, hashID(previous))
	}
	u, err := s.st.UserByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		CheckPassword(dummyHash, password)
		return "", store.Session{}, store.User{}, ErrBadCredentials
	}
	if err != nil {
		return "", store.Session{}, store.User{}, fmt.Errorf("auth: sign in: %w", err)
	}
	if !CheckPassword(u.PasswordHash, password) || !u.DisabledAt.IsZero() {
		return "", store.Session{}, store.User{}, ErrBadCredentials
	}
	id, err := randomString(32)
	if err != nil {
		return "", store.Session{}, store.User{}, err
	}
	csrf, err := randomString(32)
	if err != nil {
		return "", store.Session{}, store.User{}, err
	}
	now := s.now().UTC()
	sess := store.Session{Hash: hashID(id), UserID: u.ID, CSRF: csrf, CreatedAt: now, Expires: now.Add(s.absolute)}
	if err := s.st.SaveSession(ctx, sess, s.idle); err != nil {
		return "", store.Session{}, store.User{}, fmt.Errorf("auth: sign in: %w", err)
	}
	return id, sess, u, nil
}

// Resolve returns who session id belongs to, and extends its idle time.
func (s *Sessions) Resolve(ctx context.Context, id string) (Principal, store.Session, error) {
	if id == "" || len(id) > 128 {
		return Principal{}, store.Session{}, ErrNoSession
	}
	sess, err := s.st.Session(ctx, hashID(id))
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, store.Session{}, ErrNoSession
	}
	if err != nil {
		return Principal{}, store.Session{}, fmt.Errorf("auth: session: %w", err)
	}
	u, err := s.st.User(ctx, sess.UserID)
	if err != nil || !u.DisabledAt.IsZero() {
		return Principal{}, store.Session{}, ErrNoSession
	}
	if err := s.st.SaveSession(ctx, sess, s.idle); err != nil {
		return Principal{}, store.Session{}, fmt.Errorf("auth: session: %w", err)
	}
	return Principal{TokenID: "user:" + u.ID, Name: u.Name, Role: u.Role, Platform: u.Platform}, sess, nil
}

// SignOut ends session id.
func (s *Sessions) SignOut(ctx context.Context, id string) error {
	return s.st.DeleteSession(ctx, hashID(id))
}

// SignOutEverywhere ends every session of user id.
func (s *Sessions) SignOutEverywhere(ctx context.Context, userID string) error {
	return s.st.DeleteUserSessions(ctx, userID)
}

func hashID(id string) []byte {
	h := sha256.Sum256([]byte(id))
	return h[:]
}

func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("auth: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
