package faultproxy

import (
	"bufio"
	"net"
	"testing"
	"time"
)

// echo serves a line-echo server until the test ends.
func echo(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if _, err := c.Write([]byte(line)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// roundTrip sends one line through c and returns the echo and how long
// it took.
func roundTrip(t *testing.T, c net.Conn, r *bufio.Reader, line string) (string, time.Duration) {
	t.Helper()
	start := time.Now()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(line + "\n")); err != nil {
		t.Fatalf("write: %v", err)
	}
	got, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return got[:len(got)-1], time.Since(start)
}

func TestForwardDelayCut(t *testing.T) {
	p := Start(t, echo(t))
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	if got, _ := roundTrip(t, c, r, "hello"); got != "hello" {
		t.Fatalf("echo = %q, want hello", got)
	}

	const delay = 50 * time.Millisecond
	p.SetDelay(delay)
	got, took := roundTrip(t, c, r, "slow")
	if got != "slow" || took < 2*delay {
		t.Errorf("with a %v delay each way: echo %q after %v, want \"slow\" after at least %v", delay, got, took, 2*delay)
	}
	p.SetDelay(0)
	if got, took := roundTrip(t, c, r, "fast"); got != "fast" || took > delay {
		t.Errorf("delay removed: echo %q after %v, want \"fast\" well under %v", got, took, delay)
	}

	p.Cut()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	c.Write([]byte("after cut\n"))
	if line, err := r.ReadString('\n'); err == nil {
		t.Errorf("read %q from a cut connection, want an error", line)
	}
	// New connections still work after a cut.
	c2, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if got, _ := roundTrip(t, c2, bufio.NewReader(c2), "again"); got != "again" {
		t.Errorf("after cut, new connection echo = %q", got)
	}
}
