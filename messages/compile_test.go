package messages

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/language"
)

// enWith returns enTOML with the line defining id replaced by line.
func enWith(id, line string) string {
	lines := strings.Split(enTOML, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, `"`+id+`" =`) {
			lines[i] = line
		}
	}
	return strings.Join(lines, "\n")
}

func TestCompileProblems(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	toml := func(s string) LocaleFile { return LocaleFile{Format: "toml", Data: []byte(s)} }
	tests := []struct {
		name  string
		files map[string]LocaleFile
		want  []wantProblem
	}{
		{"valid", map[string]LocaleFile{"fr": toml(`"a.title" = "Titre"`)}, nil},
		{"unknown id", map[string]LocaleFile{"fr": toml("\"a.title\" = \"Titre\"\n\"a.nonsense\" = \"x\"\n")},
			[]wantProblem{{Locale: "fr", MessageID: "a.nonsense", Line: 2, Msg: "unknown message id"}}},
		{"empty text", map[string]LocaleFile{"fr": toml("\n\"a.title\" = \" \"")},
			[]wantProblem{{Locale: "fr", MessageID: "a.title", Line: 2, Msg: "text is empty"}}},
		{"empty plural form", map[string]LocaleFile{"fr": toml("[\"a.title\"]\none = \"\"\nother = \"Titres\"")},
			[]wantProblem{{Locale: "fr", MessageID: "a.title", Line: 2, Msg: `plural form "one": text is empty`}}},
		{"title too long", map[string]LocaleFile{"fr": {Format: "json", Data: []byte("{\n\"a.title\": \"" + long(81) + "\"}")}},
			[]wantProblem{{Locale: "fr", MessageID: "a.title", Line: 2, Msg: "title is 81 characters, more than 80"}}},
		{"body too long", map[string]LocaleFile{"fr": {Format: "yaml", Data: []byte("a:\n  body: " + long(601) + "\n")}},
			[]wantProblem{{Locale: "fr", MessageID: "a.body", Line: 2, Msg: "body is 601 characters, more than 600"}}},
		{"label too long", map[string]LocaleFile{"fr": toml("[a.action.help]\nlabel = \"" + long(61) + "\"")},
			[]wantProblem{{Locale: "fr", MessageID: "a.action.help.label", Line: 2, Msg: "label is 61 characters, more than 60"}}},
		{"few in en", map[string]LocaleFile{"en": toml(enWith("a.title", `"a.title" = { one = "One title", few = "Few titles", other = "Titles" }`))},
			[]wantProblem{{Locale: "en", MessageID: "a.title", Line: 2, Msg: `plural form "few" is not used in en (it uses one, other)`}}},
		{"one in vi", map[string]LocaleFile{"vi": {Format: "yaml", Data: []byte("a:\n  title:\n    one: Một\n    other: Nhiều\n")}},
			[]wantProblem{{Locale: "vi", MessageID: "a.title", Line: 3, Msg: `plural form "one" is not used in vi (it uses other)`}}},
		{"all arabic forms", map[string]LocaleFile{"ar": toml("[\"a.title\"]\nzero = \"صفر\"\none = \"واحد\"\ntwo = \"اثنان\"\nfew = \"قليل\"\nmany = \"كثير\"\nother = \"عنوان\"")}, nil},
		{"plural without other", map[string]LocaleFile{"fr": toml("x = 'y'\n[a.title]\none = \"Un\"\n")},
			[]wantProblem{{Locale: "fr", MessageID: "x", Line: 1, Msg: "unknown message id"}, {Locale: "fr", MessageID: "a.title", Line: 2, Msg: `plural forms need an "other" form`}}},
		{"placeholder", map[string]LocaleFile{"fr": toml(`"a.title" = "Bonjour {{.Name}}"`)},
			[]wantProblem{{Locale: "fr", MessageID: "a.title", Line: 1, Msg: "placeholder {{.Name}} is not allowed: card text takes no placeholders"}}},
		{"unclosed placeholder", map[string]LocaleFile{"fr": toml(`"a.title" = "Bonjour {{ x"`)},
			[]wantProblem{{Locale: "fr", MessageID: "a.title", Line: 1, Msg: `"{{" without a closing "}}"`}}},
		{"html tag", map[string]LocaleFile{"fr": toml(`"a.body" = "Cliquez <b>ici</b>"`)},
			[]wantProblem{{Locale: "fr", MessageID: "a.body", Line: 1, Msg: `contains "<b>": HTML is not allowed`}}},
		{"script tag", map[string]LocaleFile{"fr": toml(`"a.body" = "<script>alert(1)</script>"`)},
			[]wantProblem{{Locale: "fr", MessageID: "a.body", Line: 1, Msg: `contains "<script>"`}}},
		{"lone bracket", map[string]LocaleFile{"fr": toml(`"a.body" = "a -> b"`)},
			[]wantProblem{{Locale: "fr", MessageID: "a.body", Line: 1, Msg: `contains ">"`}}},
		{"control character", map[string]LocaleFile{"fr": toml(`"a.body" = "Sonnez\u0007 ici"`)},
			[]wantProblem{{Locale: "fr", MessageID: "a.body", Line: 1, Msg: "control character U+0007"}}},
		{"entity", map[string]LocaleFile{"fr": toml(`"a.body" = "Tom &amp; Jerry"`)},
			[]wantProblem{{Locale: "fr", MessageID: "a.body", Line: 1, Msg: `the HTML entity "&amp;"`}}},
		{"numeric entity", map[string]LocaleFile{"fr": toml(`"a.body" = "&#60;b"`)},
			[]wantProblem{{Locale: "fr", MessageID: "a.body", Line: 1, Msg: `the HTML entity "&#60;"`}}},
		{"javascript scheme", map[string]LocaleFile{"fr": toml(`"a.body" = "Allez à JavaScript:alert(1)"`)},
			[]wantProblem{{Locale: "fr", MessageID: "a.body", Line: 1, Msg: `contains "JavaScript:": links and scripts are not allowed`}}},
		{"vbscript scheme", map[string]LocaleFile{"fr": toml(`"a.body" = "vbscript:msgbox"`)},
			[]wantProblem{{Locale: "fr", MessageID: "a.body", Line: 1, Msg: `contains "vbscript:"`}}},
		{"data scheme", map[string]LocaleFile{"fr": toml(`"a.body" = "Voir data:text/html,salut"`)},
			[]wantProblem{{Locale: "fr", MessageID: "a.body", Line: 1, Msg: `contains "data:"`}}},
		{"data in prose", map[string]LocaleFile{"en": toml(enWith("a.body", `"a.body" = "Keep your data: passport, phone & money. Use a safe route."`))}, nil},
		{"latin uploaded as ar", map[string]LocaleFile{"ar": toml(`"a.title" = "The Channel crossing can cost you your life"`)},
			[]wantProblem{{Locale: "ar", MessageID: "a.title", Line: 1, Msg: "text is mostly in Latin script, but ar is written in Arabic script (0 of 36 letters)"}}},
		{"arabic uploaded as en", map[string]LocaleFile{"en": toml(enWith("b.title", `"b.title" = "المهربون يقدمون وعودا"`))},
			[]wantProblem{{Locale: "en", MessageID: "b.title", Line: 7, Msg: "text is mostly in Arabic script, but en is written in Latin script"}}},
		{"latin uploaded as ti", map[string]LocaleFile{"ti": toml(`"a.dismiss" = "Close"`)},
			[]wantProblem{{Locale: "ti", MessageID: "a.dismiss", Line: 1, Msg: "but ti is written in Ethiopic script"}}},
		{"cyrillic uploaded as sq", map[string]LocaleFile{"sq": toml(`"a.dismiss" = "Закрыть"`)},
			[]wantProblem{{Locale: "sq", MessageID: "a.dismiss", Line: 1, Msg: "mostly in Cyrillic script, but sq is written in Latin script"}}},
		{"brand name in arabic", map[string]LocaleFile{"ar": toml(`"a.title" = "احصل على المساعدة من UNHCR"`)}, nil},
		{"no letters", map[string]LocaleFile{"ar": toml(`"a.title" = "١٠٠٪ — 100%"`)}, nil},
		{"unmapped script", map[string]LocaleFile{"ja": toml(`"a.title" = "Title"`)}, nil},
		{"several problems in one text", map[string]LocaleFile{"fr": toml(`"a.title" = "<i>{{x}}</i>"`)},
			[]wantProblem{
				{Locale: "fr", MessageID: "a.title", Line: 1, Msg: `contains "<i>"`},
				{Locale: "fr", MessageID: "a.title", Line: 1, Msg: "placeholder {{x}}"},
			}},
		{"syntax error", map[string]LocaleFile{"fr": toml("\"a.title\" = \"T\"\n\"a.body\" = \n")},
			[]wantProblem{{Locale: "fr", Line: 2, Msg: "invalid TOML"}}},
		{"unknown format", map[string]LocaleFile{"de": {Format: "ini", Data: []byte("")}},
			[]wantProblem{{Locale: "de", Msg: `unknown message file format "ini"`}}},
		{"bad locale", map[string]LocaleFile{"xx-bad": toml("")},
			[]wantProblem{{Locale: "xx-bad", Msg: "not a language code"}}},
		{"default locale missing a message", map[string]LocaleFile{"en": toml(enWith("b.dismiss", ""))},
			[]wantProblem{{Locale: "en", MessageID: "b.dismiss", Msg: "missing: the default locale must have every message"}}},
		{"default locale without content", map[string]LocaleFile{"en": {}, "fr": toml(`"a.title" = "Titre"`)},
			[]wantProblem{{Locale: "en", Msg: "the default locale has no content"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]LocaleFile{"en": toml(enTOML)}
			maps.Copy(files, tt.files)
			if f := files["en"]; f.Data == nil && f.Format == "" {
				delete(files, "en")
			}
			_, err := Compile(testDef(t), 1, files)
			checkProblems(t, err, tt.want)
		})
	}
}

