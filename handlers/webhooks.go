package handlers

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"signpost/store"
	"signpost/webhook"
)

// WebhookAdmin manages webhook subscriptions (package webhook's Service).
type WebhookAdmin interface {
	Create(ctx context.Context, r webhook.Request, by string) (store.Webhook, error)
	Get(ctx context.Context, id string) (store.Webhook, error)
	List(ctx context.Context) ([]store.Webhook, error)
	Delete(ctx context.Context, id string) error
	Test(ctx context.Context, id string) (webhook.Event, error)
	Deliveries(ctx context.Context, id string, limit int) ([]store.WebhookAttempt, error)
}

// Delivery log page sizes.
const (
	defaultDeliveries = 50
	maxWebhookID      = 100
)

var errNoWebhook = errorf(fiber.StatusNotFound, "not_found", "no such webhook")

// webhookResponse is a subscription as shown: the secret only on creation.
type webhookResponse struct {
	ID             string    `json:"id"`
	URL            string    `json:"url"`
	Events         []string  `json:"events"`
	Description    string    `json:"description"`
	Secret         string    `json:"secret,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	CreatedBy      string    `json:"created_by,omitempty"`
	DisabledAt     time.Time `json:"disabled_at,omitzero"`
	DisabledReason string    `json:"disabled_reason,omitempty"`
}

func newWebhookResponse(w store.Webhook, withSecret bool) webhookResponse {
	r := webhookResponse{ID: w.ID, URL: w.URL, Events: w.Events, Description: w.Description, CreatedAt: w.CreatedAt,
		CreatedBy: w.CreatedBy, DisabledAt: w.DisabledAt, DisabledReason: w.DisabledReason}
	if withSecret {
		r.Secret = w.Secret
	}
	return r
}

// attemptResponse is one delivery log entry.
type attemptResponse struct {
	Event       string    `json:"event"`
	Type        string    `json:"type"`
	Attempt     int       `json:"attempt"`
	Time        time.Time `json:"time"`
	Status      int       `json:"status,omitempty"`
	Error       string    `json:"error,omitempty"`
	DurationMS  int64     `json:"duration_ms"`
	Outcome     string    `json:"outcome"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
}

// postWebhook subscribes a URL and shows its signing secret once.
func (s *Server) postWebhook(c *fiber.Ctx) error {
	var req webhook.Request
	if err := decodeStrictJSON(c, &req); err != nil {
		return err
	}
	w, err := s.Webhooks.Create(c.UserContext(), req, principal(c).Name)
	if err != nil {
		return webhookErr(err)
	}
	s.audit(c, "webhook_created", " "+w.ID)
	return c.Status(fiber.StatusCreated).JSON(newWebhookResponse(w, true))
}

// listWebhooks lists every subscription, without secrets.
func (s *Server) listWebhooks(c *fiber.Ctx) error {
	list, err := s.Webhooks.List(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]webhookResponse, len(list))
	for i, w := range list {
		out[i] = newWebhookResponse(w, false)
	}
	return c.JSON(fiber.Map{"webhooks": out})
}

func (s *Server) getWebhook(c *fiber.Ctx) error {
	id, err := webhookID(c)
	if err != nil {
		return err
	}
	w, err := s.Webhooks.Get(c.UserContext(), id)
	if err != nil {
		return webhookErr(err)
	}
	return c.JSON(newWebhookResponse(w, false))
}

func (s *Server) deleteWebhook(c *fiber.Ctx) error {
	id, err := webhookID(c)
	if err != nil {
		return err
	}
	if err := s.Webhooks.Delete(c.UserContext(), id); err != nil {
		return webhookErr(err)
	}
	s.audit(c, "webhook_deleted", " "+id)
	return c.SendStatus(fiber.StatusNoContent)
}

// testWebhook queues a ping; it is sent like any event (signed, retried).
func (s *Server) testWebhook(c *fiber.Ctx) error {
	id, err := webhookID(c)
	if err != nil {
		return err
	}
	ev, err := s.Webhooks.Test(c.UserContext(), id)
	if err != nil {
		return webhookErr(err)
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"event": ev.ID, "type": ev.Type})
}

// webhookDeliveries shows the newest entries of a delivery log.
func (s *Server) webhookDeliveries(c *fiber.Ctx) error {
	id, err := webhookID(c)
	if err != nil {
		return err
	}
	limit := defaultDeliveries
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxWebhookAttempts {
			return errorf(fiber.StatusBadRequest, "invalid_limit", "limit must be a number from 1 to "+strconv.Itoa(store.MaxWebhookAttempts))
		}
		limit = n
	}
	log, err := s.Webhooks.Deliveries(c.UserContext(), id, limit)
	if err != nil {
		return webhookErr(err)
	}
	out := make([]attemptResponse, len(log))
	for i, a := range log {
		out[i] = attemptResponse{Event: a.EventID, Type: a.EventType, Attempt: a.Attempt, Time: a.Time, Status: a.Status,
			Error: a.Error, DurationMS: a.Duration.Milliseconds(), Outcome: a.Outcome, NextAttempt: a.NextAttempt}
	}
	return c.JSON(fiber.Map{"deliveries": out})
}

// webhookID returns the route's webhook id, copied out of fiber's buffer.
func webhookID(c *fiber.Ctx) (string, error) {
	id := c.Params("id")
	if id == "" || len(id) > maxWebhookID {
		return "", errNoWebhook
	}
	return strings.Clone(id), nil
}

// webhookErr maps the webhook service's errors to responses.
func webhookErr(err error) error {
	switch {
	case errors.Is(err, webhook.ErrInvalid):
		return errorf(fiber.StatusBadRequest, "invalid_webhook", err.Error())
	case errors.Is(err, store.ErrNotFound):
		return errNoWebhook
	case errors.Is(err, webhook.ErrDisabled):
		return errorf(fiber.StatusConflict, "webhook_disabled", "this webhook was disabled (its receiver answered 410 Gone); create a new one")
	}
	return err
}
