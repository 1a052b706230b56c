// Package client is signpost's Go client for platforms. It embodies the
// fail-open contract: a call on the event path never blocks the platform's
// search or feed longer than a hard deadline (50 ms by default), never
// retries, and on any failure answers "show nothing" (a Result with a nil
// Card) together with an error for the platform's logs. A circuit breaker
// stops calling a server that keeps failing, so a dead or frozen signpost
// costs the platform nothing but the breaker's check.
//
// The package uses only the standard library.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Event kinds.
const (
	Search = "search"
	View   = "view"
)

// Interactions a platform reports on a card it rendered.
const (
	Impression = "impression"
	Dismiss    = "dismiss"
	Continue   = "continue"
)

// Feedback types.
const (
	// FalsePositive says a card was shown where it should not have been:
	// name the card's token, the rule id, or both.
	FalsePositive = "false_positive"
	// Missed says content about a crossing got no card: name the rule id
	// that should have fired, or the category (with an optional language).
	Missed = "missed"
)

// Defaults for Config's zero fields.
const (
	DefaultTimeout          = 50 * time.Millisecond
	DefaultFailureThreshold = 5
	DefaultOpenFor          = 5 * time.Second
	DefaultBatchSize        = 100
	DefaultBatchDelay       = 200 * time.Millisecond
	DefaultBatchTimeout     = 500 * time.Millisecond
	DefaultMaxQueue         = 10000
	DefaultReportTimeout    = 2 * time.Second

	// MaxBatchSize is the most events the server takes in one batch.
	MaxBatchSize = 500
)

// Config configures a Client. Zero fields take the documented defaults.
type Config struct {
	BaseURL    string        // e.g. "https://signpost.example"; required
	Secret     string        // platform bearer secret; required
	Timeout    time.Duration // hard per-call deadline on the event path; default 50ms
	HTTPClient *http.Client  // optional; the client sets no retries
	// Circuit breaker: after FailureThreshold consecutive failures (timeouts, 5xx, network
	// errors; NOT 4xx) calls fail fast for OpenFor, then one trial call is let through.
	FailureThreshold int           // default 5
	OpenFor          time.Duration // default 5s
	// View batching: QueueView collects views and sends them to /v1/events/batch when
	// BatchSize are queued or BatchDelay has passed since the first; at most MaxQueue wait.
	BatchSize  int           // default 100 (server max 500)
	BatchDelay time.Duration // default 200ms
	MaxQueue   int           // default 10000; beyond it QueueView drops and says so
	// BatchTimeout is the deadline of one batch call: larger than Timeout,
	// since a batch carries up to BatchSize views; default 500ms.
	BatchTimeout time.Duration
	// ReportTimeout is the deadline of Report and Feedback, which are off
	// the hot path; default 2s. They never retry either.
	ReportTimeout time.Duration
}

// Event is one search or view, as the platform sends it. Text is sent to
// signpost and nowhere else; the client never logs it.
type Event struct {
	Kind    string // Search or View
	Text    string // the search query, or the viewed post's text with its hashtags
	Locale  string // a BCP 47 tag or an Accept-Language list
	Subject string // the platform's pseudonymous id for the person or session
	Country string // ISO 3166-1 alpha-2, optional
}

// Result is the server's answer to one event. On any failure the client
// returns a Result with Matched false and a nil Card: show nothing.
type Result struct {
	Matched bool   `json:"matched"`
	Match   *Match `json:"match,omitempty"`
	Card    *Card  `json:"card"`
}

// Match says which categories and rules matched; never the text.
type Match struct {
	Categories   []string `json:"categories"`
	Rules        []string `json:"rules"`
	RulesVersion string   `json:"rules_version"`
}

// Card is a localised card to render. Dir is "rtl" or "ltr" and must be
// set on the element that holds the card.
type Card struct {
	Token    string   `json:"token"`
	Campaign string   `json:"campaign"`
	Variant  string   `json:"variant"`
	Locale   string   `json:"locale"`
	Dir      string   `json:"dir"`
	Title    string   `json:"title"`
	Body     string   `json:"body"`
	Actions  []Action `json:"actions"`
	Dismiss  Label    `json:"dismiss"`
	Continue Label    `json:"continue"`
}

// Action is a button on a card. URL goes through signpost's /r/{token}
// redirect, which counts the click; link to it as it is.
type Action struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	URL   string `json:"url"`
}

// Label is a control's text.
type Label struct {
	Label string `json:"label"`
}

