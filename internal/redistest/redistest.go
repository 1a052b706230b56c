// Package redistest runs a real redis-server for tests, so the Redis store
// is tested against Redis itself rather than a fake.
package redistest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RequireEnv, when set to 1, turns a missing redis-server from a skip into a
// failure, so CI cannot pass by silently skipping the integration tests.
const RequireEnv = "SIGNPOST_REQUIRE_INTEGRATION"

const (
	// startTimeout bounds the wait for a new server to answer PING.
	startTimeout = 5 * time.Second
	// stopTimeout is how long a server gets to exit after SIGTERM.
	stopTimeout = 5 * time.Second
	// portAttempts is how often Start retries when another process grabs
	// the free port between choosing it and redis-server binding it.
	portAttempts = 3
)

// Server is a running redis-server owned by one test.
type Server struct {
	// Addr is the server's host:port on 127.0.0.1.
	Addr string
	// Dir is the server's working directory, holding its log.
	Dir string

	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	log  string
	// bin and args (without the port) let Restart run the same server
	// again on the same port and directory.
	bin  string
	args []string
	port int
	runs int // launches so far, naming each run's log
}

// URL returns a redis:// URL for the server.
func (s *Server) URL() string { return "redis://" + s.Addr }

// Start starts a redis-server with persistence off in tb.TempDir and stops
// it when the test ends. Without redis-server on PATH the test is skipped,
// or fails if SIGNPOST_REQUIRE_INTEGRATION=1.
func Start(tb testing.TB) *Server {
	tb.Helper()
	return start(tb, nil)
}

// StartCluster is Start for a one-node Redis Cluster owning all 16384 slots.
// It lets tests use a redis.ClusterClient, whose cross-slot checks catch
// keys that the store expects to share a slot but do not.
func StartCluster(tb testing.TB) *Server {
	tb.Helper()
	s := start(tb, []string{"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"})
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	c := redis.NewClient(&redis.Options{Addr: s.Addr})
	defer c.Close()
	if err := c.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", 0, 16383).Err(); err != nil {
		tb.Fatalf("redistest: assign cluster slots: %v", err)
	}
	for {
		info, err := c.ClusterInfo(ctx).Result()
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			return s
		}
		select {
		case <-ctx.Done():
			tb.Fatalf("redistest: cluster not ready after %v: %v\n%s", startTimeout, err, info)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// start runs redis-server with the common arguments plus extra, retrying
// on a port clash.
func start(tb testing.TB, extra []string) *Server {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		msg := "redistest: redis-server not found on PATH; install it (apt-get install redis-server) to run the Redis integration tests"
		if os.Getenv(RequireEnv) == "1" {
			tb.Fatalf("%s (%s=1 requires them)", msg, RequireEnv)
		}
		tb.Skip(msg)
	}
	dir := tb.TempDir()
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			tb.Fatalf("redistest: %v", err)
		}
		s := &Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Dir: dir, bin: bin, args: extra, port: port}
		err = s.launch()
		if err == nil {
			tb.Cleanup(func() { s.stop(tb) })
			return s
		}
		if !errors.Is(err, errPortInUse) || attempt == portAttempts {
			tb.Fatalf("redistest: %v", err)
		}
	}
}

// errPortInUse marks a start that failed because the port was taken.
var errPortInUse = errors.New("port already in use")

