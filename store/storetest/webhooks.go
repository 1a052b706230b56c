package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"signpost/store"
)

func webhook(id string) store.Webhook {
	return store.Webhook{ID: id, URL: "https://example.org/hooks/" + id, Events: []string{"campaign.published", "rule.auto_paused"},
		Description: "queue " + id, Secret: "whsec_" + id, CreatedAt: at(1), CreatedBy: "ops"}
}

func delivery(id, hook string, due int) store.WebhookDelivery {
	return store.WebhookDelivery{ID: id + "." + hook, Webhook: hook, EventID: id, EventType: "campaign.published",
		Payload: []byte(`{"id":"` + id + `"}`), CreatedAt: at(0), Due: at(due)}
}

func attempt(hook string, n int) store.WebhookAttempt {
	return store.WebhookAttempt{Webhook: hook, EventID: fmt.Sprintf("evt_%d", n), EventType: "ping", Attempt: 1, Time: at(n),
		Status: 500, Duration: 12 * time.Millisecond, Outcome: "retry", NextAttempt: at(n + 10)}
}

var ignoreLease = cmpopts.IgnoreFields(store.WebhookDelivery{}, "Lease")

func runWebhooks(t *testing.T, open Opener) {
	t.Run("Subscriptions", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		list, err := s.ListWebhooks(ctx)
		if err != nil {
			t.Fatalf("ListWebhooks on an empty store: %v", err)
		}
		diff(t, "empty ListWebhooks", []store.Webhook(nil), list)
		for _, id := range []string{"wh_b", "wh_a"} {
			if err := s.CreateWebhook(ctx, webhook(id)); err != nil {
				t.Fatalf("CreateWebhook(%s): %v", id, err)
			}
		}
		if err := s.CreateWebhook(ctx, webhook("wh_a")); !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateWebhook of a taken id: err = %v, want store.ErrConflict", err)
		}
		got, err := s.Webhook(ctx, "wh_a")
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "Webhook", webhook("wh_a"), got)
		_, err = s.Webhook(ctx, "wh_zz")
		wantNotFound(t, "Webhook of an unknown id", err)

		if err := s.DisableWebhook(ctx, "wh_b", at(9), "410 Gone"); err != nil {
			t.Fatalf("DisableWebhook: %v", err)
		}
		wantNotFound(t, "DisableWebhook of an unknown id", s.DisableWebhook(ctx, "wh_zz", at(9), "x"))
		disabled := webhook("wh_b")
		disabled.DisabledAt, disabled.DisabledReason = at(9), "410 Gone"
		list, err = s.ListWebhooks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "ListWebhooks", []store.Webhook{webhook("wh_a"), disabled}, list)

		// Deleting a webhook takes its delivery log with it.
		claimAndLog(t, s, "wh_a", 1)
		if err := s.DeleteWebhook(ctx, "wh_a"); err != nil {
			t.Fatalf("DeleteWebhook: %v", err)
		}
		wantNotFound(t, "DeleteWebhook twice", s.DeleteWebhook(ctx, "wh_a"))
		_, err = s.Webhook(ctx, "wh_a")
		wantNotFound(t, "Webhook after delete", err)
		if log, err := s.WebhookAttempts(ctx, "wh_a", 0); err != nil || len(log) != 0 {
			t.Errorf("log after delete = %v, %v; want none", log, err)
		}
	})

	t.Run("ClaimAndFinish", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		ds := []store.WebhookDelivery{delivery("evt_2", "wh_a", 20), delivery("evt_1", "wh_a", 10), delivery("evt_3", "wh_a", 1000)}
		if err := s.EnqueueWebhookDeliveries(ctx, ds); err != nil {
			t.Fatalf("EnqueueWebhookDeliveries: %v", err)
		}
		// The same delivery enqueued again changes nothing.
		again := delivery("evt_1", "wh_a", 99)
		if err := s.EnqueueWebhookDeliveries(ctx, []store.WebhookDelivery{again}); err != nil {
			t.Fatal(err)
		}
		pending, err := s.PendingWebhookDeliveries(ctx)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "pending", []store.WebhookDelivery{ds[1], ds[0], ds[2]}, pending)

		if got, err := s.ClaimWebhookDeliveries(ctx, at(5), time.Minute, 10); err != nil || len(got) != 0 {
			t.Errorf("claim before anything is due = %v, %v; want none", got, err)
		}
		got, err := s.ClaimWebhookDeliveries(ctx, at(20), time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		want := []store.WebhookDelivery{ds[1], ds[0]}
		for i := range want {
			want[i].Due = at(20).Add(time.Minute)
		}
		if d := cmp.Diff(want, got, ignoreLease, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("claimed (-want +got):\n%s", d)
		}
		if len(got) != 2 || got[0].Lease == "" || got[0].Lease == got[1].Lease {
			t.Fatalf("claims need distinct leases: %+v", got)
		}
		// Leased deliveries are nobody else's until the lease ends.
		if more, err := s.ClaimWebhookDeliveries(ctx, at(25), time.Minute, 10); err != nil || len(more) != 0 {
			t.Errorf("claim of leased deliveries = %v, %v; want none", more, err)
		}
		// After it ends, another claim takes them over; the old lease
		// can finish nothing.
		took, err := s.ClaimWebhookDeliveries(ctx, at(20).Add(time.Minute), time.Minute, 1)
		if err != nil || len(took) != 1 || took[0].ID != got[0].ID || took[0].Lease == got[0].Lease {
			t.Fatalf("claim after the lease = %+v, %v; want %s with a new lease", took, err, got[0].ID)
		}
		stale := got[0]
		stale.Attempts++
		if err := s.FinishWebhookDelivery(ctx, stale, false, attempt("wh_a", 1)); !errors.Is(err, store.ErrConflict) {
			t.Errorf("finish with a lost lease: err = %v, want store.ErrConflict", err)
		}

		// Retry: kept with its new attempt count and due time, logged.
		retry := took[0]
		retry.Attempts, retry.Due = 1, at(200)
		if err := s.FinishWebhookDelivery(ctx, retry, true, attempt("wh_a", 2)); err != nil {
			t.Fatalf("finish for a retry: %v", err)
		}
		if err := s.FinishWebhookDelivery(ctx, retry, true, attempt("wh_a", 3)); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second finish with one lease: err = %v, want store.ErrConflict", err)
		}
		// Done: removed, logged.
		if err := s.FinishWebhookDelivery(ctx, got[1], false, attempt("wh_a", 4)); err != nil {
			t.Fatalf("finish delivered: %v", err)
		}
		pending, err = s.PendingWebhookDeliveries(ctx)
		if err != nil {
			t.Fatal(err)
		}
		retry.Lease = ""
		if d := cmp.Diff([]store.WebhookDelivery{retry, ds[2]}, pending, ignoreLease, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("pending after finishing (-want +got):\n%s", d)
		}
		log, err := s.WebhookAttempts(ctx, "wh_a", 0)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "delivery log, newest first", []store.WebhookAttempt{attempt("wh_a", 4), attempt("wh_a", 2)}, log)
	})

	t.Run("LogIsBounded", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		n := store.MaxWebhookAttempts + 5
		for i := range n {
			claimAndLog(t, s, "wh_a", i)
		}
		claimAndLog(t, s, "wh_b", 0)
		log, err := s.WebhookAttempts(ctx, "wh_a", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != store.MaxWebhookAttempts || log[0].EventID != fmt.Sprintf("evt_%d", n-1) ||
			log[len(log)-1].EventID != fmt.Sprintf("evt_%d", n-store.MaxWebhookAttempts) {
			t.Errorf("log of %d entries from %s to %s; want the newest %d", len(log), log[0].EventID, log[len(log)-1].EventID, store.MaxWebhookAttempts)
		}
		top, err := s.WebhookAttempts(ctx, "wh_a", 3)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "limited log", log[:3], top)
		if other, err := s.WebhookAttempts(ctx, "wh_b", 0); err != nil || len(other) != 1 {
			t.Errorf("another webhook's log = %v, %v; want its one entry", other, err)
		}
	})

	t.Run("ConcurrentClaimsOnce", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		var ds []store.WebhookDelivery
		for i := range 40 {
			ds = append(ds, delivery(fmt.Sprintf("evt_%d", i), "wh_a", i%5))
		}
		if err := s.EnqueueWebhookDeliveries(ctx, ds); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		seen := map[string]int{}
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for {
					got, err := s.ClaimWebhookDeliveries(ctx, at(10), time.Hour, 3)
					if err != nil {
						t.Errorf("claim: %v", err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, d := range got {
						seen[d.ID]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(seen) != len(ds) {
			t.Errorf("claimed %d distinct deliveries, want %d", len(seen), len(ds))
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("delivery %s claimed %d times", id, n)
			}
		}
	})
}

// claimAndLog enqueues, claims and finishes one delivery to hook so that
// its attempt n lands in the log.
func claimAndLog(t *testing.T, s store.Store, hook string, n int) {
	t.Helper()
	ctx := t.Context()
	d := delivery(fmt.Sprintf("evt_%d", n), hook, 0)
	if err := s.EnqueueWebhookDeliveries(ctx, []store.WebhookDelivery{d}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ClaimWebhookDeliveries(ctx, at(0), time.Minute, 1)
	if err != nil || len(got) != 1 {
		t.Fatalf("claim = %v, %v", got, err)
	}
	if err := s.FinishWebhookDelivery(ctx, got[0], false, attempt(hook, n)); err != nil {
		t.Fatalf("finish: %v", err)
	}
}
