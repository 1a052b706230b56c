package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"signpost/editing"
	"signpost/messages"
	"signpost/store"
)

// CampaignEditor is the editing workflow the campaign routes drive.
type CampaignEditor interface {
	List(ctx context.Context) ([]editing.Summary, error)
	Get(ctx context.Context, id string) (*editing.Campaign, error)
	Create(ctx context.Context, a editing.Actor, definition []byte) (*editing.Campaign, error)
	UpdateDefinition(ctx context.Context, a editing.Actor, id string, rev int64, definition []byte) (*editing.Campaign, error)
	PutContent(ctx context.Context, a editing.Actor, id string, rev int64, locale string, lc store.LocaleContent) (*editing.Campaign, error)
	DeleteContent(ctx context.Context, a editing.Actor, id string, rev int64, locale string) (*editing.Campaign, error)
	Submit(ctx context.Context, a editing.Actor, id string, rev int64) (*editing.Campaign, error)
	Reject(ctx context.Context, a editing.Actor, id string, rev int64) (*editing.Campaign, error)
	Publish(ctx context.Context, a editing.Actor, id string, rev int64) (*editing.Campaign, error)
	Pause(ctx context.Context, a editing.Actor, id string, rev int64) (*editing.Campaign, error)
	Resume(ctx context.Context, a editing.Actor, id string, rev int64) (*editing.Campaign, error)
	Archive(ctx context.Context, a editing.Actor, id string, rev int64) (*editing.Campaign, error)
	Rollback(ctx context.Context, a editing.Actor, id string, rev, version int64) (*editing.Campaign, error)
	Versions(ctx context.Context, id string) ([]store.CampaignVersion, error)
	Definition(ctx context.Context, id string, version int64) (*messages.Definition, map[string]messages.LocaleFile, error)
	Audit(ctx context.Context, f editing.AuditFilter) ([]store.AuditEntry, error)
}

// MaxUpload bounds an uploaded campaign definition or content file.
const MaxUpload = messages.MaxFileSize

// actor is the caller as the editing workflow records it.
func actor(c *fiber.Ctx) editing.Actor {
	p := principal(c)
	return editing.Actor{ID: p.TokenID, Name: p.Name}
}

// etag is a campaign revision's entity tag.
func etag(rev int64) string { return `"rev-` + strconv.FormatInt(rev, 10) + `"` }

// ifMatch returns the revision the If-Match header names. Edits need one,
// so that two editors cannot silently overwrite each other (428 when
// missing); optional is for transitions, which then skip the check.
func ifMatch(c *fiber.Ctx, required bool) (int64, error) {
	h := strings.TrimSpace(c.Get(fiber.HeaderIfMatch))
	if h == "" {
		if required {
			return 0, errorf(fiber.StatusPreconditionRequired, "if_match_required",
				`send If-Match with the campaign's ETag (from GET), so a concurrent change is not overwritten`)
		}
		return 0, nil
	}
	s, ok := strings.CutPrefix(strings.TrimPrefix(h, "W/"), `"rev-`)
	if s, ok2 := strings.CutSuffix(s, `"`); ok && ok2 {
		if rev, err := strconv.ParseInt(s, 10, 64); err == nil && rev > 0 {
			return rev, nil
		}
	}
	return 0, errorf(fiber.StatusBadRequest, "bad_if_match", `If-Match must be an ETag such as "rev-3", as returned by GET`)
}

// sendCampaign answers with the campaign and its ETag.
func sendCampaign(c *fiber.Ctx, status int, camp *editing.Campaign, err error) error {
	if camp != nil && errors.Is(err, editing.ErrNotPropagated) {
		// Saved: the other instances catch up at their next refresh.
		c.Set("Signpost-Propagation", "pending")
		err = nil
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderETag, etag(camp.Rev))
	if status == fiber.StatusCreated {
		c.Set(fiber.HeaderLocation, "/v1/campaigns/"+camp.ID)
	}
	return c.Status(status).JSON(camp)
}

// body returns the request body after checking its size and, when types
// are given, its Content-Type.
func body(c *fiber.Ctx, types ...string) ([]byte, error) {
	b := c.Body()
	if len(b) > MaxUpload {
		return nil, errorf(fiber.StatusRequestEntityTooLarge, "too_large", "uploads are limited to 1 MiB")
	}
	if len(types) > 0 {
		ct, _, _ := strings.Cut(c.Get(fiber.HeaderContentType), ";")
		if !containsFold(types, strings.TrimSpace(ct)) {
			return nil, errorf(fiber.StatusUnsupportedMediaType, "unsupported_media_type", "send Content-Type: "+strings.Join(types, " or "))
		}
	}
	return b, nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func (s *Server) listCampaigns(c *fiber.Ctx) error {
	list, err := s.Campaigns.List(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"campaigns": list})
}

func (s *Server) getCampaign(c *fiber.Ctx) error {
	camp, err := s.Campaigns.Get(c.UserContext(), c.Params("id"))
	return sendCampaign(c, fiber.StatusOK, camp, err)
}

