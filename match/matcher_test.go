package match

import (
	"math"
	"os"
	"slices"
	"strings"
	"testing"
)

func mustMatcher(tb testing.TB, names ...string) *Matcher {
	tb.Helper()
	var files []*RuleFile
	for _, n := range names {
		data, err := os.ReadFile("testdata/" + n)
		if err != nil {
			tb.Fatal(err)
		}
		f, err := ParseRuleFile(n, data)
		if err != nil {
			tb.Fatal(err)
		}
		files = append(files, f)
	}
	m, err := Compile(files)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// compileSource compiles rule files given as text.
func compileSource(tb testing.TB, srcs ...string) *Matcher {
	tb.Helper()
	var files []*RuleFile
	for _, src := range srcs {
		f, err := ParseRuleFile("inline.rules", []byte(src))
		if err != nil {
			tb.Fatal(err)
		}
		files = append(files, f)
	}
	m, err := Compile(files)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// fuzzyCase is a text and what Explain says of it: its fuzzy view ("" when
// none is built) and the rules that match.
type fuzzyCase struct {
	text, fuzzy string
	rules       []string
}

// matchCase is a text and whether any rule matches it.
type matchCase struct {
	text  string
	match bool
}

// checkMatched explains each case's text with m and compares, reporting
// the views on a difference, and checks that Match says the same.
func checkMatched(t *testing.T, m *Matcher, cases []matchCase) {
	t.Helper()
	for _, tc := range cases {
		ex := m.Explain(Query{Text: tc.text, Kind: KindSearch})
		if got := len(ex.Rules) > 0; got != tc.match {
			t.Errorf("%q: rules %v (views %v), want a match: %v", tc.text, ex.Rules, ex.Views, tc.match)
		}
		if got := m.Match(Query{Text: tc.text, Kind: KindSearch}).Matched; got != tc.match {
			t.Errorf("%q: Match says %v, want %v", tc.text, got, tc.match)
		}
	}
}

// checkFuzzy explains each case's text with m and compares.
func checkFuzzy(t *testing.T, m *Matcher, cases []fuzzyCase) {
	t.Helper()
	for _, tc := range cases {
		ex := m.Explain(Query{Text: tc.text, Kind: KindSearch})
		if ex.Views["fuzzy"] != tc.fuzzy || !slices.Equal(ex.Rules, tc.rules) {
			t.Errorf("%q: fuzzy view %q, rules %v; want %q, %v", tc.text, ex.Views["fuzzy"], ex.Rules, tc.fuzzy, tc.rules)
		}
	}
}

func TestMatch(t *testing.T) {
	m := mustMatcher(t, "test.rules", "ar.rules")
	tests := []struct {
		name  string
		q     Query
		rules []string
	}{
		{"phrase near destination", Query{Text: "small boat to the UK", Kind: KindSearch}, []string{"en.crossing.boat_uk"}},
		{"too far apart", Query{Text: "boat one two three four britain", Kind: KindSearch}, nil},
		{"either order", Query{Text: "britain by dinghy", Kind: KindView}, []string{"en.crossing.boat_uk"}},
		{"file exclusion", Query{Text: "ferry boat to england", Kind: KindSearch}, nil},
		{"exclusion phrase", Query{Text: "news report: boat to england", Kind: KindSearch}, nil},
		{"spaced letters rejoined", Query{Text: "S.M.U.G.G.L.E.R contact", Kind: KindSearch}, []string{"en.smuggler.contact"}},
		{"spaced with spaces and underscores", Query{Text: "s m u g g l e r_number", Kind: KindSearch}, []string{"en.smuggler.contact"}},
		{"leetspeak", Query{Text: "$mu99l3r numb3r", Kind: KindSearch}, []string{"en.smuggler.contact"}},
		{"full-width leet signs", Query{Text: "＄ｍｕｇｇｌ３ｒ ｃ０ｎｔ＠ｃｔ", Kind: KindSearch}, []string{"en.smuggler.contact"}},
		{"a full-width price is not leet", Query{Text: "ｂ０ａｔ ｔｏ ｕｋ ＄１２００", Kind: KindSearch}, []string{"en.crossing.boat_uk"}},
		{"capital I for l", Query{Text: "smuggIer number", Kind: KindSearch}, []string{"en.smuggler.contact"}},
		{"exclamation and euro are not leet", Query{Text: "sm@ll boat to the UK! 1500€", Kind: KindSearch}, []string{"en.crossing.boat_uk"}},
		{"a mention is not leet", Query{Text: "contact @smuggler", Kind: KindSearch}, []string{"en.smuggler.contact"}},
		{"leet and spacing with a distant partner", Query{Text: "sm@ll b0at to u.k", Kind: KindSearch}, []string{"en.crossing.boat_uk"}},
		{"leet leaves prices alone", Query{Text: "b0at uk 1200", Kind: KindSearch}, []string{"en.crossing.boat_uk"}},
		{"cyrillic lookalikes", Query{Text: "smuggl\u0435r c\u043entact", Kind: KindSearch}, []string{"en.smuggler.contact"}},
		{"spaced arabic letters", Query{Text: "ب ل م الى بريطانيا", Kind: KindSearch}, []string{"ar.crossing.balam"}},
		{"prefix", Query{Text: "smugglers whatsapp", Kind: KindSearch}, []string{"en.smuggler.contact"}},
		{"kinds restrict", Query{Text: "smugglers whatsapp", Kind: KindView}, nil},
		{"NOT inside rule", Query{Text: "cigarette smugglers contact", Kind: KindSearch}, nil},
		{"zero-width evasion", Query{Text: "sm\u200buggler num\u00adber", Kind: KindSearch}, []string{"en.smuggler.contact"}},
		{"AND anywhere", Query{Text: "passports, fake ones", Kind: KindSearch}, []string{"en.documents.fake_passport"}},
		{"AND needs both", Query{Text: "passport renewal", Kind: KindSearch}, nil},
		{"emoji with variation selector", Query{Text: "🚤\ufe0f 🇬🇧", Kind: KindView}, []string{"en.crossing.emoji"}},
		{"language restriction off", Query{Text: "guaranteed", Kind: KindSearch, Lang: "en"}, nil},
		{"language restriction on", Query{Text: "guaranteed", Kind: KindSearch, Lang: "fr"}, []string{"en.safety.only_fr"}},
		{"arabic proclitic and folding", Query{Text: "السفر الى بريطانيا بالبلم", Kind: KindSearch}, []string{"ar.crossing.balam"}},
		{"arabic no substring", Query{Text: "بلمبريطانيا", Kind: KindSearch}, nil},
		{"two rules", Query{Text: "fake passport and a boat to uk", Kind: KindSearch}, []string{"en.crossing.boat_uk", "en.documents.fake_passport"}},
		{"empty", Query{Text: "", Kind: KindSearch}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := m.Match(tt.q)
			if !slices.Equal(got.Rules, tt.rules) {
				t.Errorf("Match(%q).Rules = %v, want %v", tt.q.Text, got.Rules, tt.rules)
			}
			if got.Matched != (len(tt.rules) > 0) {
				t.Errorf("Matched = %v with rules %v", got.Matched, got.Rules)
			}
		})
	}
}

func TestExplainSpans(t *testing.T) {
	m := mustMatcher(t, "test.rules")
	text := "Need a SMALL BOAT to England"
	ex := m.Explain(Query{Text: text, Kind: KindSearch})
	if len(ex.Matches) != 1 {
		t.Fatalf("matches = %+v", ex.Matches)
	}
	if got := ex.Matches[0].Spans; len(got) == 0 || got[0].Text != "SMALL BOAT to England" {
		t.Errorf("spans = %+v, want one covering %q", got, "SMALL BOAT to England")
	}
	if ex.Normalized != "ned a smal boat to england" {
		t.Errorf("normalized = %q", ex.Normalized)
	}
	if !slices.Equal(ex.Categories, []string{"crossing"}) {
		t.Errorf("categories = %v", ex.Categories)
	}
}

func TestMatchDoesNotAllocateOnMiss(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	m := mustMatcher(t, "test.rules", "ar.rules")
	q := Query{Text: "cheap flights to lisbon in may", Kind: KindSearch}
	m.Match(q)
	if n := testing.AllocsPerRun(100, func() { m.Match(q) }); n != 0 {
		t.Errorf("Match on a miss allocated %v times per run, want 0", n)
	}
}

// TestMatchManyRepeats guards against quadratic evaluation: a 64 KiB post
// repeating a term thousands of times, with the partner term only at the
// end, must still match (and quickly enough not to time the test out).
func TestMatchManyRepeats(t *testing.T) {
	m := mustMatcher(t, "test.rules")
	text := strings.Repeat("boat filler ", 5400) + "uk"
	if len(text) > 64<<10 {
		t.Fatalf("text is %d bytes", len(text))
	}
	if got := m.Match(Query{Text: text, Kind: KindView}); !slices.Equal(got.Rules, []string{"en.crossing.boat_uk"}) {
		t.Errorf("rules = %v", got.Rules)
	}
	text = strings.Repeat("boat uk ", 8000)
	if got := m.Match(Query{Text: text, Kind: KindView}); !got.Matched {
		t.Error("repeated pair did not match")
	}
}

// TestGenerationWrap: the per-view generation stamp may wrap on a pooled
// scratch that lives for billions of calls; matching must not change.
func TestGenerationWrap(t *testing.T) {
	m := mustMatcher(t, "test.rules")
	sc := newScratch(len(m.leaves), len(m.rules), m.nGroups, m.nNodes, m.emoji, m.fuzzy.inflect)
	sc.gen = math.MaxUint32 - 1
	for i := 0; i < 4; i++ {
		m.run(Query{Text: "small boat to the UK", Kind: KindSearch}, sc)
		if got := m.result(sc).Rules; !slices.Equal(got, []string{"en.crossing.boat_uk"}) {
			t.Fatalf("call %d around the wrap: rules = %v", i, got)
		}
	}
}

// TestNestedNear: a NEAR inside a NEAR keeps the tightest pairing.
func TestNestedNear(t *testing.T) {
	m := compileSource(t, "lang: en\nrule: r\ncategory: crossing\nmatch: (alpha NEAR/2 bravo) NEAR/0 charlie\n")
	if !m.Match(Query{Text: "bravo x alpha bravo charlie", Kind: KindSearch}).Matched {
		t.Error("alpha bravo charlie are adjacent, but the nested NEAR missed")
	}
}

// TestHashtagGluedDoubleLetters: a hashtag is re-read unsqueezed, so a
// doubled letter across glued words ("boat"+"to") is not lost.
func TestHashtagGluedDoubleLetters(t *testing.T) {
	m := compileSource(t, "lang: en\nrule: r\ncategory: crossing\nmatch: \"boat to\" NEAR/1 uk\n")
	ex := m.Explain(Query{Text: "#boattouk", Kind: KindView})
	if !ex.Matched || ex.Views["segmented"] != "boat to uk" {
		t.Errorf("segmented = %q, matched = %v", ex.Views["segmented"], ex.Matched)
	}
}

// TestHashtagSegmentation covers how a hashtag is split: across dots and
// apostrophes, around emoji, with camel-case capitals, and without
// inventing two-letter words inside unknown ones.
func TestHashtagSegmentation(t *testing.T) {
	src := "lang: xx\n" +
		"rule: r1\ncategory: crossing\nmatch: (boat OR smuggler OR kacak OR tahrib OR مهرب) NEAR/3 (uk OR ingiltere* OR ingiriis* OR انجلترا OR calais OR 🇬🇧)\n" +
		"rule: r2\ncategory: documents\nmatch: fake NEAR/1 passport\n" +
		"rule: r3\ncategory: crossing\nmatch: ai NEAR/1 ne\n" +
		"rule: r4\ncategory: crossing\nmatch: رقم NEAR/1 ton\n" +
		"rule: r5\ncategory: crossing\nmatch: \"go to\" NEAR/1 ingiltere*\n" +
		"rule: r6\ncategory: crossing\nmatch: boatyard* NEAR/1 yard\n" +
		"rule: r7\ncategory: crossing\nmatch: cont NEAR/1 container\n"
	m := compileSource(t, src)
	for _, tc := range []struct {
		text, segmented string
		matched         bool
	}{
		{"#boattouk", "boat to uk", true},
		{"#ukboat", "uk boat", true},
		{"#SMUGGLERtoU.K.", "smugler to uk", true},                           // dots inside the hashtag
		{"#f.a.k.epassportuk", "fake pasport uk", true},                      // partly dotted
		{"#ingiltere'yekacak", "ingiltere ye kacak", true},                   // an apostrophe inside
		{"#tahriibIngiriiska", "tahrib ingiris ka", true},                    // a capital I is a capital here, not a disguised l
		{"#🇬🇧boatCalais", "🇬🇧 boat calais", true},                            // emoji of terms stay words
		{"#🇫🇷boat🔥uk", "boat uk", true},                                      // others are dropped
		{"#رقممهربالىانجلترا", "رقم مهرب الي انجلترا", true},                 // the doubled م belongs to both words, and الي انجلترا is no typo of الانجلترا
		{"#boatcalaiuk", "boat calai uk", true},                              // a misspelt word is a piece, for the corrected view, not glued to the next
		{"#fakepassortuk", "fake pasort uk", true},                           // nor cut into short words
		{"#continertoukboat", "continer to uk boat", true},                   // misspelt, though cont, a word of the rules, is half of it
		{"انجلترامهرب", "انجلترا مهرب", true},                                // Arabic words typed without the space after a letter that does not join
		{"مهربانجلترا", "مهربانجلترا", false},                                // not after one that joins: the missing space shows
		{"#ukraine boat trip", "ukraine boat trip", false},                   // no "uk" invented inside a word
		{"#pukhtoon boat", "pukh ton boat", false},                           // nor inside this one
		{"#xaineq", "xaineq", false},                                         // two short words alone do not split a word
		{"#boat #uk", "boat uk", true},                                       // two hashtags stay two
		{"#boatuk, smuggler", "boat uk smugler", true},                       // a comma ends the hashtag
		{"#aine", "ai ne", true},                                             // a whole word of short pieces splits
		{"#ukxyz boat", "ukxyz boat", false},                                 // a short piece before a gap does not
		{"#uk🇬🇧", "uk 🇬🇧", false},                                            // flag after a short piece
		{"#smuggleruk", "smugler uk", true},                                  // squeezed pieces
		{"s m u g g l e r uk", "smugler uk", true},                           // spaced letters
		{"s m u g g l e r  t o  u k", "smugler to uk", true},                 // words set apart by a wider gap
		{"b o a t y a r d u k", "boatyard uk", false},                        // a stem's word is split off
		{"b o a t y a r d s u k", "boatyards uk", false},                     // with its ending
		{"b o a t y a r d x y z", "boatyardxyz", false},                      // but not with a longer one
		{"s m u g g l e r f r o m c a l a i s", "smugler from calais", true}, // more letters than a word has are a phrase, split as a hashtag is
		{"b o a t y a r d", "boatyard", false},                               // a split cutting the stem (boat yard) is not taken
		{"b o a t t o u k", "boat to uk", true},                              // no squeezing across spaced letters
		{"م ه ـ ـ ـ ر ب ا ن ج ل ت ر ا", "مهرب انجلترا", true},                // spaced tatweels are no wider gap
		{"#boattoukfast", "boat to uk fast", true},                           // a short word next to known ones
		{"#رقمton", "رقم ton", true},                                         // mixed scripts
		{"#passport", "pasport", false},                                      // one word
		{"#", "", false},                                                     // nothing
		{"#️⃣", "", false},                                                   // keycap emoji only
		{"#fakepassport", "fake pasport", true},                              // two words
		{"##boatuk", "boat uk", true},                                        // a doubled #
		{"#BoatToUK", "boat to uk", true},                                    // camel case
		{"#boat.to.uk", "boat to uk", true},                                  // dotted words
		{"#boat_to_uk", "boat to uk", true},                                  // underscores
		{"#boat-to-uk", "boat to uk", true},                                  // hyphens
		{"#ingiltere'ye kacak", "ingiltere ye kacak", true},                  // the hashtag ends at the space
	} {
		ex := m.Explain(Query{Text: tc.text, Kind: KindView})
		seg, ok := ex.Views["segmented"]
		if !ok {
			seg = ex.Normalized
		}
		if seg != tc.segmented || ex.Matched != tc.matched {
			t.Errorf("%q: segmented %q matched %v, want %q %v", tc.text, seg, ex.Matched, tc.segmented, tc.matched)
		}
	}
	// Spelled-out leetspeak splits where its letters' reading splits;
	// the leet view then reads the pieces.
	if ex := m.Explain(Query{Text: "s m u 9 9 l e r t o u k", Kind: KindView}); ex.Views["leet"] != "smugler to uk" || !ex.Matched {
		t.Errorf("spelled-out leetspeak: leet view %q matched %v, want \"smugler to uk\" true", ex.Views["leet"], ex.Matched)
	}
}

// TestNearOverlap: terms that overlap pair when neither holds the other.
func TestNearOverlap(t *testing.T) {
	m := compileSource(t, "lang: xx\nrule: r\ncategory: crossing\nmatch: \"ki re\" NEAR/2 \"re dike\"\nrule: s\ncategory: crossing\nmatch: \"small boat\" NEAR/2 boat\n")
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"ki re dike", []string{"xx.r"}},            // partial overlap
		{"ki re x re dike", []string{"xx.r"}},       // apart
		{"small boat", nil},                         // boat inside small boat is not a second term
		{"small boat and a boat", []string{"xx.s"}}, // a second boat is
	} {
		if got := m.Match(Query{Text: tc.text, Kind: KindSearch}).Rules; !slices.Equal(got, tc.want) {
			t.Errorf("%q: rules %v, want %v", tc.text, got, tc.want)
		}
	}
}

