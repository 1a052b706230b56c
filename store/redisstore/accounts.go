package redisstore

import (
	"cmp"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"signpost/store"
)

var _ store.Accounts = (*Store)(nil)

// CreateUser stores u, refusing a duplicate ID or name: it claims the
// name, indexes the ID, then claims the ID (see createClaimed).
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	op := fmt.Sprintf("create user %q", u.ID)
	if u.ID == "" || u.Name == "" {
		return fmt.Errorf("redis: %s: id and name are required", op)
	}
	val, err := json.Marshal(u)
	if err != nil {
		return fmt.Errorf("redis: %s: encode: %w", op, err)
	}
	return s.createClaimed(ctx, op, claim{key: s.userNameKey(u.Name), val: u.ID, taken: fmt.Sprintf("a user named %q already exists", u.Name)},
		s.userIndexKey(), u.ID, claim{key: s.userKey(u.ID), val: string(val), taken: "a user with this id already exists"})
}

// UserByName follows the name claim to the user. A claim whose user is not
// (yet) written is ErrNotFound.
func (s *Store) UserByName(ctx context.Context, name string) (store.User, error) {
	op := fmt.Sprintf("user by name %q", name)
	id, err := s.get(ctx, s.userNameKey(name))
	if err != nil {
		return store.User{}, s.wrap(op, err)
	}
	return s.user(ctx, op, string(id))
}

// User returns the user id, or store.ErrNotFound.
func (s *Store) User(ctx context.Context, id string) (store.User, error) {
	return s.user(ctx, fmt.Sprintf("user %q", id), id)
}

func (s *Store) user(ctx context.Context, op, id string) (store.User, error) {
	val, err := s.get(ctx, s.userKey(id))
	if err != nil {
		return store.User{}, s.wrap(op, err)
	}
	var u store.User
	if err := json.Unmarshal(val, &u); err != nil {
		return store.User{}, fmt.Errorf("redis: %s: decode: %w", op, err)
	}
	return u, nil
}

// ListUsers returns every user in the users index, ordered by name. The
// GETs go out in one pipeline, which go-redis splits per node on Cluster.
func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	list, err := listIndexed[store.User](ctx, s, "list users", s.userIndexKey(), s.userKey)
	slices.SortFunc(list, func(a, b store.User) int { return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID)) })
	return list, err
}

// indexSessionScript adds a session (ARGV[1]) to its user's set and makes
// the set live at least ARGV[2] ms, never shortening it, so the set
// outlives every session in it and then expires with its stale entries.
var indexSessionScript = redis.NewScript(`
redis.call('SADD', KEYS[1], ARGV[1])
local ttl = tonumber(ARGV[2])
if redis.call('PTTL', KEYS[1]) < ttl then
	redis.call('PEXPIRE', KEYS[1], ttl)
end
return 1
`)

// SaveSession indexes the session under its user, then writes it with a
// TTL of idle or what is left until s.Expires, whichever is shorter. A
// session already past s.Expires is deleted instead. Indexing first means
// DeleteUserSessions finds every session it could race with but one saved
// after it read the index.
func (s *Store) SaveSession(ctx context.Context, sess store.Session, idle time.Duration) error {
	const op = "save session"
	if err := checkSession(sess, idle); err != nil {
		return fmt.Errorf("redis: %s: %w", op, err)
	}
	hexHash := hex.EncodeToString(sess.Hash)
	left := time.Until(sess.Expires)
	if left <= 0 {
		cctx, cancel := s.callCtx(ctx)
		defer cancel()
		return s.wrap(op, s.client.Del(cctx, s.sessionKey(hexHash)).Err())
	}
	val, err := json.Marshal(sess)
	if err != nil {
		return fmt.Errorf("redis: %s: encode: %w", op, err)
	}
	cctx, cancel := s.callCtx(ctx)
	defer cancel()
	// The set must outlive the session's absolute end, plus a second of
	// slack for clock drift between us and Redis.
	setTTL := (left + time.Second).Milliseconds()
	if err := indexSessionScript.Run(cctx, s.client, []string{s.userSessionsKey(sess.UserID)}, hexHash, setTTL).Err(); err != nil {
		return s.wrap(op, err)
	}
	return s.wrap(op, s.client.Set(cctx, s.sessionKey(hexHash), val, min(idle, left)).Err())
}

// checkSession rejects a session the stores could not index or expire.
func checkSession(sess store.Session, idle time.Duration) error {
	switch {
	case len(sess.Hash) == 0 || sess.UserID == "":
		return errors.New("hash and user id are required")
	case sess.Expires.IsZero():
		return errors.New("expiry is required")
	case idle <= 0:
		return fmt.Errorf("idle timeout %v is not positive", idle)
	}
	return nil
}

// Session returns the live session with this hash, or store.ErrNotFound.
// Redis expires it; the absolute end is checked again against our clock.
func (s *Store) Session(ctx context.Context, hash []byte) (store.Session, error) {
	const op = "session"
	val, err := s.get(ctx, s.sessionKey(hex.EncodeToString(hash)))
	if err != nil {
		return store.Session{}, s.wrap(op, err)
	}
	var sess store.Session
	if err := json.Unmarshal(val, &sess); err != nil {
		return store.Session{}, fmt.Errorf("redis: %s: decode: %w", op, err)
	}
	if !time.Now().Before(sess.Expires) {
		return store.Session{}, fmt.Errorf("redis: %s: expired: %w", op, store.ErrNotFound)
	}
	return sess, nil
}

// DeleteSession deletes the session key. Its entry in the user's set stays
// until the set expires; DeleteUserSessions skips it harmlessly.
func (s *Store) DeleteSession(ctx context.Context, hash []byte) error {
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	return s.wrap("delete session", s.client.Del(ctx, s.sessionKey(hex.EncodeToString(hash))).Err())
}

// DeleteUserSessions deletes every session in the user's set, one DEL per
// key as they live in different Cluster slots (go-redis splits the
// pipeline per node), then removes just those entries: a session saved
// meanwhile stays indexed.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) error {
	op := fmt.Sprintf("delete sessions of user %q", userID)
	hexes, err := s.members(ctx, s.userSessionsKey(userID))
	if err != nil {
		return s.wrap(op, err)
	}
	if len(hexes) == 0 {
		return nil
	}
	cctx, cancel := s.callCtx(ctx)
	defer cancel()
	pipe := s.client.Pipeline()
	for _, h := range hexes {
		pipe.Del(cctx, s.sessionKey(h))
	}
	if _, err := pipe.Exec(cctx); err != nil {
		return s.wrap(op, err)
	}
	return s.wrap(op, s.client.SRem(cctx, s.userSessionsKey(userID), hexes).Err())
}
