package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"signpost/store"
)

// Attempt outcomes, as the delivery log and the metric name them.
const (
	OutcomeDelivered = "delivered"
	OutcomeRetry     = "retry"
	OutcomeFailed    = "failed"
	OutcomeGone      = "gone"
	OutcomeDropped   = "dropped"
)

// UserAgent identifies signpost's deliveries.
const UserAgent = "signpost-webhooks/1"

// Run delivers due deliveries until ctx ends: at once when this instance
// queued one, else every Poll. In-flight attempts stop with ctx and are
// not recorded; their lease runs out and they are sent again.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.Poll)
	defer t.Stop()
	for {
		n, err := s.Deliver(ctx)
		if err != nil && ctx.Err() == nil {
			s.cfg.Log.Warn("webhook deliveries could not be claimed", "err", err)
		}
		if n == s.cfg.Batch && err == nil {
			continue // there may be more due
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

// Deliver claims the deliveries due now (up to Batch), attempts each
// concurrently and records the outcomes. It returns how many it claimed.
func (s *Service) Deliver(ctx context.Context) (int, error) {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	ds, err := s.st.ClaimWebhookDeliveries(cctx, s.cfg.Now(), s.cfg.Lease, s.cfg.Batch)
	cancel()
	if err != nil {
		return 0, fmt.Errorf("claim webhook deliveries: %w", err)
	}
	var wg sync.WaitGroup
	for _, d := range ds {
		wg.Go(func() { s.attempt(ctx, d) })
	}
	wg.Wait()
	return len(ds), nil
}

// attempt sends d once and records what happened.
func (s *Service) attempt(ctx context.Context, d store.WebhookDelivery) {
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	w, err := s.st.Webhook(lctx, d.Webhook)
	cancel()
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && !w.DisabledAt.IsZero()):
		s.finish(ctx, d, false, store.WebhookAttempt{}, OutcomeDropped)
		return
	case err != nil:
		s.cfg.Log.Warn("webhook delivery postponed: subscription unreadable", "webhook", d.Webhook, "event", d.EventID, "err", err)
		return // the lease runs out and it is tried again
	}
	d.Attempts++
	a := store.WebhookAttempt{Webhook: w.ID, EventID: d.EventID, EventType: d.EventType, Attempt: d.Attempts}
	start := time.Now()
	a.Status, a.Error = s.post(ctx, w, d)
	a.Duration = time.Since(start)
	if ctx.Err() != nil {
		return // shutting down: not this receiver's fault
	}
	now := s.cfg.Now().UTC()
	a.Time = now
	retry := false
	switch {
	case a.Error == "" && a.Status >= 200 && a.Status < 300:
		a.Outcome = OutcomeDelivered
	case a.Status == http.StatusGone:
		a.Outcome = OutcomeGone
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := s.st.DisableWebhook(dctx, w.ID, now, "the receiver answered 410 Gone")
		cancel()
		if err != nil {
			s.cfg.Log.Warn("disabling a webhook after 410 failed", "webhook", w.ID, "err", err)
		}
	default:
		if wait, ok := retryAfter(s.cfg.Schedule, d.Attempts, s.cfg.Jitter); ok {
			a.Outcome, a.NextAttempt, retry = OutcomeRetry, now.Add(wait), true
			d.Due = a.NextAttempt
		} else {
			a.Outcome = OutcomeFailed
		}
		s.cfg.Log.Warn("webhook delivery failed", "webhook", w.ID, "event", d.EventID, "type", d.EventType,
			"attempt", d.Attempts, "status", a.Status, "error", a.Error, "outcome", a.Outcome)
	}
	s.finish(ctx, d, retry, a, a.Outcome)
}

// finish records the attempt and counts its outcome. A lost lease means
// the attempt took longer than the lease and another instance took the
// delivery over: the receiver may get it twice, and dedupes on the id.
func (s *Service) finish(ctx context.Context, d store.WebhookDelivery, retry bool, a store.WebhookAttempt, outcome string) {
	fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.st.FinishWebhookDelivery(fctx, d, retry, a); err != nil {
		s.cfg.Log.Warn("webhook delivery not recorded", "webhook", d.Webhook, "event", d.EventID, "err", err)
		return
	}
	s.cfg.Observe(outcome)
}

// post sends one attempt and returns the receiver's status, or the class
// of error that kept one from coming back. The response body is read (up
// to a bound, so the connection can be reused) and dropped.
func (s *Service) post(ctx context.Context, w store.Webhook, d store.WebhookDelivery) (int, string) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(d.Payload))
	if err != nil {
		return 0, "request"
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set("Signpost-Event", d.EventType)
	req.Header.Set("Signpost-Delivery", d.EventID)
	req.Header.Set("Signpost-Attempt", strconv.Itoa(d.Attempts))
	req.Header.Set(SignatureHeader, Sign(w.Secret, s.cfg.Now(), d.Payload))
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		return 0, errorClass(err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return resp.StatusCode, "status"
	}
	return resp.StatusCode, ""
}

// errorClass names why no response came: timeout, dns, tls or
// connection (refused, reset, closed early).
func errorClass(err error) string {
	var dnsErr *net.DNSError
	var netErr net.Error
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recErr tls.RecordHeaderError
	switch {
	case errors.As(err, &dnsErr):
		return "dns"
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		return "timeout"
	case errors.As(err, &certErr) || errors.As(err, &unknownAuth) || errors.As(err, &hostErr) || errors.As(err, &recErr):
		return "tls"
	}
	return "connection"
}