// TestEvasionReadings: letters and digits spaced apart are joined, then
// read as leetspeak and as Arabizi; an elided article is not a spaced-out
// letter; a leet symbol between accented letters is a letter.
func TestEvasionReadings(t *testing.T) {
	m := compileSource(t, "lang: xx\nrule: r\ncategory: crossing\nmatch: (smuggler OR tahrib) NEAR/2 (uk OR britania)\n"+
		"rule: s\ncategory: crossing\nmatch: \"a l arrivee\" OR (kacakci NEAR/2 yunanistan) OR (boat NEAR/2 uk)\n"+
		"rule: t\ncategory: crossing\nmatch: (boat* NEAR/1 trip) NEAR/3 italie\n")
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"s m u 9 9 l e r uk", true},
		{"t a 7 r i b britania", true},
		{"t.a.7.r.i.b britania", true},
		{"1 2 3 uk", false},
		{"s 1 2 uk", false},
		{"paiement à l'arrivée", true},
		{"paiement à l’arrivée", true},
		{"k@ç@kçı yunanistan", true},
		{"boat to u k", true},
		{"boat to u.k.", true},
		{"ka.çak.çı yunanistan", true},  // fragments glued by dots join into a word
		{"sm-ug-gler uk", true},         // or hyphens
		{"boat-trip to l'italie", true}, // but not into a stem and an ending
		{"e-mail x.y", false},           // words that join into nothing stay apart
	} {
		if got := m.Match(Query{Text: tc.text, Kind: KindSearch}).Matched; got != tc.want {
			t.Errorf("%q: matched %v, want %v", tc.text, got, tc.want)
		}
	}
}

