package messages

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"encoding/json"
	"github.com/BurntSushi/toml"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"go.yaml.in/yaml/v3"
)

// wantProblem is an expected Problem; Msg need only be part of Message.
type wantProblem struct {
	Locale, MessageID, Field string
	Line                     int
	Msg                      string
}

// checkProblems compares err's problems with want, in order.
func checkProblems(t *testing.T, err error, want []wantProblem) {
	t.Helper()
	var got []Problem
	if err != nil {
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("err = %v (%T), want *ValidationError", err, err)
		}
		got = ve.List()
	}
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		g, w := got[i], want[i]
		ok = g.Locale == w.Locale && g.MessageID == w.MessageID && g.Field == w.Field && g.Line == w.Line && strings.Contains(g.Message, w.Msg)
	}
	if !ok {
		t.Errorf("problems:\n got %s\nwant %s", fmtProblems(got), fmtWant(want))
	}
}

func fmtProblems(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("\n  {" + p.Locale + " " + p.MessageID + " " + p.Field + " " + itoa(p.Line) + " " + p.Message + "}")
	}
	return b.String()
}

func fmtWant(ws []wantProblem) string {
	var b strings.Builder
	for _, p := range ws {
		b.WriteString("\n  {" + p.Locale + " " + p.MessageID + " " + p.Field + " " + itoa(p.Line) + " " + p.Msg + "}")
	}
	return b.String()
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestDetectFormat(t *testing.T) {
	tests := []struct {
		contentType, name, want string
		wantErr                 bool
	}{
		{"application/toml", "x", "toml", false},
		{"text/toml; charset=utf-8", "", "toml", false},
		{"application/json", "ar.yaml", "json", false},
		{"text/json", "", "json", false},
		{"application/yaml", "", "yaml", false},
		{"application/x-yaml", "", "yaml", false},
		{"text/yaml", "", "yaml", false},
		{"Text/X-YAML; charset=UTF-8", "", "yaml", false},
		{"application/xliff+xml", "", "xliff", false},
		{"application/x-xliff+xml", "", "xliff", false},
		{"application/octet-stream", "ar.TOML", "toml", false},
		{"text/plain", "dir/fa.json", "json", false},
		{"", "fr.yml", "yaml", false},
		{"", "fr.yaml", "yaml", false},
		{"", "ti.xlf", "xliff", false},
		{"", "ti.xliff", "xliff", false},
		{"", "notes.txt", "", true},
		{"application/octet-stream", "", "", true},
		{"text/html", "ar.toml", "", true},
		{"application/xml", "ar.xlf", "", true},
		{"not a / type;;", "ar.toml", "", true},
	}
	for _, tt := range tests {
		got, err := DetectFormat(tt.contentType, tt.name)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("DetectFormat(%q, %q) = %q, %v; want %q, error %v", tt.contentType, tt.name, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "application/toml") {
			t.Errorf("DetectFormat(%q, %q) error does not name the accepted types: %v", tt.contentType, tt.name, err)
		}
	}
}

func TestParseLocaleFileLines(t *testing.T) {
	tests := []struct {
		name string
		file LocaleFile
		want []Message
	}{
		{"toml flat", LocaleFile{Format: "toml", Data: []byte("# c\n\"a.title\" = \"T\"\n\n'a.body' = 'B'\n")},
			[]Message{{ID: "a.body", Forms: map[string]string{"other": "B"}, Line: 4}, {ID: "a.title", Forms: map[string]string{"other": "T"}, Line: 2}}},
		{"toml dotted and tables", LocaleFile{Format: "toml", Data: []byte("a.title = \"\"\"\nx = 1\n[not.a.table]\n\"\"\"\n[a]\nbody = 'B' # [c]\n[a.dismiss]\ndescription = \"d\"\none = \"1\"\nother = \"n\"\n")},
			[]Message{
				{ID: "a.body", Forms: map[string]string{"other": "B"}, Line: 6},
				{ID: "a.dismiss", Description: "d", Forms: map[string]string{"one": "1", "other": "n"}, Line: 7},
				{ID: "a.title", Forms: map[string]string{"other": "x = 1\n[not.a.table]\n"}, Line: 1},
			}},
		{"toml inline table", LocaleFile{Format: "toml", Data: []byte("x = 'y'\n\na = { title = \"T\",\n body = { other = \"B\" } }\n")},
			[]Message{{ID: "a.body", Forms: map[string]string{"other": "B"}, Line: 4}, {ID: "a.title", Forms: map[string]string{"other": "T"}, Line: 3}, {ID: "x", Forms: map[string]string{"other": "y"}, Line: 1}}},
		{"json nested", LocaleFile{Format: "json", Data: []byte("{\n \"a\": {\n  \"title\": \"T\",\n  \"body\": {\"description\": \"d\",\n   \"other\": \"B\"}\n }\n}")},
			[]Message{{ID: "a.body", Description: "d", Forms: map[string]string{"other": "B"}, Line: 4}, {ID: "a.title", Forms: map[string]string{"other": "T"}, Line: 3}}},
		{"yaml nested", LocaleFile{Format: "yaml", Data: []byte("a:\n  title: T\n  body:\n    one: B1\n    other: B\n")},
			[]Message{{ID: "a.body", Forms: map[string]string{"one": "B1", "other": "B"}, Line: 3}, {ID: "a.title", Forms: map[string]string{"other": "T"}, Line: 2}}},
		{"empty", LocaleFile{Format: "yaml", Data: []byte("# nothing\n")}, nil},
		{"bom", LocaleFile{Format: "json", Data: []byte("\xef\xbb\xbf{\"a.title\": \"T\"}")},
			[]Message{{ID: "a.title", Forms: map[string]string{"other": "T"}, Line: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLocaleFile("en", tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("messages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseLocaleFileProblems(t *testing.T) {
	tests := []struct {
		name string
		file LocaleFile
		want []wantProblem
	}{
		{"toml syntax", LocaleFile{Format: "toml", Data: []byte("\"a.title\" = \"T\"\n\"a.body\" = \n")},
			[]wantProblem{{Locale: "fr", Line: 2, Msg: "invalid TOML"}}},
		{"toml unterminated", LocaleFile{Format: "toml", Data: []byte("\"a.title\" = \"T\"\n\n\"a.body\" = \"B\n")},
			[]wantProblem{{Locale: "fr", Line: 3, Msg: "invalid TOML"}}},
		{"json syntax", LocaleFile{Format: "json", Data: []byte("{\n\"a.title\": \"T\",\n\"a.body\" \"B\"\n}")},
			[]wantProblem{{Locale: "fr", Line: 3, Msg: "invalid JSON"}}},
		{"json truncated", LocaleFile{Format: "json", Data: []byte("{\n\"a.title\": \"T\",\n")},
			[]wantProblem{{Locale: "fr", Line: 3, Msg: "ends too early"}}},
		{"json trailing", LocaleFile{Format: "json", Data: []byte("{}\n{}")},
			[]wantProblem{{Locale: "fr", Line: 2, Msg: "unexpected data"}}},
		{"json duplicate", LocaleFile{Format: "json", Data: []byte("{\"a.title\": \"T\",\n\"a\": {\"title\": \"U\"}}")},
			[]wantProblem{{Locale: "fr", MessageID: "a.title", Line: 2, Msg: "defined twice (first at line 1)"}}},
		{"json number", LocaleFile{Format: "json", Data: []byte("{\n\"a.title\": 3}")},
			[]wantProblem{{Locale: "fr", MessageID: "a.title", Line: 2, Msg: "the value is a number, not text"}}},
		{"json list root", LocaleFile{Format: "json", Data: []byte("[\"x\"]")},
			[]wantProblem{{Locale: "fr", Line: 1, Msg: "must map message ids to text, not hold a list"}}},
		{"yaml syntax", LocaleFile{Format: "yaml", Data: []byte("a.title: T\na.body: \"B\n")},
			[]wantProblem{{Locale: "fr", Line: 2, Msg: "invalid YAML"}}},
		{"yaml duplicate key", LocaleFile{Format: "yaml", Data: []byte("a:\n  title: T\na:\n  body: U\n")},
			[]wantProblem{{Locale: "fr", Line: 3, Msg: `key "a" appears twice`}}},
		{"json duplicate key", LocaleFile{Format: "json", Data: []byte("{\"a\": {},\n\"a\": {}}")},
			[]wantProblem{{Locale: "fr", Line: 2, Msg: `key "a" appears twice`}}},
		{"toml inline list", LocaleFile{Format: "toml", Data: []byte("x = [\n 1, 2,\n]\na = { title = \"T\", body = { other = \"B\" } }\n")},
			[]wantProblem{{Locale: "fr", MessageID: "x", Line: 1, Msg: "the value is a list, not text"}}},
		{"yaml alias", LocaleFile{Format: "yaml", Data: []byte("a.title: &x T\na.body: *x\n")},
			[]wantProblem{{Locale: "fr", MessageID: "a.body", Line: 2, Msg: "aliases are not supported"}}},
		{"yaml bool", LocaleFile{Format: "yaml", Data: []byte("a:\n  title: true\n")},
			[]wantProblem{{Locale: "fr", MessageID: "a.title", Line: 2, Msg: "true or false"}}},
		{"mixed keys", LocaleFile{Format: "yaml", Data: []byte("a:\n  title:\n    other: T\n    x: y\n")},
			[]wantProblem{{Locale: "fr", MessageID: "a.title", Line: 2, Msg: "mixes message fields (other) with nested keys (x)"}}},
		{"empty table", LocaleFile{Format: "toml", Data: []byte("[a]\n[a.title]\n")},
			[]wantProblem{{Locale: "fr", MessageID: "a.title", Line: 2, Msg: "has no text"}}},
		{"id field", LocaleFile{Format: "toml", Data: []byte("[a]\n[a.title]\nid = \"b.title\"\nother = \"T\"\n")},
			[]wantProblem{{Locale: "fr", MessageID: "a.title", Line: 3, Msg: `its id field says "b.title"`}}},
		{"reserved id", LocaleFile{Format: "yaml", Data: []byte("a:\n  dismiss:\ndescription:\ny: x\n")},
			[]wantProblem{{Locale: "fr", MessageID: "description", Line: 3, Msg: "is a message field name in go-i18n"}}},
		{"reserved id json", LocaleFile{Format: "json", Data: []byte(`{"Other": null}`)},
			[]wantProblem{{Locale: "fr", MessageID: "Other", Line: 1, Msg: "cannot be a whole message id"}}},
		{"not utf-8", LocaleFile{Format: "toml", Data: []byte("a = \"x\"\nb = \"\xff\"\n")},
			[]wantProblem{{Locale: "fr", Line: 2, Msg: "not valid UTF-8"}}},
		{"too large", LocaleFile{Format: "toml", Data: make([]byte, MaxFileSize+1)},
			[]wantProblem{{Locale: "fr", Msg: "more than the limit"}}},
		{"unknown format", LocaleFile{Format: "ini", Data: []byte("a=b")},
			[]wantProblem{{Locale: "fr", Msg: `unknown message file format "ini"`}}},
		{"too deep", LocaleFile{Format: "json", Data: []byte(strings.Repeat(`{"a":`, 40) + `"x"` + strings.Repeat("}", 40))},
			[]wantProblem{{Locale: "fr", Line: 1, Msg: "nested more than"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs, err := ParseLocaleFile("fr", tt.file)
			if err == nil {
				t.Fatalf("no error; messages %v", msgs)
			}
			checkProblems(t, err, tt.want)
		})
	}
}

// roundTripMessages covers what a translator's file may hold: RTL text,
// plural forms, descriptions and characters that need escaping.
func roundTripMessages() []Message {
	return []Message{
		{ID: "a.body", Forms: map[string]string{"other": "Line one\nline \"two\"\twith a tab and a back\\slash\\n, 'single' quotes"}},
		{ID: "a.dismiss", Description: "Closes the card.\nShort.", Forms: map[string]string{"other": "إغلاق"}},
		{ID: "a.title", Forms: map[string]string{"zero": "لا شيء", "one": "واحد", "two": "اثنان", "few": "قليل", "many": "كثير", "other": "عبور بحر المانش قد يكلفك حياتك"}},
		{ID: "b.title", Forms: map[string]string{"other": "  leading and trailing spaces  "}},
		{ID: "b.x", Forms: map[string]string{"other": "yes"}},
		{ID: "c.ምስጋር", Forms: map[string]string{"other": "# not a comment: [x] {y} = z"}},
	}
}

func TestEncodeLocaleFileRoundTrip(t *testing.T) {
	formats := []string{"toml", "json", "yaml"}
	for _, from := range formats {
		data, err := EncodeLocaleFile(roundTripMessages(), from)
		if err != nil {
			t.Fatalf("encode %s: %v", from, err)
		}
		first, err := ParseLocaleFile("ar", LocaleFile{Format: from, Data: data})
		if err != nil {
			t.Fatalf("parse %s: %v\n%s", from, err, data)
		}
		for _, to := range formats {
			data2, err := EncodeLocaleFile(first, to)
			if err != nil {
				t.Fatalf("encode %s->%s: %v", from, to, err)
			}
			got, err := ParseLocaleFile("ar", LocaleFile{Format: to, Data: data2})
			if err != nil {
				t.Fatalf("parse %s->%s: %v\n%s", from, to, err, data2)
			}
			if diff := cmp.Diff(roundTripMessages(), got, cmpopts.IgnoreFields(Message{}, "Line")); diff != "" {
				t.Errorf("%s -> %s (-want +got):\n%s\n%s", from, to, diff, data2)
			}
			for _, m := range got {
				if m.Line == 0 {
					t.Errorf("%s -> %s: message %s has no line", from, to, m.ID)
				}
			}
			checkGoI18n(t, to, data2, got)
		}
	}
}

// checkGoI18n asserts that go-i18n itself reads data as msgs, so that
// files we write stay usable with go-i18n's tools.
func checkGoI18n(t *testing.T, format string, data []byte, msgs []Message) {
	t.Helper()
	unmarshal := map[string]i18n.UnmarshalFunc{"toml": toml.Unmarshal, "json": json.Unmarshal, "yaml": yaml.Unmarshal}[format]
	parsed, err := i18n.ParseMessageBytes(data, unmarshal)
	if err != nil {
		t.Fatalf("go-i18n cannot read our %s: %v", format, err)
	}
	var got []Message
	for _, p := range parsed {
		m := Message{ID: p.ID, Description: p.Description, Forms: map[string]string{}}
		for form, text := range map[string]string{"zero": p.Zero, "one": p.One, "two": p.Two, "few": p.Few, "many": p.Many, "other": p.Other} {
			if text != "" {
				m.Forms[form] = text
			}
		}
		got = append(got, m)
	}
	slices.SortFunc(got, func(a, b Message) int { return strings.Compare(a.ID, b.ID) })
	if diff := cmp.Diff(msgs, got, cmpopts.IgnoreFields(Message{}, "Line")); diff != "" {
		t.Errorf("go-i18n reads our %s differently (-ours +go-i18n):\n%s", format, diff)
	}
}

func TestEncodeLocaleFileErrors(t *testing.T) {
	tests := []struct {
		name   string
		msgs   []Message
		format string
	}{
		{"format", roundTripMessages(), "ini"},
		{"empty id", []Message{{Forms: map[string]string{"other": "x"}}}, "toml"},
		{"duplicate", []Message{{ID: "a", Forms: map[string]string{"other": "x"}}, {ID: "a"}}, "json"},
		{"bad form", []Message{{ID: "a", Forms: map[string]string{"several": "x"}}}, "yaml"},
		{"reserved id", []Message{{ID: "Description", Forms: map[string]string{"other": "x"}}}, "toml"},
	}
	for _, tt := range tests {
		if _, err := EncodeLocaleFile(tt.msgs, tt.format); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

func TestEncodeLocaleFilePlainStrings(t *testing.T) {
	data, err := EncodeLocaleFile([]Message{{ID: "a.title", Forms: map[string]string{"other": "T"}}}, "toml")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(data)); got != `"a.title" = "T"` {
		t.Errorf("toml = %q, want a plain string", got)
	}
}

func FuzzParseLocaleFile(f *testing.F) {
	for _, format := range []string{"toml", "json", "yaml"} {
		data, _ := EncodeLocaleFile(roundTripMessages(), format)
		f.Add(data, format)
	}
	f.Add([]byte("a.title = \"\"\"\nx\n\"\"\"\n[a]\nb = { c = [1, {d = 'e'}] }\n"), "toml")
	f.Add([]byte("{\"a\": {\"title\": {\"one\": \"x\", \"other\": \"y\"}}}"), "json")
	f.Add([]byte("a: &x\n  title: T\nb: *x\n"), "yaml")
	f.Fuzz(func(t *testing.T, data []byte, format string) {
		msgs, err := ParseLocaleFile("en", LocaleFile{Format: format, Data: data})
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.List()) == 0 {
				t.Fatalf("error %v is not a *ValidationError with problems", err)
			}
			return
		}
		// What we can read, we can write and read back the same.
		for _, to := range []string{"toml", "json", "yaml"} {
			out, err := EncodeLocaleFile(msgs, to)
			if err != nil {
				t.Fatalf("encode %s: %v", to, err)
			}
			back, err := ParseLocaleFile("en", LocaleFile{Format: to, Data: out})
			if err != nil {
				t.Fatalf("re-read %s: %v\n%s", to, err, out)
			}
			if diff := cmp.Diff(msgs, back, cmpopts.IgnoreFields(Message{}, "Line"), cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("%s round trip (-first +second):\n%s", to, diff)
			}
		}
	})
}