// Feedback reports a wrong trigger to signpost's editors. It carries ids
// only, never user text.
type Feedback struct {
	Type     string // FalsePositive or Missed
	Token    string // a card's token (FalsePositive)
	Rule     string // a rule id, e.g. "en.crossing.boat_uk"
	Category string // a rule category (Missed), e.g. "crossing"
	Language string // the language of the missed content (Missed), e.g. "en"
}

// ErrBreakerOpen is returned, without any network call, while the circuit
// breaker is open.
var ErrBreakerOpen = errors.New("signpost: circuit breaker open")

// ErrQueueFull is returned by QueueView when MaxQueue views already wait.
var ErrQueueFull = errors.New("signpost: view queue full, view dropped")

// ErrClosed is returned by QueueView after Close.
var ErrClosed = errors.New("signpost: client closed")

// ErrInvalidEvent is wrapped by QueueView's error for an event the server
// would refuse, so that one bad view cannot fail a whole batch.
var ErrInvalidEvent = errors.New("signpost: invalid event")

// APIError is an answer with a 4xx or 5xx status.
type APIError struct {
	Status  int
	Code    string // the server's stable error code, e.g. "invalid_json"
	Message string
	// RetryAfter is the server's Retry-After on a 429 (zero otherwise).
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	return fmt.Sprintf("signpost: %d %s: %s", e.Status, e.Code, e.Message)
}

// Client calls one signpost deployment. It is safe for concurrent use.
type Client struct {
	cfg     Config
	hc      *http.Client
	ownHC   bool
	base    string
	auth    string
	breaker *breaker
	batch   *batcher
}

// New checks cfg, fills in defaults and returns a Client. It starts no
// goroutine: the batcher starts with the first QueueView.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		return nil, errors.New("signpost: Config.BaseURL is required")
	}
	if !strings.HasPrefix(cfg.BaseURL, "http://") && !strings.HasPrefix(cfg.BaseURL, "https://") {
		return nil, fmt.Errorf("signpost: Config.BaseURL %q must start with http:// or https://", cfg.BaseURL)
	}
	if cfg.Secret == "" {
		return nil, errors.New("signpost: Config.Secret is required")
	}
	if cfg.BatchSize > MaxBatchSize {
		return nil, fmt.Errorf("signpost: Config.BatchSize %d is over the server's limit of %d", cfg.BatchSize, MaxBatchSize)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	defInt := func(d *int, v int) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.Timeout, DefaultTimeout)
	def(&cfg.OpenFor, DefaultOpenFor)
	def(&cfg.BatchDelay, DefaultBatchDelay)
	def(&cfg.BatchTimeout, DefaultBatchTimeout)
	def(&cfg.ReportTimeout, DefaultReportTimeout)
	defInt(&cfg.FailureThreshold, DefaultFailureThreshold)
	defInt(&cfg.BatchSize, DefaultBatchSize)
	defInt(&cfg.MaxQueue, DefaultMaxQueue)
	c := &Client{cfg: cfg, hc: cfg.HTTPClient, base: strings.TrimRight(cfg.BaseURL, "/"), auth: "Bearer " + cfg.Secret}
	if c.hc == nil {
		c.hc, c.ownHC = newHTTPClient(), true
	}
	c.breaker = newBreaker(cfg.FailureThreshold, cfg.OpenFor, time.Now)
	c.batch = newBatcher(c)
	return c, nil
}

// newHTTPClient is a client tuned for many concurrent short calls to one
// host: the standard transport keeps only two idle connections per host,
// which under load means a new TCP (and TLS) handshake on most calls. It
// follows no redirects: signpost's API never redirects.
func newHTTPClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          256,
			MaxIdleConnsPerHost:   256,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   5 * time.Second,
			ExpectContinueTimeout: time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// eventBody is an event on the wire.
type eventBody struct {
	Kind    string `json:"kind"`
	Text    string `json:"text"`
	Locale  string `json:"locale,omitempty"`
	Subject string `json:"subject,omitempty"`
	Country string `json:"country,omitempty"`
}

func wire(e Event) eventBody { return eventBody(e) }

// Event asks signpost whether to show a card for e.
//
// Event never blocks longer than Timeout (or ctx, whichever is sooner) and
// never returns a nil Result: on any failure (deadline, breaker open,
// network, 5xx, 4xx) Result.Card is nil ("show nothing") and err says why,
// for the caller's logs. Never retries.
func (c *Client) Event(ctx context.Context, e Event) (*Result, error) {
	var res Result
	if err := c.call(ctx, c.cfg.Timeout, "/v1/events", wire(e), http.StatusOK, &res); err != nil {
		return &Result{}, fmt.Errorf("signpost event: %w", err)
	}
	return &res, nil
}