// TestHashtagProclitics: a glued Arabic hashtag splits into words as
// written before words that are terms only with a proclitic attached.
func TestHashtagProclitics(t *testing.T) {
	m := compileSource(t, "lang: ar\nrule: r\ncategory: smuggler\nmatch: مهرب NEAR/2 (\"الى بريطانيا\" OR مضمون)\nrule: s\ncategory: crossing\nmatch: الي NEAR/1 مهر\n")
	for _, tc := range []struct{ text, segmented string }{
		{"#مهربالىبريطانيا", "مهرب الي بريطانيا"},
		{"#مـهـربالـىبـريـطـانـيـا", "مهرب الي بريطانيا"},
		{"#بديمهربمضمون", "بدي مهرب مضمون"},
	} {
		ex := m.Explain(Query{Text: tc.text, Kind: KindSearch})
		if ex.Views["segmented"] != tc.segmented || !slices.Equal(ex.Rules, []string{"ar.r"}) {
			t.Errorf("%q: segmented %q rules %v, want %q [ar.r]", tc.text, ex.Views["segmented"], ex.Rules, tc.segmented)
		}
	}
}

// A typo one letter from words of two languages is corrected towards the
// language of the terms the text matched: لبريانيا is بريطانيا (Arabic)
// after مهرب, not the Persian spelling برتانيا, which comes first in
// byte order.
func TestTypoTieTakesTheTextsLanguage(t *testing.T) {
	m := compileSource(t,
		"lang: ar\nrule: r\ncategory: smuggler\nmatch: مهرب NEAR/3 بريطانيا\n",
		"lang: fa\nrule: r\ncategory: smuggler\nmatch: قاچاقبر NEAR/3 برتانیا\n")
	checkFuzzy(t, m, []fuzzyCase{
		{"مهرب لبريانيا", "مهرب لبريطانيا", []string{"ar.r"}},
		{"قاچاقبر بريانيا", "قاچاقبر برتانيا", []string{"fa.r"}},
	})
}

