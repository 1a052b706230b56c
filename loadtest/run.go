// Package loadtest generates realistic platform traffic against signpost
// deployments and reports throughput, latency percentiles and errors.
//
// The generator is open-loop: request i is due at start + i/rate whether or
// not earlier requests have been answered, and its latency is measured from
// that intended time, so a stalled server shows up as latency rather than
// as fewer requests sent (the "coordinated omission" that closed-loop tools
// suffer). Workers take the schedule's slots in turn, each the next one
// not yet taken: a slot starts late only when every worker (connection)
// is busy, and then its lateness counts, as a platform's requests would
// queue behind a stalled service.
package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// Config describes one run.
type Config struct {
	// URLs are the base URLs of the instances; requests go round-robin.
	URLs []string
	// Token is a platform token's secret.
	Token string
	// Rate is the intended requests per second over all workers; 0 runs
	// closed-loop (each worker sends as soon as its previous answer came),
	// which finds the maximum rate but hides queueing from the latencies.
	Rate float64
	// Duration is how long requests are started for.
	Duration time.Duration
	// Workers is the number of concurrent senders (and connections).
	Workers int
	// MatchShare is the share of events whose text the rules match;
	// ViewsShare the share that are views of posts rather than searches.
	MatchShare, ViewsShare float64
	// InteractionsShare is the share of received cards that are reported
	// back with POST /v1/interactions; those requests take scheduled
	// slots, so the total rate stays Rate.
	InteractionsShare float64
	// Timeout bounds each request.
	Timeout time.Duration
	// Seed fixes the traffic; runs with the same seed send the same texts.
	Seed uint64
	// Subjects is the number of distinct pseudonymous users.
	Subjects int
}

// DefaultConfig returns the defaults the CLI documents.
func DefaultConfig() Config {
	return Config{Rate: 1000, Duration: 10 * time.Second, Workers: 64, MatchShare: 0.04,
		ViewsShare: 0.3, InteractionsShare: 0.5, Timeout: time.Second, Seed: 1, Subjects: 100000}
}

// Validate reports a configuration that cannot run.
func (c *Config) Validate() error {
	switch {
	case len(c.URLs) == 0:
		return errors.New("--url is required")
	case c.Token == "":
		return errors.New("--token (or SIGNPOST_LOADTEST_TOKEN) is required: a platform token's secret")
	case c.Rate < 0:
		return fmt.Errorf("--rate %v: must be 0 (closed loop) or more", c.Rate)
	case c.Duration <= 0:
		return fmt.Errorf("--duration %v: must be positive", c.Duration)
	case c.Workers < 1 || c.Workers > 10000:
		return fmt.Errorf("--workers %d: must be between 1 and 10000", c.Workers)
	case c.Timeout <= 0:
		return fmt.Errorf("--timeout %v: must be positive", c.Timeout)
	}
	for name, s := range map[string]float64{"--match-share": c.MatchShare, "--views-share": c.ViewsShare, "--interactions-share": c.InteractionsShare} {
		if s < 0 || s > 1 {
			return fmt.Errorf("%s %v: must be between 0 and 1", name, s)
		}
	}
	for _, u := range c.URLs {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return fmt.Errorf("--url %q: want http://host[:port] or https://host[:port]", u)
		}
	}
	return nil
}

// target is one instance's endpoints.
type target struct {
	events, interactions string
}

// Run sends the configured traffic until Duration has passed or ctx ends,
// and reports what it measured. The texts it sends are never part of the
// report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	mix, err := NewMix(Corpus(), cfg.MatchShare, cfg.ViewsShare, cfg.Subjects)
	if err != nil {
		return nil, err
	}
	targets := make([]target, len(cfg.URLs))
	for i, u := range cfg.URLs {
		u = strings.TrimRight(u, "/")
		targets[i] = target{events: u + "/v1/events", interactions: u + "/v1/interactions"}
	}
	client := &fasthttp.Client{
		Name:                          "signpost-loadtest",
		MaxConnsPerHost:               cfg.Workers,
		MaxIdleConnDuration:           time.Minute,
		NoDefaultUserAgentHeader:      true,
		DisableHeaderNamesNormalizing: true,
		ReadTimeout:                   cfg.Timeout,
		WriteTimeout:                  cfg.Timeout,
	}
	defer client.CloseIdleConnections()

	// The run ends at a time, not through a context deadline: a slot
	// scheduled before the end is always sent, even when its worker wakes
	// up after the end on a busy machine (a deadline could win that race
	// and drop it). ctx only stops the run early.
	start := time.Now()
	end := start.Add(cfg.Duration)
	var slots atomic.Int64
	results := make(chan *workerStats, cfg.Workers)
	for k := range cfg.Workers {
		w := &worker{cfg: &cfg, mix: mix, client: client, targets: targets,
			rng:   rand.New(rand.NewPCG(cfg.Seed, uint64(k))),
			stats: newWorkerStats()}
		go func() { w.run(ctx, start, end, &slots); results <- w.stats }()
	}
	total := newWorkerStats()
	for range cfg.Workers {
		total.merge(<-results)
	}
	return newReport(&cfg, total, time.Since(start)), nil
}

