package editing_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"signpost/editing"
	"signpost/messages"
	"signpost/store/storetest"
)

func newService(t *testing.T, twoPerson bool) *editing.Service {
	t.Helper()
	return editing.NewService(storetest.OpenBolt(t), editing.Config{TwoPersonRule: twoPerson, Now: func() time.Time { return time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC) }})
}

const rulesV1 = "lang: en\nrule: crossing.boat\ncategory: crossing\nmatch: dinghy NEAR/3 (uk OR england)\n"
const rulesV2 = rulesV1 + "\nrule: crossing.lorry\ncategory: crossing\nmatch: lorry NEAR/3 (uk OR england)\n"
const samples = "1\tsearch\tcrossing\tdinghy to uk\n0\tsearch\tferry\tferry to uk\n"

// TestImportRulesFollowsShippedUntilEditorsTakeOver: shipped rules update
// the store's copy while only signpost has published it, never after.
func TestImportRulesFollowsShippedUntilEditorsTakeOver(t *testing.T) {
	ctx := context.Background()
	svc := newService(t, false)
	steps := []struct {
		name      string
		file      string
		wantWrite bool
		wantLive  int64
	}{
		{"first start imports version 1", rulesV1, true, 1},
		{"same file: nothing to do", rulesV1, false, 1},
		{"a new release updates it", rulesV2, true, 2},
	}
	for _, s := range steps {
		wrote, err := svc.ImportRules(ctx, "en", []byte(s.file), []byte(samples))
		if err != nil || wrote != s.wantWrite {
			t.Fatalf("%s: ImportRules = %v, %v; want %v", s.name, wrote, err, s.wantWrite)
		}
		rs, err := svc.GetRules(ctx, "en")
		if err != nil || rs.State.LiveVersion != s.wantLive {
			t.Fatalf("%s: live version = %+v, %v; want %d", s.name, rs, err, s.wantLive)
		}
	}
	// An editor publishes their own change: the set is theirs now.
	ed := editing.Actor{ID: "tok_ed", Name: "editor"}
	rs, err := svc.GetRules(ctx, "en")
	if err != nil {
		t.Fatal(err)
	}
	rs, err = svc.PutRuleFile(ctx, ed, "en", rs.Rev, editing.RuleFileKey, []byte(rulesV1))
	if err != nil {
		t.Fatalf("PutRuleFile: %v", err)
	}
	if _, err := svc.RulesStep(ctx, ed, "en", rs.Rev, editing.ActPublish, 0); err != nil {
		t.Fatalf("publish: %v", err)
	}
	if wrote, err := svc.ImportRules(ctx, "en", []byte(rulesV2+"\n# newer\n"), []byte(samples)); err != nil || wrote {
		t.Errorf("import over an editor's version = %v, %v; want no write", wrote, err)
	}
}

func TestRuleSetChecks(t *testing.T) {
	ctx := context.Background()
	svc := newService(t, true)
	if _, err := svc.ImportRules(ctx, "en", []byte(rulesV1), []byte(samples)); err != nil {
		t.Fatal(err)
	}
	ed := editing.Actor{ID: "tok_ed"}
	tests := []struct {
		name    string
		set     string
		key     string
		data    string
		wantMsg string
	}{
		{"lang: names another set", "fr", editing.RuleFileKey, "lang: en\nrule: crossing.bateau\ncategory: crossing\nmatch: bateau\n", `lang: is "en", but this is the "fr" rule set`},
		{"a sample of another set breaks", "fr", editing.RuleFileKey, "lang: fr\nrule: crossing.ferry\ncategory: crossing\nmatch: ferry\n", `sample "ferry to uk" must not match`},
		{"bad sample label", "en", editing.SamplesKey, "yes\tsearch\tcrossing\tdinghy to uk\n", "label \"yes\""},
		{"bad name", "english", editing.RuleFileKey, rulesV1, "language code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rev := int64(0)
			if tt.set == "en" {
				rev = 1
			}
			_, err := svc.PutRuleFile(ctx, ed, tt.set, rev, tt.key, []byte(tt.data))
			var ve *messages.ValidationError
			if !errors.As(err, &ve) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("err = %v, want a validation error about %q", err, tt.wantMsg)
			}
		})
	}
	// The last serving rule set cannot be paused.
	if _, err := svc.RulesStep(ctx, ed, "en", 0, editing.ActPause, 0); !errors.Is(err, editing.ErrState) {
		t.Errorf("pause the last rule set: err = %v, want ErrState", err)
	}
}

func TestParseSamples(t *testing.T) {
	got, err := editing.ParseSamples("en.samples.tsv", []byte("# label\tkind\tcategory\ttext\n1\tsearch\tcrossing\tboat uk\n\n0\tview\tnews\tcourt report\n"))
	if err != nil || len(got) != 2 || !got[0].Match || got[0].Line != 2 || got[1].Match || got[1].Text != "court report" {
		t.Fatalf("ParseSamples = %+v, %v", got, err)
	}
	_, err = editing.ParseSamples("en.samples.tsv", []byte("1\tsearch\tcrossing\n1\tsearch\tcrossing\t \n"))
	var ve *messages.ValidationError
	if !errors.As(err, &ve) || len(ve.List()) != 2 || ve.List()[0].Line != 1 || ve.List()[1].Line != 2 {
		t.Errorf("ParseSamples(bad) = %v; want problems on lines 1 and 2", err)
	}
}

// FuzzParseSamples: a samples file is outside input; whatever it holds,
// parsing ends in samples or located problems, never a panic.
func FuzzParseSamples(f *testing.F) {
	f.Add([]byte("1\tsearch\tcrossing\tboat uk\n0\tview\tnews\tcourt\n"))
	f.Add([]byte("# comment\n\n1\tsearch\n"))
	f.Add([]byte("x\ty\tz\t\xff\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := editing.ParseSamples("f.tsv", data)
		if err == nil {
			for _, s := range got {
				if s.Line < 1 || strings.TrimSpace(s.Text) == "" {
					t.Fatalf("sample %+v from %q", s, data)
				}
			}
			return
		}
		var ve *messages.ValidationError
		if !errors.As(err, &ve) || len(ve.List()) == 0 {
			t.Fatalf("error %v is not a located validation error", err)
		}
	})
}