// Report records what the person did with a card: Impression (it was
// shown), Dismiss or Continue. Each counts once per token and type, so a
// repeated report is harmless. It has its own deadline (ReportTimeout)
// and never retries; a platform that wants retries must bound them.
func (c *Client) Report(ctx context.Context, token, interaction string) error {
	body := struct {
		Token string `json:"token"`
		Type  string `json:"type"`
	}{token, interaction}
	if err := c.call(ctx, c.cfg.ReportTimeout, "/v1/interactions", body, http.StatusNoContent, nil); err != nil {
		return fmt.Errorf("signpost report %s: %w", interaction, err)
	}
	return nil
}

// Feedback reports a wrong trigger to the editors (POST /v1/feedback): a
// false positive for a card's token or a rule, or content that was missed
// for a rule or a category. Like Report it has its own deadline and
// never retries.
func (c *Client) Feedback(ctx context.Context, f Feedback) error {
	body := struct {
		Type     string `json:"type"`
		Token    string `json:"token,omitempty"`
		Rule     string `json:"rule,omitempty"`
		Category string `json:"category,omitempty"`
		Language string `json:"language,omitempty"`
	}{f.Type, f.Token, f.Rule, f.Category, f.Language}
	var ack struct {
		Accepted bool `json:"accepted"`
	}
	if err := c.call(ctx, c.cfg.ReportTimeout, "/v1/feedback", body, http.StatusAccepted, &ack); err != nil {
		return fmt.Errorf("signpost feedback %s: %w", f.Type, err)
	}
	if !ack.Accepted {
		return errors.New("signpost feedback: the server did not accept it")
	}
	return nil
}

// BreakerState is "closed" (calls go through), "open" (calls fail fast)
// or "half-open" (the next call is a trial), for the platform's metrics.
func (c *Client) BreakerState() string { return c.breaker.state() }

// maxResponse bounds what the client reads of one answer: a batch of 500
// cards is well under it.
const maxResponse = 16 << 20

// call posts body to path under the breaker, within timeout (or ctx),
// and decodes a want-status answer into out (when not nil).
func (c *Client) call(ctx context.Context, timeout time.Duration, path string, body any, want int, out any) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode request: %w", err)
	}
	trial, ok := c.breaker.allow()
	if !ok {
		return ErrBreakerOpen
	}
	outcome, err := c.post(ctx, timeout, path, payload, want, out)
	c.breaker.record(trial, outcome)
	return err
}

// post does one HTTP call and classifies its outcome for the breaker.
func (c *Client) post(parent context.Context, timeout time.Duration, path string, payload []byte, want int, out any) (outcome, error) {
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(payload))
	if err != nil {
		return neutral, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", c.auth)
	resp, err := c.hc.Do(req)
	if err != nil {
		return classify(parent, ctx, timeout, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return classify(parent, ctx, timeout, fmt.Errorf("read answer: %w", err))
	}
	if resp.StatusCode != want {
		ae := apiError(resp, data)
		if resp.StatusCode >= 500 {
			return failure, ae
		}
		// A 4xx is the server answering: a sign of life, not a failure.
		return success, ae
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return failure, fmt.Errorf("decode answer: %w", err)
		}
	}
	return success, nil
}

// classify turns a transport error into the breaker's outcome and a clear
// error. The caller cancelling its own context says nothing about the
// server; a deadline passing (ours or the caller's) does.
func classify(parent, ctx context.Context, timeout time.Duration, err error) (outcome, error) {
	switch {
	case errors.Is(parent.Err(), context.Canceled):
		return neutral, fmt.Errorf("cancelled by the caller: %w", context.Canceled)
	case parent.Err() != nil:
		return failure, fmt.Errorf("no answer within the caller's deadline: %w", context.DeadlineExceeded)
	case ctx.Err() != nil:
		return failure, fmt.Errorf("no answer within %v: %w", timeout, context.DeadlineExceeded)
	default:
		return failure, err
	}
}

// apiError decodes the server's {"error":{"code","message"}} body.
func apiError(resp *http.Response, data []byte) *APIError {
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	ae := &APIError{Status: resp.StatusCode}
	if json.Unmarshal(data, &body) == nil && body.Error.Code != "" {
		ae.Code, ae.Message = body.Error.Code, body.Error.Message
	} else {
		ae.Code, ae.Message = "http_"+strconv.Itoa(resp.StatusCode), http.StatusText(resp.StatusCode)
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		ae.RetryAfter = time.Duration(s) * time.Second
	}
	return ae
}
