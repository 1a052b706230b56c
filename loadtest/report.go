package loadtest

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"time"
)

// Request classes the report breaks latencies down by.
const (
	classSearch = iota
	classView
	classInteraction
	numClasses
)

var classNames = [numClasses]string{"search", "view", "interaction"}

// workerStats is one worker's tally; merged into the report at the end.
type workerStats struct {
	all     Histogram
	byClass [numClasses]Histogram
	okN     [numClasses]int64
	matched int64
	errs    map[string]int64
	late    int64
}

func newWorkerStats() *workerStats { return &workerStats{errs: map[string]int64{}} }

func (s *workerStats) ok(class int, lat time.Duration, matched bool) {
	s.all.Record(lat)
	s.byClass[class].Record(lat)
	s.okN[class]++
	if matched {
		s.matched++
	}
}

// fail counts a failed request; its latency counts too (a timeout is the
// slowest answer of all, and leaving it out would flatter the tail).
func (s *workerStats) fail(class int, kind string, lat time.Duration) {
	s.all.Record(lat)
	s.byClass[class].Record(lat)
	s.errs[kind]++
}

func (s *workerStats) merge(o *workerStats) {
	s.all.Merge(&o.all)
	for i := range s.byClass {
		s.byClass[i].Merge(&o.byClass[i])
		s.okN[i] += o.okN[i]
	}
	s.matched += o.matched
	for k, v := range o.errs {
		s.errs[k] += v
	}
	s.late += o.late
}

// Latency holds percentiles in milliseconds.
type Latency struct {
	P50  float64 `json:"p50_ms"`
	P90  float64 `json:"p90_ms"`
	P99  float64 `json:"p99_ms"`
	P999 float64 `json:"p99_9_ms"`
	Max  float64 `json:"max_ms"`
}

func latencyOf(h *Histogram) Latency {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return Latency{P50: ms(h.Quantile(0.5)), P90: ms(h.Quantile(0.9)), P99: ms(h.Quantile(0.99)),
		P999: ms(h.Quantile(0.999)), Max: ms(h.Max())}
}

// ClassReport is one request class's share of the run.
type ClassReport struct {
	Requests int64   `json:"requests"`
	OK       int64   `json:"ok"`
	Latency  Latency `json:"latency"`
}

// Report is what a run measured. It holds counts and timings only, never
// a text that was sent or a token that came back.
type Report struct {
	// Mode is "open-loop" (fixed rate) or "closed-loop" (as fast as answered).
	Mode string `json:"mode"`
	// TargetRate is the intended requests per second (0 in closed loop).
	TargetRate float64 `json:"target_rate"`
	Workers    int     `json:"workers"`
	Instances  int     `json:"instances"`
	// Seconds is the run's wall time, from the first slot to the last answer.
	Seconds float64 `json:"seconds"`
	// Requests counts every request sent; OK those answered 2xx.
	Requests int64 `json:"requests"`
	OK       int64 `json:"ok"`
	// Throughput is answered-OK requests per second of wall time.
	Throughput float64 `json:"throughput"`
	// Latency is over every request, failures included, measured from
	// its intended send time in open loop.
	Latency Latency                `json:"latency"`
	Classes map[string]ClassReport `json:"classes"`
	// Errors counts failures by kind: timeout, connection,
	// no_free_connection, bad_response, status_NNN.
	Errors map[string]int64 `json:"errors"`
	// MatchedShare is the share of answered events that matched.
	MatchedShare float64 `json:"matched_share"`
	// LateSends counts requests the generator started more than 5 ms after
	// their slot: a sign that the load machine, not the service, was short
	// of CPU or connections (their lateness is still in the latencies).
	LateSends int64 `json:"late_sends"`
}

func newReport(cfg *Config, s *workerStats, wall time.Duration) *Report {
	r := &Report{Mode: "open-loop", TargetRate: cfg.Rate, Workers: cfg.Workers, Instances: len(cfg.URLs),
		Seconds: wall.Seconds(), Latency: latencyOf(&s.all), Classes: map[string]ClassReport{},
		Errors: s.errs, LateSends: s.late}
	if cfg.Rate == 0 {
		r.Mode = "closed-loop"
	}
	var events int64
	for i, name := range classNames {
		n := int64(s.byClass[i].Count())
		r.Requests += n
		r.OK += s.okN[i]
		if i != classInteraction {
			events += s.okN[i]
		}
		if n > 0 {
			r.Classes[name] = ClassReport{Requests: n, OK: s.okN[i], Latency: latencyOf(&s.byClass[i])}
		}
	}
	if wall > 0 {
		r.Throughput = float64(r.OK) / wall.Seconds()
	}
	if events > 0 {
		r.MatchedShare = float64(s.matched) / float64(events)
	}
	return r
}

// WriteText writes r for people: a summary line, percentiles per class
// and errors by kind.
func (r *Report) WriteText(w io.Writer) error {
	var err error
	p := func(format string, args ...any) {
		if err == nil {
			_, err = fmt.Fprintf(w, format, args...)
		}
	}
	target := "as fast as answered"
	if r.Mode == "open-loop" {
		target = fmt.Sprintf("target %.0f/s", r.TargetRate)
	}
	p("%s, %s, %d workers, %d instance(s), %.1f s\n", r.Mode, target, r.Workers, r.Instances, r.Seconds)
	p("requests %d, ok %d, throughput %.0f/s, matched share %.3f\n", r.Requests, r.OK, r.Throughput, r.MatchedShare)
	p("%-12s %9s %9s %9s %9s %9s %9s\n", "latency ms", "requests", "p50", "p90", "p99", "p99.9", "max")
	row := func(name string, n int64, l Latency) {
		p("%-12s %9d %9.3f %9.3f %9.3f %9.3f %9.3f\n", name, n, l.P50, l.P90, l.P99, l.P999, l.Max)
	}
	row("all", r.Requests, r.Latency)
	for _, name := range classNames {
		if c, ok := r.Classes[name]; ok {
			row(name, c.Requests, c.Latency)
		}
	}
	if len(r.Errors) == 0 {
		p("errors: none\n")
	}
	for _, k := range slices.Sorted(maps.Keys(r.Errors)) {
		p("errors %s: %d\n", k, r.Errors[k])
	}
	if r.LateSends > 0 {
		p("warning: %d requests started more than 5 ms late; the load generator is short of CPU or --workers\n", r.LateSends)
	}
	return err
}
