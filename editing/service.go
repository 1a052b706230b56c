package editing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"signpost/match"
	"signpost/messages"
	"signpost/store"
)

// Store is what the workflow needs from the store.
type Store interface {
	SaveCampaign(ctx context.Context, s store.Save) (int64, error)
	Campaign(ctx context.Context, id string) (store.Campaign, error)
	ListCampaigns(ctx context.Context) ([]store.Campaign, error)
	CampaignVersion(ctx context.Context, id string, version int64) (store.CampaignVersion, error)
	ListCampaignVersions(ctx context.Context, id string) ([]store.CampaignVersion, error)
	Audit(ctx context.Context, id string) ([]store.AuditEntry, error)
	SecurityEvents(ctx context.Context) ([]store.AuditEntry, error)
}

// Actor is who makes a change: an API token (later, a signed-in person).
type Actor struct {
	ID   string
	Name string
}

// System is the actor of changes signpost makes itself (the first import).
var System = Actor{ID: "system", Name: "signpost"}

// Config configures a Service.
type Config struct {
	// TwoPersonRule requires a second person to publish what an editor
	// changed. Turn it off only where a single editor works alone.
	TwoPersonRule bool
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Changed is called after every change to what is served (publish,
	// pause, resume, archive, rollback, import), to tell every instance.
	// An error is returned to the caller with the change already saved.
	Changed func(ctx context.Context) error
	// Saved, when set, is called with the audit entry of every change
	// once it is saved (before Changed), so that the app can tell
	// webhook subscribers; it must not block for long.
	Saved func(ctx context.Context, e store.AuditEntry)
	// Benign holds the corpus no rule may fire on (BenignDir/<lang>.txt),
	// checked before a rule set is stored or published; nil skips it.
	Benign    fs.FS
	BenignDir string
	// Matchers compiles rule sets and keeps what it compiled (see
	// match.Cache): share it with whatever compiles the served rules, so
	// that a publish compiles its rules once. Nil compiles every time.
	Matchers *match.Cache
}

// Service applies the workflow to the store. It is safe for concurrent
// use: concurrent changes to one campaign are serialised by the store's
// revision check, and the loser gets ErrConflict.
type Service struct {
	st  Store
	cfg Config
}

// NewService returns a Service on st.
func NewService(st Store, cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Changed == nil {
		cfg.Changed = func(context.Context) error { return nil }
	}
	return &Service{st: st, cfg: cfg}
}

// Errors a caller maps to responses.
var (
	// ErrNotFound: no such campaign or version.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the campaign changed since the caller's revision
	// (or, on create, it exists already). Nothing was written.
	ErrConflict = errors.New("changed meanwhile")
	// ErrNotPropagated: the change is saved but other instances could
	// not be told at once; they pick it up at their next full refresh.
	ErrNotPropagated = errors.New("saved, but not yet propagated")
)

// Campaign is a campaign as editors see it.
type Campaign struct {
	ID         string          `json:"id"`
	Rev        int64           `json:"rev"`
	Status     string          `json:"status"`
	State      State           `json:"state"`
	Definition json.RawMessage `json:"definition"`
	Locales    []LocaleInfo    `json:"locales"`
	// Problems lists what stops the working copy from being submitted
	// or published, so editors see it before they try.
	Problems []messages.Problem `json:"problems"`
}

// LocaleInfo describes one uploaded locale file.
type LocaleInfo struct {
	Locale string `json:"locale"`
	Format string `json:"format"`
	Bytes  int    `json:"bytes"`
}

// Summary is a campaign in a list.
type Summary struct {
	ID          string `json:"id"`
	Rev         int64  `json:"rev"`
	Status      string `json:"status"`
	LiveVersion int64  `json:"live_version"`
	Serving     bool   `json:"serving"`
}

// List returns every campaign, ordered by id.
func (s *Service) List(ctx context.Context) ([]Summary, error) {
	recs, err := s.st.ListCampaigns(ctx)
	if err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	out := make([]Summary, 0, len(recs))
	for _, r := range recs {
		if IsRules(r.ID) {
			continue
		}
		st, err := decodeState(r)
		if err != nil {
			return nil, err
		}
		out = append(out, Summary{ID: r.ID, Rev: r.Rev, Status: st.Status(), LiveVersion: st.LiveVersion, Serving: st.Serving()})
	}
	return out, nil
}

// Get returns one campaign's working copy and state.
func (s *Service) Get(ctx context.Context, id string) (*Campaign, error) {
	rec, st, err := s.loadKind(ctx, id, false)
	if err != nil {
		return nil, err
	}
	return s.view(rec, st), nil
}

// draftOf returns the working copy (version 0) or a published version of
// record id, which must be of the kind rules says.
func (s *Service) draftOf(ctx context.Context, id string, version int64, rules bool) (store.Draft, error) {
	if version == 0 {
		rec, _, err := s.loadKind(ctx, id, rules)
		return rec.Draft, err
	}
	if IsRules(id) != rules {
		return store.Draft{}, fmt.Errorf("%q: %w", id, ErrNotFound)
	}
	v, err := s.st.CampaignVersion(ctx, id, version)
	if err != nil {
		return store.Draft{}, s.storeErr(fmt.Sprintf("%q version %d", id, version), err)
	}
	return v.Draft, nil
}

// Definition returns the parsed definition and all content of the working
// copy (version 0) or of a published version, for previews and exports.
func (s *Service) Definition(ctx context.Context, id string, version int64) (*messages.Definition, map[string]messages.LocaleFile, error) {
	d, err := s.draftOf(ctx, id, version, false)
	if err != nil {
		return nil, nil, err
	}
	def, err := messages.ParseDefinition(d.Definition)
	if err != nil {
		return nil, nil, fmt.Errorf("campaign %q definition: %w", id, err)
	}
	return def, files(d.Content), nil
}

// Create stores a new campaign as a draft from its definition.
func (s *Service) Create(ctx context.Context, a Actor, definition []byte) (*Campaign, error) {
	def, err := s.checkDefinition(definition)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	st := NewState(a.ID, now)
	rec := store.Campaign{ID: def.ID, Draft: store.Draft{Definition: definition, Content: map[string]store.LocaleContent{}}}
	return s.campaign(s.save(ctx, a, rec, 0, st, st, nil, ActCreate, ""))
}

// UpdateDefinition replaces the working copy's definition.
func (s *Service) UpdateDefinition(ctx context.Context, a Actor, id string, rev int64, definition []byte) (*Campaign, error) {
	def, err := s.checkDefinition(definition)
	if err != nil {
		return nil, err
	}
	if def.ID != id {
		return nil, &messages.ValidationError{Campaign: id, Problems: []error{fmt.Errorf("id %q does not match the campaign's id %q", def.ID, id)}}
	}
	return s.campaign(s.edit(ctx, a, id, rev, false, ActEditDef, "", func(d *store.Draft) error {
		d.Definition = definition
		return nil
	}))
}

// PutContent replaces one locale's file in the working copy. The file is
// validated whole against the campaign first: any problem in this locale
// rejects it, and nothing is stored.
func (s *Service) PutContent(ctx context.Context, a Actor, id string, rev int64, locale string, lc store.LocaleContent) (*Campaign, error) {
	return s.campaign(s.edit(ctx, a, id, rev, false, ActPutContent, locale, func(d *store.Draft) error {
		d.Content = maps.Clone(d.Content)
		if d.Content == nil {
			d.Content = map[string]store.LocaleContent{}
		}
		d.Content[locale] = lc
		def, err := messages.ParseDefinition(d.Definition)
		if err != nil {
			return fmt.Errorf("campaign %q definition: %w", id, err)
		}
		_, err = messages.Compile(def, 0, files(d.Content))
		var verr *messages.ValidationError
		if errors.As(err, &verr) {
			var mine []error
			for _, p := range verr.Problems {
				var ce *messages.ContentError
				if errors.As(p, &ce) && ce.Locale == locale {
					mine = append(mine, p)
				}
			}
			if len(mine) > 0 {
				return &messages.ValidationError{Campaign: id, Problems: mine}
			}
		}
		return nil
	}))
}

// DeleteContent removes one locale from the working copy.
func (s *Service) DeleteContent(ctx context.Context, a Actor, id string, rev int64, locale string) (*Campaign, error) {
	return s.campaign(s.edit(ctx, a, id, rev, false, ActDeleteContent, locale, func(d *store.Draft) error {
		if _, ok := d.Content[locale]; !ok {
			return fmt.Errorf("campaign %q has no %s content: %w", id, locale, ErrNotFound)
		}
		d.Content = maps.Clone(d.Content)
		delete(d.Content, locale)
		return nil
	}))
}

// Submit sends the working copy to review once it has no problems.
func (s *Service) Submit(ctx context.Context, a Actor, id string, rev int64) (*Campaign, error) {
	return s.campaign(s.transition(ctx, a, id, rev, false, ActSubmit, 0))
}

// Reject sends a working copy in review back to draft.
func (s *Service) Reject(ctx context.Context, a Actor, id string, rev int64) (*Campaign, error) {
	return s.campaign(s.transition(ctx, a, id, rev, false, ActReject, 0))
}

// Publish makes the working copy a new immutable version and serves it.
func (s *Service) Publish(ctx context.Context, a Actor, id string, rev int64) (*Campaign, error) {
	return s.campaign(s.transition(ctx, a, id, rev, false, ActPublish, 0))
}

// Pause is the kill switch: the campaign stops serving everywhere.
func (s *Service) Pause(ctx context.Context, a Actor, id string, rev int64) (*Campaign, error) {
	return s.campaign(s.transition(ctx, a, id, rev, false, ActPause, 0))
}

// Resume serves a paused campaign's live version again.
func (s *Service) Resume(ctx context.Context, a Actor, id string, rev int64) (*Campaign, error) {
	return s.campaign(s.transition(ctx, a, id, rev, false, ActResume, 0))
}

// Archive retires a campaign for good.
func (s *Service) Archive(ctx context.Context, a Actor, id string, rev int64) (*Campaign, error) {
	return s.campaign(s.transition(ctx, a, id, rev, false, ActArchive, 0))
}

// Rollback publishes version v's exact content again as a new version.
func (s *Service) Rollback(ctx context.Context, a Actor, id string, rev, v int64) (*Campaign, error) {
	return s.campaign(s.transition(ctx, a, id, rev, false, ActRollback, v))
}

// step returns the workflow step action (with version, for a rollback)
// as a function of the current record and state: the next state and, when
// the step publishes, the new version.
func (s *Service) step(ctx context.Context, a Actor, action string, version int64) func(store.Campaign, State) (State, *store.CampaignVersion, error) {
	publish := func(st State, id string, d store.Draft) (State, *store.CampaignVersion, error) {
		return st, &store.CampaignVersion{CampaignID: id, Version: st.LiveVersion, Draft: d, CreatedAt: s.cfg.Now(), CreatedBy: a.ID}, nil
	}
	return func(rec store.Campaign, st State) (State, *store.CampaignVersion, error) {
		var err error
		switch action {
		case ActSubmit:
			if err := s.publishable(ctx, rec.ID, rec.Draft); err != nil {
				return st, nil, err
			}
			st, err = st.Submit(a.ID)
		case ActReject:
			st, err = st.Reject()
		case ActPublish:
			if err := s.publishable(ctx, rec.ID, rec.Draft); err != nil {
				return st, nil, err
			}
			if st, err = st.Publish(a.ID, s.cfg.TwoPersonRule); err != nil {
				return st, nil, err
			}
			return publish(st, rec.ID, rec.Draft)
		case ActPause:
			st, err = st.Pause()
		case ActResume:
			st, err = st.Resume()
		case ActArchive:
			st, err = st.Archive()
		case ActRollback:
			if st, err = st.Rollback(version); err != nil {
				return st, nil, err
			}
			old, err := s.st.CampaignVersion(ctx, rec.ID, version)
			if err != nil {
				return st, nil, s.storeErr(fmt.Sprintf("%s version %d", rec.ID, version), err)
			}
			return publish(st, rec.ID, old.Draft)
		default:
			return st, nil, fmt.Errorf("unknown workflow step %q", action)
		}
		return st, nil, err
	}
}

// Import stores a shipped campaign as published version 1, unless the
// campaign exists. It reports whether it imported.
func (s *Service) Import(ctx context.Context, definition []byte, content map[string]store.LocaleContent) (bool, error) {
	def, err := messages.ParseDefinition(definition)
	if err != nil {
		return false, err
	}
	if _, err := s.st.Campaign(ctx, def.ID); !errors.Is(err, store.ErrNotFound) {
		if err != nil {
			return false, s.storeErr(fmt.Sprintf("campaign %q", def.ID), err)
		}
		return false, nil
	}
	d := store.Draft{Definition: definition, Content: content}
	now := s.cfg.Now()
	st := NewState(System.ID, now)
	st.Work, st.Live, st.LiveVersion, st.LatestVersion = WorkPublished, LiveServing, 1, 1
	v := &store.CampaignVersion{CampaignID: def.ID, Version: 1, Draft: d, CreatedAt: now, CreatedBy: System.ID}
	_, err = s.save(ctx, System, store.Campaign{ID: def.ID, Draft: d}, 0, NewState(System.ID, now), st, v, ActImport, "shipped default")
	return err == nil || errors.Is(err, ErrNotPropagated), ignoreImportRace(err)
}

// Versions returns a campaign's published versions, oldest first.
func (s *Service) Versions(ctx context.Context, id string) ([]store.CampaignVersion, error) {
	return s.versions(ctx, id, false)
}

func (s *Service) versions(ctx context.Context, id string, rules bool) ([]store.CampaignVersion, error) {
	if _, _, err := s.loadKind(ctx, id, rules); err != nil {
		return nil, err
	}
	vs, err := s.st.ListCampaignVersions(ctx, id)
	if err != nil {
		return nil, s.storeErr(fmt.Sprintf("%q versions", id), err)
	}
	return vs, nil
}

// SecurityLog is the audit filter's name for security events (sign-ins,
// token and account changes, permission denials), kept apart from the
// campaigns' logs.
const SecurityLog = "security"

// AuditFilter selects audit entries; zero fields select everything.
type AuditFilter struct {
	Campaign string
	Actor    string
	Action   string
	Since    time.Time
	Until    time.Time
	Limit    int // the most recent Limit entries; 0 for all
}

// Audit returns the audit entries f selects, oldest first.
func (s *Service) Audit(ctx context.Context, f AuditFilter) ([]store.AuditEntry, error) {
	var all []store.AuditEntry
	if f.Campaign != SecurityLog {
		var err error
		if all, err = s.st.Audit(ctx, f.Campaign); err != nil {
			return nil, fmt.Errorf("audit log: %w", err)
		}
	}
	if f.Campaign == "" || f.Campaign == SecurityLog {
		sec, err := s.st.SecurityEvents(ctx)
		if err != nil {
			return nil, fmt.Errorf("audit log: %w", err)
		}
		all = append(all, sec...)
		slices.SortStableFunc(all, func(a, b store.AuditEntry) int { return a.Time.Compare(b.Time) })
	}
	out := all[:0:0]
	for _, e := range all {
		if (f.Actor == "" || e.ActorID == f.Actor) && (f.Action == "" || e.Action == f.Action) &&
			(f.Since.IsZero() || !e.Time.Before(f.Since)) && (f.Until.IsZero() || e.Time.Before(f.Until)) {
			out = append(out, e)
		}
	}
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[len(out)-f.Limit:]
	}
	return out, nil
}

