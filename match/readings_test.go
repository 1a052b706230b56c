package match

import (
	"slices"
	"testing"
)

// TestLeetOneAsL: leetspeak writes 1 for l as well as i. The leet and
// Arabizi views read i, and take l where that makes a word of the rules
// that i does not, or a longer one (i next to i squeezes), or a whole word
// where i only begins with a prefix term's stem.
func TestLeetOneAsL(t *testing.T) {
	m := compileSource(t, "lang: xx\nrule: doc\ncategory: documents\nmatch: (false OR fake) NEAR/2 passport\n"+
		"rule: sale\ncategory: documents\nmatch: passport NEAR/3 sale\n"+
		"rule: visa\ncategory: documents\nmatch: visa NEAR/2 guaranteed\n",
		"lang: xx\nexclude: online\nrule: boat\ncategory: crossing\nmatch: boat NEAR/3 calais\n",
		"lang: zz\nrule: photo\ncategory: documents\nmatch: passport NEAR/4 photo NOT renewal\n"+
			"rule: renew\ncategory: documents\nmatch: renew* NEAR/2 fake\n",
		"lang: xx-latn\nrule: guide\ncategory: smuggler\nmatch: dalil NEAR/4 bulgaria\n",
		"lang: yy\nrule: agent\ncategory: smuggler\nmatch: \"dai ly\" NEAR/3 visa\n")
	checkRules(t, m, []rulesCase{
		{"fa1se passport for sa1e", []string{"xx.doc", "xx.sale"}},
		{"boat to ca1ais", []string{"xx.boat"}},
		{"v1sa guaranteed", []string{"xx.visa"}},                      // i where l makes no word
		{"boat to ca1ais 0n1in3 booking", nil},                        // the exclusion is read too
		{"da1i1 ya3rif el 7odod bu1garia", []string{"xx-latn.guide"}}, // dai is a word, dalil a longer one
		{"fa1se passport", []string{"xx.doc"}},
		{"fa1se 1500 passport", []string{"xx.doc"}}, // a number is no word
		{"f1ase passport", nil},                     // flase is no word
		{"passport photo r3n3wa1", nil},             // renewal is a word, renewai only begins with renew
	})
}

// rulesCase is a text and the rules Explain reports for it.
type rulesCase struct {
	text string
	want []string
}

// checkRules explains each case's text with m as a search, compares the
// rules, and checks that Match agrees on whether any matched.
func checkRules(t *testing.T, m *Matcher, cases []rulesCase) {
	t.Helper()
	for _, tc := range cases {
		ex := m.Explain(Query{Text: tc.text, Kind: KindSearch})
		if !slices.Equal(ex.Rules, tc.want) {
			t.Errorf("%q: rules %v (views %v), want %v", tc.text, ex.Rules, ex.Views, tc.want)
		}
		if got := m.Match(Query{Text: tc.text, Kind: KindSearch}).Matched; got != (len(tc.want) > 0) {
			t.Errorf("%q: Match says %v, Explain %v", tc.text, got, ex.Rules)
		}
	}
}

// TestLeetOneAsLKeepsTheReading: the 1-as-l reading is built in scratch
// space that also re-reads hashtags unsqueezed; the view it replaces
// must go on squeezing repeated letters in the texts after it.
func TestLeetOneAsLKeepsTheReading(t *testing.T) {
	m := compileSource(t, "lang: xx\nrule: boat\ncategory: crossing\nmatch: boat NEAR/3 calais\n"+
		"rule: tag\ncategory: crossing\nmatch: smuggler NEAR/2 uk\n")
	for range 3 {
		for _, text := range []string{"#smuggleruk b0at", "b0at to ca1ais", "b00000at to caaaaalais"} {
			if !m.Match(Query{Text: text, Kind: KindSearch}).Matched {
				t.Errorf("%q: no match", text)
			}
		}
	}
}

