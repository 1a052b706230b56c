package storetest

import (
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"signpost/store"
)

// user returns a distinct, fully populated user whose name derives from id.
func user(id string) store.User {
	return store.User{
		ID:           id,
		Name:         "name-of-" + id,
		Role:         "editor",
		Platform:     "ios",
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaC1vZi0" + id,
		CreatedAt:    time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC),
	}
}

// session returns a session of userID, live for an hour, whose hash
// derives from id.
func session(id, userID string) store.Session {
	sum := sha256.Sum256([]byte("session-" + id))
	now := time.Now().UTC()
	return store.Session{
		Hash:      sum[:],
		UserID:    userID,
		CSRF:      "csrf-of-" + id,
		CreatedAt: now,
		Expires:   now.Add(time.Hour),
	}
}

func runAccounts(t *testing.T, open Opener) {
	t.Run("CreateLookupList", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		if got, err := s.ListUsers(ctx); err != nil || len(got) != 0 {
			t.Fatalf("ListUsers on empty store = %v, %v; want none", got, err)
		}
		// IDs and names sort differently, so ListUsers must sort by name.
		want := []store.User{user("c"), user("a"), user("b")}
		want[0].Name, want[1].Name, want[2].Name = "alice", "bob", "carol"
		want[2].DisabledAt = time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)
		want[1].Platform = ""
		for _, i := range []int{1, 2, 0} {
			if err := s.CreateUser(ctx, want[i]); err != nil {
				t.Fatalf("CreateUser(%q): %v", want[i].ID, err)
			}
		}
		for _, w := range want {
			got, err := s.User(ctx, w.ID)
			if err != nil {
				t.Fatalf("User(%q): %v", w.ID, err)
			}
			diff(t, "User("+w.ID+")", w, got)
			got, err = s.UserByName(ctx, w.Name)
			if err != nil {
				t.Fatalf("UserByName(%q): %v", w.Name, err)
			}
			diff(t, "UserByName("+w.Name+")", w, got)
		}
		got, err := s.ListUsers(ctx)
		if err != nil {
			t.Fatalf("ListUsers: %v", err)
		}
		diff(t, "ListUsers", want, got)
		_, err = s.User(ctx, "nope")
		wantNotFound(t, "User(unknown)", err)
		_, err = s.UserByName(ctx, "nope")
		wantNotFound(t, "UserByName(unknown)", err)
	})
	t.Run("DuplicatesRejected", func(t *testing.T) {
		orig := user("a")
		sameID := user("other")
		sameID.ID = orig.ID
		sameName := user("b")
		sameName.Name = orig.Name
		tests := []struct {
			name string
			dup  store.User
		}{
			{"SameID", sameID},
			{"SameName", sameName},
			{"Identical", orig},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s, ctx := open(t), t.Context()
				if err := s.CreateUser(ctx, orig); err != nil {
					t.Fatalf("CreateUser(original): %v", err)
				}
				err := s.CreateUser(ctx, tt.dup)
				if err == nil {
					t.Fatalf("CreateUser(duplicate) succeeded, want error")
				}
				if errors.Is(err, store.ErrUnavailable) || errors.Is(err, store.ErrNotFound) {
					t.Errorf("CreateUser(duplicate): err = %v, want neither ErrUnavailable nor ErrNotFound", err)
				}
				got, err := s.User(ctx, orig.ID)
				if err != nil {
					t.Fatalf("User(original): %v", err)
				}
				diff(t, "original after duplicate", orig, got)
				if got, err = s.UserByName(ctx, orig.Name); err != nil {
					t.Fatalf("UserByName(original): %v", err)
				}
				diff(t, "original by name after duplicate", orig, got)
				list, err := s.ListUsers(ctx)
				if err != nil {
					t.Fatalf("ListUsers: %v", err)
				}
				diff(t, "ListUsers", []store.User{orig}, list)
				// A rejected user must not keep its name or id claimed.
				if tt.dup.Name != orig.Name {
					_, err := s.UserByName(ctx, tt.dup.Name)
					wantNotFound(t, "UserByName(rejected)", err)
					retry := user("fresh")
					retry.Name = tt.dup.Name
					if err := s.CreateUser(ctx, retry); err != nil {
						t.Errorf("CreateUser(name %q) after rejected duplicate: %v", retry.Name, err)
					}
				}
				if tt.dup.ID != orig.ID {
					_, err := s.User(ctx, tt.dup.ID)
					wantNotFound(t, "User(rejected)", err)
				}
			})
		}
	})
	t.Run("Invalid", func(t *testing.T) {
		noID, noName := user("x"), user("y")
		noID.ID, noName.Name = "", ""
		for name, u := range map[string]store.User{"NoID": noID, "NoName": noName} {
			t.Run(name, func(t *testing.T) {
				if err := open(t).CreateUser(t.Context(), u); err == nil {
					t.Errorf("CreateUser(%+v) succeeded, want error", u)
				}
			})
		}
	})
	t.Run("Sessions", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a1, a2, b1 := session("a1", "a"), session("a2", "a"), session("b1", "b")
		for _, sess := range []store.Session{a1, a2, b1} {
			if err := s.SaveSession(ctx, sess, time.Hour); err != nil {
				t.Fatalf("SaveSession(%s): %v", sess.CSRF, err)
			}
		}
		for _, want := range []store.Session{a1, a2, b1} {
			got, err := s.Session(ctx, want.Hash)
			if err != nil {
				t.Fatalf("Session(%s): %v", want.CSRF, err)
			}
			diff(t, "Session("+want.CSRF+")", want, got)
		}
		_, err := s.Session(ctx, session("nope", "a").Hash)
		wantNotFound(t, "Session(unknown)", err)

		// Saving again replaces.
		a1.CSRF = "rotated"
		if err := s.SaveSession(ctx, a1, time.Hour); err != nil {
			t.Fatalf("SaveSession(again): %v", err)
		}
		got, err := s.Session(ctx, a1.Hash)
		if err != nil {
			t.Fatalf("Session(re-saved): %v", err)
		}
		diff(t, "re-saved session", a1, got)

		// Deleting one leaves the others; deleting it again is fine.
		for range 2 {
			if err := s.DeleteSession(ctx, a2.Hash); err != nil {
				t.Fatalf("DeleteSession: %v", err)
			}
		}
		_, err = s.Session(ctx, a2.Hash)
		wantNotFound(t, "Session(deleted)", err)
		if _, err := s.Session(ctx, a1.Hash); err != nil {
			t.Errorf("Session(a1) after deleting a2: %v", err)
		}

		// Ending a's sessions ends all of them and none of b's.
		if err := s.SaveSession(ctx, a2, time.Hour); err != nil {
			t.Fatalf("SaveSession(a2 again): %v", err)
		}
		if err := s.DeleteUserSessions(ctx, "a"); err != nil {
			t.Fatalf("DeleteUserSessions: %v", err)
		}
		for _, gone := range []store.Session{a1, a2} {
			_, err := s.Session(ctx, gone.Hash)
			wantNotFound(t, "Session("+gone.CSRF+") after DeleteUserSessions", err)
		}
		if got, err := s.Session(ctx, b1.Hash); err != nil {
			t.Errorf("other user's session after DeleteUserSessions: %v", err)
		} else {
			diff(t, "other user's session", b1, got)
		}
		if err := s.DeleteUserSessions(ctx, "a"); err != nil {
			t.Errorf("DeleteUserSessions(again): %v", err)
		}
		if err := s.DeleteUserSessions(ctx, "nobody"); err != nil {
			t.Errorf("DeleteUserSessions(unknown user): %v", err)
		}
		// A session can be saved again after its user's were ended.
		if err := s.SaveSession(ctx, a1, time.Hour); err != nil {
			t.Fatalf("SaveSession after DeleteUserSessions: %v", err)
		}
		if _, err := s.Session(ctx, a1.Hash); err != nil {
			t.Errorf("Session after saving it again: %v", err)
		}
	})
	t.Run("SessionExpiry", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		const idle = time.Second
		past := session("past", "u")
		past.Expires = time.Now().Add(-time.Minute).UTC()
		idleGone := session("idle", "u")             // idle too long
		absGone := session("abs", "u")               // past its absolute end
		absGone.Expires = time.Now().Add(idle).UTC() // sooner than idle allows after the touch
		touched := session("touched", "u")           // renewed halfway, so live
		for _, sess := range []store.Session{idleGone, touched} {
			if err := s.SaveSession(ctx, sess, idle); err != nil {
				t.Fatalf("SaveSession(%s): %v", sess.CSRF, err)
			}
		}
		if err := s.SaveSession(ctx, absGone, time.Hour); err != nil {
			t.Fatalf("SaveSession(%s): %v", absGone.CSRF, err)
		}
		// A session saved already expired is never returned.
		// A store may refuse it or accept it.
		if err := s.SaveSession(ctx, past, idle); err != nil {
			t.Logf("SaveSession(expired) refused: %v", err)
		}
		_, err := s.Session(ctx, past.Hash)
		wantNotFound(t, "Session(saved expired)", err)

		time.Sleep(600 * time.Millisecond)
		if err := s.SaveSession(ctx, touched, idle); err != nil {
			t.Fatalf("SaveSession(touch): %v", err)
		}
		time.Sleep(600 * time.Millisecond)
		_, err = s.Session(ctx, idleGone.Hash)
		wantNotFound(t, "Session(idle too long)", err)
		_, err = s.Session(ctx, absGone.Hash)
		wantNotFound(t, "Session(past absolute expiry)", err)
		got, err := s.Session(ctx, touched.Hash)
		if err != nil {
			t.Fatalf("Session(renewed): %v", err)
		}
		diff(t, "renewed session", touched, got)
	})
}
