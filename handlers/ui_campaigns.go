package handlers

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"path"
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
	"signpost/store"
	"signpost/web"
)

// registerCampaignPages adds the campaign pages of the web UI: the list,
// the structured editor, content upload, side-by-side previews, the
// review workflow and the version history. They drive the same
// CampaignEditor as the JSON API, with the same revision checks.
func (s *Server) registerCampaignPages(app *fiber.App) {
	pg := s.page(auth.RoleEditor, auth.RoleReviewer)
	app.Get("/ui/campaigns", pg, s.campaignsPage)
	app.Post("/ui/campaigns", pg, s.createCampaignPage)
	app.Get("/ui/campaigns/:id", pg, s.campaignPage)
	app.Post("/ui/campaigns/:id", pg, s.saveCampaignPage)
	app.Post("/ui/campaigns/:id/workflow", pg, s.campaignWorkflowPage)
	app.Get("/ui/campaigns/:id/content", pg, s.campaignContentPage)
	app.Post("/ui/campaigns/:id/content", pg, s.postCampaignContentPage)
	app.Get("/ui/campaigns/:id/preview", pg, s.campaignPreviewPage)
	app.Get("/ui/campaigns/:id/versions", pg, s.campaignVersionsPage)
}

// ---- the list ----

type campListRow struct {
	ID, Name, Status string
	LiveVersion      int64
	Serving          bool
	LastBy, LastAt   string
	LastAction       string
}

type campNewForm struct {
	ID, Name, Locale, URL string
}

type campListData struct {
	Rows     []campListRow
	New      campNewForm
	Problems []messages.Problem
}

func (s *Server) campaignsPage(c *fiber.Ctx) error {
	return s.renderCampList(c, fiber.StatusOK, campNewForm{Locale: "en"}, nil, "")
}

func (s *Server) renderCampList(c *fiber.Ctx, status int, form campNewForm, problems []messages.Problem, errMsg string) error {
	ctx := c.UserContext()
	list, err := s.Campaigns.List(ctx)
	if err != nil {
		return err
	}
	d := &campListData{New: form, Problems: problems}
	for _, sum := range list {
		row := campListRow{ID: sum.ID, Status: sum.Status, LiveVersion: sum.LiveVersion, Serving: sum.Serving}
		if def, _, err := s.Campaigns.Definition(ctx, sum.ID, 0); err == nil {
			row.Name = def.Name
		}
		if entries, err := s.Campaigns.Audit(ctx, editing.AuditFilter{Campaign: sum.ID, Limit: 1}); err == nil && len(entries) > 0 {
			e := entries[len(entries)-1]
			row.LastBy, row.LastAt, row.LastAction = cmp.Or(e.ActorName, e.ActorID), campTime(e.Time), e.Action
		}
		d.Rows = append(d.Rows, row)
	}
	p := s.newPage(c, "campaigns.title", "campaigns")
	p.Error = errMsg
	p.Data = d
	return s.render(c, status, "campaigns", p)
}

// createCampaignPage creates a draft from the id, name, default locale
// and first link the list's form asks for: the smallest definition that
// is valid, to be completed in the editor.
func (s *Server) createCampaignPage(c *fiber.Ctx) error {
	f := campNewForm{
		ID:     strings.TrimSpace(c.FormValue("id")),
		Name:   strings.TrimSpace(c.FormValue("name")),
		Locale: strings.TrimSpace(c.FormValue("default_locale")),
		URL:    strings.TrimSpace(c.FormValue("url")),
	}
	f.ID, f.Name, f.Locale, f.URL = strings.Clone(f.ID), strings.Clone(f.Name), strings.Clone(f.Locale), strings.Clone(f.URL)
	host := ""
	if u, err := url.Parse(f.URL); err == nil {
		host = strings.ToLower(u.Hostname())
	}
	def := messages.Definition{
		ID: f.ID, Name: f.Name, DefaultLocale: f.Locale,
		Experiment:   messages.ExperimentConfig{Coverage: 1, Variants: []messages.Variant{{Key: "a", Weight: 1}}},
		Actions:      []messages.Action{{ID: "help", URL: f.URL}},
		AllowedHosts: []string{host},
	}
	data, err := json.MarshalIndent(def, "", "  ")
	if err != nil {
		return err
	}
	camp, err := s.Campaigns.Create(c.UserContext(), actor(c), data)
	if camp != nil && errors.Is(err, editing.ErrNotPropagated) {
		err = nil
	}
	var ve *messages.ValidationError
	switch {
	case err == nil:
		return c.Redirect("/ui/campaigns/"+url.PathEscape(camp.ID)+"?done=create", fiber.StatusSeeOther)
	case errors.As(err, &ve):
		p := s.newPage(c, "", "")
		return s.renderCampList(c, fiber.StatusUnprocessableEntity, f, ve.List(), p.T("campaigns.err.invalid"))
	case errors.Is(err, editing.ErrConflict):
		p := s.newPage(c, "", "")
		return s.renderCampList(c, fiber.StatusConflict, f, nil, p.T("campaigns.err.exists"))
	}
	return err
}

// ---- what every campaign page shows ----