// TestLeetEdges: @ and ! stand for letters inside a word, @ also at its
// end; at a word's start (and ! at its end) they are usually a mention
// and punctuation, and are read as letters only where that makes a word
// of the rules and the first reading does not.
func TestLeetEdges(t *testing.T) {
	m := compileSource(t, "lang: xx\nrule: agent\ncategory: smuggler\nmatch: agent NEAR/3 (england OR angli)\n"+
		"rule: box\ncategory: crossing\nmatch: container NEAR/3 uk\n"+
		"rule: visa\ncategory: documents\nmatch: visa NEAR/2 guaranteed\n")
	checkMatched(t, m, []matchCase{
		{"@gent for england", true}, // @ starting a word
		{"agent per @ngl!", true},   // and ! ending one
		{"con7@!ner to uk", true},   // two signs in a row inside a word
		{"v!s@ guaranteed", true},   // @ ending a word
		{"@smuggler agent to england", true},
		{"agent to england!", true}, // england! is england
		{"@gent for engl@nd!", true},
		{"agent for @engl@nd", true}, // @engl@nd reads aengland: no word, so engl@nd
	})
}

// TestDecorativeEmoji: emoji that no term uses are dropped, so they do
// not stand between a term's words; those a term uses stay words.
func TestDecorativeEmoji(t *testing.T) {
	m := compileSource(t, "lang: xx\nrule: boat\ncategory: crossing\nmatch: \"small boat\" NEAR/1 (uk OR 🇬🇧)\n"+
		"rule: emoji\ncategory: crossing\nmatch: 🚤 NEAR/1 🇬🇧\n")
	checkMatched(t, m, []matchCase{
		{"small 👉 boat 🔥 uk", true},
		{"small✅boat🔥🔥uk", true},
		{"small boat 🇫🇷 🇬🇧", true}, // a flag no term uses is dropped too
		{"🚤🔥🇬🇧", true},
		{"🚤 🇬🇧", true},
		{"🚤 🇮🇹 🇮🇹 🇬🇧", true},
		{"small boat 🚤 🚤 uk", false}, // emoji of terms still count as words
		{"🔥🔥🔥", false},
		{"🔥 🇫🇷", false},
	})
}

// TestSplitWord: a word split in two by a space is read joined near a
// term's hit; when both halves are words of the rules themselves, only
// halves of three letters or more that make a whole word of the rules.
// The joined reading replaces the words': a rule that matched the halves
// as words is lost (keeping both readings let the exclusions of texts
// with a word split to dodge them be dodged: five times the false
// positives on the split-word variants).
func TestSplitWord(t *testing.T) {
	m := compileSource(t, "lang: xx\nrule: smuggler\ncategory: smuggler\nmatch: smuggler NEAR/3 uk\n"+
		"rule: passport\ncategory: documents\nmatch: passport NEAR/3 sale\n"+
		"rule: port\ncategory: crossing\nmatch: (pass OR port) NEAR/1 (uk OR dover)\n"+
		"rule: izmir\ncategory: crossing\nmatch: izmir* NEAR/3 boat\n"+
		"rule: phrase\ncategory: crossing\nmatch: \"the smuggler boat\" NEAR/3 dover\n")
	checkRules(t, m, []rulesCase{
		{"smug gler to uk", []string{"xx.smuggler"}},
		{"smugg ler to uk", []string{"xx.smuggler"}},
		{"passpo rt for sale", []string{"xx.passport"}},
		{"pass port for sale", []string{"xx.passport"}},
		{"smug gler", nil},                            // no hit nearby: left alone
		{"smug the gler to uk", nil},                  // the halves must be neighbours
		{"boarding pass port dover", nil},             // read as passport
		{"izm irden boat", []string{"xx.izmir"}},      // a stem with an ending
		{"sm ugg ler to uk", []string{"xx.smuggler"}}, // three pieces
		// A phrase reads on through the joined word.
		{"the smug gler boat to dover", []string{"xx.phrase"}},
		{"the smu ggl er boat to dover", []string{"xx.phrase"}},
	})
}

// TestSplitWordWithAPhraseWordForAHalf: half a split word that is a word
// of the rules only inside phrases (what, of "what s the rate") does not
// keep the halves apart. (One of two letters or fewer still does: those
// are the prepositions of phrases, في or از, words in their own right.)
func TestSplitWordWithAPhraseWordForAHalf(t *testing.T) {
	m := compileSource(t, "lang: xx\nrule: contact\ncategory: smuggler\nmatch: whatsapp NEAR/3 dinghy\n"+
		"rule: rate\ncategory: crossing\nmatch: \"what s the rate\" OR \"sapp valley\"\n")
	checkRules(t, m, []rulesCase{
		{"dinghy whats app", []string{"xx.contact"}},
		{"dinghy what sapp", []string{"xx.contact"}}, // both halves are phrase words
	})
}

