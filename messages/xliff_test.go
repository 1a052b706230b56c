package messages

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func xliffSource() []Message {
	return []Message{
		{ID: "a.title", Description: "Card title; keep it short.", Forms: map[string]string{"other": "The Channel crossing can cost you your life"}},
		{ID: "a.body", Forms: map[string]string{"other": "Line one\nline \"two\" & <three>\r\n\ttab, back\\slash, ]]> end"}},
		{ID: "b.count", Description: "How many people", Forms: map[string]string{"one": "one person", "other": "many people"}},
		{ID: "b.title", Forms: map[string]string{"other": "Untranslated"}},
	}
}

func xliffTarget() []Message {
	return []Message{
		{ID: "a.body", Forms: map[string]string{"other": "السطر الأول\n«اثنان» & <ثلاثة>\r\n\tعلامة، \\ ]]> نهاية"}},
		{ID: "a.title", Description: "Card title; keep it short.", Forms: map[string]string{"other": "عبور بحر المانش قد يكلفك حياتك"}},
		{ID: "b.count", Description: "How many people", Forms: map[string]string{"zero": "لا أحد", "one": "شخص واحد", "two": "شخصان", "few": "أشخاص قليلون", "many": "أشخاص كثيرون", "other": "أشخاص"}},
	}
}

func TestExportXLIFF(t *testing.T) {
	data, err := ExportXLIFF("small-boats", "en", xliffSource(), "ar", xliffTarget()[:2])
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, want := range []string{
		`<?xml version="1.0" encoding="UTF-8"?>`,
		`<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0" srcLang="en" trgLang="ar">`,
		`<file id="small-boats" canResegment="no" xml:space="preserve">`,
		`<unit id="a.title">`,
		`<notes><note category="description">Card title; keep it short.</note></notes>`,
		`<target>عبور بحر المانش قد يكلفك حياتك</target>`,
		`&#34;two&#34; &amp; &lt;three&gt;&#xD;&#xA;&#x9;tab`,
		// Arabic needs all six forms, so the translator gets a unit for each.
		`<unit id="b.count:zero">`, `<unit id="b.count:few">`, `<unit id="b.count:other">`,
		"<unit id=\"b.count:one\">\n   <notes><note category=\"description\">How many people</note></notes>\n   <segment>\n    <source>one person</source>\n   </segment>",
		"<unit id=\"b.title\">\n   <segment>\n    <source>Untranslated</source>\n   </segment>",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("export lacks %q:\n%s", want, doc)
		}
	}
	// Units are in id order.
	if strings.Index(doc, `"a.body"`) > strings.Index(doc, `"a.title"`) || strings.Index(doc, `"b.count:zero"`) > strings.Index(doc, `"b.count:one"`) {
		t.Errorf("units out of order:\n%s", doc)
	}
	again, _ := ExportXLIFF("small-boats", "en", xliffSource(), "ar", xliffTarget()[:2])
	if string(again) != doc {
		t.Error("export is not deterministic")
	}
}

