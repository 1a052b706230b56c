package handlers

import (
	"context"
	"errors"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"signpost/auth"
	"signpost/editing"
	"signpost/match"
	"signpost/messages"
	"signpost/web"
)

// registerRulePages adds the rule pages of the web UI: the list of rule
// sets, one page per set (its two files, its lifecycle, its versions and
// a box to try texts against its working copy), and the forms those
// pages post. Reviewer-only steps are guarded as in the API.
func (s *Server) registerRulePages(app *fiber.App) {
	pg := s.page(auth.RoleEditor, auth.RoleReviewer)
	reviewer := s.allow(auth.RoleReviewer)
	app.Get("/ui/rules", pg, s.rulesListPage)
	// Before the rule set routes, so that "paused" is never read as a
	// rule set's name.
	app.Post("/ui/rules/paused/:rule", pg, s.confirmPausedPage)
	app.Get("/ui/rules/:name", pg, s.ruleSetPage)
	app.Post("/ui/rules/:name/file", pg, s.saveRulePage(editing.RuleFileKey))
	app.Post("/ui/rules/:name/samples", pg, s.saveRulePage(editing.SamplesKey))
	app.Post("/ui/rules/:name/try", pg, s.tryRulesPage)
	app.Post("/ui/rules/:name/submit", pg, s.rulesStepPage(editing.ActSubmit))
	app.Post("/ui/rules/:name/pause", pg, s.rulesStepPage(editing.ActPause))
	app.Post("/ui/rules/:name/reject", pg, reviewer, s.rulesStepPage(editing.ActReject))
	app.Post("/ui/rules/:name/publish", pg, reviewer, s.rulesStepPage(editing.ActPublish))
	app.Post("/ui/rules/:name/resume", pg, reviewer, s.rulesStepPage(editing.ActResume))
	app.Post("/ui/rules/:name/archive", pg, reviewer, s.rulesStepPage(editing.ActArchive))
	app.Post("/ui/rules/:name/rollback", pg, reviewer, s.rulesStepPage(editing.ActRollback))
}

// ruleSetRow is one rule set in the list.
type ruleSetRow struct {
	Name, Status string
	LiveVersion  int64
	Serving      bool
	// Rules is the number of rules in the working copy (-1 when its file
	// does not parse); EditedAt and EditedBy its last change.
	Rules    int
	EditedAt time.Time
	EditedBy string
}

// rulesPage is the content of the rule pages (rules.html): the list
// (Sets; or, when FromFiles, the explanation), or one rule set (Set);
// Try is the "try a text" box; its result alone is the htmx fragment
// (block rules-try-result of rules.html).
type rulesPage struct {
	FromFiles bool
	Sets      []ruleSetRow
	// Paused are the rules the flood guard paused, with the feedback
	// platforms sent about them, for the editor's verdict.
	Paused []PausedRuleView
	Set    *ruleSetData
	Try    *tryData
}

// ruleFileBox is one of a rule set's files in its edit form.
type ruleFileBox struct {
	Key, Text string
	Rev       int64
	Problems  []messages.Problem
	// Stale is set when the save was refused because someone else changed
	// the set meanwhile: Text is still what this editor typed, and
	// Current what is stored now.
	Stale   bool
	Current string
}

// ruleVersionRow is one published version.
type ruleVersionRow struct {
	Version   int64
	CreatedAt time.Time
	CreatedBy string
	Live      bool
}

// tryData is the "try a text" box and its result.
type tryData struct {
	Action string // where the box posts
	Text   string
	Kind   string
	Done   bool // a text was tried: Result holds the answer
	Result match.Explanation
	// Marked is Text with the matched spans in <mark> (escaped HTML).
	Marked template.HTML
	// Problem is a message id when the text could not be tried.
	Problem string
}

// ruleSetData is a rule set page's content.
type ruleSetData struct {
	Set           *editing.RuleSet
	File, Samples ruleFileBox
	Versions      []ruleVersionRow
	EditedBy      string
	EditedByMe    bool
	SubmittedBy   string
	CanSubmit     bool
	CanReject     bool
	CanPublish    bool
	CanPause      bool
	CanResume     bool
	CanArchive    bool
	CanRollback   bool
	Archived      bool
	// Activity is the last week's matches and feedback per rule; nil
	// when none of the set's rules is being served.
	Activity *RuleActivity
	// Boxes are File and Samples, in the order the page shows them.
	Boxes []*ruleFileBox
}

