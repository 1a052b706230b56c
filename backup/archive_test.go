package backup

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"signpost/store"
)

// sample returns a small valid archive holding one of everything.
func sample() *Archive {
	hash := sha256.Sum256([]byte("secret"))
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	return &Archive{
		Format: Format, Version: FormatVersion, CreatedAt: at,
		Tokens: []store.Token{{ID: "t1", Name: "ops", Role: "admin", Hash: hash[:], CreatedAt: at}},
		Users:  []store.User{{ID: "u1", Name: "amal", Role: "editor", PasswordHash: "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA", CreatedAt: at}},
		Campaigns: []Campaign{{ID: "small-boats", Rev: 3, State: []byte(`{"status":"live"}`),
			Draft:    Draft{Definition: []byte(`{"id":"small-boats"}`), Content: map[string]store.LocaleContent{"ar": {Format: "toml", Data: []byte(`a.title = "عنوان"`)}}},
			Versions: []Version{{Version: 1, Draft: Draft{Definition: []byte(`{}`)}, CreatedAt: at, CreatedBy: "t1"}},
			Audit:    []store.AuditEntry{{Time: at, Campaign: "small-boats", Action: "publish", ActorID: "t1"}}}},
		SecurityLog: []store.AuditEntry{{Time: at, Campaign: "security", Action: "signin", ActorID: "u1"}},
		Counts:      []Count{{Key: store.CountKey{Campaign: "small-boats", Version: 1, Variant: "a", Event: "served", Hour: 490000}, N: 4}},
		CardKeys:    []CardKey{{Name: "card-key:2026-11", Key: bytes.Repeat([]byte{7}, 32), Expires: at.AddDate(0, 2, 0)}},
		PausedRules: []store.PausedRule{{Rule: "ar.crossing.boat", PausedAt: at, Rate: 90, Baseline: 2, Count: 180}},
	}
}

func encoded(t *testing.T, a *Archive, compress bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, a, compress); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return buf.Bytes()
}

func TestEncodeDecode(t *testing.T) {
	for _, compress := range []bool{false, true} {
		got, err := Decode(bytes.NewReader(encoded(t, sample(), compress)))
		if err != nil {
			t.Fatalf("Decode(compress=%v): %v", compress, err)
		}
		if d := cmp.Diff(sample(), got, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("round trip (compress=%v) mismatch (-want +got):\n%s", compress, d)
		}
	}
}

func TestDecodeRefuses(t *testing.T) {
	valid := string(encoded(t, sample(), false))
	tests := []struct {
		name, input string
		want        string // in the error message
		format      bool   // errors.Is(err, ErrFormat)
	}{
		{"Empty", "", "not a signpost backup", true},
		{"NotJSON", "PK\x03\x04", "not a signpost backup", true},
		{"OtherFormat", `{"format":"something-else","version":1}`, `format "something-else"`, true},
		{"NoFormat", `{"tokens":[]}`, `format ""`, true},
		{"NewerVersion", `{"format":"signpost-backup","version":2}`, "version 2", true},
		{"UnknownField", strings.Replace(valid, `"tokens"`, `"tokenz"`, 1), "unknown field", false},
		{"TrailingData", valid + `{"format":"signpost-backup"}`, "data after the archive", false},
		{"BadGzip", "\x1f\x8b\x00\x00", "read archive", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(tt.input))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Decode: err = %v, want one mentioning %q", err, tt.want)
			}
			if got := errors.Is(err, ErrFormat); got != tt.format {
				t.Errorf("errors.Is(err, ErrFormat) = %v, want %v (err: %v)", got, tt.format, err)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(a *Archive)
		want   string // in the error; empty for valid
	}{
		{"Valid", func(*Archive) {}, ""},
		{"EmptyArchive", func(a *Archive) { *a = Archive{Format: Format, Version: FormatVersion} }, ""},
		{"TokenTwice", func(a *Archive) { a.Tokens = append(a.Tokens, a.Tokens[0]) }, `token "t1": listed twice`},
		{"TokenShortHash", func(a *Archive) { a.Tokens[0].Hash = []byte("x") }, "hash of 1 bytes"},
		{"TokenSameHash", func(a *Archive) {
			t2 := a.Tokens[0]
			t2.ID = "t2"
			a.Tokens = append(a.Tokens, t2)
		}, "same hash"},
		{"TokenNoRole", func(a *Archive) { a.Tokens[0].Role = "" }, "no role"},
		{"UserNameTaken", func(a *Archive) {
			u2 := a.Users[0]
			u2.ID = "u2"
			a.Users = append(a.Users, u2)
		}, `name "amal" taken`},
		{"UserPlainPassword", func(a *Archive) { a.Users[0].PasswordHash = "hunter2" }, "not an argon2id"},
		{"CampaignTwice", func(a *Archive) { a.Campaigns = append(a.Campaigns, a.Campaigns[0]) }, "listed twice"},
		{"CampaignNoRev", func(a *Archive) { a.Campaigns[0].Rev = 0 }, "revision 0"},
		{"VersionTwice", func(a *Archive) {
			a.Campaigns[0].Versions = append(a.Campaigns[0].Versions, a.Campaigns[0].Versions[0])
		}, "version 1 is not positive or listed twice"},
		{"AuditOfOtherCampaign", func(a *Archive) { a.Campaigns[0].Audit[0].Campaign = "other" }, `belongs to "other"`},
		{"CountZero", func(a *Archive) { a.Counts[0].N = 0 }, "n = 0"},
		{"CountTwice", func(a *Archive) { a.Counts = append(a.Counts, a.Counts[0]) }, "cell listed twice"},
		{"ReachSalt", func(a *Archive) { a.CardKeys[0].Name = "reach-salt:2026-11-01" }, "does not start with"},
		{"PausedRuleTwice", func(a *Archive) { a.PausedRules = append(a.PausedRules, a.PausedRules[0]) }, "listed twice"},
		{"CardKeyNoExpiry", func(a *Archive) { a.CardKeys[0].Expires = time.Time{} }, "no expiry"},
		{"SeveralProblems", func(a *Archive) {
			a.Tokens[0].Role = ""
			a.Counts[0].N = -1
		}, "no role\ncount 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := sample()
			tt.change(a)
			err := a.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate: %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate: err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestCardKeyNames(t *testing.T) {
	got := cardKeyNames(time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC))
	want := []string{"card-key:2025-11", "card-key:2025-12", "card-key:2026-01", "card-key:2026-02"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("cardKeyNames mismatch (-want +got):\n%s", d)
	}
}

// FuzzDecode checks that no input makes Decode panic, and that whatever
// it accepts is valid and survives another round trip unchanged.
func FuzzDecode(f *testing.F) {
	var buf bytes.Buffer
	if err := Encode(&buf, sample(), false); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"format":"signpost-backup","version":1}`))
	f.Add([]byte(`{"format":"signpost-backup","version":1,"counts":[{"key":{"c":"x","h":-1},"n":1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		if err := a.Validate(); err != nil {
			t.Fatalf("Decode accepted an invalid archive: %v", err)
		}
		var out bytes.Buffer
		if err := Encode(&out, a, false); err != nil {
			t.Fatalf("Encode: %v", err)
		}
		b, err := Decode(&out)
		if err != nil {
			t.Fatalf("Decode of a re-encoded archive: %v", err)
		}
		if d := cmp.Diff(a, b, cmpopts.EquateEmpty()); d != "" {
			t.Fatalf("re-encoding changed the archive (-first +second):\n%s", d)
		}
	})
}