// campHead is the top of every page of one campaign: its state and
// what the signed-in person may do with it.
type campHead struct {
	ID, Name, Status string
	Tab              string
	Rev              int64
	State            editing.State
	Locales          []editing.LocaleInfo
	Problems         []messages.Problem
	EditedBy         string
	EditedAt         string
	// MadeLastChange: the signed-in person last changed the working copy,
	// so the two-person rule (when on) keeps them from publishing it.
	MadeLastChange bool
	Archived       bool
	// Steps are the workflow buttons the state and the role allow.
	Steps []string
}

// campReviewerSteps need the reviewer role, as on the API.
var campReviewerSteps = []string{"reject", "publish", "resume", "archive", "rollback"}

func (s *Server) campHead(c *fiber.Ctx, camp *editing.Campaign, tab string) campHead {
	h := campHead{ID: camp.ID, Status: camp.Status, Tab: tab, Rev: camp.Rev, State: camp.State, Locales: camp.Locales,
		Problems: camp.Problems, EditedAt: campTime(camp.State.EditedAt), Archived: camp.State.Live == editing.LiveArchived}
	var def struct{ Name string }
	_ = json.Unmarshal(camp.Definition, &def)
	h.Name = def.Name
	h.EditedBy = camp.State.EditedBy
	if names := s.campActorNames(c.UserContext(), camp.ID); names[h.EditedBy] != "" {
		h.EditedBy = names[h.EditedBy]
	}
	me := principal(c)
	h.MadeLastChange = s.TwoPersonRule && camp.State.EditedBy == me.TokenID
	reviewer := me.Role == auth.RoleReviewer || me.Role == auth.RoleAdmin
	st := camp.State
	if !h.Archived && st.Work == editing.WorkDraft {
		h.Steps = append(h.Steps, "submit")
	}
	if reviewer && !h.Archived && st.Work == editing.WorkInReview && !h.MadeLastChange {
		h.Steps = append(h.Steps, "publish")
	}
	if reviewer && st.Work == editing.WorkInReview {
		h.Steps = append(h.Steps, "reject")
	}
	if st.Live == editing.LiveServing {
		h.Steps = append(h.Steps, "pause")
	}
	if reviewer && st.Live == editing.LivePaused {
		h.Steps = append(h.Steps, "resume")
	}
	if reviewer && !h.Archived {
		h.Steps = append(h.Steps, "archive")
	}
	return h
}

// ShowTwoPerson reports whether to explain why publish is missing.
func (h campHead) ShowTwoPerson() bool {
	return h.MadeLastChange && h.State.Work == editing.WorkInReview && !h.Archived
}

// campActorNames maps the actor ids in a campaign's audit log to their names.
func (s *Server) campActorNames(ctx context.Context, id string) map[string]string {
	out := map[string]string{}
	entries, err := s.Campaigns.Audit(ctx, editing.AuditFilter{Campaign: id})
	if err != nil {
		return out
	}
	for _, e := range entries {
		if e.ActorName != "" {
			out[e.ActorID] = e.ActorName
		}
	}
	return out
}

func campTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// campFlash translates a ?done= step into its confirmation.
func campFlash(c *fiber.Ctx, p *web.Page) {
	done := c.Query("done")
	switch done {
	case "create", "save", "upload", "delete", "submit", "reject", "publish", "pause", "resume", "archive", "rollback":
		p.Flash = p.T("campaigns.done." + done)
	}
}

// ---- the editor ----

// campDefForm is a definition as the structured form holds it: text, so that
// what someone typed comes back unchanged when it cannot be saved.
type campDefForm struct {
	ID, Name, Description, DefaultLocale, Priority, FreshnessDays string
	Fallbacks                                                     string
	Categories, Kinds                                             []string
	Platforms, Countries, Locales                                 string
	Start, End                                                    string
	Rollout                                                       []campRolloutRow
	Seed, Coverage                                                string
	Variants                                                      []campVariantRow
	Actions                                                       []campActionRow
	AllowedHosts                                                  string
}

type campRolloutRow struct{ Platform, Percent string }
type campVariantRow struct{ Key, Weight string }
type campActionRow struct{ ID, URL, Kind, VerifiedAt string }

// Has reports whether list holds v, for checkboxes.
func (f *campDefForm) Has(list []string, v string) bool { return slices.Contains(list, v) }

// LabelKeys are the message ids of an action's label, one per variant.
func (f *campDefForm) LabelKeys(action string) []string {
	var out []string
	for _, v := range f.Variants {
		if v.Key != "" && action != "" {
			out = append(out, v.Key+".action."+action+".label")
		}
	}
	return out
}

type campEditorData struct {
	campHead
	Form       *campDefForm
	Categories []string
	Kinds      []string
	// JSON is the advanced editor's text; Mode says which form was sent.
	JSON string
	Mode string
	// SaveProblems are the problems of the last save, by form key.
	SaveProblems []messages.Problem
	byKey        map[string][]string
	// Stale: the campaign changed since the form was opened; StaleDiff
	// shows the stored definition against what was sent.
	Stale     bool
	StaleDiff []editing.DiffOp
}

// Err returns the save problems that concern form key.
func (d *campEditorData) Err(key string) []string { return d.byKey[key] }

func (s *Server) campaignPage(c *fiber.Ctx) error {
	camp, err := s.Campaigns.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	p := s.newPage(c, "campaigns.editor.title", "campaigns")
	campFlash(c, p)
	return s.renderCampEditor(c, fiber.StatusOK, p, camp, nil, "", "", nil)
}