// ruleStepFlash are the confirmations after each step (message ids).
var ruleStepFlash = map[string]string{
	"file":              "rules.saved.file",
	"samples":           "rules.saved.samples",
	editing.ActSubmit:   "rules.done.submit",
	editing.ActReject:   "rules.done.reject",
	editing.ActPublish:  "rules.done.publish",
	editing.ActPause:    "rules.done.pause",
	editing.ActResume:   "rules.done.resume",
	editing.ActArchive:  "rules.done.archive",
	editing.ActRollback: "rules.done.rollback",
}

func (s *Server) rulesListPage(c *fiber.Ctx) error {
	p := s.newPage(c, "rules.title", "rules")
	d := &rulesPage{FromFiles: s.RulesFromFiles}
	p.Data = d
	if err := s.loadPausedForPage(c.UserContext(), d); err != nil {
		return err
	}
	if s.RulesFromFiles {
		d.Try = &tryData{Action: "/ui/rules/" + liveRulesName + "/try", Kind: "search"}
		return s.render(c, fiber.StatusOK, "rules", p)
	}
	ctx := c.UserContext()
	list, err := s.Rules.ListRules(ctx)
	if err != nil {
		return err
	}
	names := s.actorNames(ctx)
	for _, sum := range list {
		row := ruleSetRow{Name: sum.Name, Status: sum.Status, LiveVersion: sum.LiveVersion, Serving: sum.Serving, Rules: -1}
		if rs, err := s.Rules.GetRules(ctx, sum.Name); err == nil {
			if len(rs.Problems) == 0 {
				row.Rules = rs.Rules
			}
			row.EditedAt, row.EditedBy = rs.State.EditedAt.UTC(), names.of(rs.State.EditedBy)
		}
		d.Sets = append(d.Sets, row)
	}
	return s.render(c, fiber.StatusOK, "rules", p)
}

// liveRulesName stands for "the rules being served" in the try route of
// a file-managed deployment, where the store's rule sets are not used.
// It is a valid rule set name that no language has.
const liveRulesName = "zxx"

func (s *Server) ruleSetPage(c *fiber.Ctx) error {
	if s.RulesFromFiles {
		return s.rulesListPage(c)
	}
	name, err := ruleSetName(c)
	if err != nil {
		return err
	}
	p := s.newPage(c, "", "rules")
	d, err := s.ruleSetData(c, name)
	if err != nil {
		return err
	}
	if msg, ok := ruleStepFlash[c.Query("done")]; ok {
		p.Flash = p.T(msg)
	}
	return s.renderRuleSet(c, fiber.StatusOK, p, d, nil)
}

// renderRuleSet shows rule set page d with status, and the try box with
// t (an empty box when nil).
func (s *Server) renderRuleSet(c *fiber.Ctx, status int, p *web.Page, d *ruleSetData, t *tryData) error {
	if t == nil {
		t = &tryData{Action: "/ui/rules/" + d.Set.Name + "/try", Kind: "search"}
	}
	d.Boxes = []*ruleFileBox{&d.File, &d.Samples}
	p.Title = p.T("rules.set.title", "Name", d.Set.Name)
	p.Data = &rulesPage{Set: d, Try: t}
	return s.render(c, status, "rules", p)
}