// TestSplitWordWithATermForAHalf: half a split word is often a one-word
// term by itself (cros, of cross, in cros sing); it is still read joined
// with a neighbour that is no word of the rules, but not a word of a
// phrase's hit. With a neighbour that is a word of the rules, it is
// read joined only into a whole word, halves of three letters or more
// (see TestSplitWord).
func TestSplitWordWithATermForAHalf(t *testing.T) {
	m := compileSource(t, "lang: xx\nrule: crossing\ncategory: crossing\nmatch: crossing NEAR/3 uk\n"+
		"rule: cross\ncategory: crossing\nmatch: cross NEAR/3 dover\n"+
		"rule: tracker\ncategory: crossing\nmatch: tracker NEAR/3 uk\n"+
		"rule: fast\ncategory: documents\nmatch: \"fast track\" NEAR/3 visa\n"+
		"rule: many\ncategory: crossing\nmatch: germany NEAR/3 lorry\n"+
		"rule: ger\ncategory: crossing\nmatch: ger NEAR/3 many\n")
	checkRules(t, m, []rulesCase{
		{"cros sing to uk", []string{"xx.crossing"}},
		{"cross ing to uk", []string{"xx.crossing"}},
		{"to uk cro ssing", []string{"xx.crossing"}},
		{"cross to dover", []string{"xx.cross"}},
		{"fast track er visa uk", []string{"xx.fast"}}, // track is a phrase's word
		{"ger many lorry", []string{"xx.many"}},        // germany
	})
}

// TestGlueInsideAWord: a symbol or a decorative emoji put inside a word
// to break it (smug*gler, smug🔥gler) is glue, as a dot or hyphen is:
// the fragments are read joined when they make a word of the rules, or a
// prefix term's stem with an ending that no fragment is a word of by
// itself. An apostrophe is glue only between three letters or more
// either side, and an emoji a term uses stays a word.
func TestGlueInsideAWord(t *testing.T) {
	m := compileSource(t, "lang: xx\nrule: smuggler\ncategory: smuggler\nmatch: smuggler\n"+
		"rule: izmir\ncategory: crossing\nmatch: izmir* NEAR/3 boat\n"+
		"rule: speedboat\ncategory: crossing\nmatch: 🚤 NEAR/3 uk\n")
	checkRules(t, m, []rulesCase{
		{"smug*gler", []string{"xx.smuggler"}},
		{"smug/gler", []string{"xx.smuggler"}},
		{"smug,gler", []string{"xx.smuggler"}},
		{"smug+gler", []string{"xx.smuggler"}},
		{"smug~gler", []string{"xx.smuggler"}},
		{"smug🔥gler", []string{"xx.smuggler"}},
		{"smug🔥\ufe0fgler", []string{"xx.smuggler"}},
		{"sm©ug★gler", []string{"xx.smuggler"}},
		{"izm*irden boat", []string{"xx.izmir"}}, // a stem with an ending
		{"smug'gler", []string{"xx.smuggler"}},   // an apostrophe between 3+ letters
		{"smug’gler", []string{"xx.smuggler"}},
		{"sm'uggler", nil},                    // not with fewer (l'italie, it's)
		{"smug🔥 gler", nil},                   // a space is no glue
		{"b🚤at uk", []string{"xx.speedboat"}}, // the term's emoji stays a word
	})
}

// TestHashtagTieTakesWholeWords: of two splits of a hashtag that tie on
// every other count, the one with fewer pieces that are words only
// inside other terms' phrases wins.
func TestHashtagTieTakesWholeWords(t *testing.T) {
	m := compileSource(t, "lang: xx\nrule: game\ncategory: crossing\nmatch: game NEAR/2 uk\n"+
		"rule: boat\ncategory: crossing\nmatch: \"boat to uk\"\n"+
		"rule: inner\ncategory: crossing\nmatch: \"ga lorry\" OR \"meto truck\"\n")
	ex := m.Explain(Query{Text: "#gametouk", Kind: KindSearch})
	if ex.Views["segmented"] != "game to uk" || len(ex.Rules) != 1 || ex.Rules[0] != "xx.game" {
		t.Errorf("#gametouk: segmented %q, rules %v; want \"game to uk\", [xx.game]", ex.Views["segmented"], ex.Rules)
	}
}

