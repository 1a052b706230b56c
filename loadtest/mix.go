package loadtest

import (
	_ "embed"
	"fmt"
	"math/rand/v2"
	"strings"
)

// corpusTSV is the traffic the generator draws from: the labelled texts of
// rules/testdata/cases in every shipped language plus the matcher's
// benchmark queries and posts, each marked with whether the shipped rules
// match it (checked by TestCorpusLabels).
//
//go:embed corpus.tsv
var corpusTSV string

// Sample is one corpus text.
type Sample struct {
	Lang    string // rule-file language, "" where unknown
	Kind    string // "search" or "view"
	Matches bool   // whether the shipped rules match it
	Text    string
}

// ParseCorpus reads lang<TAB>kind<TAB>0|1<TAB>text lines; # starts a comment.
func ParseCorpus(data string) ([]Sample, error) {
	var out []Sample
	for n, line := range strings.Split(data, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.SplitN(line, "\t", 4)
		if len(f) != 4 || (f[1] != "search" && f[1] != "view") || (f[2] != "0" && f[2] != "1") || f[3] == "" {
			return nil, fmt.Errorf("corpus line %d: want lang<TAB>search|view<TAB>0|1<TAB>text", n+1)
		}
		out = append(out, Sample{Lang: f[0], Kind: f[1], Matches: f[2] == "1", Text: f[3]})
	}
	return out, nil
}

// Corpus returns the embedded traffic corpus.
func Corpus() []Sample {
	s, err := ParseCorpus(corpusTSV)
	if err != nil {
		panic(err) // the embedded file is checked by the tests
	}
	return s
}

// acceptLanguage maps a rule language to what a platform in that market
// would send, so language negotiation runs as in production (lists,
// regional tags, aliases such as Latin-script Kurdish).
var acceptLanguage = map[string]string{
	"en":      "en-GB,en;q=0.9",
	"fr":      "fr-FR,fr;q=0.9,en;q=0.5",
	"ar":      "ar-IQ,ar;q=0.9,en;q=0.5",
	"ar-latn": "ar-SY,ar;q=0.8,en;q=0.6",
	"fa":      "fa-IR,fa;q=0.9",
	"ckb":     "ckb-IQ,ckb;q=0.9,ar;q=0.5",
	"kmr":     "ku-TR,ku;q=0.9,tr;q=0.5",
	"ps":      "ps-AF,ps;q=0.9,prs;q=0.5",
	"sq":      "sq-AL,sq;q=0.9",
	"vi":      "vi-VN,vi;q=0.9",
	"ti":      "ti-ER,ti;q=0.9",
	"am":      "am-ET,am;q=0.9",
	"tr":      "tr-TR,tr;q=0.9",
	"so":      "so-SO,so;q=0.9",
	"ur":      "ur-PK,ur;q=0.9,en;q=0.5",
}

var countries = []string{"FR", "GB", "BE", "DE", "IT", "GR", "TR", "NL", ""}

// Event is one generated event, in the shape POST /v1/events takes.
type Event struct {
	Kind    string `json:"kind"`
	Text    string `json:"text"`
	Locale  string `json:"locale,omitempty"`
	Subject string `json:"subject,omitempty"`
	Country string `json:"country,omitempty"`
	// Matches is whether the corpus expects a match; not sent.
	Matches bool `json:"-"`
}

// Mix draws events with the configured shares. It is immutable; callers
// bring their own random source, so workers share it without locking.
type Mix struct {
	// pools[kind][matches] hold the corpus samples of each sort.
	pools      [2][2][]Sample
	matchShare float64
	viewsShare float64
	subjects   int
}

// NewMix builds a mix from samples: viewsShare of the events are views
// (posts), matchShare of each kind are texts the rules match, and
// subjects is how many distinct pseudonymous users send them.
func NewMix(samples []Sample, matchShare, viewsShare float64, subjects int) (*Mix, error) {
	if matchShare < 0 || matchShare > 1 || viewsShare < 0 || viewsShare > 1 {
		return nil, fmt.Errorf("shares must be between 0 and 1")
	}
	m := &Mix{matchShare: matchShare, viewsShare: viewsShare, subjects: max(subjects, 1)}
	for _, s := range samples {
		k, mt := 0, 0
		if s.Kind == "view" {
			k = 1
		}
		if s.Matches {
			mt = 1
		}
		m.pools[k][mt] = append(m.pools[k][mt], s)
	}
	for k, name := range []string{"search", "view"} {
		if (k == 1) && viewsShare == 0 || (k == 0) && viewsShare == 1 {
			continue
		}
		if matchShare < 1 && len(m.pools[k][0]) == 0 || matchShare > 0 && len(m.pools[k][1]) == 0 {
			return nil, fmt.Errorf("the corpus has no %s texts of a sort the shares ask for", name)
		}
	}
	return m, nil
}

// Next draws one event.
func (m *Mix) Next(rng *rand.Rand) Event {
	k, mt := 0, 0
	if rng.Float64() < m.viewsShare {
		k = 1
	}
	if rng.Float64() < m.matchShare {
		mt = 1
	}
	pool := m.pools[k][mt]
	s := pool[rng.IntN(len(pool))]
	lang := s.Lang
	if lang == "" {
		// Texts of unknown language come from users of any market.
		keys := sortedLangs
		lang = keys[rng.IntN(len(keys))]
	}
	ev := Event{Kind: s.Kind, Text: s.Text, Locale: acceptLanguage[lang], Country: countries[rng.IntN(len(countries))], Matches: s.Matches}
	// One request in ten comes without a subject, as from signed-out users.
	if rng.IntN(10) != 0 {
		ev.Subject = fmt.Sprintf("lt-%06d", rng.IntN(m.subjects))
	}
	return ev
}

// sortedLangs lists acceptLanguage's keys in a fixed order, so a seed
// gives the same traffic every run.
var sortedLangs = []string{"am", "ar", "ar-latn", "ckb", "en", "fa", "fr", "kmr", "ps", "so", "sq", "ti", "tr", "ur", "vi"}