// ruleSetData loads what a rule set page shows, for the signed-in role.
func (s *Server) ruleSetData(c *fiber.Ctx, name string) (*ruleSetData, error) {
	ctx := c.UserContext()
	rs, err := s.Rules.GetRules(ctx, name)
	if err != nil {
		return nil, err
	}
	file, err := s.Rules.RuleFile(ctx, name, 0, editing.RuleFileKey)
	if err != nil && !errors.Is(err, editing.ErrNotFound) {
		return nil, err
	}
	samples, err := s.Rules.RuleFile(ctx, name, 0, editing.SamplesKey)
	if err != nil && !errors.Is(err, editing.ErrNotFound) {
		return nil, err
	}
	vs, err := s.Rules.RuleVersions(ctx, name)
	if err != nil {
		return nil, err
	}
	names := s.actorNames(ctx)
	st := rs.State
	me := principal(c).TokenID
	d := &ruleSetData{
		Set:         rs,
		File:        ruleFileBox{Key: "file", Text: string(file), Rev: rs.Rev, Problems: rs.Problems},
		Samples:     ruleFileBox{Key: "samples", Text: string(samples), Rev: rs.Rev},
		EditedBy:    names.of(st.EditedBy),
		EditedByMe:  st.EditedBy == me,
		SubmittedBy: names.of(st.SubmittedBy),
		Archived:    st.Live == editing.LiveArchived,
	}
	// The buttons mirror the state machine (editing/state.go): only the
	// steps this state allows are offered; the role is checked by the
	// template (.Can) and again by the route.
	d.CanSubmit = !d.Archived && st.Work == editing.WorkDraft
	d.CanReject = st.Work == editing.WorkInReview
	d.CanPublish = !d.Archived && st.Work == editing.WorkInReview
	d.CanPause = st.Live == editing.LiveServing
	d.CanResume = st.Live == editing.LivePaused
	d.CanArchive = !d.Archived
	d.CanRollback = !d.Archived
	if s.Feedback != nil {
		// A set none of whose rules is served has no activity to show.
		if a, err := s.ruleActivity(ctx, name, defaultActivityDays); err == nil {
			d.Activity = a
		}
	}
	for i := len(vs) - 1; i >= 0; i-- {
		v := vs[i]
		d.Versions = append(d.Versions, ruleVersionRow{Version: v.Version, CreatedAt: v.CreatedAt.UTC(), CreatedBy: names.of(v.CreatedBy),
			Live: v.Version == st.LiveVersion && st.Live != editing.LiveNone})
	}
	return d, nil
}

// loadPausedForPage lists the paused rules with their feedback on the
// rules page, naming who kept each paused.
func (s *Server) loadPausedForPage(ctx context.Context, d *rulesPage) error {
	if s.Flood == nil {
		return nil
	}
	list, err := s.pausedRules(ctx)
	if err != nil {
		return err
	}
	if len(list) > 0 {
		names := s.actorNames(ctx)
		for i := range list {
			list[i].KeptBy = names.of(list[i].KeptBy)
		}
	}
	d.Paused = list
	return nil
}

// ruleForm returns the rule set and the revision a page's form changes,
// refusing when rules are managed as files.
func (s *Server) ruleForm(c *fiber.Ctx) (string, int64, error) {
	if s.RulesFromFiles {
		return "", 0, errRulesFromFiles
	}
	name, err := ruleSetName(c)
	if err != nil {
		return "", 0, err
	}
	rev, err := strconv.ParseInt(c.FormValue("rev"), 10, 64)
	if err != nil || rev < 1 {
		return "", 0, errorf(fiber.StatusBadRequest, "invalid_rev", "the form's revision is missing")
	}
	return name, rev, nil
}

// saveRulePage saves the rule file or the samples from the page's form.
// A refused save shows the page again with what was typed and the
// problems, so nothing is lost; a stale one (someone else saved
// meanwhile) also shows what is stored now.
func (s *Server) saveRulePage(key string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		name, rev, err := s.ruleForm(c)
		if err != nil {
			return err
		}
		// Browsers send a textarea's line breaks as CRLF.
		text := strings.ReplaceAll(c.FormValue("text"), "\r\n", "\n")
		_, saveErr := s.Rules.PutRuleFile(c.UserContext(), actor(c), name, rev, key, []byte(text))
		if saveErr == nil || errors.Is(saveErr, editing.ErrNotPropagated) {
			done := "file"
			if key == editing.SamplesKey {
				done = "samples"
			}
			return c.Redirect("/ui/rules/"+name+"?done="+done+"#"+done, fiber.StatusSeeOther)
		}
		var ve *messages.ValidationError
		stale := errors.Is(saveErr, editing.ErrConflict)
		if !stale && !errors.As(saveErr, &ve) {
			return saveErr
		}
		p := s.newPage(c, "", "rules")
		d, err := s.ruleSetData(c, name)
		if err != nil {
			return err
		}
		box := &d.File
		if key == editing.SamplesKey {
			box = &d.Samples
		}
		current := box.Text
		box.Text, box.Rev = text, rev
		status := fiber.StatusUnprocessableEntity
		if stale {
			box.Stale, box.Current, box.Problems = true, current, nil
			p.Error = p.T("rules.stale")
			status = fiber.StatusConflict
		} else {
			box.Problems = ve.List()
			p.Error = p.T("rules.refused", "Count", len(box.Problems))
		}
		return s.renderRuleSet(c, status, p, d, nil)
	}
}