// renderCampEditor shows the editor of camp; form and jsonText, when set,
// are what the person sent (kept when it could not be saved).
func (s *Server) renderCampEditor(c *fiber.Ctx, status int, p *web.Page, camp *editing.Campaign, form *campDefForm, jsonText, mode string, problems []messages.Problem) error {
	if jsonText == "" {
		jsonText = campIndentJSON(camp.Definition)
	}
	d := s.campEditorDataFor(c, camp, form, jsonText, mode)
	d.SaveProblems = problems
	for _, pr := range problems {
		if mode == "json" {
			continue
		}
		k := campFormKey(pr.Field)
		d.byKey[k] = append(d.byKey[k], pr.Message)
	}
	if p.Title == "" {
		p.Title = p.T("campaigns.editor.title")
	}
	p.Data = d
	return s.render(c, status, "campaign", p)
}

// campFormKey maps a definition problem's field to the form control it
// concerns: rows keep their index, lists and maps are one control each.
func campFormKey(field string) string {
	switch {
	case strings.HasPrefix(field, "actions["), strings.HasPrefix(field, "experiment.variants["):
		if strings.HasPrefix(field, "experiment.variants[") && !strings.Contains(field, "].") {
			return "experiment"
		}
		return field
	case strings.HasPrefix(field, "rollout"):
		return "rollout"
	case strings.HasPrefix(field, "fallbacks"):
		return "fallbacks"
	case strings.HasPrefix(field, "experiment"):
		return "experiment"
	}
	if i := strings.IndexByte(field, '['); i >= 0 {
		return field[:i]
	}
	return field
}

func campToForm(d *messages.Definition) *campDefForm {
	f := &campDefForm{ID: d.ID, Name: d.Name, Description: d.Description, DefaultLocale: d.DefaultLocale,
		Priority: strconv.Itoa(d.Priority), Categories: d.Targeting.Categories, Kinds: d.Targeting.Kinds,
		Platforms: strings.Join(d.Targeting.Platforms, ", "), Countries: strings.Join(d.Targeting.Countries, ", "),
		Locales: strings.Join(d.Targeting.Locales, ", "), Seed: d.Experiment.Seed,
		Coverage: campFloat(d.Experiment.Coverage), AllowedHosts: strings.Join(d.AllowedHosts, "\n"),
		Start: campLocalTime(d.Schedule.Start), End: campLocalTime(d.Schedule.End)}
	if d.FreshnessDays != 0 {
		f.FreshnessDays = strconv.Itoa(d.FreshnessDays)
	}
	var fb []string
	for _, from := range slices.Sorted(maps.Keys(d.Fallbacks)) {
		fb = append(fb, from+": "+strings.Join(d.Fallbacks[from], ", "))
	}
	f.Fallbacks = strings.Join(fb, "\n")
	for _, p := range slices.Sorted(maps.Keys(d.Rollout)) {
		f.Rollout = append(f.Rollout, campRolloutRow{p, campFloat(d.Rollout[p])})
	}
	for _, v := range d.Experiment.Variants {
		f.Variants = append(f.Variants, campVariantRow{v.Key, campFloat(v.Weight)})
	}
	for _, a := range d.Actions {
		f.Actions = append(f.Actions, campActionRow{a.ID, a.URL, cmp.Or(a.Kind, messages.KindLink), a.VerifiedAt})
	}
	return f
}

func campFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// campLocalTime formats a schedule time, in UTC, for datetime-local.
func campLocalTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	if t.Second() != 0 || t.Nanosecond() != 0 {
		return t.Format("2006-01-02T15:04:05")
	}
	return t.Format("2006-01-02T15:04")
}

// campReadForm reads the structured form of the request.
func campReadForm(c *fiber.Ctx, id string) *campDefForm {
	args := c.Request().PostArgs()
	one := func(k string) string { return strings.Clone(strings.TrimSpace(string(args.Peek(k)))) }
	multi := func(k string) []string {
		var out []string
		for _, v := range args.PeekMulti(k) {
			out = append(out, strings.Clone(strings.TrimSpace(string(v))))
		}
		return out
	}
	at := func(list []string, i int) string {
		if i < len(list) {
			return list[i]
		}
		return ""
	}
	f := &campDefForm{ID: id, Name: one("name"), Description: one("description"), DefaultLocale: one("default_locale"),
		Priority: one("priority"), FreshnessDays: one("freshness_days"), Fallbacks: one("fallbacks"),
		Categories: multi("category"), Kinds: multi("kind"), Platforms: one("platforms"), Countries: one("countries"),
		Locales: one("locales"), Start: one("start"), End: one("end"), Seed: one("seed"), Coverage: one("coverage"),
		AllowedHosts: one("allowed_hosts")}
	rp, rv := multi("rollout_platform"), multi("rollout_percent")
	for i := range max(len(rp), len(rv)) {
		if r := (campRolloutRow{at(rp, i), at(rv, i)}); r != (campRolloutRow{}) {
			f.Rollout = append(f.Rollout, r)
		}
	}
	vk, vw := multi("variant_key"), multi("variant_weight")
	for i := range max(len(vk), len(vw)) {
		if r := (campVariantRow{at(vk, i), at(vw, i)}); r != (campVariantRow{}) {
			f.Variants = append(f.Variants, r)
		}
	}
	ai, au, ak, av := multi("action_id"), multi("action_url"), multi("action_kind"), multi("action_verified_at")
	for i := range max(len(ai), len(au), len(ak), len(av)) {
		r := campActionRow{at(ai, i), at(au, i), at(ak, i), at(av, i)}
		if r.ID != "" || r.URL != "" || r.VerifiedAt != "" {
			f.Actions = append(f.Actions, r)
		}
	}
	return f
}