// A typo in a word a prefix term matches is corrected towards the stem,
// keeping the word's ending: the word itself is in no vocabulary. Stems
// shorter than fuzzyMin1 letters are not (boat* does not take bot).
func TestTypoInAStemmedWord(t *testing.T) {
	m := compileSource(t, "lang: en\nrule: r\ncategory: smuggler\nmatch: smuggler* NEAR/3 boat\nrule: s\ncategory: crossing\nmatch: boat* NEAR/3 calais\n")
	for _, tc := range []struct{ text, fuzzy string }{
		{"smugglres boat", "smuglers boat"},     // swapped letters, ending kept
		{"smuglerz boat", ""},                   // an exact hit of the stem: nothing to correct
		{"smgglers boat", "smuglers boat"},      // a dropped letter
		{"smuxglering boat", "smuglering boat"}, // a changed letter
		{"bots calais", ""},                     // boat* is too short a stem
	} {
		ex := m.Explain(Query{Text: tc.text, Kind: KindSearch})
		if ex.Views["fuzzy"] != tc.fuzzy {
			t.Errorf("%q: fuzzy view %q, want %q", tc.text, ex.Views["fuzzy"], tc.fuzzy)
		}
		if want := tc.fuzzy != "" || strings.HasPrefix(tc.text, "smuglerz"); (len(ex.Rules) > 0) != want {
			t.Errorf("%q: rules %v, want a match: %v", tc.text, ex.Rules, want)
		}
	}
}

// Typos in Arabizi are corrected in the Arabizi view's reading, towards
// the readings of the Arabizi terms: bri6nia reads britnia, one letter
// from britania (bri6ania).
func TestArabiziTypo(t *testing.T) {
	m := compileSource(t, "lang: ar-latn\nrule: r\ncategory: smuggler\nmatch: mahreb NEAR/3 bri6ania\n")
	for _, tc := range []struct{ text, view string }{
		{"mahreb bri6ania", ""},
		{"mahreb bri6nia", "mahreb britania"},
		{"mahreb bri6anya", "mahreb britania"},
	} {
		ex := m.Explain(Query{Text: tc.text, Kind: KindSearch})
		if ex.Views["arabizi-fuzzy"] != tc.view || !slices.Equal(ex.Rules, []string{"ar-latn.r"}) {
			t.Errorf("%q: arabizi-fuzzy view %q, rules %v; want %q, [ar-latn.r]", tc.text, ex.Views["arabizi-fuzzy"], ex.Rules, tc.view)
		}
	}
	if r := m.Match(Query{Text: "mahreb britnia", Kind: KindSearch}); !r.Matched {
		t.Errorf("britnia (no digit) is not corrected in the main view")
	}
	// The corrected view replaces the Arabizi view's matches: a
	// misspelt exclusion vetoes there.
	m = compileSource(t, "lang: ar-latn\nrule: r\ncategory: crossing\nmatch: ta7reeb NEAR/3 turkia NOT asli7a\n")
	if ex := m.Explain(Query{Text: "tahreeb el aslaha ma3 turkia", Kind: KindSearch}); ex.Matched || ex.Views["arabizi-fuzzy"] != "tahreb el asliha ma turkia" {
		t.Errorf("tahreeb el aslaha: rules %v, views %v; want no match, aslaha corrected to asliha", ex.Rules, ex.Views)
	}
}

