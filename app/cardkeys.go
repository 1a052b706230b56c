package app

import (
	"context"
	"fmt"
	"time"

	"signpost/store"
)

// Card tokens are signed with a key of the month ("card-key:2026-11"),
// kept in the store so every instance signs and verifies alike. Tokens
// live a week, so last month's key still verifies, and next month's is
// loaded ahead so that instances switching at midnight accept each other's
// cards. A month's key is destroyed by the store 40 days after the month
// ends: old tokens become unverifiable, and unlinkable, for good.
func cardKeys(ctx context.Context, st store.Store, now time.Time) (string, map[string][]byte, error) {
	now = now.UTC()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	keys := map[string][]byte{}
	current := ""
	for _, d := range []int{-1, 0, 1} {
		start := month.AddDate(0, d, 0)
		id := "card-key:" + start.Format("2006-01")
		ttl := start.AddDate(0, 1, 40).Sub(now)
		key, err := st.ExpiringSecret(ctx, id, ttl, randomKey)
		if err != nil {
			return "", nil, fmt.Errorf("load card signing key %s: %w", id, err)
		}
		keys[id] = key
		if d == 0 {
			current = id
		}
	}
	return current, keys, nil
}

// rotateCardKeys reloads the month keys every hour until ctx ends. A
// failure keeps the keys it has: last month's and next month's overlap
// covers a day or more of store trouble.
func (a *App) rotateCardKeys(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		current, keys, err := cardKeys(cctx, a.store, time.Now())
		cancel()
		if err == nil {
			err = a.signer.Rotate(current, keys)
		}
		if err != nil {
			a.log.Warn("card key rotation failed; keeping the current keys", "err", err)
		}
	}
}