// campSplitList splits a comma- or line-separated list, dropping blanks.
func campSplitList(s string) []string {
	var out []string
	for _, v := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// definition converts the form; problems are what cannot be converted
// (numbers, dates), located like the definition's own.
func (f *campDefForm) definition() (*messages.Definition, []messages.Problem) {
	var probs []messages.Problem
	bad := func(field, msg string) { probs = append(probs, messages.Problem{Field: field, Message: msg}) }
	num := func(field, v string) float64 {
		if v == "" {
			return 0
		}
		n, err := strconv.ParseFloat(strings.ReplaceAll(v, ",", "."), 64)
		if err != nil {
			bad(field, fmt.Sprintf("%q is not a number", v))
		}
		return n
	}
	integer := func(field, v string) int {
		if v == "" {
			return 0
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			bad(field, fmt.Sprintf("%q is not a whole number", v))
		}
		return n
	}
	when := func(field, v string) time.Time {
		if v == "" {
			return time.Time{}
		}
		for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02"} {
			if t, err := time.Parse(layout, v); err == nil {
				return t
			}
		}
		bad(field, fmt.Sprintf("%q is not a date and time like 2026-11-29T10:00", v))
		return time.Time{}
	}
	d := &messages.Definition{ID: f.ID, Name: f.Name, Description: f.Description, DefaultLocale: f.DefaultLocale,
		Priority: integer("priority", f.Priority), FreshnessDays: integer("freshness_days", f.FreshnessDays),
		Targeting: messages.Targeting{Categories: f.Categories, Kinds: f.Kinds, Platforms: campSplitList(f.Platforms),
			Countries: campSplitList(f.Countries), Locales: campSplitList(f.Locales)},
		Schedule:     messages.Schedule{Start: when("schedule.start", f.Start), End: when("schedule.end", f.End)},
		Experiment:   messages.ExperimentConfig{Seed: f.Seed, Coverage: num("experiment", f.Coverage), Variants: []messages.Variant{}},
		Actions:      []messages.Action{},
		AllowedHosts: campSplitList(f.AllowedHosts),
	}
	for _, line := range strings.Split(f.Fallbacks, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		from, to, ok := strings.Cut(line, ":")
		if !ok {
			bad("fallbacks", fmt.Sprintf("%q must be a locale, a colon and its fallbacks, like prs: fa, en", strings.TrimSpace(line)))
			continue
		}
		if d.Fallbacks == nil {
			d.Fallbacks = map[string][]string{}
		}
		d.Fallbacks[strings.TrimSpace(from)] = campSplitList(to)
	}
	for _, r := range f.Rollout {
		if d.Rollout == nil {
			d.Rollout = map[string]float64{}
		}
		d.Rollout[r.Platform] = num("rollout", r.Percent)
	}
	for i, v := range f.Variants {
		d.Experiment.Variants = append(d.Experiment.Variants, messages.Variant{Key: v.Key, Weight: num(fmt.Sprintf("experiment.variants[%d].weight", i), v.Weight)})
	}
	for _, a := range f.Actions {
		kind := a.Kind
		if kind == messages.KindLink {
			kind = ""
		}
		d.Actions = append(d.Actions, messages.Action{ID: a.ID, URL: a.URL, Kind: kind, VerifiedAt: a.VerifiedAt})
	}
	return d, probs
}

func campIndentJSON(raw []byte) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return string(raw)
	}
	return buf.String()
}

