package app

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"signpost/store"
)

// securityLog writes security events (sign-ins, token and account
// changes, permission denials) to the store's security log from one
// background worker: a request only queues its event, so a flood of
// denials or a slow store never slows the requests. When the queue is
// full, events are dropped and counted.
type securityLog struct {
	st      store.Store
	log     *slog.Logger
	queue   chan store.AuditEntry
	dropped atomic.Int64
}

func newSecurityLog(st store.Store, log *slog.Logger) *securityLog {
	return &securityLog{st: st, log: log, queue: make(chan store.AuditEntry, 4096)}
}

// Record queues e, never blocking.
func (s *securityLog) Record(e store.AuditEntry) {
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	e.Campaign = "security"
	select {
	case s.queue <- e:
	default:
		s.dropped.Add(1)
	}
}

// run writes queued events until ctx ends, then what is left.
func (s *securityLog) run(ctx context.Context) {
	write := func(e store.AuditEntry) {
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if err := s.st.AppendSecurityEvent(wctx, e); err != nil {
			s.dropped.Add(1)
			s.log.Warn("security event not written", "action", e.Action, "err", err)
		}
	}
	for {
		select {
		case e := <-s.queue:
			write(e)
		case <-ctx.Done():
			for {
				select {
				case e := <-s.queue:
					write(e)
				default:
					return
				}
			}
		}
	}
}