// confirmPausedPage records an editor's verdict on a rule the flood guard
// paused (the page's "Resume" and "Keep paused" buttons), as
// POST /v1/rules/paused/{rule}/confirm does, and shows the list again.
func (s *Server) confirmPausedPage(c *fiber.Ctx) error {
	rule := c.Params("rule")
	if rule == "" || len(rule) > maxRuleID {
		return errorf(fiber.StatusNotFound, "not_found", "no such paused rule")
	}
	action := c.FormValue("action")
	if action != ResumeRule && action != KeepPaused {
		return errorf(fiber.StatusBadRequest, "invalid_action", `"action" must be "resume" or "keep_paused"`)
	}
	if _, err := s.confirmPaused(c.UserContext(), actor(c), strings.Clone(rule), action); err != nil {
		return err
	}
	return c.Redirect("/ui/rules?done="+action+"#paused", fiber.StatusSeeOther)
}

// rulesStepPage applies one lifecycle step from the page's buttons, then
// shows the page again (post/redirect/get), or the page with what went
// wrong.
func (s *Server) rulesStepPage(action string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		name, rev, err := s.ruleForm(c)
		if err != nil {
			return err
		}
		var version int64
		if action == editing.ActRollback {
			if version, err = strconv.ParseInt(c.FormValue("version"), 10, 64); err != nil || version < 1 {
				return errorf(fiber.StatusBadRequest, "invalid_version", "version must be a published version number")
			}
		}
		_, stepErr := s.Rules.RulesStep(c.UserContext(), actor(c), name, rev, action, version)
		if stepErr == nil || errors.Is(stepErr, editing.ErrNotPropagated) {
			return c.Redirect("/ui/rules/"+name+"?done="+action, fiber.StatusSeeOther)
		}
		var ve *messages.ValidationError
		var msg string
		switch {
		case errors.Is(stepErr, editing.ErrConflict):
			msg = "rules.stale.step"
		case errors.Is(stepErr, editing.ErrTwoPerson):
			msg = "rules.twoperson.refused"
		case errors.Is(stepErr, editing.ErrState):
			msg = "rules.state.refused"
		case errors.As(stepErr, &ve):
			msg = "rules.step.invalid"
		default:
			return stepErr
		}
		status, _ := describe(stepErr)
		if errors.Is(stepErr, editing.ErrConflict) {
			status = fiber.StatusConflict
		}
		p := s.newPage(c, "", "rules")
		d, err := s.ruleSetData(c, name)
		if err != nil {
			return err
		}
		p.Error = p.T(msg)
		if ve != nil {
			// A publish, resume or rollback tests the rules again: show
			// what failed beside the rule file.
			d.File.Problems = ve.List()
		}
		return s.renderRuleSet(c, status, p, d, nil)
	}
}