// saveCampaignPage saves the structured form (or, with mode=json, the
// advanced editor's JSON) at the revision the page was opened with.
func (s *Server) saveCampaignPage(c *fiber.Ctx) error {
	ctx, id := c.UserContext(), c.Params("id")
	camp, err := s.Campaigns.Get(ctx, id)
	if err != nil {
		return err
	}
	rev, _ := strconv.ParseInt(c.FormValue("rev"), 10, 64)
	mode := "form"
	var form *campDefForm
	var data []byte
	var jsonText string
	var problems []messages.Problem
	if c.FormValue("mode") == "json" {
		mode = "json"
		jsonText = strings.Clone(c.FormValue("definition"))
		data = []byte(jsonText)
		if len(data) > MaxUpload {
			return errorf(fiber.StatusRequestEntityTooLarge, "too_large", "uploads are limited to 1 MiB")
		}
	} else {
		form = campReadForm(c, id)
		var def *messages.Definition
		def, problems = form.definition()
		if data, err = json.MarshalIndent(def, "", "  "); err != nil {
			return err
		}
	}
	p := s.newPage(c, "campaigns.editor.title", "campaigns")
	if len(problems) == 0 {
		var saved *editing.Campaign
		saved, err = s.Campaigns.UpdateDefinition(ctx, actor(c), id, rev, data)
		if saved != nil && errors.Is(err, editing.ErrNotPropagated) {
			err = nil
		}
		if err == nil {
			return c.Redirect("/ui/campaigns/"+url.PathEscape(id)+"?done=save", fiber.StatusSeeOther)
		}
	}
	status := fiber.StatusUnprocessableEntity
	var ve *messages.ValidationError
	switch {
	case len(problems) > 0:
		p.Error = p.T("campaigns.err.invalid")
	case errors.As(err, &ve):
		problems = ve.List()
		p.Error = p.T("campaigns.err.invalid")
	case errors.Is(err, editing.ErrConflict):
		// Nothing was written: show what is stored now beside what was
		// sent, and let the person save again over the new revision.
		status = fiber.StatusPreconditionFailed
		p.Error = p.T("campaigns.err.stale")
		if camp, err = s.Campaigns.Get(ctx, id); err != nil {
			return err
		}
		if jsonText == "" {
			jsonText = campIndentJSON(camp.Definition)
		}
		d := s.campEditorDataFor(c, camp, form, jsonText, mode)
		d.Stale = true
		d.StaleDiff = editing.LineDiff(campIndentJSON(camp.Definition), campIndentJSON(data))
		p.Data = d
		return s.render(c, status, "campaign", p)
	case errors.Is(err, editing.ErrState):
		status = fiber.StatusConflict
		p.Error = p.T("campaigns.err.state")
	default:
		return err
	}
	if mode == "json" {
		form = nil
	}
	return s.renderCampEditor(c, status, p, camp, form, jsonText, mode, problems)
}

// campEditorDataFor is renderCampEditor's data, for callers that add to it.
func (s *Server) campEditorDataFor(c *fiber.Ctx, camp *editing.Campaign, form *campDefForm, jsonText, mode string) *campEditorData {
	if form == nil {
		if def, err := messages.ParseDefinition(camp.Definition); err == nil {
			form = campToForm(def)
		} else {
			form = &campDefForm{ID: camp.ID}
		}
	}
	d := &campEditorData{campHead: s.campHead(c, camp, "editor"), Form: form, Categories: match.Categories,
		Kinds: []string{"search", "view"}, JSON: jsonText, Mode: mode, byKey: map[string][]string{}}
	form.Rollout = append(slices.Clone(form.Rollout), campRolloutRow{})
	form.Variants = append(slices.Clone(form.Variants), campVariantRow{})
	form.Actions = append(slices.Clone(form.Actions), campActionRow{Kind: messages.KindLink})
	return d
}

// ---- the workflow ----

// campaignWorkflowPage applies one workflow step from the buttons:
// step=submit|reject|publish|pause|resume|archive|rollback (with
// version). Reviewer steps need the reviewer role, as on the API.
func (s *Server) campaignWorkflowPage(c *fiber.Ctx) error {
	ctx, id := c.UserContext(), c.Params("id")
	// A campaign that does not exist is a 404 before anything else.
	if _, err := s.Campaigns.Get(ctx, id); err != nil {
		return err
	}
	step := c.FormValue("step")
	steps := map[string]stepFunc{"submit": s.Campaigns.Submit, "reject": s.Campaigns.Reject, "publish": s.Campaigns.Publish,
		"pause": s.Campaigns.Pause, "resume": s.Campaigns.Resume, "archive": s.Campaigns.Archive}
	fn, ok := steps[step]
	if !ok && step != "rollback" {
		return errorf(fiber.StatusBadRequest, "invalid_step", "no such workflow step")
	}
	if p := principal(c); slices.Contains(campReviewerSteps, step) && p.Role != auth.RoleReviewer && p.Role != auth.RoleAdmin {
		s.audit(c, "denied", " "+step)
		return errForbidden
	}
	rev, _ := strconv.ParseInt(c.FormValue("rev"), 10, 64)
	if step == "pause" {
		rev = 0 // the kill switch does not wait for a fresh read
	}
	back := "/ui/campaigns/" + url.PathEscape(id)
	var saved *editing.Campaign
	var err error
	if step == "rollback" {
		version, verr := strconv.ParseInt(c.FormValue("version"), 10, 64)
		if verr != nil || version < 1 {
			return errorf(fiber.StatusBadRequest, "invalid_version", "version must be a published version number")
		}
		saved, err = s.Campaigns.Rollback(ctx, actor(c), id, rev, version)
		back += "/versions"
	} else {
		saved, err = fn(ctx, actor(c), id, rev)
	}
	if saved != nil && errors.Is(err, editing.ErrNotPropagated) {
		err = nil
	}
	if err == nil {
		return c.Redirect(back+"?done="+step, fiber.StatusSeeOther)
	}
	p := s.newPage(c, "campaigns.editor.title", "campaigns")
	status, _ := describe(err)
	var ve *messages.ValidationError
	switch {
	case errors.Is(err, editing.ErrConflict):
		p.Error = p.T("campaigns.err.stale_step")
	case errors.Is(err, editing.ErrTwoPerson):
		p.Error = p.T("campaigns.twoperson")
	case errors.Is(err, editing.ErrState):
		p.Error = p.T("campaigns.err.state")
	case errors.As(err, &ve):
		p.Error = p.T("campaigns.err.problems")
	default:
		return err
	}
	camp, err := s.Campaigns.Get(ctx, id)
	if err != nil {
		return err
	}
	if step == "rollback" {
		return s.renderCampVersions(c, status, p, camp)
	}
	return s.renderCampEditor(c, status, p, camp, nil, "", "", nil)
}