// TestInflectedWord: near another hit, a word of a suffixing language's
// rules with an ending of that language glued on (kamyonlarda, in the
// lorries; basaborka, the passport) reads as the word; another
// language's ending, or a word of another language's rules, does not.
func TestInflectedWord(t *testing.T) {
	m := compileSource(t,
		"lang: tr\nrule: r\ncategory: crossing\nmatch: kamyon NEAR/3 ingiltere\n",
		"lang: so\nrule: r\ncategory: documents\nmatch: baasaboor NEAR/3 iib\n",
		"lang: en\nrule: r\ncategory: crossing\nmatch: lorry NEAR/3 dover\n")
	checkRules(t, m, []rulesCase{
		{"kamyonlarda ingiltere", []string{"tr.r"}},
		{"kamyondan ingiltere", []string{"tr.r"}},
		{"baasaboorka iib ah", []string{"so.r"}},
		{"kamyonka ingiltere", nil}, // a Somali ending on a Turkish word
		{"lorryden dover", nil},     // a Turkish ending on an English word
		{"kamyonlarda", nil},        // no other hit
	})
}

// TestDottedWordsWithASplitWord: dots standing for spaces, with a word
// split among the fragments (xuồn.g.cao.su.sang.anh), read as the words,
// the split one joined: the longest run of fragments that makes a word
// of the rules is one word.
func TestDottedWordsWithASplitWord(t *testing.T) {
	m := compileSource(t, "lang: vi\nrule: boat\ncategory: crossing\nmatch: \"xuong cao su\" NEAR/3 \"sang anh\"\n"+
		"rule: passport\ncategory: documents\nmatch: passport NEAR/2 sale\n")
	checkMatched(t, m, []matchCase{
		{"xuồn.g.cao.su.sang.anh", true},
		{"xuồng.cao.su.sang.anh", true},
		{"pass.port.for.sale", true},
		{"xuồn.g.cao.su.sang.phap", false},
		{"pa.ss.po.rt for sale", true},
	})
}

// TestPhraseWithoutArticles: searches drop articles, so a phrase term
// also matches without those between its first and last words ("dans
// camion" for "dans un camion"); one that starts or ends it stays ("a
// guide to" and "guide to the" are about a book, "guide to" is not).
func TestPhraseWithoutArticles(t *testing.T) {
	m := compileSource(t,
		"lang: fr\nrule: r\ncategory: crossing\nmatch: (\"place dans un camion\" OR \"dans le camion\") NEAR/3 londres\n",
		"lang: en\nrule: r\ncategory: crossing\nmatch: guide NEAR/3 hungary NOT (\"a guide to\" OR \"guide to the\")\n"+
			"rule: s\ncategory: crossing\nmatch: \"boat to the uk\"\n")
	checkRules(t, m, []rulesCase{
		{"place dans camion pour londres", []string{"fr.r"}},
		{"place dans un camion pour londres", []string{"fr.r"}},
		{"monter dans camion londres", []string{"fr.r"}},
		{"need guide to hungary", []string{"en.r"}},
		{"a guide to hungary", nil},
		{"the guide to the hungary border", nil},
		{"boat to uk", []string{"en.s"}},
		{"boat to the uk", []string{"en.s"}},
	})
}

// TestHashtagInflectedWords: a hashtag of a suffixing language glues
// words with their endings (#selaniktenmakedonyaya, from Thessaloniki to
// Macedonia): a word of that language's rules, or a prefix term's stem,
// of five letters or more, with an ending of the language is one piece,
// which the corrected view reads as the word. Of two splits equally
// good, the one with fewer such pieces wins; English takes no endings.
func TestHashtagInflectedWords(t *testing.T) {
	m := compileSource(t,
		"lang: tr\nrule: r\ncategory: crossing\nmatch: selanik* NEAR/3 makedonya\nrule: s\ncategory: crossing\nmatch: kamyon* NEAR/3 londra\n",
		"lang: sq\nrule: r\ncategory: crossing\nmatch: varke NEAR/3 angli NOT \"perendim dielli\"\n",
		// Short words of other rules that the glued letters also hold:
		// without endings, the split takes them (selanik ten make don
		// yaya, kamyon londr aya gitmek).
		"lang: en\nrule: r\ncategory: crossing\nmatch: boat NEAR/2 uk\nrule: s\ncategory: crossing\nmatch: (\"make don\" OR yaya OR aya OR ten OR londr) NEAR/2 zzz\n")
	checkRules(t, m, []rulesCase{
		{"#selaniktenmakedonyaya", []string{"tr.r"}},
		{"#kamyonlarlondrayagitmek", []string{"tr.s"}},
		{"#perendimdielli varke angli", nil},
		{"#boatsuk", nil},
	})
}

