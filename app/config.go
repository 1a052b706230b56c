package app

import (
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"signpost/flood"
	"signpost/match"
	"signpost/webhook"
)

// Config is everything the service reads from its environment, parsed
// once and passed down.
type Config struct {
	Addr            string   // SIGNPOST_ADDR
	DataDir         string   // SIGNPOST_DATA_DIR
	RedisURL        string   // REDIS_URL
	RedisAddrs      []string // REDIS_ADDRS
	RedisMasterName string   // REDIS_MASTER_NAME
	BootstrapToken  string   // SIGNPOST_BOOTSTRAP_TOKEN
	PublicURL       string   // SIGNPOST_PUBLIC_URL, without a trailing slash
	LogLevel        slog.Level

	// RulesDir, when set, loads rules from this directory instead of the
	// embedded ones (SIGNPOST_RULES_DIR).
	RulesDir string

	// ShutdownTimeout bounds the graceful drain of requests.
	ShutdownTimeout time.Duration
	// DrainDelay (SIGNPOST_DRAIN_DELAY) is how long, once asked to stop,
	// the service keeps serving with /readyz answering 503, so a load
	// balancer stops sending before connections are refused.
	DrainDelay time.Duration
	// TokenRefresh is how often the token cache reloads from the store.
	TokenRefresh time.Duration
	// CatalogPoll is how often each instance checks the store's
	// published-state generation (a cheap read), so a publish or pause
	// whose notification was lost still lands within it.
	CatalogPoll time.Duration
	// CatalogRefresh is how often each instance rebuilds its catalog
	// regardless, repairing a change whose generation bump failed.
	CatalogRefresh time.Duration
	// EventRate and APIRate are the requests per second each token may
	// sustain on the platform routes and on every other /v1 route, with
	// bursts of twice that (SIGNPOST_RATE_EVENTS, SIGNPOST_RATE_API; 0
	// turns a limit off).
	EventRate, APIRate float64
	// SessionIdle and SessionAbsolute end a signed-in session after that
	// long unused, and that long after sign-in.
	SessionIdle, SessionAbsolute time.Duration
	// TrustedProxies are the addresses (or CIDR ranges) of reverse proxies
	// whose X-Forwarded-For is believed (SIGNPOST_TRUSTED_PROXIES, comma
	// separated); without them the client address is the connection's,
	// and no header can change it.
	TrustedProxies []string
	// FlushEvery (SIGNPOST_FLUSH_EVERY) is how often engagement counts
	// are written to the store: also the most an instance killed hard
	// loses.
	FlushEvery time.Duration
	// TwoPersonRule requires a second editor to publish a change
	// (SIGNPOST_TWO_PERSON_RULE, on unless set to "off").
	TwoPersonRule bool
	// RedisPrefix namespaces Redis keys (tests share one server).
	RedisPrefix string
	// Flood pauses a rule whose matches in the last Window are more than
	// Factor times its average over the trailing Baseline, with at least
	// Min of them (SIGNPOST_FLOOD_FACTOR, _MIN, _WINDOW, _BASELINE;
	// factor 0 turns auto-pausing off). See package flood.
	Flood flood.Config
	// Webhooks tunes webhook delivery (docs/webhooks.md): AllowHTTP is
	// SIGNPOST_WEBHOOK_ALLOW_HTTP; the rest (clock, retry schedule,
	// timeouts) keeps its defaults outside tests. Log and Observe are set
	// by the app.
	Webhooks webhook.Config
	// Tracing switches OpenTelemetry tracing on (SIGNPOST_TRACING; see
	// app/tracing.go).
	Tracing TracingConfig

	// Stdout receives the one-time admin secret on first start.
	Stdout io.Writer
	// Matchers keeps the last compiled rule sets; nil gives the app its
	// own. Apps in one process (tests) may share one: a matcher is
	// immutable, and the shipped rules compile to the same one.
	Matchers *match.Cache
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		Addr:            ":8080",
		DataDir:         "./data",
		PublicURL:       "http://localhost:8080",
		LogLevel:        slog.LevelInfo,
		ShutdownTimeout: 10 * time.Second,
		DrainDelay:      2 * time.Second,
		TokenRefresh:    5 * time.Second,
		CatalogPoll:     250 * time.Millisecond,
		CatalogRefresh:  30 * time.Second,
		FlushEvery:      time.Second,
		EventRate:       5000,
		SessionIdle:     30 * time.Minute,
		SessionAbsolute: 12 * time.Hour,
		APIRate:         50,
		TwoPersonRule:   true,
		RedisPrefix:     "signpost:",
		Flood:           flood.DefaultConfig(),
		Tracing:         defaultTracing(),
		Stdout:          os.Stdout,
	}
}

