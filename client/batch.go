package client

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"sync"
	"time"
)

// Server limits QueueView checks, so that one bad view cannot fail the
// whole batch it would travel in (the server refuses a batch with any
// invalid event).
const (
	maxSearchText = 4 << 10
	maxViewText   = 64 << 10
	maxLocale     = 256
	maxSubject    = 256
)

var countryRe = regexp.MustCompile(`^[A-Z]{2}$`)

// validate reports why the server would refuse e, or nil.
func validate(e Event) error {
	limit := maxViewText
	switch e.Kind {
	case View:
	case Search:
		limit = maxSearchText
	default:
		return fmt.Errorf("%w: kind %q is not %q or %q", ErrInvalidEvent, e.Kind, Search, View)
	}
	switch {
	case e.Text == "":
		return fmt.Errorf("%w: empty text", ErrInvalidEvent)
	case len(e.Text) > limit:
		return fmt.Errorf("%w: text of %d bytes over the %s limit of %d", ErrInvalidEvent, len(e.Text), e.Kind, limit)
	case len(e.Locale) > maxLocale:
		return fmt.Errorf("%w: locale over %d bytes", ErrInvalidEvent, maxLocale)
	case len(e.Subject) > maxSubject:
		return fmt.Errorf("%w: subject over %d bytes", ErrInvalidEvent, maxSubject)
	case e.Country != "" && !countryRe.MatchString(e.Country):
		return fmt.Errorf("%w: country %q is not an ISO 3166-1 alpha-2 code", ErrInvalidEvent, e.Country)
	}
	return nil
}

// queued is a view waiting for its batch.
type queued struct {
	ev eventBody
	fn func(*Result, error)
	at time.Time
}

// flushReq is a Flush waiting until the views queued before it, up to
// sequence number upto, have their answers.
type flushReq struct {
	upto uint64
	ack  chan struct{}
}

// batcher collects queued views and sends them from one goroutine, which
// starts with the first QueueView and ends with Close. Sending from one
// goroutine keeps batches in order and bounds what the client puts on the
// network to one batch at a time.
type batcher struct {
	c *Client

	mu      sync.Mutex
	queue   []queued
	queued  uint64 // views ever queued
	sent    uint64 // views whose answers have been handed out
	flushes []flushReq
	started bool
	closed  bool

	wake chan struct{} // cap 1: something changed
	done chan struct{} // closed when the goroutine ends
}