// Served returns the definition and content of every campaign the hot
// path should serve, at its live version.
func (s *Service) Served(ctx context.Context) ([]store.CampaignVersion, error) {
	return s.served(ctx, false)
}

// ServedRules returns the live version of every serving rule set.
func (s *Service) ServedRules(ctx context.Context) ([]store.CampaignVersion, error) {
	return s.served(ctx, true)
}

func (s *Service) served(ctx context.Context, rules bool) ([]store.CampaignVersion, error) {
	recs, err := s.st.ListCampaigns(ctx)
	if err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	var out []store.CampaignVersion
	for _, r := range recs {
		if IsRules(r.ID) != rules {
			continue
		}
		st, err := decodeState(r)
		if err != nil {
			return nil, err
		}
		if !st.Serving() {
			continue
		}
		v, err := s.st.CampaignVersion(ctx, r.ID, st.LiveVersion)
		if err != nil {
			return nil, fmt.Errorf("%q live version %d: %w", r.ID, st.LiveVersion, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// change is a record as saved, with its state.
type change struct {
	rec store.Campaign
	st  State
}

// campaign returns the editors' view of a saved campaign change. A change
// saved but not propagated comes with its view and ErrNotPropagated.
func (s *Service) campaign(ch *change, err error) (*Campaign, error) {
	if ch == nil {
		return nil, err
	}
	return s.view(ch.rec, ch.st), err
}

// edit applies fn to the working copy and records the edit.
func (s *Service) edit(ctx context.Context, a Actor, id string, rev int64, rules bool, action, detail string, fn func(*store.Draft) error) (*change, error) {
	rec, st, err := s.loadKind(ctx, id, rules)
	if err != nil {
		return nil, err
	}
	if err := checkRev(id, rev, rec.Rev); err != nil {
		return nil, err
	}
	next, err := st.Edit(a.ID, s.cfg.Now())
	if err != nil {
		return nil, err
	}
	if err := fn(&rec.Draft); err != nil {
		return nil, err
	}
	return s.save(ctx, a, rec, rec.Rev, st, next, nil, action, detail)
}

// transition applies a workflow step. The revision is optional (0 skips
// the check): pausing must not wait for a fresh read in an emergency.
func (s *Service) transition(ctx context.Context, a Actor, id string, rev int64, rules bool, action string, version int64) (*change, error) {
	rec, st, err := s.loadKind(ctx, id, rules)
	if err != nil {
		return nil, err
	}
	if rev != 0 {
		if err := checkRev(id, rev, rec.Rev); err != nil {
			return nil, err
		}
	}
	next, v, err := s.step(ctx, a, action, version)(rec, st)
	if err != nil {
		return nil, err
	}
	if rules {
		if err := s.checkServedRules(ctx, action, rec, st, next, v); err != nil {
			return nil, err
		}
	}
	if v != nil {
		rec.Draft = v.Draft
	}
	detail := ""
	if action == ActRollback {
		detail = fmt.Sprintf("to version %d", version)
	}
	return s.save(ctx, a, rec, rec.Rev, st, next, v, action, detail)
}

// save writes rec with state next, version v and the audit entry in one
// atomic store call, then tells every instance if what is served changed.
func (s *Service) save(ctx context.Context, a Actor, rec store.Campaign, expect int64, prev, next State, v *store.CampaignVersion, action, detail string) (*change, error) {
	state, err := json.Marshal(next)
	if err != nil {
		return nil, fmt.Errorf("encode state: %w", err)
	}
	rec.State = state
	entry := store.AuditEntry{
		Time: s.cfg.Now(), Campaign: rec.ID, Action: action, ActorID: a.ID, ActorName: a.Name, Detail: detail,
		RevBefore: expect, RevAfter: expect + 1, LiveBefore: servedVersion(prev, expect), LiveAfter: servedVersion(next, expect+1),
	}
	newRev, err := s.st.SaveCampaign(ctx, store.Save{Campaign: rec, ExpectRev: expect, Version: v, Audit: entry})
	if err != nil {
		return nil, s.storeErr(fmt.Sprintf("save %q", rec.ID), err)
	}
	rec.Rev = newRev
	if s.cfg.Saved != nil {
		s.cfg.Saved(ctx, entry)
	}
	ch := &change{rec: rec, st: next}
	if servedVersion(prev, expect) != servedVersion(next, expect+1) {
		if err := s.cfg.Changed(ctx); err != nil {
			return ch, fmt.Errorf("%w: %w", ErrNotPropagated, err)
		}
	}
	return ch, nil
}

// servedVersion is the version the hot path serves in state st (0 for
// none); rev 0 means the campaign did not exist yet.
func servedVersion(st State, rev int64) int64 {
	if rev == 0 || !st.Serving() {
		return 0
	}
	return st.LiveVersion
}

// loadKind reads record id, which must be a rule set's when rules is set
// and a campaign's otherwise: campaign routes cannot reach rule sets.
func (s *Service) loadKind(ctx context.Context, id string, rules bool) (store.Campaign, State, error) {
	if IsRules(id) != rules {
		return store.Campaign{}, State{}, fmt.Errorf("%q: %w", id, ErrNotFound)
	}
	rec, err := s.st.Campaign(ctx, id)
	if err != nil {
		return rec, State{}, s.storeErr(fmt.Sprintf("campaign %q", id), err)
	}
	st, err := decodeState(rec)
	return rec, st, err
}

func decodeState(rec store.Campaign) (State, error) {
	var st State
	if err := json.Unmarshal(rec.State, &st); err != nil {
		return st, fmt.Errorf("campaign %q: decode state: %w", rec.ID, err)
	}
	return st, nil
}

func (s *Service) storeErr(what string, err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	case errors.Is(err, store.ErrConflict):
		return fmt.Errorf("%s: %w", what, ErrConflict)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func checkRev(id string, want, have int64) error {
	if want != have {
		return fmt.Errorf("campaign %q is at revision %d, not %d: %w", id, have, want, ErrConflict)
	}
	return nil
}

// checkDefinition parses a definition strictly and checks what an editor
// saving it must fix now, including stale helpline verifications.
func (s *Service) checkDefinition(definition []byte) (*messages.Definition, error) {
	def, err := messages.ParseDefinition(definition)
	if err != nil {
		return nil, err
	}
	if err := def.CheckFreshness(s.cfg.Now()); err != nil {
		return nil, err
	}
	return def, nil
}

// publishable reports the problems that keep a working copy from review
// and publication: the definition's, stale helplines, and the content's.
func (s *Service) publishable(ctx context.Context, id string, d store.Draft) error {
	if IsRules(id) {
		return s.checkRules(ctx, strings.TrimPrefix(id, RulesPrefix), d)
	}
	def, err := s.checkDefinition(d.Definition)
	if err != nil {
		return err
	}
	_, err = messages.Compile(def, 0, files(d.Content))
	return err
}

// view builds what editors see of rec in state st.
func (s *Service) view(rec store.Campaign, st State) *Campaign {
	c := &Campaign{ID: rec.ID, Rev: rec.Rev, Status: st.Status(), State: st, Definition: rec.Draft.Definition,
		Locales: []LocaleInfo{}, Problems: []messages.Problem{}}
	for _, loc := range slices.Sorted(maps.Keys(rec.Draft.Content)) {
		lc := rec.Draft.Content[loc]
		c.Locales = append(c.Locales, LocaleInfo{Locale: loc, Format: lc.Format, Bytes: len(lc.Data)})
	}
	if err := s.publishable(context.Background(), rec.ID, rec.Draft); err != nil {
		var verr *messages.ValidationError
		if errors.As(err, &verr) {
			c.Problems = verr.List()
		} else {
			c.Problems = []messages.Problem{{Message: err.Error()}}
		}
	}
	sort.SliceStable(c.Problems, func(i, j int) bool { return c.Problems[i].Locale < c.Problems[j].Locale })
	return c
}

// files converts stored content to what messages.Compile takes, naming
// each file after its locale and format for error messages.
func files(content map[string]store.LocaleContent) map[string]messages.LocaleFile {
	out := make(map[string]messages.LocaleFile, len(content))
	for loc, lc := range content {
		out[loc] = messages.LocaleFile{Format: lc.Format, Data: lc.Data, Name: loc + "." + lc.Format}
	}
	return out
}