func TestCompileKeepsCheckingAfterABadMessage(t *testing.T) {
	_, err := Compile(testDef(t), 1, map[string]LocaleFile{
		"en": {Format: "toml", Data: []byte(enTOML)},
		"fr": {Format: "toml", Name: "fr.toml", Data: []byte("\"a.title\" = 3\n\"a.body\" = \"<b>\"\n")},
	})
	checkProblems(t, err, []wantProblem{
		{Locale: "fr", MessageID: "a.title", Line: 1, Msg: "the value is a number"},
		{Locale: "fr", MessageID: "a.body", Line: 2, Msg: `contains "<b>"`},
	})
	if err == nil || !strings.Contains(err.Error(), `fr.toml line 2 (locale fr): message "a.body"`) {
		t.Errorf("Error() does not locate the problem: %v", err)
	}
}

func TestContentErrorString(t *testing.T) {
	tests := []struct {
		err  ContentError
		want string
	}{
		{ContentError{Locale: "ar", File: "ar.toml", MessageID: "a.title", Line: 4, Msg: "text is empty"}, `ar.toml line 4 (locale ar): message "a.title": text is empty`},
		{ContentError{Locale: "ar", MessageID: "a.title", Line: 4, Msg: "text is empty"}, `locale ar line 4: message "a.title": text is empty`},
		{ContentError{Locale: "ar", File: "ar.toml", Msg: "invalid TOML"}, `ar.toml (locale ar): invalid TOML`},
		{ContentError{Locale: "ar", Msg: "the default locale has no content"}, `locale ar: the default locale has no content`},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestPluralCategories(t *testing.T) {
	tests := []struct {
		locale string
		want   []string
	}{
		{"en", []string{"one", "other"}},
		{"vi", []string{"other"}},
		{"ar", []string{"zero", "one", "two", "few", "many", "other"}},
		{"ru", []string{"one", "few", "many", "other"}},
		{"fa", []string{"one", "other"}},
		{"ti", []string{"one", "other"}},
	}
	for _, tt := range tests {
		if got := pluralCategories(language.Make(tt.locale)); !slices.Equal(got, tt.want) {
			t.Errorf("pluralCategories(%s) = %v, want %v", tt.locale, got, tt.want)
		}
	}
}

func TestAllowedPlaceholdersIsEmpty(t *testing.T) {
	// Growing the list is a decision for the renderer, which must then
	// fill the placeholders.
	if got := allowedPlaceholders(); len(got) != 0 {
		t.Errorf("allowedPlaceholders() = %v, want none until cards render placeholders", got)
	}
}