// An Ethiopic prefix term ending in a consonant without a vowel matches
// the suffixed forms, whose suffix gives that consonant a vowel:
// ፓስፖርት* matches ፓስፖርቱን (the passport, as an object) and ፓስፖርቶች.
func TestEthiopicStemVowels(t *testing.T) {
	m := compileSource(t, "lang: am\nrule: r\ncategory: documents\nmatch: ሀሰተኛ NEAR/2 ፓስፖርት*\n")
	checkMatched(t, m, []matchCase{
		{"ሐሰተኛ ፓስፖርት", true},
		{"ሐሰተኛ ፓስፖርቱን", true},
		{"ሐሰተኛ ፓስፖርቶች", true},
		{"ሐሰተኛ ፓስፖር", false},
	})
}

// A word that a veto-only prefix term's stem covers, but for four bytes
// and by more than half, is a benign word and is not corrected
// (randevusu, for randevu*, does not become randevusuz): a shorter stem,
// such as one language's tûr* (Kurmanji, tour), does not stop typos in
// every language's words that begin like it (turkei for turkey), nor
// does a stem of three bytes the short word it is most of (turey).
func TestTypoVetoStem(t *testing.T) {
	m := compileSource(t,
		"lang: kmr\nexclude: tûr* OR legalis*\nrule: r\ncategory: crossing\nmatch: qaçax NEAR/3 îtalya\n",
		"lang: tr\nrule: r\ncategory: documents\nmatch: schengen NEAR/3 randevusuz NOT randevu*\n",
		"lang: en\nrule: r\ncategory: crossing\nmatch: yacht NEAR/3 (turkey OR regalise)\n")
	checkFuzzy(t, m, []fuzzyCase{
		{"yacht turkei", "yacht turkey", []string{"en.r"}},
		{"yacht turey", "yacht turkey", []string{"en.r"}},
		{"yacht legalise", "", nil},
		{"schengen randevusu", "", nil},
	})
}

// The Arabizi view reads every digit as an Arabic letter, so an exclusion
// written in leetspeak (b1ll3t, billet, reads bilat there) must come from
// the view before it: the rule vetoed in the leet view stays vetoed.
func TestArabiziKeepsLeetExclusions(t *testing.T) {
	m := compileSource(t, "lang: ar-latn\nrule: r\ncategory: crossing\nmatch: (lbato NEAR/6 sbania) NOT billet\n")
	checkMatched(t, m, []matchCase{
		{"lb4t0 l $b4n14 ch7al el b1ll3t", false},
		{"lb4t0 l $b4n14 ch7al", true},
		{"lbato l sbania ch7al el billet", false},
	})
}

// Hashtags are re-read unsqueezed in the leet view as in the canonical
// one (#sm4llb04tt0uk is small boat to uk, not smal boat ouk), and split
// in the Arabizi view too, against the terms' Arabizi readings.
func TestHashtagLeetAndArabizi(t *testing.T) {
	m := compileSource(t,
		"lang: en\nrule: r\ncategory: crossing\nmatch: \"small boat\" NEAR/3 \"to uk\"\n",
		"lang: ar-latn\nrule: r\ncategory: smuggler\nmatch: mhareb NEAR/3 bri6ania\n")
	for _, tc := range []struct{ text, rule string }{
		{"#sm4llb04tt0uk", "en.r"},
		{"#smallboattouk", "en.r"},
		{"#sa2almharebbri6ania", "ar-latn.r"}, // the leet view cannot read sa2al
		{"#mharebmaltania", ""},
	} {
		ex := m.Explain(Query{Text: tc.text, Kind: KindSearch})
		if want := []string{tc.rule}; tc.rule == "" && len(ex.Rules) > 0 || tc.rule != "" && !slices.Equal(ex.Rules, want) {
			t.Errorf("%q: rules %v (views %v), want %q", tc.text, ex.Rules, ex.Views, tc.rule)
		}
	}
}

// A letter dropped between two equal letters is two edits from the term
// once repeats are squeezed (angleerre reads anglere; angleterre reads
// angletere), and one with the repeat kept: such a word is tried again
// unsqueezed.
func TestTypoAcrossSqueezedRepeat(t *testing.T) {
	m := compileSource(t,
		"lang: fr\nrule: r\ncategory: crossing\nmatch: passeur NEAR/3 angleterre\n",
		"lang: en\nrule: r\ncategory: crossing\nmatch: \"jet ski\" NEAR/5 melilla\n",
		// Squeezed, angleerre reads anglere: one letter from angleze.
		"lang: sq\nrule: r\ncategory: crossing\nmatch: angleze NEAR/3 varke\n")
	checkFuzzy(t, m, []fuzzyCase{
		{"passeur angleerre", "paseur angletere", []string{"fr.r"}},
		{"jet ski to mellla", "jet ski to melila", []string{"en.r"}},
		{"jet ski to melilla", "", []string{"en.r"}},
	})
}

// A word corrected towards a prefix term's stem keeps an ending of at most
// maxStemEnding letters: a longer rest makes it another word that begins
// one letter away from the stem (dhalinyarada, the youth, is not
// dhallaan*, infants, misspelt).
func TestStemTypoEndingLength(t *testing.T) {
	m := compileSource(t, "lang: so\nrule: r\ncategory: children\nmatch: dhallaan* NEAR/3 bilaash\n")
	checkMatched(t, m, []matchCase{
		{"dhalinka bilaash", true},      // dhalan misspelt, ending "ka"
		{"dhalinyarada bilaash", false}, // ending "yarada": another word
	})
}

// A term's leet reading counts only for text written with digits or leet
// symbols: 7arga reads targa in the leet view, but the Italian targa (a
// licence plate) is not the Arabizi 7arga. Its Arabizi reading, harga,
// counts anywhere.
func TestLeetReadingNeedsLeetText(t *testing.T) {
	m := compileSource(t, "lang: ar-latn\nrule: r\ncategory: crossing\nmatch: 7arga NEAR/3 italia\n")
	checkMatched(t, m, []matchCase{
		{"7arga italia", true},
		{"7arga l italia b 1000", true},
		{"harga italia", true},
		{"targa italia", false},
		{"targa auto italia 2024", false},
	})
	// A capital I is leetspeak only where the normaliser reads it as l:
	// between lower-case letters. TILM in capitals is the plain reading.
	m = compileSource(t, "lang: ar-latn\nrule: r\ncategory: crossing\nmatch: 7ilm NEAR/3 italia\n")
	checkMatched(t, m, []matchCase{
		{"7ILM ITALIA", true},
		{"TILM ITALIA", false},
		{"tilm italia", false},
	})
}

