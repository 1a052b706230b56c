package editing

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"signpost/match"
	"signpost/messages"
	"signpost/store"
)

// A language's rule set is kept in the store beside the campaigns, as a
// record whose id is RulesPrefix plus the set's name ("rules.en",
// "rules.ar-latn"), so it has the same lifecycle, versions and audit log.
// Campaign ids cannot contain a dot, so the two never collide.
const RulesPrefix = "rules."

// Keys of a rule set's two files in its draft.
const (
	RuleFileKey = "rules"   // the rule file, in the format of rules/README.md
	SamplesKey  = "samples" // labelled sample texts, TSV (see ParseSamples)
)

// RulesID returns the store id of rule set name.
func RulesID(name string) string { return RulesPrefix + name }

// IsRules reports whether id is a rule set's.
func IsRules(id string) bool { return strings.HasPrefix(id, RulesPrefix) }

// ruleSetNameRe is a rule file's name: a language, optionally with a
// script ("ar-latn" for Arabizi).
var ruleSetNameRe = regexp.MustCompile(`^[a-z]{2,3}(-[a-z]{4})?$`)

// ValidRuleSetName reports whether name can name a rule set.
func ValidRuleSetName(name string) bool { return ruleSetNameRe.MatchString(name) }

// Sample is one labelled text a rule set is tested against before it can
// be submitted or published.
type Sample struct {
	Line     int
	Match    bool // whether the text must get a card
	Kind     match.Kind
	Category string // a note for people (the expected category, or why not)
	Text     string
}

// ParseSamples reads a samples file: one sample per line, tab-separated
// label (1 = must match, 0 = must not), kind (search or view), category
// (a note) and text; '#' starts a comment line. This is the format of
// rules/testdata/cases/*.tsv, which ship as the samples of each rule set.
func ParseSamples(file string, data []byte) ([]Sample, error) {
	var out []Sample
	var errs []error
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		bad := func(msg string) {
			errs = append(errs, &messages.ContentError{File: file, Line: n, Msg: msg})
		}
		cols := strings.SplitN(line, "\t", 4)
		if len(cols) != 4 {
			bad("want four tab-separated columns: label, kind, category, text")
			continue
		}
		s := Sample{Line: n, Category: cols[2], Text: cols[3]}
		switch cols[0] {
		case "1":
			s.Match = true
		case "0":
		default:
			bad(fmt.Sprintf("label %q must be 1 (must match) or 0 (must not)", cols[0]))
			continue
		}
		kind, ok := match.ParseKind(cols[1])
		if !ok {
			bad(fmt.Sprintf("kind %q must be search or view", cols[1]))
			continue
		}
		s.Kind = kind
		if strings.TrimSpace(s.Text) == "" {
			bad("the text is empty")
			continue
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, &messages.ContentError{File: file, Msg: fmt.Sprintf("cannot read: %v", err)})
	}
	if len(errs) > 0 {
		return nil, &messages.ValidationError{Problems: errs}
	}
	return out, nil
}

// ruleSetFiles are the parsed files of the live rule sets plus one
// candidate, ready to compile, with every set's samples.
type ruleSetFiles struct {
	files   []*match.RuleFile
	samples map[string][]Sample // by rule set name
}

// CompileServed compiles the rule files of the given live rule set
// versions into the matcher the hot path uses, through cache (which may
// be nil).
func CompileServed(cache *match.Cache, versions []store.CampaignVersion) (*match.Matcher, error) {
	var files []*match.RuleFile
	for _, v := range versions {
		name := strings.TrimPrefix(v.CampaignID, RulesPrefix)
		f, err := match.ParseRuleFile(name+".rules", v.Draft.Content[RuleFileKey].Data)
		if err != nil {
			return nil, fmt.Errorf("rule set %s version %d: %w", name, v.Version, err)
		}
		files = append(files, f)
	}
	if err := match.CheckUniqueIDs(files); err != nil {
		return nil, err
	}
	return cache.Compile(files)
}

