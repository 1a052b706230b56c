package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"signpost/store"
)

// ErrDisabled is returned when pinging a subscription that was disabled.
var ErrDisabled = errors.New("webhook disabled")

// Config tunes a Service; zero values take the defaults.
type Config struct {
	// AllowHTTP accepts plain-http receivers on any host
	// (SIGNPOST_WEBHOOK_ALLOW_HTTP); otherwise only loopback ones.
	AllowHTTP bool
	// Timeout bounds one attempt (default 5s): a receiver should answer
	// at once and do its work later.
	Timeout time.Duration
	// Schedule is the wait before each retry (default DefaultSchedule).
	Schedule []time.Duration
	// Jitter varies each wait (default DefaultJitter; NoJitter in tests).
	Jitter func(time.Duration) time.Duration
	// Lease is how long a claimed delivery is this instance's alone
	// (default 2*Timeout+30s). It must outlast an attempt, or another
	// instance could send the delivery again while it is in flight.
	Lease time.Duration
	// Poll is how often the worker looks for due deliveries (default 1s).
	Poll time.Duration
	// Batch is how many deliveries one round claims and sends at once
	// (default 16).
	Batch int
	// Now is the clock (time.Now when nil); tests move it by hand.
	Now func() time.Time
	// Client sends the requests (default: one that follows no redirect).
	Client *http.Client
	// Log receives failures, by webhook and event id, never a URL (it
	// may carry a receiver's credentials) nor a response body.
	Log *slog.Logger
	// Observe counts each attempt's outcome: delivered, retry, failed,
	// gone, or dropped (its subscription was deleted or disabled).
	Observe func(outcome string)
}

func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Second
	}
	if c.Schedule == nil {
		c.Schedule = DefaultSchedule
	}
	if c.Jitter == nil {
		c.Jitter = DefaultJitter
	}
	if c.Lease <= 0 {
		c.Lease = 2*c.Timeout + 30*time.Second
	}
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	if c.Batch <= 0 {
		c.Batch = 16
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Client == nil {
		c.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Observe == nil {
		c.Observe = func(string) {}
	}
	return c
}

// Service manages subscriptions, turns events into pending deliveries and
// runs the delivery worker. It is safe for concurrent use.
type Service struct {
	st   store.Webhooks
	cfg  Config
	wake chan struct{}
}

// New returns a Service on st.
func New(st store.Webhooks, cfg Config) *Service {
	return &Service{st: st, cfg: cfg.withDefaults(), wake: make(chan struct{}, 1)}
}

// Create validates r and stores a new subscription with a fresh signing
// secret, returned in the result (the only time it is shown).
func (s *Service) Create(ctx context.Context, r Request, by string) (store.Webhook, error) {
	r, err := r.Check(s.cfg.AllowHTTP)
	if err != nil {
		return store.Webhook{}, err
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return store.Webhook{}, fmt.Errorf("webhook secret: %w", err)
	}
	w := store.Webhook{ID: newID("wh_"), URL: r.URL, Events: r.Events, Description: r.Description,
		Secret: "whsec_" + hex.EncodeToString(secret), CreatedAt: s.cfg.Now().UTC().Truncate(time.Second), CreatedBy: by}
	if err := s.st.CreateWebhook(ctx, w); err != nil {
		return store.Webhook{}, fmt.Errorf("create webhook: %w", err)
	}
	return w, nil
}

// Get returns one subscription (with its secret: callers must not show it).
func (s *Service) Get(ctx context.Context, id string) (store.Webhook, error) {
	w, err := s.st.Webhook(ctx, id)
	if err != nil {
		return w, fmt.Errorf("webhook %q: %w", id, err)
	}
	return w, nil
}

// List returns every subscription (with secrets: callers must not show them).
func (s *Service) List(ctx context.Context) ([]store.Webhook, error) {
	list, err := s.st.ListWebhooks(ctx)
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	return list, nil
}

// Delete removes a subscription; deliveries still pending are dropped.
func (s *Service) Delete(ctx context.Context, id string) error {
	if err := s.st.DeleteWebhook(ctx, id); err != nil {
		return fmt.Errorf("delete webhook %q: %w", id, err)
	}
	return nil
}

// Deliveries returns the newest limit entries of id's delivery log.
func (s *Service) Deliveries(ctx context.Context, id string, limit int) ([]store.WebhookAttempt, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	log, err := s.st.WebhookAttempts(ctx, id, limit)
	if err != nil {
		return nil, fmt.Errorf("webhook %q deliveries: %w", id, err)
	}
	return log, nil
}

// Test queues a ping to subscription id, whatever events it listens to.
func (s *Service) Test(ctx context.Context, id string) (Event, error) {
	w, err := s.Get(ctx, id)
	if err != nil {
		return Event{}, err
	}
	if !w.DisabledAt.IsZero() {
		return Event{}, fmt.Errorf("webhook %q: %w", id, ErrDisabled)
	}
	return s.enqueue(ctx, Ping, Data{Webhook: id}, []store.Webhook{w})
}

// Publish queues event typ to every enabled subscription that listens to
// it. Nothing is written when none does.
func (s *Service) Publish(ctx context.Context, typ string, data Data) (Event, error) {
	if !ValidType(typ) {
		return Event{}, fmt.Errorf("publish %q: unknown event type", typ)
	}
	list, err := s.List(ctx)
	if err != nil {
		return Event{}, err
	}
	list = slices.DeleteFunc(list, func(w store.Webhook) bool {
		return !w.DisabledAt.IsZero() || !slices.Contains(w.Events, typ)
	})
	return s.enqueue(ctx, typ, data, list)
}

// enqueue stores one pending delivery of a new event per subscription in
// to, due now, and wakes this instance's worker.
func (s *Service) enqueue(ctx context.Context, typ string, data Data, to []store.Webhook) (Event, error) {
	now := s.cfg.Now().UTC()
	ev := Event{ID: newID("evt_"), Type: typ, Created: now.Truncate(time.Millisecond), Data: data}
	if len(to) == 0 {
		return ev, nil
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return ev, fmt.Errorf("encode %s event: %w", typ, err)
	}
	ds := make([]store.WebhookDelivery, len(to))
	for i, w := range to {
		ds[i] = store.WebhookDelivery{ID: ev.ID + "." + w.ID, Webhook: w.ID, EventID: ev.ID, EventType: typ,
			Payload: payload, CreatedAt: now, Due: now}
	}
	if err := s.st.EnqueueWebhookDeliveries(ctx, ds); err != nil {
		return ev, fmt.Errorf("queue %s event for %d webhooks: %w", typ, len(ds), err)
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return ev, nil
}