// A term's leet reading is a word for splitting a glued run only when the
// run is written in leetspeak: 7rag reads trag, but #greeceboattragedy is
// not greece boat trag edy.
func TestLeetReadingSplitsOnlyLeetHashtags(t *testing.T) {
	m := compileSource(t, "lang: ar-latn\nrule: r\ncategory: crossing\nmatch: 7rag NEAR/3 (boat OR greece)\n")
	for _, tc := range []struct {
		text string
		trag bool // whether the split has the word trag
	}{
		{"#greeceboattragedy", false},
		{"#7ragboatgreece", true}, // read as leetspeak: 7rag is trag
	} {
		seg := m.Explain(Query{Text: tc.text, Kind: KindSearch}).Views["segmented"]
		if got := slices.Contains(strings.Fields(seg), "trag"); got != tc.trag {
			t.Errorf("%q: segmented view %q, want the word trag in it: %v", tc.text, seg, tc.trag)
		}
	}
}

// Letters spelled out that split into a short vocabulary word with two
// letters left over are one misspelt word, kept whole so that it can be
// corrected: "m h a r b" is mharb (mhareb), not m har b. A long word with
// a one-letter word glued on each side still splits: "b s h a h i n e t
// l" is b shahinet l.
func TestSpelledOutTypoStaysWhole(t *testing.T) {
	m := compileSource(t, "lang: ar-latn\nrule: r\ncategory: smuggler\nmatch: mhareb NEAR/3 calais\nrule: s\ncategory: crossing\nmatch: har NEAR/2 dilan\nrule: u\ncategory: crossing\nmatch: shahinet NEAR/3 calais\n")
	checkMatched(t, m, []matchCase{
		{"m h a r b calais", true},
		{"m.h.a.r.b calais", true},
		{"b s h a h i n e t l calais", true},
		{"h a r dilan", true},
	})
}

// A letter repeated and squeezed to one is not a letter spelled out: the
// Somali "oo u eg" (which looks like) squeezes to "o u eg", and joining
// "o u" into "ou" lost the phrase "u eg", with or without a hashtag
// elsewhere in the text.
func TestSqueezedLetterIsNotSpelledOut(t *testing.T) {
	m := compileSource(t, "lang: so\nrule: r\ncategory: documents\nmatch: \"u eg\" NEAR/3 asalka\n")
	checkMatched(t, m, []matchCase{
		{"baasaboor oo u eg asalka", true},
		{"#somali baasaboor oo u eg asalka", true},
		{"baasaboor 00 u eg asalka", true},
		{"baasaboor u eg asalka", true},
	})
}

// An underscore in a hashtag stands for a space: the parts are split on
// their own, so that no letter is lost where they meet. Glued whole,
// #t7reeb_britania split as tree|bbritania (tre and britania, squeezed)
// as readily as treeb|britania once tre was a word. Parts that join into
// a term's word stay glued, as underscores inside a word do elsewhere.
func TestHashtagUnderscoreSeparatesWords(t *testing.T) {
	m := compileSource(t, "lang: ar-latn\nrule: r\ncategory: crossing\nmatch: t7reeb NEAR/3 britania\nrule: s\ncategory: documents\nmatch: pasaport NEAR/2 satilik\nrule: u\ncategory: crossing\nmatch: (tre OR thre) NEAR/2 uno\n")
	checkMatched(t, m, []matchCase{
		{"#t7reeb_britania raqam", true},
		{"#t7reeb britania", true},
		{"#pa_sa_port_satilik", true},
		{"#pasaport_satilik", true},
		{"#¼_pasaport_satilik", true},
	})
}

// A doubled letter where two glued words meet ends the first word rather
// than starting the second, when both splits read as vocabulary words:
// #t7reebbritania is treeb britania, not tree bbritania (tre britania).
func TestHashtagDoubledLetterEndsFirstWord(t *testing.T) {
	m := compileSource(t, "lang: ar-latn\nrule: r\ncategory: crossing\nmatch: t7reeb NEAR/3 britania\nrule: u\ncategory: crossing\nmatch: (tre OR thre) NEAR/2 uno\n")
	checkMatched(t, m, []matchCase{
		{"#t7reebbritania raqam", true},
		{"#treuno", true},
	})
}

// The full-width and small number signs start a hashtag as '#' does:
// full-width text (＃ｂｏａｔｔｏｕｋ) was read as the one word boatouk.
func TestFullWidthNumberSignStartsHashtag(t *testing.T) {
	m := compileSource(t, "lang: en\nrule: r\ncategory: crossing\nmatch: \"boat to uk\"\n")
	checkMatched(t, m, []matchCase{
		{"＃ｂｏａｔｔｏｕｋ", true},
		{"﹟boattouk", true},
		{"price 1000＃boattouk", true},
		{"ｂｏａｔｔｏｕｋ", false},
	})
}

// A one-letter word before an apostrophe is an elided article, not a
// letter spelled out, whichever apostrophe is typed: full-width, "à
// ｌ＇ｉｎｓｕ" read "al insu" and lost the phrase "à l'insu".
func TestElisionWithAnyApostrophe(t *testing.T) {
	m := compileSource(t, "lang: fr\nrule: r\ncategory: crossing\nmatch: camion NEAR/6 \"a l insu\"\n")
	checkMatched(t, m, []matchCase{
		{"camion à l'insu", true},
		{"camion à l’insu", true},
		{"camion à ｌ＇ｉｎｓｕ", true},
		{"camion à l‘insu", true},
	})
}

// The euro sign between two letters is an e in leetspeak (pass€ur); next
// to a digit it is a price and stays a separator.
func TestEuroSignAsLeetE(t *testing.T) {
	m := compileSource(t, "lang: fr\nrule: r\ncategory: smuggler\nmatch: passeur NEAR/3 calais\n")
	checkMatched(t, m, []matchCase{
		{"pass€ur calais", true},
		{"PASS€UR CALAIS", true},
		{"passeur calais 1500€", true},
		{"pass 1500€ur calais", false},
	})
}