// checkRules tests a rule set's draft before it is stored, submitted or
// published: the file parses, its rule ids are unique among the live
// sets, the linter finds no error (no rule fires on the benign corpus),
// and every sample of every live set and of this draft gives its label
// with the candidate rules in place. All problems come back together.
func (s *Service) checkRules(ctx context.Context, name string, d store.Draft) error {
	live, err := s.ServedRules(ctx)
	if err != nil {
		return err
	}
	fileName := name + ".rules"
	cand, err := match.ParseRuleFile(fileName, d.Content[RuleFileKey].Data)
	if err != nil {
		return ruleProblem(name, err)
	}
	if cand.Lang != name {
		return ruleProblem(name, &match.ParseError{File: fileName, Line: 1, Msg: fmt.Sprintf("lang: is %q, but this is the %q rule set", cand.Lang, name)})
	}
	set := ruleSetFiles{samples: map[string][]Sample{}}
	// The candidate takes its place in the served order (by name), so
	// that once published the served files are these, in this order:
	// the same rules version, which the matcher cache then compiles once.
	placed := false
	for _, v := range live {
		other := strings.TrimPrefix(v.CampaignID, RulesPrefix)
		if !placed && other >= name {
			set.files = append(set.files, cand)
			placed = true
		}
		if other == name {
			continue
		}
		f, err := match.ParseRuleFile(other+".rules", v.Draft.Content[RuleFileKey].Data)
		if err != nil {
			return fmt.Errorf("live rule set %s: %w", other, err)
		}
		set.files = append(set.files, f)
		if set.samples[other], err = ParseSamples(other+".samples.tsv", v.Draft.Content[SamplesKey].Data); err != nil {
			return fmt.Errorf("live rule set %s samples: %w", other, err)
		}
	}
	if !placed {
		set.files = append(set.files, cand)
	}
	if set.samples[name], err = ParseSamples(name+".samples.tsv", d.Content[SamplesKey].Data); err != nil {
		return labelProblems(name, err)
	}
	if err := match.CheckUniqueIDs(set.files); err != nil {
		return ruleProblem(name, err)
	}
	m, err := s.cfg.Matchers.Compile(set.files)
	if err != nil {
		return ruleProblem(name, err)
	}
	var probs []error
	if s.cfg.Benign != nil {
		findings, err := match.LintCompiled([]*match.RuleFile{cand}, m, s.cfg.Benign, s.cfg.BenignDir)
		if err != nil {
			return err
		}
		for _, f := range findings {
			if f.Severity == "error" {
				probs = append(probs, &messages.ContentError{Locale: name, File: f.File, Line: f.Line, MessageID: f.Rule, Msg: f.Message})
			}
		}
	}
	for _, setName := range slices.Sorted(maps.Keys(set.samples)) {
		for _, smp := range set.samples[setName] {
			res := m.MatchRules(match.Query{Text: smp.Text, Kind: smp.Kind})
			if res.Matched == smp.Match {
				continue
			}
			msg := fmt.Sprintf("sample %q must match, but no rule does", smp.Text)
			if !smp.Match {
				msg = fmt.Sprintf("sample %q must not match, but %s do", smp.Text, strings.Join(res.Rules, ", "))
			}
			probs = append(probs, &messages.ContentError{Locale: setName, File: setName + ".samples.tsv", Line: smp.Line, Msg: msg})
		}
	}
	if len(probs) > 0 {
		return &messages.ValidationError{Campaign: RulesID(name), Problems: probs}
	}
	return nil
}

// ruleProblem turns a rule parse or compile error into a located problem.
func ruleProblem(name string, err error) error {
	var pe *match.ParseError
	if errors.As(err, &pe) {
		return &messages.ValidationError{Campaign: RulesID(name), Problems: []error{&messages.ContentError{Locale: name, File: pe.File, Line: pe.Line, Msg: pe.Msg}}}
	}
	return &messages.ValidationError{Campaign: RulesID(name), Problems: []error{&messages.ContentError{Locale: name, File: name + ".rules", Msg: err.Error()}}}
}

// labelProblems names the rule set on sample-file problems.
func labelProblems(name string, err error) error {
	var ve *messages.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			var ce *messages.ContentError
			if errors.As(p, &ce) {
				ce.Locale = name
			}
		}
		ve.Campaign = RulesID(name)
	}
	return err
}

// RuleSet is a rule set as editors see it.
type RuleSet struct {
	Name   string `json:"name"`
	Rev    int64  `json:"rev"`
	Status string `json:"status"`
	State  State  `json:"state"`
	Rules  int    `json:"rules"` // rules in the working copy's file
	// Problems lists what the file's own parse finds; the full test
	// (samples, benign corpus, the other sets) runs on upload, submit and
	// publish.
	Problems []messages.Problem `json:"problems"`
}

// ruleSetView builds what editors see of rule set rec.
func ruleSetView(rec store.Campaign, st State) *RuleSet {
	name := strings.TrimPrefix(rec.ID, RulesPrefix)
	rs := &RuleSet{Name: name, Rev: rec.Rev, Status: st.Status(), State: st, Problems: []messages.Problem{}}
	f, err := match.ParseRuleFile(name+".rules", rec.Draft.Content[RuleFileKey].Data)
	if err != nil {
		var ve *messages.ValidationError
		if errors.As(ruleProblem(name, err), &ve) {
			rs.Problems = ve.List()
		}
		return rs
	}
	rs.Rules = len(f.Rules)
	return rs
}

// RuleSetSummary is a rule set in a list.
type RuleSetSummary struct {
	Name        string `json:"name"`
	Rev         int64  `json:"rev"`
	Status      string `json:"status"`
	LiveVersion int64  `json:"live_version"`
	Serving     bool   `json:"serving"`
}

