// Package backup moves everything durable in a signpost store into one
// archive and back, so an operator can keep backups and move between the
// embedded and the Redis store (`signpost export`, `signpost import`).
//
// An archive is one JSON document (gzip-compressed when its file name ends
// in .gz) whose "format" and "version" come first, so a reader can refuse
// what it does not understand before reading the rest. It never holds a
// secret that would let someone in: tokens and passwords are there only as
// the hashes the store keeps. It does hold webhook signing secrets, which
// let their holder forge deliveries to subscribers (not get in): keep
// archives as private as the store. What expires on purpose and cannot be moved
// is left out: sessions, the daily reach salts (destroyed after 48 hours
// so that no one can link a person across days), the unique-reach sketches
// (each store hashes differently, so they are not portable), desistance
// markers and the card interaction ids remembered against double counting.
package backup

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"signpost/store"
)

// Format and FormatVersion identify an archive. FormatVersion changes whenever a
// reader of the previous version would misread the new one.
const (
	Format        = "signpost-backup"
	FormatVersion = 1
)

// Archive is a store's durable content. Its lists are in a canonical
// order (see Export), so two archives of the same content are equal
// whichever store they came from.
type Archive struct {
	Format    string    `json:"format"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	// Tokens hold only the SHA-256 of their secrets, as stored.
	Tokens []store.Token `json:"tokens"`
	// Users hold only their argon2id password hashes, as stored.
	Users       []store.User       `json:"users"`
	Campaigns   []Campaign         `json:"campaigns"`
	SecurityLog []store.AuditEntry `json:"security_log"`
	Counts      []Count            `json:"counts"`
	// CardKeys are the monthly card signing keys, so that card links
	// handed out before a move keep working after it.
	CardKeys []CardKey `json:"card_keys"`
	// PausedRules are the rules the flood guard paused, so a move does
	// not quietly turn them back on.
	PausedRules []store.PausedRule `json:"paused_rules"`
	// Webhooks are the webhook subscriptions WITH their signing secrets
	// (which must keep working after a move, and which let whoever holds
	// them forge deliveries to the subscribers: keep archives private).
	// Pending deliveries and the delivery logs are left out: both are
	// short-lived, and a pending one carried over could be sent twice.
	Webhooks []store.Webhook `json:"webhooks,omitempty"`
	// Activity is per-rule match counts and platforms' feedback, by
	// language, day and hour.
	Activity []store.ActivityCount `json:"rule_activity,omitempty"`
}

// Campaign is a campaign or a language's rule set ("rules.<lang>") with
// its working copy, every published version and its audit log.
type Campaign struct {
	ID  string `json:"id"`
	Rev int64  `json:"rev"`
	// State is package editing's workflow document, kept byte for byte.
	State    []byte             `json:"state"`
	Draft    Draft              `json:"draft"`
	Versions []Version          `json:"versions"`
	Audit    []store.AuditEntry `json:"audit"`
}

// Draft is campaign content: the definition, kept byte for byte, and one
// message file per locale.
type Draft struct {
	Definition []byte                         `json:"definition"`
	Content    map[string]store.LocaleContent `json:"content"`
}

// Version is one published version.
type Version struct {
	Version   int64     `json:"version"`
	Draft     Draft     `json:"draft"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

// Count is one cell of engagement counts.
type Count struct {
	Key store.CountKey `json:"key"`
	N   int64          `json:"n"`
}

// CardKey is a card signing key and the time the store destroys it.
type CardKey struct {
	Name    string    `json:"name"`
	Key     []byte    `json:"key"`
	Expires time.Time `json:"expires"`
}

// Summary counts an archive's (or a store's) records per kind.
type Summary struct {
	Tokens, Users, Campaigns, Versions, Audit, SecurityEvents, Counts, CardKeys, PausedRules int
	// Activity counts rule activity cells (matches and feedback).
	Activity int
	// Webhooks counts webhook subscriptions.
	Webhooks int
}

// Summary counts a's records.
func (a *Archive) Summary() Summary {
	s := Summary{Tokens: len(a.Tokens), Users: len(a.Users), Campaigns: len(a.Campaigns),
		SecurityEvents: len(a.SecurityLog), Counts: len(a.Counts), CardKeys: len(a.CardKeys), PausedRules: len(a.PausedRules),
		Activity: len(a.Activity), Webhooks: len(a.Webhooks)}
	for _, c := range a.Campaigns {
		s.Versions += len(c.Versions)
		s.Audit += len(c.Audit)
	}
	return s
}

// Empty reports whether s counts nothing.
func (s Summary) Empty() bool { return s == Summary{} }

func (s Summary) String() string {
	return fmt.Sprintf("%d campaigns and rule sets (%d versions, %d audit entries), %d tokens, %d users, %d security events, %d count cells, %d card keys, %d paused rules, %d rule activity cells, %d webhooks",
		s.Campaigns, s.Versions, s.Audit, s.Tokens, s.Users, s.SecurityEvents, s.Counts, s.CardKeys, s.PausedRules, s.Activity, s.Webhooks)
}

// Encode writes a as indented JSON, gzip-compressed when compress is set.
func Encode(w io.Writer, a *Archive, compress bool) error {
	var zw *gzip.Writer
	if compress {
		zw = gzip.NewWriter(w)
		w = zw
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(a); err != nil {
		return fmt.Errorf("write archive: %w", err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return fmt.Errorf("write archive: %w", err)
		}
	}
	return nil
}

// ErrFormat is returned by Decode for input that is not an archive this
// version of signpost can read.
var ErrFormat = errors.New("not a signpost backup this version can read")

// Decode reads one archive (plain or gzip-compressed JSON) and validates
// it. It checks format and version before anything else, so a newer
// archive is refused with a plain message rather than a field error.
func Decode(r io.Reader) (*Archive, error) {
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("read archive: %w", err)
		}
		defer zr.Close()
		r = zr
	} else {
		r = br
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read archive: %w", err)
	}
	var head struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&head); err != nil {
		return nil, fmt.Errorf("read archive: %w: %w", ErrFormat, err)
	}
	if head.Format != Format {
		return nil, fmt.Errorf("read archive: format %q: %w (want %q)", head.Format, ErrFormat, Format)
	}
	if head.Version != FormatVersion {
		return nil, fmt.Errorf("read archive: %s version %d: %w (this signpost reads version %d)", Format, head.Version, ErrFormat, FormatVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var a Archive
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("read archive: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("read archive: data after the archive")
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	return &a, nil
}