// ConfigFromEnv returns DefaultConfig overridden by the environment.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := DefaultConfig()
	set := func(dst *string, key string) {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			*dst = v
		}
	}
	set(&cfg.Addr, "SIGNPOST_ADDR")
	set(&cfg.DataDir, "SIGNPOST_DATA_DIR")
	set(&cfg.RedisURL, "REDIS_URL")
	set(&cfg.RedisMasterName, "REDIS_MASTER_NAME")
	set(&cfg.PublicURL, "SIGNPOST_PUBLIC_URL")
	set(&cfg.RulesDir, "SIGNPOST_RULES_DIR")
	cfg.BootstrapToken = getenv("SIGNPOST_BOOTSTRAP_TOKEN")
	for _, p := range strings.Split(getenv("SIGNPOST_TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p != "" {
			cfg.TrustedProxies = append(cfg.TrustedProxies, p)
		}
	}
	if v := getenv("REDIS_ADDRS"); strings.TrimSpace(v) != "" {
		for _, a := range strings.Split(v, ",") {
			if a = strings.TrimSpace(a); a != "" {
				cfg.RedisAddrs = append(cfg.RedisAddrs, a)
			}
		}
	}
	for _, r := range []struct {
		key string
		dst *float64
	}{{"SIGNPOST_RATE_EVENTS", &cfg.EventRate}, {"SIGNPOST_RATE_API", &cfg.APIRate}} {
		if v := strings.TrimSpace(getenv(r.key)); v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
				return cfg, fmt.Errorf("%s: %q is not a number of requests per second (0 turns the limit off)", r.key, v)
			}
			*r.dst = f
		}
	}
	if v := strings.TrimSpace(getenv("SIGNPOST_FLUSH_EVERY")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 100*time.Millisecond || d > time.Hour {
			return cfg, fmt.Errorf("SIGNPOST_FLUSH_EVERY: %q is not a duration between 100ms and 1h", v)
		}
		cfg.FlushEvery = d
	}
	if v := strings.TrimSpace(getenv("SIGNPOST_DRAIN_DELAY")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return cfg, fmt.Errorf("SIGNPOST_DRAIN_DELAY: %q is not a duration such as 2s or 0s", v)
		}
		cfg.DrainDelay = d
	}
	switch v := strings.ToLower(strings.TrimSpace(getenv("SIGNPOST_TWO_PERSON_RULE"))); v {
	case "", "on", "true", "1":
	case "off", "false", "0":
		cfg.TwoPersonRule = false
	default:
		return cfg, fmt.Errorf("SIGNPOST_TWO_PERSON_RULE: %q is not on or off", v)
	}
	if v := getenv("SIGNPOST_LOG_LEVEL"); v != "" {
		if err := cfg.LogLevel.UnmarshalText([]byte(v)); err != nil {
			return cfg, fmt.Errorf("SIGNPOST_LOG_LEVEL: %q is not debug, info, warn or error", v)
		}
	}
	if err := webhooksFromEnv(getenv, &cfg.Webhooks); err != nil {
		return cfg, err
	}
	if err := floodFromEnv(getenv, &cfg.Flood); err != nil {
		return cfg, err
	}
	if err := tracingFromEnv(getenv, &cfg.Tracing); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

// Validate reports configuration mistakes before anything starts.
func (c *Config) Validate() error {
	if c.RedisURL != "" && len(c.RedisAddrs) > 0 {
		return fmt.Errorf("set either REDIS_URL (standalone) or REDIS_ADDRS (Cluster or Sentinel), not both")
	}
	if c.RedisMasterName != "" && len(c.RedisAddrs) == 0 {
		return fmt.Errorf("REDIS_MASTER_NAME needs REDIS_ADDRS, the Sentinel addresses")
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("SIGNPOST_PUBLIC_URL %q must be an absolute http(s) URL", c.PublicURL)
	}
	if c.Flood.Factor != 0 {
		if err := c.Flood.Validate(); err != nil {
			return fmt.Errorf("SIGNPOST_FLOOD_*: %w", err)
		}
	}
	return nil
}

// usesRedis reports whether the store is Redis rather than embedded.
func (c *Config) usesRedis() bool { return c.RedisURL != "" || len(c.RedisAddrs) > 0 }