func newBatcher(c *Client) *batcher {
	return &batcher{c: c, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

func (b *batcher) signal() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// QueueView sends e later, in a batch to /v1/events/batch, when BatchSize
// views are queued or BatchDelay has passed since the oldest. An empty
// e.Kind means View. fn (optional) receives the Result, with a nil Card
// on any failure; it runs on the client's batcher goroutine, so it must
// not block (hand slow work to another goroutine).
//
// QueueView never blocks on the network. It returns ErrQueueFull (the
// view is dropped and fn is never called) when MaxQueue views already
// wait, ErrClosed after Close, and an error wrapping ErrInvalidEvent for
// an event the server would refuse.
func (c *Client) QueueView(e Event, fn func(*Result, error)) error {
	if e.Kind == "" {
		e.Kind = View
	}
	if err := validate(e); err != nil {
		return err
	}
	b := c.batch
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.closed:
		return ErrClosed
	case len(b.queue) >= c.cfg.MaxQueue:
		return ErrQueueFull
	}
	b.queue = append(b.queue, queued{ev: wire(e), fn: fn, at: time.Now()})
	b.queued++
	if !b.started {
		b.started = true
		go b.run()
	}
	if len(b.queue) == 1 || len(b.queue) >= c.cfg.BatchSize {
		b.signal()
	}
	return nil
}

// Flush sends every view queued so far, without waiting for BatchDelay,
// and returns once each has its answer (and its callback has run), or
// when ctx is done.
func (c *Client) Flush(ctx context.Context) error {
	b := c.batch
	b.mu.Lock()
	if !b.started || b.sent == b.queued {
		b.mu.Unlock()
		return nil // nothing waits
	}
	ack := make(chan struct{})
	b.flushes = append(b.flushes, flushReq{upto: b.queued, ack: ack})
	b.mu.Unlock()
	b.signal()
	select {
	case <-ack:
		return nil
	case <-b.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("signpost flush: %w", ctx.Err())
	}
}

// Close flushes the queued views, stops the batcher and releases idle
// connections. QueueView fails with ErrClosed afterwards; Event, Report
// and Feedback still work. If ctx ends first, the batcher still sends
// what it holds in the background, each batch within BatchTimeout.
func (c *Client) Close(ctx context.Context) error {
	b := c.batch
	b.mu.Lock()
	already, started := b.closed, b.started
	b.closed = true
	b.mu.Unlock()
	if already {
		return nil
	}
	defer func() {
		if c.ownHC {
			c.hc.CloseIdleConnections()
		}
	}()
	if !started {
		return nil
	}
	b.signal()
	select {
	case <-b.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("signpost close: %w", ctx.Err())
	}
}

// run is the batcher goroutine.
func (b *batcher) run() {
	defer close(b.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		b.mu.Lock()
		n, closing, flushing := len(b.queue), b.closed, len(b.flushes) > 0
		var first time.Time
		if n > 0 {
			first = b.queue[0].at
		}
		b.mu.Unlock()
		switch {
		case n == 0 && closing:
			return
		case n == 0:
			<-b.wake
			continue
		case n >= b.c.cfg.BatchSize || closing || flushing:
			b.sendOne()
			continue
		}
		if wait := time.Until(first.Add(b.c.cfg.BatchDelay)); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-b.wake:
				timer.Stop()
				continue // look again: full, flushed or closed
			}
		}
		b.sendOne()
	}
}

// ackFlushes answers every Flush whose views have all been answered.
func (b *batcher) ackFlushes() {
	b.mu.Lock()
	defer b.mu.Unlock()
	keep := b.flushes[:0]
	for _, f := range b.flushes {
		if f.upto <= b.sent {
			close(f.ack)
		} else {
			keep = append(keep, f)
		}
	}
	clear(b.flushes[len(keep):])
	b.flushes = keep
}

// sendOne takes up to BatchSize views off the queue, sends them, and
// hands each its result.
func (b *batcher) sendOne() {
	b.mu.Lock()
	n := min(len(b.queue), b.c.cfg.BatchSize)
	batch := make([]queued, n)
	copy(batch, b.queue)
	rest := copy(b.queue, b.queue[n:])
	clear(b.queue[rest:])
	b.queue = b.queue[:rest]
	b.mu.Unlock()

	results, err := b.c.sendBatch(batch)
	for i, q := range batch {
		if q.fn == nil {
			continue
		}
		if err != nil {
			q.fn(&Result{}, err)
		} else {
			q.fn(results[i], nil)
		}
	}
	b.mu.Lock()
	b.sent += uint64(n)
	b.mu.Unlock()
	b.ackFlushes()
}

// sendBatch posts one batch under the breaker within BatchTimeout.
func (c *Client) sendBatch(batch []queued) ([]*Result, error) {
	body := struct {
		Events []eventBody `json:"events"`
	}{make([]eventBody, len(batch))}
	for i, q := range batch {
		body.Events[i] = q.ev
	}
	var out struct {
		Results []*Result `json:"results"`
	}
	if err := c.call(context.Background(), c.cfg.BatchTimeout, "/v1/events/batch", body, http.StatusOK, &out); err != nil {
		return nil, fmt.Errorf("signpost batch of %d: %w", len(batch), err)
	}
	if len(out.Results) != len(batch) {
		return nil, fmt.Errorf("signpost batch of %d: the answer has %d results", len(batch), len(out.Results))
	}
	for i, r := range out.Results {
		if r == nil {
			out.Results[i] = &Result{}
		}
	}
	return out.Results, nil
}
