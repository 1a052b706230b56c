package backup

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"

	"signpost/store"
)

// cardKeyPrefix names the card signing keys among the store's expiring
// secrets (see app/cardkeys.go); no other expiring secret is exported.
const cardKeyPrefix = "card-key:"

// Validate checks the whole archive before anything is written, so an
// import never stops half-way over a record the store would refuse. It
// reports every problem it finds, not just the first.
func (a *Archive) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if a.Format != Format || a.Version != FormatVersion {
		bad("format %q version %d: %w", a.Format, a.Version, ErrFormat)
	}

	tokenIDs, hashes := map[string]bool{}, map[string]bool{}
	for i, t := range a.Tokens {
		switch {
		case t.ID == "":
			bad("token %d: no id", i)
		case tokenIDs[t.ID]:
			bad("token %q: listed twice", t.ID)
		case len(t.Hash) != sha256.Size:
			bad("token %q: hash of %d bytes, want %d", t.ID, len(t.Hash), sha256.Size)
		case hashes[string(t.Hash)]:
			bad("token %q: same hash as another token", t.ID)
		case t.Role == "":
			bad("token %q: no role", t.ID)
		}
		tokenIDs[t.ID], hashes[string(t.Hash)] = true, true
	}

	userIDs, names := map[string]bool{}, map[string]bool{}
	for i, u := range a.Users {
		switch {
		case u.ID == "" || u.Name == "":
			bad("user %d: no id or name", i)
		case strings.IndexByte(u.ID, 0) >= 0:
			bad("user %q: id holds a zero byte", u.ID)
		case userIDs[u.ID]:
			bad("user %q: listed twice", u.ID)
		case names[u.Name]:
			bad("user %q: name %q taken by another user", u.ID, u.Name)
		case !strings.HasPrefix(u.PasswordHash, "$argon2id$"):
			bad("user %q: password hash is not an argon2id PHC string", u.ID)
		}
		userIDs[u.ID], names[u.Name] = true, true
	}

	campaigns := map[string]bool{}
	for i, c := range a.Campaigns {
		errs = append(errs, c.validate(i, campaigns)...)
	}

	if n := len(a.SecurityLog); n > store.MaxSecurityEvents {
		bad("security log: %d entries, more than the %d a store keeps", n, store.MaxSecurityEvents)
	}

	cells := map[store.CountKey]bool{}
	for i, c := range a.Counts {
		switch {
		case c.Key.Campaign == "":
			bad("count %d: no campaign", i)
		case c.N <= 0:
			bad("count %d of campaign %q: n = %d, want a positive number", i, c.Key.Campaign, c.N)
		case cells[c.Key]:
			bad("count %d of campaign %q: cell listed twice", i, c.Key.Campaign)
		}
		cells[c.Key] = true
	}

	keys := map[string]bool{}
	for i, k := range a.CardKeys {
		switch {
		case !strings.HasPrefix(k.Name, cardKeyPrefix):
			bad("card key %d: name %q does not start with %q", i, k.Name, cardKeyPrefix)
		case keys[k.Name]:
			bad("card key %q: listed twice", k.Name)
		case len(k.Key) < 16:
			bad("card key %q: %d bytes, too short to be a signing key", k.Name, len(k.Key))
		case k.Expires.IsZero():
			bad("card key %q: no expiry", k.Name)
		}
		keys[k.Name] = true
	}

	paused := map[string]bool{}
	for i, p := range a.PausedRules {
		switch {
		case p.Rule == "":
			bad("paused rule %d: no rule id", i)
		case paused[p.Rule]:
			bad("paused rule %q: listed twice", p.Rule)
		}
		paused[p.Rule] = true
	}

	activity := map[store.ActivityKey]bool{}
	for i, c := range a.Activity {
		one := store.ActivityBatch{ID: "check", Language: c.Key.Language, Counts: []store.ActivityCount{c}}
		switch err := one.Check(DefaultRetention); {
		case err != nil:
			bad("rule activity cell %d: %w", i, err)
		case c.N <= 0:
			bad("rule activity cell %d: n = %d", i, c.N)
		case activity[c.Key]:
			bad("rule activity cell %d: listed twice", i)
		}
		activity[c.Key] = true
	}

	hooks := map[string]bool{}
	for i, w := range a.Webhooks {
		switch {
		case w.ID == "" || w.Secret == "" || w.URL == "":
			bad("webhook %d: no id, url or secret", i)
		case hooks[w.ID]:
			bad("webhook %q: listed twice", w.ID)
		case len(w.Events) == 0:
			bad("webhook %q: no events", w.ID)
		}
		hooks[w.ID] = true
	}

	if len(errs) > 0 {
		return fmt.Errorf("invalid archive: %w", errors.Join(errs...))
	}
	return nil
}

// validate checks one campaign, the i-th, against the ids seen so far.
func (c Campaign) validate(i int, seen map[string]bool) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch {
	case c.ID == "":
		bad("campaign %d: no id", i)
		return errs
	case strings.IndexByte(c.ID, 0) >= 0:
		bad("campaign %q: id holds a zero byte", c.ID)
	case seen[c.ID]:
		bad("campaign %q: listed twice", c.ID)
	}
	seen[c.ID] = true
	if c.Rev < 1 {
		bad("campaign %q: revision %d, want 1 or more", c.ID, c.Rev)
	}
	versions := map[int64]bool{}
	for _, v := range c.Versions {
		if v.Version < 1 || versions[v.Version] {
			bad("campaign %q: version %d is not positive or listed twice", c.ID, v.Version)
		}
		versions[v.Version] = true
	}
	for j, e := range c.Audit {
		if e.Campaign != c.ID {
			bad("campaign %q: audit entry %d belongs to %q", c.ID, j, e.Campaign)
		}
	}
	return errs
}