// ---- content ----

// campProblemGroup is the problems of one message (or line) of an upload,
// shown next to its source line.
type campProblemGroup struct {
	Locale, File, MessageID string
	Line                    int
	Source                  string
	Messages                []string
}

type campContentData struct {
	campHead
	Formats []string
	// The upload form, kept when it could not be saved.
	Locale, Format, Text string
	Groups               []campProblemGroup
	DefaultLocale        string
}

func (s *Server) campaignContentPage(c *fiber.Ctx) error {
	ctx, id := c.UserContext(), c.Params("id")
	camp, err := s.Campaigns.Get(ctx, id)
	if err != nil {
		return err
	}
	p := s.newPage(c, "campaigns.content.title", "campaigns")
	campFlash(c, p)
	d := s.campContentData(c, camp)
	// ?edit=LOCALE loads a stored file into the form, to change it.
	if loc := c.Query("edit"); validLocale(loc) {
		_, files, err := s.Campaigns.Definition(ctx, id, 0)
		if err != nil {
			return err
		}
		if f, ok := files[loc]; ok && utf8.Valid(f.Data) {
			d.Locale, d.Format, d.Text = strings.Clone(loc), f.Format, string(f.Data)
		}
	}
	p.Data = d
	return s.render(c, fiber.StatusOK, "campaign_content", p)
}

func (s *Server) campContentData(c *fiber.Ctx, camp *editing.Campaign) *campContentData {
	d := &campContentData{campHead: s.campHead(c, camp, "content"), Formats: []string{"toml", "json", "yaml", "xliff"}, Format: "toml"}
	var def struct {
		DefaultLocale string `json:"default_locale"`
	}
	_ = json.Unmarshal(camp.Definition, &def)
	d.DefaultLocale = def.DefaultLocale
	return d
}

// postCampaignContentPage stores one locale's file, uploaded or pasted,
// or deletes one (delete=LOCALE). Problems come back next to the
// messages they concern, with the text kept in the form.
func (s *Server) postCampaignContentPage(c *fiber.Ctx) error {
	ctx, id := c.UserContext(), c.Params("id")
	camp, err := s.Campaigns.Get(ctx, id)
	if err != nil {
		return err
	}
	rev, _ := strconv.ParseInt(c.FormValue("rev"), 10, 64)
	p := s.newPage(c, "campaigns.content.title", "campaigns")
	d := s.campContentData(c, camp)
	back := "/ui/campaigns/" + url.PathEscape(id) + "/content"

	if del := c.FormValue("delete"); del != "" {
		if !validLocale(del) {
			return errorf(fiber.StatusBadRequest, "invalid_locale", "the locale must be a language code such as en, ar or ckb")
		}
		saved, err := s.Campaigns.DeleteContent(ctx, actor(c), id, rev, del)
		if saved != nil && errors.Is(err, editing.ErrNotPropagated) {
			err = nil
		}
		switch {
		case err == nil:
			return c.Redirect(back+"?done=delete", fiber.StatusSeeOther)
		case errors.Is(err, editing.ErrConflict):
			p.Error = p.T("campaigns.err.stale_step")
			p.Data = d
			return s.render(c, fiber.StatusPreconditionFailed, "campaign_content", p)
		case errors.Is(err, editing.ErrState):
			p.Error = p.T("campaigns.err.state")
			p.Data = d
			return s.render(c, fiber.StatusConflict, "campaign_content", p)
		}
		return err
	}

	d.Locale = strings.Clone(strings.TrimSpace(c.FormValue("locale")))
	d.Format = strings.Clone(c.FormValue("format"))
	d.Text = strings.Clone(c.FormValue("text"))
	var data []byte
	if fh, ferr := c.FormFile("file"); ferr == nil && fh.Size > 0 {
		if fh.Size > MaxUpload {
			return s.campContentProblem(c, p, d, fiber.StatusRequestEntityTooLarge, "campaigns.err.too_large")
		}
		f, err := fh.Open()
		if err != nil {
			return err
		}
		data, err = io.ReadAll(io.LimitReader(f, MaxUpload+1))
		f.Close()
		if err != nil {
			return err
		}
		name := d.Locale + strings.ToLower(path.Ext(fh.Filename))
		if format, err := messages.DetectFormat("", name); err == nil {
			d.Format = format
		} else {
			return s.campContentProblem(c, p, d, fiber.StatusUnsupportedMediaType, "campaigns.err.format")
		}
		if utf8.Valid(data) {
			d.Text = string(data)
		}
	} else {
		data = []byte(d.Text)
	}
	switch {
	case !validLocale(d.Locale):
		return s.campContentProblem(c, p, d, fiber.StatusBadRequest, "campaigns.err.locale")
	case !slices.Contains(d.Formats, d.Format):
		return s.campContentProblem(c, p, d, fiber.StatusUnsupportedMediaType, "campaigns.err.format")
	case len(bytes.TrimSpace(data)) == 0:
		return s.campContentProblem(c, p, d, fiber.StatusBadRequest, "campaigns.err.empty")
	case len(data) > MaxUpload:
		return s.campContentProblem(c, p, d, fiber.StatusRequestEntityTooLarge, "campaigns.err.too_large")
	}
	lc := store.LocaleContent{Format: d.Format, Data: bytes.Clone(data)}
	if d.Format == "xliff" {
		if lc, err = fromXLIFF(d.Locale, data); err != nil {
			var ve *messages.ValidationError
			if !errors.As(err, &ve) {
				status, body := describe(err)
				if status == fiber.StatusInternalServerError {
					return err
				}
				p.Error = body.Error.Message
				p.Data = d
				return s.render(c, status, "campaign_content", p)
			}
		}
	}
	var saved *editing.Campaign
	if err == nil {
		saved, err = s.Campaigns.PutContent(ctx, actor(c), id, rev, d.Locale, lc)
	}
	if saved != nil && errors.Is(err, editing.ErrNotPropagated) {
		err = nil
	}
	var ve *messages.ValidationError
	switch {
	case err == nil:
		return c.Redirect(back+"?done=upload", fiber.StatusSeeOther)
	case errors.As(err, &ve):
		d.Groups = campGroupProblems(ve.List(), d.Text)
		return s.campContentProblem(c, p, d, fiber.StatusUnprocessableEntity, "campaigns.err.content")
	case errors.Is(err, editing.ErrConflict):
		if camp, err = s.Campaigns.Get(ctx, id); err != nil {
			return err
		}
		fresh := s.campContentData(c, camp)
		fresh.Locale, fresh.Format, fresh.Text = d.Locale, d.Format, d.Text
		return s.campContentProblem(c, p, fresh, fiber.StatusPreconditionFailed, "campaigns.err.stale_content")
	case errors.Is(err, editing.ErrState):
		return s.campContentProblem(c, p, d, fiber.StatusConflict, "campaigns.err.state")
	}
	return err
}