// Of two corrections equally near, one the word is missing a letter of
// wins over one with a letter changed: a dropped letter is the commonest
// typo. britana is britania (Britain) misspelt, not britani (British),
// which byte order put first.
func TestTypoTiePrefersDroppedLetter(t *testing.T) {
	m := compileSource(t, "lang: xx\nrule: r\ncategory: crossing\nmatch: boat NEAR/2 britania\nrule: s\ncategory: crossing\nmatch: britani NEAR/2 passport\n")
	checkMatched(t, m, []matchCase{
		{"boat to britana", true},
		{"boat to britania", true},
	})
}

// A word that a positive prefix term's stem covers (permits, for
// permit*) is a known word with an ending, not a typo: correcting it
// towards another language's word one letter away (the French permis)
// broke the phrase it belongs to once the typo beside it was corrected.
func TestStemmedWordIsNotCorrected(t *testing.T) {
	m := compileSource(t,
		"lang: en\nrule: r\ncategory: documents\nmatch: forged NEAR/3 \"residence permit*\"\n",
		"lang: fr\nrule: r\ncategory: documents\nmatch: faux NEAR/3 permis\n")
	checkFuzzy(t, m, []fuzzyCase{
		{"forged resience permits", "forged residence permits", []string{"en.r"}},
	})
}

// Match skips the corrected view when it cannot change the answer, and
// must agree with Explain, which always builds it. A veto may carry its
// own exception (a photo vetoes a passport seller, unless the buyer is
// asked to send one): a typo in the exception (sedning) lets the veto
// through in the main view, and its correction, towards a word no
// positive term has, lifts it again in the corrected view.
func TestCorrectionLiftingAVetoIsEvaluated(t *testing.T) {
	m := compileSource(t, "lang: xx\nrule: r\ncategory: documents\nmatch: passport NEAR/3 price NOT (photo NOT \"photo sending\")\n")
	q := Query{Text: "passport price photo sedning", Kind: KindSearch}
	ex := m.Explain(q)
	if ex.Views["fuzzy"] != "pasport price photo sending" || !slices.Equal(ex.Rules, []string{"xx.r"}) {
		t.Fatalf("Explain: fuzzy view %q, rules %v; want the typo corrected and xx.r", ex.Views["fuzzy"], ex.Rules)
	}
	if got := m.Match(q).Rules; !slices.Equal(got, ex.Rules) {
		t.Errorf("Match: rules %v, Explain says %v", got, ex.Rules)
	}
}

// A digit in an Arabizi term is an Arabic letter wherever the term is
// met (ta7reeb is tahreeb); in another language's term it is not. Read
// as Arabizi, the Turkish insurance status "4a" was the word "a", and as
// an exclusion it vetoed every text with that word.
func TestArabiziReadingOnlyForArabiziTerms(t *testing.T) {
	m := compileSource(t,
		"lang: tr\nrule: r\ncategory: crossing\nmatch: kacak NEAR/3 yunanistan NOT \"4a\"\n",
		"lang: ar-latn\nrule: r\ncategory: crossing\nmatch: ta7reeb NEAR/2 italia\n")
	checkMatched(t, m, []matchCase{
		{"kacak yunanistan a gidis", true},
		{"kacak yunanistan 4a", false}, // the term as written still vetoes
		{"tahreeb italia", true},
		{"ta7reeb italia", true},
	})
}

// A word behind an Arabic proclitic is corrected as a word of its own
// length is: للسعدية is لل + السعودية with a letter dropped, the five
// letters left a typo of a six-letter word, as a five-letter word alone
// would be.
func TestTypoBehindProcliticOfFiveLetters(t *testing.T) {
	m := compileSource(t, "lang: ar\nrule: r\ncategory: crossing\nmatch: دليل NEAR/4 سعودية\n")
	checkMatched(t, m, []matchCase{
		{"دليل من اليمن للسعودية", true},
		{"دليل من اليمن للسعدية", true},
		{"دليل من اليمن للسعد", false},
	})
}

// A word that only another language's rules use may still be a typo of
// a word of the text's own language: calis (Turkish, work) in a search
// whose other terms are Vietnamese is calais misspelt. In a Turkish text
// it stays the Turkish word, and a word both languages use stays too.
func TestTypoSpellingAnotherLanguagesWord(t *testing.T) {
	m := compileSource(t,
		"lang: vi\nrule: r\ncategory: crossing\nmatch: (\"sang anh\" OR \"qua anh\") NEAR/5 calais\n",
		"lang: tr\nrule: r\ncategory: crossing\nmatch: \"kacak calis\" NEAR/3 ingiltere\n")
	checkFuzzy(t, m, []fuzzyCase{
		{"em o calis muon qua anh", "em o calais muon qua anh", []string{"vi.r"}},
		{"kacak calis ingiltere", "", []string{"tr.r"}},
	})
	checkMatched(t, m, []matchCase{
		{"kacak calis qua anh", false},
	})
}

// A word that only a short prefix term's stem matched (qacaxiyen, by
// qacax*) may be a longer term's word with a letter dropped (qacaxciyen,
// by qacaxci*): it is corrected, keeping the stem's hit. A word longer
// than the term's word is inflected, not misspelt (parkings is not
// parking), and a correction towards an exclusion's word is not made.
func TestTypoInAWordAStemMatched(t *testing.T) {
	m := compileSource(t,
		"lang: kmr\nrule: r\ncategory: smuggler\nmatch: qacaxci* NEAR/3 hejmar\nrule: s\ncategory: crossing\nmatch: qacax* NEAR/3 kamyon\n",
		"lang: en\nrule: r\ncategory: crossing\nmatch: lorry NEAR/5 park* NOT (parking OR rescuers)\nrule: s\ncategory: crossing\nmatch: boat NEAR/3 rescu* NOT rescuers\n"+
			"rule: t\ncategory: crossing\nmatch: parking NEAR/1 lorries\n")
	checkRules(t, m, []rulesCase{
		{"qacaxiyen hejmar", []string{"kmr.r"}},
		{"qacaxiyen kamyon", []string{"kmr.s"}},
		{"lorry from the parkings", []string{"en.r"}}, // not read parking
		{"boat rescurs", []string{"en.s"}},            // not read rescuers
	})
}