// createCampaign stores a new campaign, as a draft, from its definition.
func (s *Server) createCampaign(c *fiber.Ctx) error {
	def, err := body(c, fiber.MIMEApplicationJSON)
	if err != nil {
		return err
	}
	camp, err := s.Campaigns.Create(c.UserContext(), actor(c), bytes.Clone(def))
	if errors.Is(err, editing.ErrConflict) {
		return errorf(fiber.StatusConflict, "exists", "a campaign with this id exists")
	}
	return sendCampaign(c, fiber.StatusCreated, camp, err)
}

// updateCampaign replaces the working copy's definition.
func (s *Server) updateCampaign(c *fiber.Ctx) error {
	rev, err := ifMatch(c, true)
	if err != nil {
		return err
	}
	def, err := body(c, fiber.MIMEApplicationJSON)
	if err != nil {
		return err
	}
	camp, err := s.Campaigns.UpdateDefinition(c.UserContext(), actor(c), c.Params("id"), rev, bytes.Clone(def))
	return sendCampaign(c, fiber.StatusOK, camp, err)
}

// stepFunc is one workflow step of CampaignEditor.
type stepFunc = func(context.Context, editing.Actor, string, int64) (*editing.Campaign, error)

// transition returns the handler of one workflow step. Its If-Match is
// optional: pausing must not wait for a fresh read in an emergency.
func (s *Server) transition(step func(CampaignEditor) stepFunc) fiber.Handler {
	return func(c *fiber.Ctx) error {
		rev, err := ifMatch(c, false)
		if err != nil {
			return err
		}
		camp, err := step(s.Campaigns)(c.UserContext(), actor(c), c.Params("id"), rev)
		return sendCampaign(c, fiber.StatusOK, camp, err)
	}
}

// publish makes the working copy a new version and serves it. Unlike the
// other steps it needs If-Match: the publisher approves exactly the
// revision they reviewed.
func (s *Server) publish(c *fiber.Ctx) error {
	rev, err := ifMatch(c, true)
	if err != nil {
		return err
	}
	camp, err := s.Campaigns.Publish(c.UserContext(), actor(c), c.Params("id"), rev)
	return sendCampaign(c, fiber.StatusOK, camp, err)
}

type rollbackRequest struct {
	Version int64 `json:"version"`
}

// rollback publishes an earlier version's content again.
func (s *Server) rollback(c *fiber.Ctx) error {
	rev, err := ifMatch(c, false)
	if err != nil {
		return err
	}
	var req rollbackRequest
	if err := decodeStrictJSON(c, &req); err != nil {
		return err
	}
	if req.Version < 1 {
		return errorf(fiber.StatusBadRequest, "invalid_version", `"version" must be a published version number`)
	}
	camp, err := s.Campaigns.Rollback(c.UserContext(), actor(c), c.Params("id"), rev, req.Version)
	return sendCampaign(c, fiber.StatusOK, camp, err)
}

// versionParam reads ?version= (0, the working copy, when absent).
func versionParam(c *fiber.Ctx) (int64, error) {
	v := c.Query("version")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, errorf(fiber.StatusBadRequest, "invalid_version", "version must be a published version number")
	}
	return n, nil
}

type versionInfo struct {
	Version    int64           `json:"version"`
	CreatedAt  time.Time       `json:"created_at"`
	CreatedBy  string          `json:"created_by"`
	Locales    []string        `json:"locales,omitempty"` // campaigns only
	Definition json.RawMessage `json:"definition,omitempty"`
}

func newVersionInfo(v store.CampaignVersion) versionInfo {
	vi := versionInfo{Version: v.Version, CreatedAt: v.CreatedAt.UTC(), CreatedBy: v.CreatedBy, Locales: []string{}}
	for loc := range v.Draft.Content {
		vi.Locales = append(vi.Locales, loc)
	}
	slices.Sort(vi.Locales)
	return vi
}

func (s *Server) listVersions(c *fiber.Ctx) error {
	vs, err := s.Campaigns.Versions(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	out := make([]versionInfo, 0, len(vs))
	for _, v := range vs {
		out = append(out, newVersionInfo(v))
	}
	return c.JSON(fiber.Map{"versions": out})
}

// getVersion returns one version's definition and locales; its content is
// read through the content routes with ?version=.
func (s *Server) getVersion(c *fiber.Ctx) error {
	n, err := strconv.ParseInt(c.Params("version"), 10, 64)
	if err != nil || n < 1 {
		return errorf(fiber.StatusBadRequest, "invalid_version", "version must be a published version number")
	}
	vs, err := s.Campaigns.Versions(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	for _, v := range vs {
		if v.Version == n {
			vi := newVersionInfo(v)
			vi.Definition = json.RawMessage(v.Draft.Definition)
			return c.JSON(vi)
		}
	}
	return errorf(fiber.StatusNotFound, "not_found", fmt.Sprintf("the campaign has no version %d", n))
}