func (s *Server) campContentProblem(c *fiber.Ctx, p *web.Page, d *campContentData, status int, msg string) error {
	p.Error = p.T(msg)
	p.Data = d
	return s.render(c, status, "campaign_content", p)
}

// campGroupProblems groups an upload's problems by message and line, each
// with its source line from text (found by message id when the problem
// has no line).
func campGroupProblems(problems []messages.Problem, text string) []campProblemGroup {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	var out []campProblemGroup
	index := map[string]int{}
	for _, pr := range problems {
		line := pr.Line
		if line == 0 && pr.MessageID != "" {
			for i, l := range lines {
				if strings.Contains(l, pr.MessageID) {
					line = i + 1
					break
				}
			}
		}
		key := pr.Locale + "\x00" + pr.MessageID + "\x00" + strconv.Itoa(line)
		i, ok := index[key]
		if !ok {
			g := campProblemGroup{Locale: pr.Locale, File: pr.File, MessageID: pr.MessageID, Line: line}
			if line > 0 && line <= len(lines) {
				g.Source = lines[line-1]
				if len(g.Source) > 500 {
					g.Source = strings.ToValidUTF8(g.Source[:500], "") + "…"
				}
			}
			out = append(out, g)
			i = len(out) - 1
			index[key] = i
		}
		out[i].Messages = append(out[i].Messages, pr.Message)
	}
	slices.SortStableFunc(out, func(a, b campProblemGroup) int { return cmp.Compare(a.Line, b.Line) })
	return out
}

// ---- previews ----

type campPreviewFrame struct {
	Variant, Locale, Dir, URL string
}

type campPreviewData struct {
	campHead
	Version  int64
	Versions []int64
	Variants []string
	Rows     [][]campPreviewFrame // one row per locale, one frame per variant
}

func (s *Server) campaignPreviewPage(c *fiber.Ctx) error {
	ctx, id := c.UserContext(), c.Params("id")
	version, err := versionParam(c)
	if err != nil {
		return err
	}
	camp, err := s.Campaigns.Get(ctx, id)
	if err != nil {
		return err
	}
	def, files, err := s.Campaigns.Definition(ctx, id, version)
	if err != nil {
		return err
	}
	d := &campPreviewData{campHead: s.campHead(c, camp, "preview"), Version: version}
	for v := int64(1); v <= camp.State.LatestVersion; v++ {
		d.Versions = append(d.Versions, v)
	}
	for _, v := range def.Experiment.Variants {
		d.Variants = append(d.Variants, v.Key)
	}
	locales := slices.Sorted(maps.Keys(files))
	// The default locale first: it is the one every other falls back to.
	if i := slices.Index(locales, def.DefaultLocale); i > 0 {
		locales = append([]string{def.DefaultLocale}, slices.Delete(locales, i, i+1)...)
	}
	for _, loc := range locales {
		var row []campPreviewFrame
		for _, v := range d.Variants {
			q := url.Values{"locale": {loc}, "variant": {v}}
			if version > 0 {
				q.Set("version", strconv.FormatInt(version, 10))
			}
			row = append(row, campPreviewFrame{Variant: v, Locale: loc, Dir: messages.Dir(loc),
				URL: "/v1/campaigns/" + url.PathEscape(id) + "/preview?" + q.Encode()})
		}
		d.Rows = append(d.Rows, row)
	}
	p := s.newPage(c, "campaigns.preview.title", "campaigns")
	p.Data = d
	return s.render(c, fiber.StatusOK, "campaign_preview", p)
}

