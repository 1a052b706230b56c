package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"signpost/store"
)

var _ store.Accounts = (*Store)(nil)

// A sessions value is the session's idle expiry in Unix milliseconds
// (big-endian), which is never later than its absolute end, followed by
// the session as JSON. A user_sessions key is the user ID, a zero byte
// and the session's hex hash; its value is empty.

// CreateUser stores u, refusing a duplicate ID or name. Both checks and
// both writes happen in one transaction, so they cannot race.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	op := fmt.Sprintf("create user %q", u.ID)
	if u.ID == "" || u.Name == "" {
		return fmt.Errorf("bolt: %s: id and name are required", op)
	}
	if strings.IndexByte(u.ID, 0) >= 0 {
		return fmt.Errorf("bolt: %s: id contains a zero byte", op)
	}
	val, err := json.Marshal(u)
	if err != nil {
		return fmt.Errorf("bolt: %s: encode: %w", op, err)
	}
	return s.update(ctx, op, func(tx *bolt.Tx) error {
		users, names := tx.Bucket([]byte(bucketUsers)), tx.Bucket([]byte(bucketUserNames))
		if users.Get([]byte(u.ID)) != nil {
			return errors.New("a user with this id already exists")
		}
		if names.Get([]byte(u.Name)) != nil {
			return fmt.Errorf("a user named %q already exists", u.Name)
		}
		if err := names.Put([]byte(u.Name), []byte(u.ID)); err != nil {
			return err
		}
		return users.Put([]byte(u.ID), val)
	})
}

// UserByName follows user_names to the user.
func (s *Store) UserByName(ctx context.Context, name string) (store.User, error) {
	var u store.User
	err := s.view(ctx, fmt.Sprintf("user by name %q", name), func(tx *bolt.Tx) error {
		id := tx.Bucket([]byte(bucketUserNames)).Get([]byte(name))
		if id == nil {
			return store.ErrNotFound
		}
		return getUser(tx, id, &u)
	})
	return u, err
}

// User returns the user id, or store.ErrNotFound.
func (s *Store) User(ctx context.Context, id string) (store.User, error) {
	var u store.User
	err := s.view(ctx, fmt.Sprintf("user %q", id), func(tx *bolt.Tx) error {
		return getUser(tx, []byte(id), &u)
	})
	return u, err
}

func getUser(tx *bolt.Tx, id []byte, u *store.User) error {
	val := tx.Bucket([]byte(bucketUsers)).Get(id)
	if val == nil {
		return store.ErrNotFound
	}
	return json.Unmarshal(val, u)
}

// ListUsers returns every user ordered by name, which is the key order of
// the user_names bucket.
func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	var list []store.User
	err := s.view(ctx, "list users", func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketUserNames)).ForEach(func(name, id []byte) error {
			var u store.User
			if err := getUser(tx, id, &u); err != nil {
				return fmt.Errorf("user %q: %w", name, err)
			}
			list = append(list, u)
			return nil
		})
	})
	return list, err
}

func userSessionKey(userID string, hexHash []byte) []byte {
	return append(append([]byte(userID), 0), hexHash...)
}

// SaveSession writes the session with an idle expiry of now+idle or
// s.Expires, whichever is earlier, replacing any session with the same
// hash (and its index entry). A session already past s.Expires is deleted
// instead. The same transaction deletes the user's other expired
// sessions, so an active user's sessions do not pile up.
func (s *Store) SaveSession(ctx context.Context, sess store.Session, idle time.Duration) error {
	const op = "save session"
	switch {
	case len(sess.Hash) == 0 || sess.UserID == "":
		return fmt.Errorf("bolt: %s: hash and user id are required", op)
	case strings.IndexByte(sess.UserID, 0) >= 0:
		return fmt.Errorf("bolt: %s: user id contains a zero byte", op)
	case sess.Expires.IsZero():
		return fmt.Errorf("bolt: %s: expiry is required", op)
	case idle <= 0:
		return fmt.Errorf("bolt: %s: idle timeout %v is not positive", op, idle)
	}
	data, err := json.Marshal(sess)
	if err != nil {
		return fmt.Errorf("bolt: %s: encode: %w", op, err)
	}
	key := []byte(hex.EncodeToString(sess.Hash))
	return s.update(ctx, op, func(tx *bolt.Tx) error {
		now := time.Now()
		if err := deleteSession(tx, key); err != nil {
			return err
		}
		if err := pruneUserSessions(tx, sess.UserID, now); err != nil {
			return err
		}
		exp := min(now.Add(idle).UnixMilli(), sess.Expires.UnixMilli())
		if exp <= now.UnixMilli() {
			return nil
		}
		val := append(binary.BigEndian.AppendUint64(nil, uint64(exp)), data...)
		if err := tx.Bucket([]byte(bucketUserSessions)).Put(userSessionKey(sess.UserID, key), nil); err != nil {
			return err
		}
		return tx.Bucket([]byte(bucketSessions)).Put(key, val)
	})
}

