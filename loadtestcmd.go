package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"signpost/loadtest"
)

// loadtestCmd is `signpost loadtest`: open-loop platform traffic against
// one or more running instances, with a report on stdout. The token may
// come from SIGNPOST_LOADTEST_TOKEN so that it stays out of process lists.
// Interrupting a run still prints the report of what was sent; a run in
// which no request succeeded exits non-zero after its report.
func loadtestCmd(args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	d := loadtest.DefaultConfig()
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	urls := fs.String("url", "", "base URL of an instance; comma-separate several to spread the load")
	token := fs.String("token", "", "a platform token's secret (default $SIGNPOST_LOADTEST_TOKEN)")
	rate := fs.Float64("rate", d.Rate, "requests per second, sent on schedule whatever the answers; 0 sends as fast as answered (closed loop)")
	duration := fs.Duration("duration", d.Duration, "how long to send")
	workers := fs.Int("workers", d.Workers, "concurrent senders, each with its own connection")
	matchShare := fs.Float64("match-share", d.MatchShare, "share of events whose text the shipped rules match")
	viewsShare := fs.Float64("views-share", d.ViewsShare, "share of events that are views of posts rather than searches")
	interShare := fs.Float64("interactions-share", d.InteractionsShare, "share of received cards reported back as interactions")
	timeout := fs.Duration("timeout", d.Timeout, "per-request timeout")
	seed := fs.Uint64("seed", d.Seed, "traffic seed; the same seed sends the same texts")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("loadtest: unexpected argument %q", fs.Arg(0))
	}
	cfg := d
	for _, u := range strings.Split(*urls, ",") {
		if u = strings.TrimSpace(u); u != "" {
			cfg.URLs = append(cfg.URLs, u)
		}
	}
	if *token == "" {
		*token = getenv("SIGNPOST_LOADTEST_TOKEN")
	}
	cfg.Token, cfg.Rate, cfg.Duration, cfg.Workers = *token, *rate, *duration, *workers
	cfg.MatchShare, cfg.ViewsShare, cfg.InteractionsShare = *matchShare, *viewsShare, *interShare
	cfg.Timeout, cfg.Seed = *timeout, *seed
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("loadtest: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := loadtest.Run(ctx, cfg)
	if err != nil {
		return fmt.Errorf("loadtest: %w", err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		return fmt.Errorf("loadtest: write report: %w", err)
	}
	if rep.OK == 0 {
		// A run where nothing succeeded measured nothing: fail scripts.
		return fmt.Errorf("loadtest: no request succeeded (see errors above)")
	}
	return nil
}