// A capital I between lower-case letters reads l only in a word with no
// other capital: in alternating case (hIdE, vIsA) it is an i.
func TestAlternatingCaseKeepsCapitalI(t *testing.T) {
	m := compileSource(t, "lang: en\nrule: hide.truck\ncategory: crossing\nmatch: hide NEAR/3 truck\n")
	checkMatched(t, m, []matchCase{
		{"hIdE In tRuCk 2day", true},
		{"HiDe iN ThE TrUcK", true},
		{"hlde in truck 2day", false},
	})
}

// A zero-width space may break a word for a filter or hide the space
// between words: the segmented view reads each word the way that makes
// words of the rules.
func TestZeroWidthSpaces(t *testing.T) {
	m := compileSource(t, "lang: en\nexclude: ferry\nrule: boat.uk\ncategory: crossing\nmatch: \"small boat\" NEAR/3 (uk OR england)\n")
	checkMatched(t, m, []matchCase{
		{"small\u200bboat\u200bto\u200buk", true},
		{"sm\u200ball bo\u200bat to uk", true},
		{"small\u200bboat\u200bto\u200ben\u200bgland", true},
		{"small\u200bboat\u200bto\u200buk\u200bby\u200bfer\u200bry", false},
		{"small\u200bboatto\u200buk", false},
		// Persian's zero-width non-joiner too, which it also writes
		// inside words.
		{"small\u200cboat\u200cto\u200cuk", true},
		{"sm\u200call boat to e\u200cngland", true},
	})
	ex := m.Explain(Query{Text: "small\u2060boat\ufeffto\u200buk\u200bplease", Kind: KindSearch})
	if got := ex.Views["segmented"]; got != "smal boat to uk please" {
		t.Errorf("segmented view %q, want the five words", got)
	}
}

// A text typed with zero-width spaces for all its spaces: the fragments
// are words, which the grouping must not glue into other words of the
// rules, and a long one is grouped a piece at a time.
func TestZeroWidthSpacesForEverySpace(t *testing.T) {
	m := compileSource(t, "lang: en\nrule: boat.uk\ncategory: crossing\nmatch: boat NEAR/3 (uk OR italy)\n"+
		"rule: passport\ncategory: documents\nmatch: buy NEAR/3 passport\n"+
		"rule: other\ncategory: crossing\nmatch: boat* OR buyuk OR \"boat tour\" OR passport*\n")
	for _, tc := range []struct{ text, segmented string }{
		// boat|to squeezes to boato, which only looks as if boat*
		// reached past boat.
		{"is\u200billegal\u200bboat\u200bto\u200bitaly\u200bdangerous", "is ilegal boat to italy dangerous"},
		{"passport\u200bto\u200buk", "pasport to uk"},
		// buy and uk are words of the rules: not the Turkish buyuk.
		{"where\u200bto\u200bbuy\u200buk\u200bpassport", "where to buy uk pasport"},
		// Twenty fragments: more than are grouped at once.
		{"my\u200bcousin\u200bsays\u200bhe\u200bcan\u200bget\u200bme\u200bthe\u200bboat\u200bto\u200buk\u200bor\u200bto\u200bitaly\u200bor\u200bspain\u200bif\u200bi\u200bpay\u200bhim",
			"my cousin says he can get me the boat to uk or to italy or spain if i pay him"},
		// Still a word broken for a filter, in a text of spaces.
		{"the sm\u200ball bo\u200bat to uk", "the smal boat to uk"},
	} {
		ex := m.Explain(Query{Text: tc.text, Kind: KindSearch})
		if got := ex.Views["segmented"]; got != tc.segmented {
			t.Errorf("%q: segmented view %q, want %q", tc.text, got, tc.segmented)
		}
	}
}

// A misspelt word in a hashtag is no word of the rules, so splitting cuts
// it into the short words inside it (engand is en g and): those scraps
// are joined again when they make a typo of a word of the rules, for the
// fuzzy view to correct.
func TestHashtagMisspeltWordJoined(t *testing.T) {
	m := compileSource(t, "lang: en\nrule: smuggler.england\ncategory: smuggler\nmatch: smuggler NEAR/3 england\n"+
		"rule: other\ncategory: smuggler\nmatch: \"phone and number\" OR \"en route\"\n")
	checkMatched(t, m, []matchCase{
		{"#smugglerengandnumber", true},
		{"#smugglerenglandnumber", true},
		{"#smugglerandnumber", false},
	})
	ex := m.Explain(Query{Text: "#smugglerengandnumber", Kind: KindSearch})
	if got := ex.Views["segmented"]; got != "smugler engand number" {
		t.Errorf("segmented view %q, want the scraps of engand joined", got)
	}
}

// Of two words a typo away, the one with the word's own letters (two of
// them swapped) wins over one with a letter changed: makreb is markeb, a
// boat, not mahreb, a smuggler.
func TestTypoTiePrefersSwappedLetters(t *testing.T) {
	m := compileSource(t, "lang: xx\nrule: boat\ncategory: crossing\nmatch: markeb NEAR/2 italia\nrule: smuggler\ncategory: smuggler\nmatch: mahreb NEAR/2 italia\n")
	for text, want := range map[string]string{"makreb italia": "xx.boat", "mahreb italia": "xx.smuggler", "markeb italia": "xx.boat"} {
		if got := m.Match(Query{Text: text, Kind: KindSearch}).Rules; !slices.Equal(got, []string{want}) {
			t.Errorf("%q: rules %v, want %s", text, got, want)
		}
	}
}

// A number written with the letter O for its zeros (1OO%, 2OOO€) reads
// as the number in the leet view; leetspeak's 8oo5 (boos) stays a word.
func TestZerosWrittenAsO(t *testing.T) {
	m := compileSource(t, "lang: en\nrule: safe\ncategory: safety\nmatch: \"100%\" NEAR/2 safe\nrule: boos\ncategory: crossing\nmatch: boos NEAR/2 italy\n")
	checkMatched(t, m, []matchCase{
		{"1OO% safe", true},
		{"1oo % safe trip", true},
		{"1O safe", false},
		{"8oo5 italy", true},
	})
}
