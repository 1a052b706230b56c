package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"signpost/catalog"
	"signpost/match"
)

// Limits on events (DESIGN §3; bad input gets 400, oversized text 413).
const (
	MaxSearchText = 4 << 10
	MaxViewText   = 64 << 10
	MaxBatch      = 500
	maxLocale     = 256
	maxSubject    = 256
	// maxEventBody bounds one event's JSON: the largest text escaped,
	// plus the other fields.
	maxEventBody = 6*MaxViewText + 4<<10
)

var countryRe = regexp.MustCompile(`^[A-Z]{2}$`)

// eventRequest is an event as platforms send it. Pointers tell a missing
// field from an empty one.
type eventRequest struct {
	Kind    *string `json:"kind"`
	Text    *string `json:"text"`
	Locale  string  `json:"locale"`
	Subject string  `json:"subject"`
	Country string  `json:"country"`
}

// toEvent validates r. The returned event refers to r's strings, which
// encoding/json allocated, so they do not alias fiber's request buffer.
func (r *eventRequest) toEvent(platform string) (catalog.Event, *Error) {
	if r.Kind == nil {
		return catalog.Event{}, errorf(fiber.StatusBadRequest, "missing_kind", `"kind" is required: "search" or "view"`)
	}
	kind, ok := match.ParseKind(*r.Kind)
	if !ok {
		return catalog.Event{}, errorf(fiber.StatusBadRequest, "invalid_kind", `"kind" must be "search" or "view"`)
	}
	if r.Text == nil || *r.Text == "" {
		return catalog.Event{}, errorf(fiber.StatusBadRequest, "missing_text", `"text" is required and must not be empty`)
	}
	limit := MaxSearchText
	if kind == match.KindView {
		limit = MaxViewText
	}
	if len(*r.Text) > limit {
		return catalog.Event{}, errorf(fiber.StatusRequestEntityTooLarge, "text_too_large", fmt.Sprintf(`"text" of a %s is limited to %d bytes`, *r.Kind, limit))
	}
	if len(r.Locale) > maxLocale {
		return catalog.Event{}, errorf(fiber.StatusBadRequest, "invalid_locale", fmt.Sprintf(`"locale" is limited to %d bytes`, maxLocale))
	}
	if len(r.Subject) > maxSubject {
		return catalog.Event{}, errorf(fiber.StatusBadRequest, "invalid_subject", fmt.Sprintf(`"subject" is limited to %d bytes`, maxSubject))
	}
	if r.Country != "" && !countryRe.MatchString(r.Country) {
		return catalog.Event{}, errorf(fiber.StatusBadRequest, "invalid_country", `"country" must be an ISO 3166-1 alpha-2 code such as "FR"`)
	}
	return catalog.Event{Kind: kind, KindName: *r.Kind, Text: *r.Text, Locale: r.Locale, Subject: r.Subject, Country: r.Country, Platform: platform, Time: time.Now()}, nil
}

// decodeJSON decodes a JSON body into v, with a clear error for broken
// JSON (never echoing the body).
func decodeJSON(c *fiber.Ctx, v any) error {
	if len(c.Body()) == 0 {
		return errorf(fiber.StatusBadRequest, "invalid_json", "the request body is empty; send a JSON object")
	}
	if err := json.Unmarshal(c.Body(), v); err != nil {
		msg := "the request body is not valid JSON"
		if te, ok := err.(*json.UnmarshalTypeError); ok {
			msg = fmt.Sprintf("field %q has the wrong type: want %s", te.Field, te.Type)
		}
		return errorf(fiber.StatusBadRequest, "invalid_json", msg)
	}
	return nil
}

func (s *Server) postEvent(c *fiber.Ctx) error {
	if len(c.Body()) > maxEventBody {
		return errorf(fiber.StatusRequestEntityTooLarge, "too_large", "the request body is too large for one event")
	}
	var req eventRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ev, verr := req.toEvent(principal(c).Platform)
	if verr != nil {
		return verr
	}
	resp, err := s.answer(ev)
	if err != nil {
		return err
	}
	return c.JSON(resp)
}

type batchRequest struct {
	Events []eventRequest `json:"events"`
}

type batchResponse struct {
	Results []catalog.Response `json:"results"`
}

func (s *Server) postEventBatch(c *fiber.Ctx) error {
	var req batchRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if len(req.Events) == 0 {
		return errorf(fiber.StatusBadRequest, "empty_batch", `"events" must hold at least one event`)
	}
	if len(req.Events) > MaxBatch {
		return errorf(fiber.StatusBadRequest, "batch_too_large", fmt.Sprintf(`"events" holds %d events; the limit is %d`, len(req.Events), MaxBatch))
	}
	platform := principal(c).Platform
	events := make([]catalog.Event, len(req.Events))
	for i := range req.Events {
		ev, verr := req.Events[i].toEvent(platform)
		if verr != nil {
			verr.Message = fmt.Sprintf("events[%d]: %s", i, verr.Message)
			return verr
		}
		events[i] = ev
	}
	out := batchResponse{Results: make([]catalog.Response, len(events))}
	for i, ev := range events {
		resp, err := s.answer(ev)
		if err != nil {
			return err
		}
		out.Results[i] = resp
	}
	return c.JSON(out)
}

// answer decides on one event against the current catalog and records it
// in the metrics.
func (s *Server) answer(ev catalog.Event) (catalog.Response, error) {
	cat := s.Catalog.Load()
	if cat == nil {
		return catalog.Response{}, errorf(fiber.StatusServiceUnavailable, "not_ready", "the service is starting")
	}
	resp, d, err := cat.Respond(ev, s.Signer, s.PublicURL)
	if err != nil {
		return catalog.Response{}, err
	}
	s.Metrics.Event(ev.KindName, d)
	s.count(ev, d)
	return resp, nil
}

// decodeStrictJSON is decodeJSON for editor and admin APIs: the body must
// be declared JSON (415 otherwise), and unknown fields are errors, so a
// misspelt field is not silently ignored.
func decodeStrictJSON(c *fiber.Ctx, v any) error {
	if ct, _, _ := strings.Cut(c.Get(fiber.HeaderContentType), ";"); !strings.EqualFold(strings.TrimSpace(ct), fiber.MIMEApplicationJSON) {
		return errorf(fiber.StatusUnsupportedMediaType, "unsupported_media_type", "send Content-Type: application/json")
	}
	if len(c.Body()) == 0 {
		return errorf(fiber.StatusBadRequest, "invalid_json", "the request body is empty; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		msg := "the request body is not valid JSON"
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			msg = fmt.Sprintf("field %q has the wrong type: want %s", te.Field, te.Type)
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			msg = strings.TrimPrefix(err.Error(), "json: ")
		}
		return errorf(fiber.StatusBadRequest, "invalid_json", msg)
	}
	return nil
}