// launch starts the server's process on its port and waits until it
// answers PING. On failure the process is gone and the error includes the
// tail of its log.
func (s *Server) launch() error {
	s.runs++
	s.log = filepath.Join(s.Dir, fmt.Sprintf("redis-%d.log", s.runs))
	logFile, err := os.Create(s.log)
	if err != nil {
		return fmt.Errorf("create log: %w", err)
	}
	defer logFile.Close() // the child keeps its own descriptor
	args := []string{}
	if len(s.args) > 0 && strings.HasSuffix(s.args[0], ".conf") {
		args = append(args, s.args[0]) // a config file must come first
	}
	args = append(args, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.Dir,
		// Replicas sync at once rather than after the default 5 s wait
		// for more replicas to share one transfer.
		"--repl-diskless-sync-delay", "0")
	for i, a := range s.args {
		if i > 0 || !strings.HasSuffix(a, ".conf") {
			args = append(args, a)
		}
	}
	cmd := exec.Command(s.bin, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = s.Dir, logFile, logFile
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.bin, err)
	}
	done := make(chan struct{})
	s.cmd, s.done = cmd, done
	go func() { cmd.Wait(); close(done) }()

	if err := s.waitReady(); err != nil {
		s.kill()
		tail := s.logTail()
		if strings.Contains(tail, "Address already in use") {
			err = fmt.Errorf("%w: %w", errPortInUse, err)
		}
		return fmt.Errorf("redis-server on %s: %w\n--- %s (tail) ---\n%s", s.Addr, err, s.log, tail)
	}
	return nil
}

// freePort asks the kernel for a free loopback port. It is free only until
// someone else takes it, hence the retries in start.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady polls PING until it succeeds, the process exits or
// startTimeout passes.
func (s *Server) waitReady() error {
	deadline := time.Now().Add(startTimeout)
	for {
		err := ping(s.Addr)
		if err == nil {
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("exited during startup: %v", s.cmd.ProcessState)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no PING reply within %v: %w", startTimeout, err)
		}
	}
}

// ping sends one inline PING. It speaks raw RESP rather than using go-redis,
// whose pool retries and logs every refused dial while the server starts.
func ping(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	reply, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if reply != "+PONG\r\n" {
		return fmt.Errorf("PING reply %q", reply)
	}
	return nil
}

// stop sends SIGTERM and waits, killing the server if it lingers.
func (s *Server) stop(tb testing.TB) {
	_ = s.cmd.Process.Signal(syscall.SIGCONT) // a frozen server cannot act on SIGTERM
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		tb.Logf("redistest: SIGTERM redis-server: %v", err)
	}
	select {
	case <-s.done:
	case <-time.After(stopTimeout):
		tb.Logf("redistest: redis-server on %s ignored SIGTERM for %v; killing it", s.Addr, stopTimeout)
		s.kill()
	}
}

// kill kills the process and waits for it to be reaped.
func (s *Server) kill() {
	s.cmd.Process.Kill()
	<-s.done
}

// logTail returns the last lines of the server's log.
func (s *Server) logTail() string {
	const maxLines = 30
	data, err := os.ReadFile(s.log)
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > maxLines {
		lines = lines[len(lines)-maxLines:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// Freeze stops the server process (SIGSTOP): it keeps its connections
// and data but answers nothing, like a server that hangs, until Thaw.
func (s *Server) Freeze(tb testing.TB) {
	tb.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		tb.Fatalf("redistest: SIGSTOP: %v", err)
	}
}

// Thaw resumes a frozen server (SIGCONT).
func (s *Server) Thaw(tb testing.TB) {
	tb.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		tb.Fatalf("redistest: SIGCONT: %v", err)
	}
}

// Kill kills the server (SIGKILL) and waits for it to exit, like a crash
// or a lost machine: connections drop and nothing is saved on the way.
func (s *Server) Kill(tb testing.TB) {
	tb.Helper()
	s.kill()
}

// Restart starts a killed or stopped server again on the same port and
// directory, with the same arguments, and waits until it answers PING.
// A Cluster node finds its nodes.conf there and rejoins; a server started
// with persistence reloads its data.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	select {
	case <-s.done:
	default:
		tb.Fatalf("redistest: Restart of %s, which is still running", s.Addr)
	}
	if err := s.launch(); err != nil {
		tb.Fatalf("redistest: restart: %v", err)
	}
}

// Running reports whether the server's process is alive (it may be frozen).
func (s *Server) Running() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}