// decodeSession splits a sessions value into its idle expiry and session.
func decodeSession(val []byte) (int64, store.Session, error) {
	var sess store.Session
	if len(val) < 8 {
		return 0, sess, errors.New("session record too short")
	}
	if err := json.Unmarshal(val[8:], &sess); err != nil {
		return 0, sess, fmt.Errorf("decode session: %w", err)
	}
	return int64(binary.BigEndian.Uint64(val)), sess, nil
}

// sessionLive reports whether a session with idle expiry exp is live at now.
func sessionLive(exp int64, sess store.Session, now time.Time) bool {
	return now.UnixMilli() < exp && now.Before(sess.Expires)
}

// deleteSession deletes the session under key and its index entry, if
// there is one.
func deleteSession(tx *bolt.Tx, key []byte) error {
	sessions := tx.Bucket([]byte(bucketSessions))
	val := sessions.Get(key)
	if val == nil {
		return nil
	}
	if _, sess, err := decodeSession(val); err == nil {
		if err := tx.Bucket([]byte(bucketUserSessions)).Delete(userSessionKey(sess.UserID, key)); err != nil {
			return err
		}
	}
	return sessions.Delete(key)
}

// pruneUserSessions deletes userID's sessions that are no longer live.
func pruneUserSessions(tx *bolt.Tx, userID string, now time.Time) error {
	sessions := tx.Bucket([]byte(bucketSessions))
	return eachUserSession(tx, userID, func(key []byte) (bool, error) {
		val := sessions.Get(key)
		if val == nil {
			return true, nil
		}
		exp, sess, err := decodeSession(val)
		if err == nil && sessionLive(exp, sess, now) {
			return sess.UserID != userID, nil
		}
		return true, sessions.Delete(key)
	})
}

// eachUserSession calls fn with the hex hash of each session indexed under
// userID, and drops the index entry when fn says so. The keys are
// collected first, since fn may delete from the buckets.
func eachUserSession(tx *bolt.Tx, userID string, fn func(key []byte) (drop bool, err error)) error {
	prefix := userSessionKey(userID, nil)
	index := tx.Bucket([]byte(bucketUserSessions))
	var keys [][]byte
	c := index.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k[len(prefix):]))
	}
	for _, key := range keys {
		drop, err := fn(key)
		if err != nil {
			return err
		}
		if drop {
			if err := index.Delete(userSessionKey(userID, key)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Session returns the live session with this hash, or store.ErrNotFound.
// An expired session found is deleted in a second transaction.
func (s *Store) Session(ctx context.Context, hash []byte) (store.Session, error) {
	const op = "session"
	key := []byte(hex.EncodeToString(hash))
	var sess store.Session
	expired := false
	err := s.view(ctx, op, func(tx *bolt.Tx) error {
		val := tx.Bucket([]byte(bucketSessions)).Get(key)
		if val == nil {
			return store.ErrNotFound
		}
		exp, got, err := decodeSession(val)
		if err != nil {
			return err
		}
		if !sessionLive(exp, got, time.Now()) {
			expired = true
			return store.ErrNotFound
		}
		sess = got
		return nil
	})
	if !expired {
		return sess, err
	}
	derr := s.update(ctx, op+": delete expired", func(tx *bolt.Tx) error {
		val := tx.Bucket([]byte(bucketSessions)).Get(key)
		if val == nil {
			return nil
		}
		// Re-check: a SaveSession since the read may have renewed it.
		if exp, got, err := decodeSession(val); err == nil && sessionLive(exp, got, time.Now()) {
			return nil
		}
		return deleteSession(tx, key)
	})
	return store.Session{}, errors.Join(err, derr)
}

// DeleteSession deletes the session and its index entry.
func (s *Store) DeleteSession(ctx context.Context, hash []byte) error {
	return s.update(ctx, "delete session", func(tx *bolt.Tx) error {
		return deleteSession(tx, []byte(hex.EncodeToString(hash)))
	})
}

// DeleteUserSessions deletes every session indexed under userID in one
// transaction.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) error {
	return s.update(ctx, fmt.Sprintf("delete sessions of user %q", userID), func(tx *bolt.Tx) error {
		sessions := tx.Bucket([]byte(bucketSessions))
		return eachUserSession(tx, userID, func(key []byte) (bool, error) {
			val := sessions.Get(key)
			if val == nil {
				return true, nil
			}
			// A session re-saved under another user is that user's now.
			if _, sess, err := decodeSession(val); err == nil && sess.UserID != userID {
				return true, nil
			}
			return true, sessions.Delete(key)
		})
	})
}