func TestXLIFFRoundTrip(t *testing.T) {
	tests := []struct {
		name     string
		trgLang  string
		src, trg []Message
	}{
		{"arabic with plurals", "ar", xliffSource(), xliffTarget()},
		{"nothing translated", "ti", xliffSource(), nil},
		{"translation with a form the language lacks", "vi", xliffSource(), []Message{{ID: "b.count", Description: "How many people", Forms: map[string]string{"one": "một", "other": "nhiều"}}}},
		{"plural only in the translation", "ru", []Message{{ID: "x", Forms: map[string]string{"other": "files"}}}, []Message{{ID: "x", Forms: map[string]string{"one": "файл", "few": "файла", "many": "файлов", "other": "файла"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := ExportXLIFF("c", "en", tt.src, tt.trgLang, tt.trg)
			if err != nil {
				t.Fatal(err)
			}
			lang, got, err := ImportXLIFF(data)
			if err != nil {
				t.Fatalf("import: %v\n%s", err, data)
			}
			if lang != tt.trgLang {
				t.Errorf("trgLang = %q, want %q", lang, tt.trgLang)
			}
			want := tt.trg
			if diff := cmp.Diff(sortedByID(want), got, cmpopts.IgnoreFields(Message{}, "Line"), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("round trip (-want +got):\n%s\n%s", diff, data)
			}
			for _, m := range got {
				if m.Line == 0 {
					t.Errorf("message %s has no line", m.ID)
				}
			}
		})
	}
}

func sortedByID(ms []Message) []Message {
	out := append([]Message(nil), ms...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].ID < out[j-1].ID; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func TestExportXLIFFErrors(t *testing.T) {
	tests := []struct {
		name string
		id   string
		src  []Message
	}{
		{"empty campaign id", "", xliffSource()},
		{"control character", "c", []Message{{ID: "a", Forms: map[string]string{"other": "bell\a"}}}},
		{"colon in id", "c", []Message{{ID: "a:b", Forms: map[string]string{"other": "x"}}}},
		{"duplicate id", "c", []Message{{ID: "a"}, {ID: "a"}}},
	}
	for _, tt := range tests {
		if _, err := ExportXLIFF(tt.id, "en", tt.src, "fr", nil); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

const xliffHead = `<?xml version="1.0" encoding="UTF-8"?>
<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0" srcLang="en" trgLang="fr">
`

func TestImportXLIFF(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []Message
	}{
		{"skips untranslated and empty targets", xliffHead + `<file id="c">
 <unit id="a"><segment><source>A</source></segment></unit>
 <unit id="b"><segment><source>B</source><target></target></segment></unit>
 <unit id="c"><segment><source>C</source><target>Ce</target></segment></unit>
</file></xliff>`, []Message{{ID: "c", Forms: map[string]string{"other": "Ce"}, Line: 6}}},
		{"joins segments and ignorables", xliffHead + `<file id="c"><unit id="a">
 <segment><source>One.</source><target>Un.</target></segment>
 <ignorable><source> </source><target> </target></ignorable>
 <segment><source>Two.</source><target>Deux.</target></segment>
</unit></file></xliff>`, []Message{{ID: "a", Forms: map[string]string{"other": "Un. Deux."}, Line: 3}}},
		{"skips modules and other namespaces", xliffHead + `<file id="c" xmlns:mtc="urn:oasis:names:tc:xliff:matches:2.0">
 <skeleton href="x"/>
 <unit id="a"><mtc:matches><mtc:match ref="#x"><source>A</source><target>Wrong</target></mtc:match></mtc:matches>
 <notes><note category="other">ignored</note><note>Context</note></notes>
 <segment><source>A</source><target>Ah</target></segment></unit>
</file></xliff>`, []Message{{ID: "a", Description: "Context", Forms: map[string]string{"other": "Ah"}, Line: 5}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lang, got, err := ImportXLIFF([]byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			if lang != "fr" {
				t.Errorf("lang = %q", lang)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("messages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestImportXLIFFProblems(t *testing.T) {
	unit := `<file id="c"><unit id="a"><segment><source>A</source><target>B</target></segment></unit></file></xliff>`
	tests := []struct {
		name string
		doc  string
		want []wantProblem
	}{
		{"empty", "", []wantProblem{{Line: 1, Msg: "no XLIFF document"}}},
		{"not xliff", `<?xml version="1.0"?>` + "\n<html/>", []wantProblem{{Line: 2, Msg: "the root element is <html>"}}},
		{"version 1.2", "<xliff xmlns=\"urn:oasis:names:tc:xliff:document:2.0\"\n version=\"1.2\" trgLang=\"fr\">" + unit, []wantProblem{{Line: 2, Msg: `XLIFF version "1.2" is not supported`}}},
		{"no trgLang", `<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0" srcLang="en">` + unit, []wantProblem{{Line: 1, Msg: "has no trgLang"}}},
		{"doctype", "<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY e \"boom\">]>\n" + xliffHead[strings.Index(xliffHead, "\n")+1:] + unit, []wantProblem{{Line: 2, Msg: "DTDs and entity declarations are not allowed"}}},
		{"unknown entity", xliffHead + "<file id=\"c\"><unit id=\"a\"><segment><source>A</source>\n<target>&e;</target></segment></unit></file></xliff>", []wantProblem{{Locale: "fr", Line: 4, Msg: "invalid XML"}}},
		{"syntax", xliffHead + "<file id=\"c\">\n<unit id=\"a\"></segment></file></xliff>", []wantProblem{{Locale: "fr", Line: 4, Msg: "invalid XML"}}},
		{"truncated", xliffHead + "<file id=\"c\">\n<unit id=\"a\">", []wantProblem{{Locale: "fr", Line: 4, Msg: "invalid XML"}}},
		{"inline markup", xliffHead + "<file id=\"c\"><unit id=\"a\"><segment><source>A</source>\n<target>B <pc id=\"1\">bold</pc></target></segment></unit></file></xliff>", []wantProblem{{Locale: "fr", MessageID: "a", Line: 4, Msg: "inline markup <pc> is not supported"}}},
		{"duplicate unit", xliffHead + "<file id=\"c\">\n<unit id=\"a\"><segment><source>A</source><target>B</target></segment></unit>\n<unit id=\"a\"><segment><source>A</source><target>C</target></segment></unit></file></xliff>", []wantProblem{{Locale: "fr", MessageID: "a", Line: 5, Msg: `unit "a" appears twice (first at line 4)`}}},
		{"partly translated", xliffHead + "<file id=\"c\">\n<unit id=\"a\"><segment><source>A</source><target>B</target></segment><segment><source>C</source></segment></unit></file></xliff>", []wantProblem{{Locale: "fr", MessageID: "a", Line: 4, Msg: "only partly translated: 1 of 2 segments"}}},
		{"unit without id", xliffHead + "<file id=\"c\">\n<unit><segment><source>A</source><target>B</target></segment></unit></file></xliff>", []wantProblem{{Locale: "fr", Line: 4, Msg: "a <unit> has no id"}}},
		{"too deep", xliffHead + "<file id=\"c\"><unit id=\"a\">" + strings.Repeat("<x>", 20) + strings.Repeat("</x>", 20) + "</unit></file></xliff>", []wantProblem{{Locale: "fr", Line: 3, Msg: "nested more than 16 deep"}}},
		{"too large", xliffHead + strings.Repeat(" ", MaxXLIFFSize), []wantProblem{{Msg: "more than the limit"}}},
		{"trailing element", xliffHead + unit + "\n<xliff/>", []wantProblem{{Locale: "fr", Line: 4, Msg: "unexpected content after </xliff>"}}},
		{"latin-1", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<xliff/>", []wantProblem{{Line: 1, Msg: "invalid XML"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, msgs, err := ImportXLIFF([]byte(tt.doc))
			if err == nil {
				t.Fatalf("no error; messages %v", msgs)
			}
			checkProblems(t, err, tt.want)
		})
	}
}

func FuzzImportXLIFF(f *testing.F) {
	data, _ := ExportXLIFF("c", "en", xliffSource(), "ar", xliffTarget())
	f.Add(data)
	f.Add([]byte(xliffHead + `<file id="c"><unit id="a"><notes><note>n</note></notes><segment><source>A</source><target>B</target></segment><ignorable><target> </target></ignorable></unit></file></xliff>`))
	f.Add([]byte("<!DOCTYPE x>\n<xliff/>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lang, msgs, err := ImportXLIFF(data)
		if err != nil {
			return
		}
		// What we import, we can export and import again unchanged.
		out, err := ExportXLIFF("c", "en", msgs, lang, msgs)
		if err != nil {
			return // e.g. ids or text XML cannot carry as attributes
		}
		lang2, back, err := ImportXLIFF(out)
		if err != nil {
			t.Fatalf("re-import: %v\n%s", err, out)
		}
		if lang2 != lang {
			t.Fatalf("trgLang %q became %q", lang, lang2)
		}
		if diff := cmp.Diff(msgs, back, cmpopts.IgnoreFields(Message{}, "Line"), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s\n%s", diff, out)
		}
	})
}