// tryRulesPage explains a text against the rule set's working copy (or,
// on a file-managed deployment, the rules being served). An htmx request
// gets the result alone (block rules-try-result); a plain form post the whole page
// with the result under the box. The text is the editor's own test
// input: it is shown back to them, never stored or logged.
func (s *Server) tryRulesPage(c *fiber.Ctx) error {
	name, err := ruleSetName(c)
	if err != nil {
		return err
	}
	t := tryData{Action: "/ui/rules/" + name + "/try", Text: strings.ReplaceAll(c.FormValue("text"), "\r\n", "\n"), Kind: c.FormValue("kind")}
	if t.Kind != "view" {
		t.Kind = "search"
	}
	kind, _ := match.ParseKind(t.Kind)
	switch {
	case strings.TrimSpace(t.Text) == "":
	case len(t.Text) > MaxViewText:
		t.Problem = "rules.try.toolarge"
	default:
		q := match.Query{Text: t.Text, Kind: kind}
		if s.RulesFromFiles {
			cat := s.Catalog.Load()
			if cat == nil {
				return errorf(fiber.StatusServiceUnavailable, "not_ready", "the service is starting")
			}
			t.Result, t.Done = cat.Matcher.Explain(q), true
		} else {
			res, err := s.Rules.TryRules(c.UserContext(), name, []match.Query{q})
			var ve *messages.ValidationError
			switch {
			case errors.As(err, &ve):
				t.Problem = "rules.try.broken"
			case err != nil:
				return err
			case len(res) == 1:
				t.Result, t.Done = res[0], true
			}
		}
	}
	if t.Done {
		var spans []match.Span
		for _, m := range t.Result.Matches {
			spans = append(spans, m.Spans...)
		}
		t.Marked = highlightSpans(t.Text, spans)
	}
	p := s.newPage(c, "rules.try.title", "rules")
	if c.Get("HX-Request") == "true" {
		p.Data = &rulesPage{Try: &t}
		return s.renderPart(c, "rules", "rules-try-result", p)
	}
	if s.RulesFromFiles {
		p.Title = p.T("rules.title")
		p.Data = &rulesPage{FromFiles: true, Try: &t}
		return s.render(c, fiber.StatusOK, "rules", p)
	}
	d, err := s.ruleSetData(c, name)
	if err != nil {
		return err
	}
	return s.renderRuleSet(c, fiber.StatusOK, p, d, &t)
}

// highlightSpans returns text as escaped HTML with each matched span in
// a <mark>. Spans are byte ranges of text; overlapping ones are merged
// into one mark, adjacent ones stay separate marks, and a span that is
// out of range, empty or not on a UTF-8 character boundary is ignored.
// Every piece of text goes through template.HTMLEscapeString, so the
// result is safe whatever the editor typed: the only markup in it is
// the <mark> tags added here.
func highlightSpans(text string, spans []match.Span) template.HTML {
	type iv struct{ s, e int }
	var ivs []iv
	for _, sp := range spans {
		if sp.Start < 0 || sp.End > len(text) || sp.Start >= sp.End {
			continue
		}
		if !boundary(text, sp.Start) || !boundary(text, sp.End) {
			continue
		}
		ivs = append(ivs, iv{sp.Start, sp.End})
	}
	slices.SortFunc(ivs, func(a, b iv) int {
		if a.s != b.s {
			return a.s - b.s
		}
		return a.e - b.e
	})
	var merged []iv
	for _, v := range ivs {
		if n := len(merged); n > 0 && v.s < merged[n-1].e {
			merged[n-1].e = max(merged[n-1].e, v.e)
			continue
		}
		merged = append(merged, v)
	}
	var b strings.Builder
	at := 0
	for _, v := range merged {
		b.WriteString(escapeText(text[at:v.s]))
		b.WriteString("<mark>")
		b.WriteString(escapeText(text[v.s:v.e]))
		b.WriteString("</mark>")
		at = v.e
	}
	b.WriteString(escapeText(text[at:]))
	return template.HTML(b.String()) // every piece escaped above
}

// boundary reports whether byte offset i of text starts a character (or
// is its end).
func boundary(text string, i int) bool {
	return i == len(text) || utf8.RuneStart(text[i])
}

// escapeText escapes a piece of typed text for HTML, replacing invalid
// UTF-8 so the page stays well-formed.
func escapeText(s string) string {
	return template.HTMLEscapeString(strings.ToValidUTF8(s, "\uFFFD"))
}

// actorNamer names the actors of the workflow (user:<id>, token ids,
// "system") for people; it falls back to the id.
type actorNamer map[string]string

func (n actorNamer) of(id string) string {
	if id == "" {
		return ""
	}
	if name, ok := n[id]; ok {
		return name
	}
	return id
}

// actorNames maps actor ids to names: people by their user id, tokens by
// their id, and signpost's own imports.
func (s *Server) actorNames(ctx context.Context) actorNamer {
	n := actorNamer{editing.System.ID: editing.System.Name}
	if s.Tokens != nil {
		for _, t := range s.Tokens.List() {
			n[t.ID] = t.Name
		}
	}
	if s.Users != nil {
		if us, err := s.Users.ListUsers(ctx); err == nil {
			for _, u := range us {
				n["user:"+u.ID] = u.Name
			}
		}
	}
	return n
}
