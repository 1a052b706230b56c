package store

import (
	"context"
	"time"
)

// MaxWebhookAttempts bounds each subscription's delivery log: the store
// keeps the newest entries and drops older ones as new ones come.
const MaxWebhookAttempts = 200

// Webhook is a subscription: signed POSTs of the listed event types to
// URL. Secret signs them, so unlike an API token's it is kept as it is
// (the store must give it back to sign); it is shown to the admin only
// once, when the subscription is created.
type Webhook struct {
	ID          string    `json:"id"`
	URL         string    `json:"url"`
	Events      []string  `json:"events"`
	Description string    `json:"description,omitempty"`
	Secret      string    `json:"secret"`
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   string    `json:"created_by,omitempty"`
	// DisabledAt, once set, stops deliveries to the subscription (its
	// receiver answered 410 Gone); DisabledReason says why.
	DisabledAt     time.Time `json:"disabled_at,omitzero"`
	DisabledReason string    `json:"disabled_reason,omitempty"`
}

// WebhookDelivery is one event waiting to reach one subscription. Its
// Payload is fixed when the event happens, so every attempt sends the
// same bytes under the same event id.
type WebhookDelivery struct {
	// ID is unique per event and subscription ("<event id>.<webhook id>").
	ID        string    `json:"id"`
	Webhook   string    `json:"webhook"`
	EventID   string    `json:"event_id"`
	EventType string    `json:"event_type"`
	Payload   []byte    `json:"payload"`
	CreatedAt time.Time `json:"created_at"`
	// Attempts is how many attempts were made so far; Due is when the
	// next one is due.
	Attempts int       `json:"attempts"`
	Due      time.Time `json:"due"`
	// Lease is set by ClaimWebhookDeliveries: the claim's token, which
	// FinishWebhookDelivery must present. Empty on enqueue.
	Lease string `json:"lease,omitempty"`
}

// WebhookAttempt is one entry of a subscription's delivery log: what
// happened to one attempt, never what the receiver answered beyond its
// status code.
type WebhookAttempt struct {
	Webhook   string    `json:"webhook"`
	EventID   string    `json:"event_id"`
	EventType string    `json:"event_type"`
	Attempt   int       `json:"attempt"`
	Time      time.Time `json:"time"`
	// Status is the receiver's HTTP status, 0 when none came back; then
	// Error names the class of failure ("timeout", "connection", ...).
	Status   int           `json:"status,omitempty"`
	Error    string        `json:"error,omitempty"`
	Duration time.Duration `json:"duration"`
	// Outcome is "delivered", "retry", "failed" (gave up) or "gone" (the
	// receiver answered 410 and the subscription was disabled).
	Outcome string `json:"outcome"`
	// NextAttempt is when the delivery is retried (zero when it is not).
	NextAttempt time.Time `json:"next_attempt,omitzero"`
}

// Webhooks keeps webhook subscriptions, their pending deliveries and
// their delivery logs, shared by every instance. Deliveries are claimed
// with a lease, so of several instances one sends each delivery at a time.
type Webhooks interface {
	// CreateWebhook stores w as it is; a webhook with the same ID exists:
	// ErrConflict.
	CreateWebhook(ctx context.Context, w Webhook) error
	// Webhook returns one subscription, or ErrNotFound.
	Webhook(ctx context.Context, id string) (Webhook, error)
	// ListWebhooks returns every subscription ordered by ID.
	ListWebhooks(ctx context.Context) ([]Webhook, error)
	// DeleteWebhook removes a subscription and its delivery log, or
	// returns ErrNotFound. Its pending deliveries are dropped when they
	// are next claimed.
	DeleteWebhook(ctx context.Context, id string) error
	// DisableWebhook records that id's deliveries stop (at, reason), or
	// returns ErrNotFound.
	DisableWebhook(ctx context.Context, id string, at time.Time, reason string) error

	// EnqueueWebhookDeliveries stores each delivery as pending, due at its
	// Due; an existing delivery with the same ID is left as it is.
	EnqueueWebhookDeliveries(ctx context.Context, ds []WebhookDelivery) error
	// ClaimWebhookDeliveries atomically takes up to max deliveries due at
	// now (earliest first), gives each a fresh Lease and moves its Due to
	// now+lease, so no other caller gets it until the lease ends.
	ClaimWebhookDeliveries(ctx context.Context, now time.Time, lease time.Duration, max int) ([]WebhookDelivery, error)
	// FinishWebhookDelivery ends an attempt at d, which must still hold
	// the lease it was claimed with (ErrConflict otherwise: the lease ran
	// out and someone else took it over; nothing is written). With retry
	// set, d is kept pending with its new Attempts and Due; otherwise it
	// is removed. a, when its Webhook is set, is appended to the delivery
	// log in the same step.
	FinishWebhookDelivery(ctx context.Context, d WebhookDelivery, retry bool, a WebhookAttempt) error
	// PendingWebhookDeliveries returns every pending delivery, earliest
	// due first (for operators and tests).
	PendingWebhookDeliveries(ctx context.Context) ([]WebhookDelivery, error)
	// WebhookAttempts returns up to limit entries of id's delivery log,
	// newest first.
	WebhookAttempts(ctx context.Context, id string, limit int) ([]WebhookAttempt, error)
}
