package boltstore_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"signpost/store"
	"signpost/store/boltstore"
	"signpost/store/storetest"
)

// open opens a store in a fresh directory and closes it after the test.
func open(t *testing.T, dir string) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(dir)
	if err != nil {
		t.Fatalf("Open(%q): %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, t.TempDir()) })
}

func TestOpenCreatesDirectory(t *testing.T) {
	dir := t.TempDir() + "/nested/data"
	s := open(t, dir)
	if !strings.HasPrefix(s.Path(), dir) {
		t.Errorf("Path() = %q, want it inside %q", s.Path(), dir)
	}
}

func TestDataSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	tok := store.Token{ID: "t1", Name: "CI", Role: "admin", Hash: []byte{1, 2, 3}}
	c := store.Campaign{
		ID:    "spring",
		State: []byte(`{"status":"draft"}`),
		Draft: store.Draft{
			Definition: []byte(`{"id":"spring"}`),
			Content:    map[string]store.LocaleContent{"ckb": {Format: "toml", Data: []byte(`title = "بەهار"`)}},
		},
	}

	s, err := boltstore.Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.CreateToken(ctx, tok); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	if _, err := s.SaveCampaign(ctx, store.Save{Campaign: c}); err != nil {
		t.Fatalf("SaveCampaign: %v", err)
	}
	if _, err := s.BumpGeneration(ctx); err != nil {
		t.Fatalf("BumpGeneration: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = open(t, dir)
	gotTok, err := s.TokenByHash(ctx, tok.Hash)
	if err != nil {
		t.Fatalf("TokenByHash after reopen: %v", err)
	}
	if d := cmp.Diff(tok, gotTok); d != "" {
		t.Errorf("token after reopen (-want +got):\n%s", d)
	}
	gotC, err := s.Campaign(ctx, c.ID)
	if err != nil {
		t.Fatalf("Campaign after reopen: %v", err)
	}
	c.Rev = 1
	if d := cmp.Diff(c, gotC); d != "" {
		t.Errorf("campaign after reopen (-want +got):\n%s", d)
	}
	// The revision and the generation keep counting across restarts.
	if rev, err := s.SaveCampaign(ctx, store.Save{Campaign: c, ExpectRev: 1}); err != nil || rev != 2 {
		t.Errorf("SaveCampaign after reopen = %d, %v; want 2", rev, err)
	}
	if g, err := s.Generation(ctx); err != nil || g != 1 {
		t.Errorf("Generation after reopen = %d, %v; want 1", g, err)
	}
}

func TestSecondOpenFailsWhileInUse(t *testing.T) {
	dir := t.TempDir()
	open(t, dir)
	s, err := boltstore.Open(dir)
	if err == nil {
		s.Close()
		t.Fatal("second Open of a directory in use succeeded")
	}
	for _, want := range []string{"in use by another signpost process", dir} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("second Open error %q does not contain %q", err, want)
		}
	}
}