// ---- versions ----

type campVersionRow struct {
	Version       int64
	At, By        string
	Live          bool
	DefChanged    bool
	Added         []string
	Removed       []string
	Changed       []string
	CanRollback   bool
	FirstVersion  bool
	HasNoChanges  bool
	LocalesInThis []string
}

type campDiffSection struct {
	// Name is "definition" or a locale.
	Name    string
	Ops     []editing.DiffOp
	Changed bool
}

type campVersionsData struct {
	campHead
	Rows []campVersionRow
	// Diff is the diff of version DiffOf against the one before (0: the
	// working copy against the latest version).
	Diff     []campDiffSection
	DiffOf   int64
	DiffWork bool
	DiffFrom int64
}

func (s *Server) campaignVersionsPage(c *fiber.Ctx) error {
	camp, err := s.Campaigns.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	p := s.newPage(c, "campaigns.versions.title", "campaigns")
	campFlash(c, p)
	return s.renderCampVersions(c, fiber.StatusOK, p, camp)
}

func (s *Server) renderCampVersions(c *fiber.Ctx, status int, p *web.Page, camp *editing.Campaign) error {
	ctx := c.UserContext()
	vs, err := s.Campaigns.Versions(ctx, camp.ID)
	if err != nil {
		return err
	}
	names := s.campActorNames(ctx, camp.ID)
	d := &campVersionsData{campHead: s.campHead(c, camp, "versions")}
	me := principal(c)
	reviewer := me.Role == auth.RoleReviewer || me.Role == auth.RoleAdmin
	var prev store.Draft
	for i, v := range vs {
		r := campVersionRow{Version: v.Version, At: campTime(v.CreatedAt), By: cmp.Or(names[v.CreatedBy], v.CreatedBy),
			Live: v.Version == camp.State.LiveVersion, FirstVersion: i == 0,
			LocalesInThis: slices.Sorted(maps.Keys(v.Draft.Content))}
		r.CanRollback = reviewer && !d.Archived && !r.Live
		if i > 0 {
			r.DefChanged = campIndentJSON(prev.Definition) != campIndentJSON(v.Draft.Definition)
			for _, loc := range r.LocalesInThis {
				old, ok := prev.Content[loc]
				switch {
				case !ok:
					r.Added = append(r.Added, loc)
				case !bytes.Equal(old.Data, v.Draft.Content[loc].Data):
					r.Changed = append(r.Changed, loc)
				}
			}
			for _, loc := range slices.Sorted(maps.Keys(prev.Content)) {
				if _, ok := v.Draft.Content[loc]; !ok {
					r.Removed = append(r.Removed, loc)
				}
			}
			r.HasNoChanges = !r.DefChanged && len(r.Added)+len(r.Removed)+len(r.Changed) == 0
		}
		d.Rows = append(d.Rows, r)
		prev = v.Draft
	}
	slices.Reverse(d.Rows)

	// ?diff=N: version N against N-1; ?diff=work: the working copy
	// against the latest version.
	switch q := c.Query("diff"); {
	case q == "work":
		_, files, err := s.Campaigns.Definition(ctx, camp.ID, 0)
		if err != nil {
			return err
		}
		work := store.Draft{Definition: camp.Definition, Content: map[string]store.LocaleContent{}}
		for loc, f := range files {
			work.Content[loc] = store.LocaleContent{Format: f.Format, Data: f.Data}
		}
		var base store.Draft
		if len(vs) > 0 {
			base = vs[len(vs)-1].Draft
			d.DiffFrom = vs[len(vs)-1].Version
		}
		d.DiffWork = true
		d.Diff = campDiffDrafts(base, work)
	case q != "":
		n, err := strconv.ParseInt(q, 10, 64)
		if err != nil || n < 1 {
			return errorf(fiber.StatusBadRequest, "invalid_version", "version must be a published version number")
		}
		i := slices.IndexFunc(vs, func(v store.CampaignVersion) bool { return v.Version == n })
		if i < 0 {
			return errorf(fiber.StatusNotFound, "not_found", "no such version")
		}
		var base store.Draft
		if i > 0 {
			base = vs[i-1].Draft
			d.DiffFrom = vs[i-1].Version
		}
		d.DiffOf = n
		d.Diff = campDiffDrafts(base, vs[i].Draft)
	}
	p.Data = d
	return s.render(c, status, "campaign_versions", p)
}

// campDiffDrafts diffs the definition and each locale file of two drafts.
func campDiffDrafts(a, b store.Draft) []campDiffSection {
	def := func(raw []byte) string {
		if len(raw) == 0 {
			return ""
		}
		return campIndentJSON(raw)
	}
	out := []campDiffSection{{Name: "definition", Ops: editing.LineDiff(def(a.Definition), def(b.Definition))}}
	locs := slices.Sorted(maps.Keys(a.Content))
	for loc := range b.Content {
		if !slices.Contains(locs, loc) {
			locs = append(locs, loc)
		}
	}
	slices.Sort(locs)
	for _, loc := range locs {
		out = append(out, campDiffSection{Name: loc, Ops: editing.LineDiff(string(a.Content[loc].Data), string(b.Content[loc].Data))})
	}
	for i := range out {
		out[i].Changed = editing.Changed(out[i].Ops)
	}
	return out
}