// worker sends scheduled requests, taking the next free slot each time.
type worker struct {
	cfg     *Config
	mix     *Mix
	client  *fasthttp.Client
	targets []target
	rng     *rand.Rand
	stats   *workerStats
	// pending holds card tokens this worker received and will report an
	// interaction for.
	pending []string
}

// lateSlack is how far behind schedule a send may start before it counts
// as late: beyond it the generator itself, not the service, is short of
// capacity, and the report says so.
const lateSlack = 5 * time.Millisecond

func (w *worker) run(ctx context.Context, start, end time.Time, slots *atomic.Int64) {
	var interval time.Duration
	if w.cfg.Rate > 0 {
		interval = time.Duration(float64(time.Second) / w.cfg.Rate)
	}
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	for {
		i := int(slots.Add(1) - 1)
		intended := time.Now()
		if interval > 0 {
			intended = start.Add(time.Duration(i) * interval)
			if !intended.Before(end) {
				return
			}
			if wait := time.Until(intended); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
			} else if -wait > lateSlack {
				w.stats.late++
			}
		} else if ctx.Err() != nil || !time.Now().Before(end) {
			return
		}
		w.send(req, resp, i, intended)
	}
}

// send sends slot i's request: an interaction if a card is waiting for
// one, else a new event.
func (w *worker) send(req *fasthttp.Request, resp *fasthttp.Response, i int, intended time.Time) {
	t := w.targets[i%len(w.targets)]
	req.Reset()
	resp.Reset()
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetContentType("application/json")
	req.Header.Set("Authorization", "Bearer "+w.cfg.Token)
	class, ev := classInteraction, Event{}
	if n := len(w.pending); n > 0 {
		tok := w.pending[n-1]
		w.pending = w.pending[:n-1]
		req.SetRequestURI(t.interactions)
		body, _ := json.Marshal(struct {
			Token string `json:"token"`
			Type  string `json:"type"`
		}{tok, interactionType(w.rng)})
		req.SetBodyRaw(body)
	} else {
		ev = w.mix.Next(w.rng)
		class = classSearch
		if ev.Kind == "view" {
			class = classView
		}
		req.SetRequestURI(t.events)
		body, _ := json.Marshal(ev)
		req.SetBodyRaw(body)
	}
	req.SetTimeout(w.cfg.Timeout)
	err := w.client.Do(req, resp)
	lat := time.Since(intended)
	if kind := errorKind(err, resp.StatusCode()); kind != "" {
		w.stats.fail(class, kind, lat)
		return
	}
	matched := false
	if class != classInteraction {
		var ans struct {
			Matched bool `json:"matched"`
			Card    *struct {
				Token string `json:"token"`
			} `json:"card"`
		}
		if json.Unmarshal(resp.Body(), &ans) != nil {
			w.stats.fail(class, "bad_response", lat)
			return
		}
		matched = ans.Matched
		if ans.Card != nil && ans.Card.Token != "" && w.rng.Float64() < w.cfg.InteractionsShare {
			w.pending = append(w.pending, ans.Card.Token)
		}
	}
	w.stats.ok(class, lat, matched)
}

// interactionType draws what the user did with a card: it was shown, and
// some users then dismissed it or continued past it.
func interactionType(rng *rand.Rand) string {
	switch r := rng.IntN(10); {
	case r < 7:
		return "impression"
	case r < 9:
		return "continue"
	default:
		return "dismiss"
	}
}

// errorKind names a failed request's error for the report, or returns ""
// for a 2xx answer.
func errorKind(err error, status int) string {
	switch {
	case err == nil && status >= 200 && status < 300:
		return ""
	case err == nil:
		return fmt.Sprintf("status_%d", status)
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrDialTimeout):
		return "timeout"
	case errors.Is(err, fasthttp.ErrNoFreeConns):
		return "no_free_connection"
	default:
		return "connection"
	}
}