// TestElidedArticleWithoutApostrophe: "a l arrivee" is à l'arrivée typed
// without accent or apostrophe, not the letters a and l spelled out: a
// pair of one-letter words whose second is an elided article before a
// word starting with a vowel is left apart. Longer runs are still
// joined, whatever letter ends them.
func TestElidedArticleWithoutApostrophe(t *testing.T) {
	m := compileSource(t, "lang: fr\nrule: r\ncategory: crossing\nmatch: \"a l arrivee\" NEAR/3 londres\n",
		"lang: en\nrule: r\ncategory: crossing\nmatch: boat NEAR/2 uk\nrule: s\ncategory: documents\nmatch: passport NEAR/2 available\n")
	checkMatched(t, m, []matchCase{
		{"paiement a l arrivee a londres", true},
		{"paiement à l'arrivée à londres", true},
		{"boat to u k", true},
		{"p a s s p o r t available", true},
	})
}

// TestGlueWords: a Persian, Sorani, Pashto or Urdu preposition ending in
// a letter that joins no other, typed without its space, glues to the
// next word and nothing shows (ازمرز, from the border). A word that
// begins with one splits after it when the rest is a word of the rules,
// even under the length glued words otherwise need; not when a prefix
// term's stem two letters longer than the glue word begins it (تاوانە,
// a crime, is no تا and وانە). An Arabic preposition glued after a word
// is split off too, and the Urdu سے, whose ے normalises to a letter that
// joins.
func TestGlueWords(t *testing.T) {
	m := compileSource(t, "lang: fa\nrule: border\ncategory: crossing\nmatch: مرز NEAR/3 (قایق OR ترکیه)\n"+
		"rule: boat\ncategory: crossing\nmatch: قایق NEAR/3 قیمت\n",
		"lang: ckb\nrule: passport\ncategory: documents\nmatch: پاسپۆرت NEAR/4 وانە NOT تاوان*\n",
		"lang: ar\nrule: route\ncategory: crossing\nmatch: مهرب NEAR/4 اوروبا NOT ماجستير\n",
		"lang: ur\nrule: boat\ncategory: crossing\nmatch: کشتی NEAR/3 انگلینڈ\n")
	checkRules(t, m, []rulesCase{
		{"ازمرز ترکیه", []string{"fa.border"}},
		{"باقایق قیمت", []string{"fa.boat"}},
		{"مرزازترکیه", []string{"fa.border"}},   // a glue word between two words
		{"مرز ازترکیه", []string{"fa.border"}},  // not التركيه misspelt
		{"پاسپۆرت تاوانە", nil},                 // تاوان* begins the word
		{"بازار قیمت", nil},                     // با and زار: زار is no word of the rules
		{"رسالة ماجستيرعن مهرب اوروبا", nil},    // the exclusion, an Arabic glue word after it
		{"کشتی سےانگلینڈ", []string{"ur.boat"}}, // سے ends in a letter that joins none, read ي
	})
}

// A glued word may hold words no rule has: they are pieces too, where the
// words of the rules make more of it; an Arabic preposition glued after a
// short word splits off.
func TestGluedWordsWithUnknownPieces(t *testing.T) {
	m := compileSource(t, "lang: fa\nrule: container\ncategory: crossing\nmatch: کانتینر NEAR/3 انگلیس\n",
		"lang: ar\nrule: travel\ncategory: crossing\nmatch: سافر NEAR/3 طرابلس\n",
		"lang: ckb\nrule: boat\ncategory: crossing\nmatch: بەلەم* NEAR/3 یۆنان NOT دۆکیۆمنتاری\n")
	checkRules(t, m, []rulesCase{
		// تو, in, is no word of these rules.
		{"توکانتینربهانگلیس", []string{"fa.container"}},
		{"سافرمن طرابلس", []string{"ar.travel"}},
		// No more letters of words of the rules than of others (خانواده,
		// family, is none here): left whole.
		{"خانوادهکانتینر انگلیس", nil},
		// بەلەم* begins the word: an inflection, not words glued.
		{"بەلەمەکانیدۆکیۆمنتاری یۆنان", []string{"ckb.boat"}},
	})
}
