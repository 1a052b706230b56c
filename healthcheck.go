package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// healthcheckTimeout bounds the whole check: a container runtime that
// runs it every few seconds must never see it hang.
const healthcheckTimeout = 2 * time.Second

// healthcheckCmd asks a running signpost whether it is ready (or, with
// --live, alive), for container HEALTHCHECKs on distroless images that
// have no shell, curl or wget: the binary checks itself. It exits 0 on a
// 200 answer and 1 otherwise, saying why on stderr.
func healthcheckCmd(args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rawURL := fs.String("url", "", "URL to check (default: http://127.0.0.1:<port of SIGNPOST_ADDR>/readyz)")
	live := fs.Bool("live", false, "check /livez (the process answers) instead of /readyz (ready for traffic)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("healthcheck: unexpected argument %q", fs.Arg(0))
	}
	target := *rawURL
	if target == "" {
		path := "/readyz"
		if *live {
			path = "/livez"
		}
		u, err := healthURL(getenv("SIGNPOST_ADDR"), path)
		if err != nil {
			return err
		}
		target = u
	}
	ctx, cancel := context.WithTimeout(context.Background(), healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %d: %s", target, resp.StatusCode, body)
	}
	fmt.Fprintf(stdout, "ok: %s\n", target)
	return nil
}

// healthURL is the loopback URL of path on the port signpost listens on
// (SIGNPOST_ADDR, default :8080). A specific listen host is kept, since
// the server may not be listening on loopback then.
func healthURL(addr, path string) (string, error) {
	if addr == "" {
		addr = ":8080"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("healthcheck: SIGNPOST_ADDR %q: %w", addr, err)
	}
	switch host {
	case "", "0.0.0.0", "::":
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + path, nil
}
