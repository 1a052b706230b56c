package storetest

import (
	"crypto/sha256"
	"errors"
	"sync"
	"testing"
	"time"

	"signpost/store"
)

// token returns a distinct, fully populated token whose hash derives from id.
func token(id string) store.Token {
	sum := sha256.Sum256([]byte("secret-of-" + id))
	return store.Token{
		ID:        id,
		Name:      "name of " + id,
		Role:      "editor",
		Platform:  "android",
		Hash:      sum[:],
		CreatedAt: time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC),
	}
}

func runTokens(t *testing.T, open Opener) {
	t.Run("Revoke", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		tok := token("r")
		tok.ExpiresAt = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
		if err := s.CreateToken(ctx, tok); err != nil {
			t.Fatalf("CreateToken: %v", err)
		}
		first := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
		got, err := s.RevokeToken(ctx, "r", first)
		if err != nil || !got.RevokedAt.Equal(first) {
			t.Fatalf("RevokeToken = %+v, %v", got, err)
		}
		// A second revocation keeps the first time.
		if got, err = s.RevokeToken(ctx, "r", first.Add(time.Hour)); err != nil || !got.RevokedAt.Equal(first) {
			t.Errorf("second RevokeToken = %v, %v; want the first time kept", got.RevokedAt, err)
		}
		want := tok
		want.RevokedAt = first
		stored, err := s.TokenByHash(ctx, tok.Hash)
		if err != nil {
			t.Fatalf("TokenByHash: %v", err)
		}
		diff(t, "revoked token", want, stored)
		_, err = s.RevokeToken(ctx, "nope", first)
		wantNotFound(t, "RevokeToken(unknown)", err)
	})
	t.Run("CreateLookupList", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		if got, err := s.ListTokens(ctx); err != nil || len(got) != 0 {
			t.Fatalf("ListTokens on empty store = %v, %v; want none", got, err)
		}
		// Created out of order, so ListTokens must sort.
		want := []store.Token{token("a"), token("b"), token("c")}
		for _, i := range []int{1, 2, 0} {
			if err := s.CreateToken(ctx, want[i]); err != nil {
				t.Fatalf("CreateToken(%q): %v", want[i].ID, err)
			}
		}
		for _, w := range want {
			got, err := s.TokenByHash(ctx, w.Hash)
			if err != nil {
				t.Fatalf("TokenByHash(%q): %v", w.ID, err)
			}
			diff(t, "TokenByHash("+w.ID+")", w, got)
		}
		got, err := s.ListTokens(ctx)
		if err != nil {
			t.Fatalf("ListTokens: %v", err)
		}
		diff(t, "ListTokens", want, got)
	})
	t.Run("DuplicatesRejected", func(t *testing.T) {
		orig := token("a")
		sameID := token("other")
		sameID.ID = orig.ID
		sameHash := token("b")
		sameHash.Hash = orig.Hash
		tests := []struct {
			name string
			dup  store.Token
		}{
			{"SameID", sameID},
			{"SameHash", sameHash},
			{"Identical", orig},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s, ctx := open(t), t.Context()
				if err := s.CreateToken(ctx, orig); err != nil {
					t.Fatalf("CreateToken(original): %v", err)
				}
				err := s.CreateToken(ctx, tt.dup)
				if err == nil {
					t.Fatalf("CreateToken(duplicate) succeeded, want error")
				}
				// A conflict is the caller's mistake, not an outage.
				if errors.Is(err, store.ErrUnavailable) || errors.Is(err, store.ErrNotFound) {
					t.Errorf("CreateToken(duplicate): err = %v, want neither ErrUnavailable nor ErrNotFound", err)
				}
				got, err := s.TokenByHash(ctx, orig.Hash)
				if err != nil {
					t.Fatalf("TokenByHash(original): %v", err)
				}
				diff(t, "original after duplicate", orig, got)
				list, err := s.ListTokens(ctx)
				if err != nil {
					t.Fatalf("ListTokens: %v", err)
				}
				diff(t, "ListTokens", []store.Token{orig}, list)
				// A rejected token must not keep its id or hash claimed.
				if tt.dup.ID != orig.ID {
					retry := token("fresh")
					retry.ID = tt.dup.ID
					if err := s.CreateToken(ctx, retry); err != nil {
						t.Errorf("CreateToken(%q) after rejected duplicate: %v", retry.ID, err)
					}
				}
			})
		}
	})
	t.Run("Invalid", func(t *testing.T) {
		noID, noHash := token("x"), token("y")
		noID.ID, noHash.Hash = "", nil
		for name, tok := range map[string]store.Token{"NoID": noID, "NoHash": noHash} {
			t.Run(name, func(t *testing.T) {
				if err := open(t).CreateToken(t.Context(), tok); err == nil {
					t.Errorf("CreateToken(%+v) succeeded, want error", tok)
				}
			})
		}
	})
	t.Run("NotFound", func(t *testing.T) {
		s := open(t)
		if err := s.CreateToken(t.Context(), token("a")); err != nil {
			t.Fatalf("CreateToken: %v", err)
		}
		_, err := s.TokenByHash(t.Context(), token("b").Hash)
		wantNotFound(t, "TokenByHash(unknown)", err)
	})
	t.Run("ConcurrentCreate", func(t *testing.T) {
		// Same id, different hashes: exactly one creator may win.
		s, ctx := open(t), t.Context()
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				tok := token(string(rune('a' + i)))
				tok.ID = "same"
				errs[i] = s.CreateToken(ctx, tok)
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
			}
		}
		if won != 1 {
			t.Errorf("%d of %d concurrent CreateToken calls succeeded, want 1 (errors: %v)", won, n, errs)
		}
		list, err := s.ListTokens(ctx)
		if err != nil {
			t.Fatalf("ListTokens: %v", err)
		}
		if len(list) != 1 {
			t.Errorf("ListTokens returned %d tokens, want 1: %+v", len(list), list)
		}
	})
}
