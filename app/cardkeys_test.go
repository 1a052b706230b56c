package app

import (
	"testing"
	"time"

	"signpost/store/storetest"
	"signpost/track"
)

// TestCardKeysRotateMonthly: a card signed on the last day of a month
// still verifies after an instance moves to the next month's key, and two
// instances agree on the keys.
func TestCardKeysRotateMonthly(t *testing.T) {
	st := storetest.OpenBolt(t)
	ctx := t.Context()
	nov30 := time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC)
	cur, keys, err := cardKeys(ctx, st, nov30)
	if err != nil || cur != "card-key:2026-11" || len(keys) != 3 || keys["card-key:2026-12"] == nil {
		t.Fatalf("keys on 30 November: %q %d keys, %v", cur, len(keys), err)
	}
	signer, err := track.NewSigner(cur, keys, track.DefaultTTL)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := signer.Sign(track.Claims{Campaign: "c", Version: 1, Variant: "a", Locale: "ar", Kind: "search"})
	if err != nil {
		t.Fatal(err)
	}
	cur2, keys2, err := cardKeys(ctx, st, nov30.Add(2*time.Hour))
	if err != nil || cur2 != "card-key:2026-12" || string(keys2["card-key:2026-12"]) != string(keys["card-key:2026-12"]) {
		t.Fatalf("keys on 1 December: %q, %v (the December key must be the one loaded in November)", cur2, err)
	}
	if err := signer.Rotate(cur2, keys2); err != nil {
		t.Fatal(err)
	}
	if _, err := signer.Verify(tok); err != nil {
		t.Errorf("a November card no longer verifies in December: %v", err)
	}
	next, err := signer.Sign(track.Claims{Campaign: "c"})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := signer.Verify(next); err != nil || c.KeyID != "card-key:2026-12" {
		t.Errorf("new cards: key %q, %v; want December's", c.KeyID, err)
	}
}