// ListRules returns every rule set, ordered by name.
func (s *Service) ListRules(ctx context.Context) ([]RuleSetSummary, error) {
	recs, err := s.st.ListCampaigns(ctx)
	if err != nil {
		return nil, fmt.Errorf("list rule sets: %w", err)
	}
	out := []RuleSetSummary{}
	for _, r := range recs {
		if !IsRules(r.ID) {
			continue
		}
		st, err := decodeState(r)
		if err != nil {
			return nil, err
		}
		out = append(out, RuleSetSummary{Name: strings.TrimPrefix(r.ID, RulesPrefix), Rev: r.Rev, Status: st.Status(), LiveVersion: st.LiveVersion, Serving: st.Serving()})
	}
	return out, nil
}

// GetRules returns one rule set's working copy state.
func (s *Service) GetRules(ctx context.Context, name string) (*RuleSet, error) {
	rec, st, err := s.loadKind(ctx, RulesID(name), true)
	if err != nil {
		return nil, err
	}
	return ruleSetView(rec, st), nil
}

// PutRuleFile replaces one of a rule set's files (RuleFileKey or
// SamplesKey) in its working copy, creating the set when rev is 0 and it
// does not exist. The draft with the new file is tested whole (see
// checkRules) and stored only if it passes.
func (s *Service) PutRuleFile(ctx context.Context, a Actor, name string, rev int64, key string, data []byte) (*RuleSet, error) {
	if !ValidRuleSetName(name) {
		return nil, &messages.ValidationError{Campaign: RulesID(name), Problems: []error{fmt.Errorf("rule set name %q must be a language code such as en, or ar-latn", name)}}
	}
	if key != RuleFileKey && key != SamplesKey {
		return nil, fmt.Errorf("rule set file %q: %w", key, ErrNotFound)
	}
	id := RulesID(name)
	fn := func(d *store.Draft) error {
		d.Content = maps.Clone(d.Content)
		if d.Content == nil {
			d.Content = map[string]store.LocaleContent{}
		}
		format := "rules"
		if key == SamplesKey {
			format = "tsv"
		}
		d.Content[key] = store.LocaleContent{Format: format, Data: data}
		return s.checkRules(ctx, name, *d)
	}
	if rev == 0 {
		_, err := s.st.Campaign(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			d := store.Draft{}
			if err := fn(&d); err != nil {
				return nil, err
			}
			st := NewState(a.ID, s.cfg.Now())
			return s.ruleSet(s.save(ctx, a, store.Campaign{ID: id, Draft: d}, 0, st, st, nil, ActCreate, key))
		}
		if err != nil {
			return nil, s.storeErr(id, err)
		}
	}
	return s.ruleSet(s.edit(ctx, a, id, rev, true, ActPutContent, key, fn))
}

// RulesStep applies a workflow step (ActSubmit, ActReject, ActPublish,
// ActPause, ActResume, ActArchive, or ActRollback to version) to rule set
// name, as the campaign methods of the same names do.
func (s *Service) RulesStep(ctx context.Context, a Actor, name string, rev int64, action string, version int64) (*RuleSet, error) {
	return s.ruleSet(s.transition(ctx, a, RulesID(name), rev, true, action, version))
}

func (s *Service) ruleSet(ch *change, err error) (*RuleSet, error) {
	if ch == nil {
		return nil, err
	}
	return ruleSetView(ch.rec, ch.st), err
}

// anotherRuleSetServes refuses to take id's rules off the hot path when
// no other rule set serves: the matcher needs rules to compile, and a
// service that matches nothing should be a decision, not an accident.
func (s *Service) anotherRuleSetServes(ctx context.Context, id string) error {
	live, err := s.ServedRules(ctx)
	if err != nil {
		return err
	}
	for _, v := range live {
		if v.CampaignID != id {
			return nil
		}
	}
	return fmt.Errorf("%w: this is the last serving rule set; publish another before pausing or archiving it", ErrState)
}

