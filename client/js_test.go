package client_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"signpost/internal/faultproxy"
)

// nodeOrSkip returns the node binary, or skips the test without one
// (fails under SIGNPOST_REQUIRE_INTEGRATION=1).
func nodeOrSkip(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		if requireIntegration() {
			t.Fatal("node is not installed and SIGNPOST_REQUIRE_INTEGRATION=1")
		}
		t.Skip("node is not installed")
	}
	return node
}

// deadAddr returns a loopback URL where nothing listens: connections are
// refused at once, like a killed server's.
func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// TestJSClient runs client/js/signpost.test.mjs (node:test) against the
// real service, a frozen proxy in front of it and a refused port.
func TestJSClient(t *testing.T) {
	node := nodeOrSkip(t)
	srv := startServer(t)
	proxy := faultproxy.Start(t, strings.TrimPrefix(srv.base, "http://"))
	proxy.SetDelay(2 * time.Second)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", filepath.Join("js", "signpost.test.mjs"))
	cmd.Env = append(os.Environ(),
		"SIGNPOST_URL="+srv.base,
		"FROZEN_URL=http://"+proxy.Addr(),
		"DEAD_URL="+deadAddr(t),
		"PLATFORM_SECRET="+srv.token(t, "platform", "acme"),
		"REPORTER_SECRET="+srv.token(t, "platform", "js-reporter"),
		"EDITOR_SECRET="+srv.token(t, "editor", ""),
	)
	out, err := cmd.CombinedOutput()
	t.Logf("node --test:\n%s", out)
	if err != nil {
		t.Fatalf("node --test js/signpost.test.mjs: %v", err)
	}
	// node:test exits 0 when every test passed or was skipped; make sure
	// they ran at all.
	if !strings.Contains(string(out), "# pass") || strings.Contains(string(out), "# pass 0") {
		t.Errorf("no JS test passed")
	}
}