// ImportRules keeps shipped rule set name in the store: it is imported as
// published version 1 when missing, and updated to the shipped file when
// it changed and nobody but signpost has published it (so deployments
// get improved rules until their editors take a set over). It reports
// whether it wrote.
func (s *Service) ImportRules(ctx context.Context, name string, file, samples []byte) (bool, error) {
	id := RulesID(name)
	d := store.Draft{Content: map[string]store.LocaleContent{
		RuleFileKey: {Format: "rules", Data: file},
		SamplesKey:  {Format: "tsv", Data: samples},
	}}
	now := s.cfg.Now()
	rec, err := s.st.Campaign(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		st := NewState(System.ID, now)
		st.Work, st.Live, st.LiveVersion, st.LatestVersion = WorkPublished, LiveServing, 1, 1
		v := &store.CampaignVersion{CampaignID: id, Version: 1, Draft: d, CreatedAt: now, CreatedBy: System.ID}
		_, err := s.save(ctx, System, store.Campaign{ID: id, Draft: d}, 0, NewState(System.ID, now), st, v, ActImport, "shipped rules")
		return err == nil || errors.Is(err, ErrNotPropagated), ignoreImportRace(err)
	case err != nil:
		return false, s.storeErr(id, err)
	}
	st, err := decodeState(rec)
	if err != nil {
		return false, err
	}
	if st.Work != WorkPublished || st.Live != LiveServing || st.EditedBy != System.ID ||
		(bytes.Equal(rec.Draft.Content[RuleFileKey].Data, file) && bytes.Equal(rec.Draft.Content[SamplesKey].Data, samples)) {
		return false, nil
	}
	last, err := s.st.CampaignVersion(ctx, id, st.LatestVersion)
	if err != nil {
		return false, s.storeErr(id, err)
	}
	if last.CreatedBy != System.ID {
		return false, nil
	}
	next := st
	next.LatestVersion++
	next.LiveVersion = next.LatestVersion
	next.EditedAt = now
	v := &store.CampaignVersion{CampaignID: id, Version: next.LiveVersion, Draft: d, CreatedAt: now, CreatedBy: System.ID}
	rec.Draft = d
	_, err = s.save(ctx, System, rec, rec.Rev, st, next, v, ActImport, "updated shipped rules")
	return err == nil || errors.Is(err, ErrNotPropagated), ignoreImportRace(err)
}

// ignoreImportRace drops the conflict of two instances importing at once
// (the other one wrote the same thing) and a failed propagation (the
// catalog is built after imports anyway).
func ignoreImportRace(err error) error {
	if errors.Is(err, ErrConflict) || errors.Is(err, ErrNotPropagated) {
		return nil
	}
	return err
}

// TryRules matches texts with rule set name's working copy in place of its
// live version, beside the other live sets: what the hot path would
// answer once it is published. The texts are the editor's own tests; they
// are answered, never stored.
func (s *Service) TryRules(ctx context.Context, name string, queries []match.Query) ([]match.Explanation, error) {
	rec, _, err := s.loadKind(ctx, RulesID(name), true)
	if err != nil {
		return nil, err
	}
	live, err := s.ServedRules(ctx)
	if err != nil {
		return nil, err
	}
	var files []store.CampaignVersion
	for _, v := range live {
		if v.CampaignID != rec.ID {
			files = append(files, v)
		}
	}
	files = append(files, store.CampaignVersion{CampaignID: rec.ID, Draft: rec.Draft})
	m, err := CompileServed(s.cfg.Matchers, files)
	if err != nil {
		return nil, ruleProblem(name, err)
	}
	out := make([]match.Explanation, len(queries))
	for i, q := range queries {
		out[i] = m.Explain(q)
	}
	return out, nil
}

// checkServedRules guards a rule set's step (action) from st to next: taking
// the last rules off the hot path is refused, and a step that puts
// different rules on it (resume, rollback) tests them first, as publish
// does, since other sets may have changed since they were last live.
func (s *Service) checkServedRules(ctx context.Context, action string, rec store.Campaign, st, next State, v *store.CampaignVersion) error {
	if st.Serving() && !next.Serving() {
		return s.anotherRuleSetServes(ctx, rec.ID)
	}
	if action == ActPublish || !next.Serving() || (st.Serving() && st.LiveVersion == next.LiveVersion) {
		return nil // a publish was tested by its step; or nothing new serves
	}
	var d store.Draft
	if v != nil {
		d = v.Draft
	} else {
		live, err := s.st.CampaignVersion(ctx, rec.ID, next.LiveVersion)
		if err != nil {
			return s.storeErr(fmt.Sprintf("%s version %d", rec.ID, next.LiveVersion), err)
		}
		d = live.Draft
	}
	return s.checkRules(ctx, strings.TrimPrefix(rec.ID, RulesPrefix), d)
}

// RuleFile returns one of rule set name's files (RuleFileKey or
// SamplesKey) from its working copy, or from version when it is not 0.
func (s *Service) RuleFile(ctx context.Context, name string, version int64, key string) ([]byte, error) {
	d, err := s.draftOf(ctx, RulesID(name), version, true)
	if err != nil {
		return nil, err
	}
	lc, ok := d.Content[key]
	if !ok {
		return nil, fmt.Errorf("rule set %s has no %s file: %w", name, key, ErrNotFound)
	}
	return lc.Data, nil
}

// RuleVersions returns rule set name's published versions, oldest first.
func (s *Service) RuleVersions(ctx context.Context, name string) ([]store.CampaignVersion, error) {
	return s.versions(ctx, RulesID(name), true)
}
