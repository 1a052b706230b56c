package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"runtime"

	"signpost/match"
)

// streamBatch is a run of input lines matched together by one worker:
// text holds the lines one after another (one string, so that a line is a
// substring of it and costs no allocation of its own), ends where each
// stops. out is what the batch writes, done closed when it is ready.
type streamBatch struct {
	text string
	ends []int
	out  []byte
	err  error
	done chan struct{}
}

// Batches are cut at whichever limit comes first: enough lines that a
// batch's overhead (two channel operations, one string) is noise, and
// few enough bytes that a file of long posts does not sit in memory.
const (
	batchLines = 512
	batchBytes = 256 << 10
)

// streamMatcher is what matchStream needs of *match.Matcher.
type streamMatcher interface {
	Match(match.Query) match.Result
	Explain(match.Query) match.Explanation
	Version() string
}

// matchStream matches every line of in and writes one JSON line for each
// to out, in input order. Lines are matched in batches by one worker per
// core (the matcher is safe for concurrent use), while a reader cuts the
// next batches and the caller's goroutine writes the finished ones in
// order. A read error is returned after every line before it is written;
// a write error stops the reading.
func matchStream(m streamMatcher, in io.Reader, out io.Writer, kind match.Kind, explain bool) error {
	workers := max(runtime.GOMAXPROCS(0), 1)
	work := make(chan *streamBatch, workers)
	order := make(chan *streamBatch, 4*workers)
	quit := make(chan struct{})
	var readErr error // written by the reader before it closes order
	go func() {
		defer close(order)
		defer close(work)
		readErr = readBatches(in, func(b *streamBatch) bool {
			b.done = make(chan struct{})
			select {
			case order <- b:
			case <-quit:
				return false
			}
			work <- b // a worker takes every batch order has
			return true
		})
	}()
	version := m.Version()
	for range workers {
		go func() {
			for b := range work {
				b.out, b.err = matchBatch(m, b, kind, explain, version)
				close(b.done)
			}
		}()
	}
	w := bufio.NewWriterSize(out, 64<<10)
	for b := range order {
		<-b.done
		if b.err != nil {
			close(quit)
			return b.err
		}
		if _, err := w.Write(b.out); err != nil {
			close(quit)
			return fmt.Errorf("write: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if readErr != nil {
		return fmt.Errorf("read stdin: %w", readErr)
	}
	return nil
}

// readBatches cuts in into batches of lines and hands each to send, until
// the input ends, a read fails or send returns false.
func readBatches(in io.Reader, send func(*streamBatch) bool) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var buf []byte
	var ends []int
	flush := func() bool {
		if len(ends) == 0 {
			return true
		}
		b := &streamBatch{text: string(buf), ends: ends}
		buf, ends = buf[:0], make([]int, 0, batchLines)
		return send(b)
	}
	for sc.Scan() {
		buf = append(buf, sc.Bytes()...)
		ends = append(ends, len(buf))
		if len(ends) >= batchLines || len(buf) >= batchBytes {
			if !flush() {
				return nil
			}
		}
	}
	flush()
	return sc.Err()
}

// matchBatch matches the lines of b and returns their JSON lines.
func matchBatch(m streamMatcher, b *streamBatch, kind match.Kind, explain bool, version string) ([]byte, error) {
	var out bytes.Buffer
	out.Grow(len(b.ends) * 96)
	var enc *json.Encoder
	if explain {
		enc = json.NewEncoder(&out)
		enc.SetEscapeHTML(false)
	}
	var line []byte
	start := 0
	for _, end := range b.ends {
		q := match.Query{Text: b.text[start:end], Kind: kind}
		start = end
		if explain {
			ex := m.Explain(q)
			if ex.Categories == nil {
				ex.Categories, ex.Rules = []string{}, []string{}
			}
			if err := enc.Encode(explainLine{Explanation: ex, RulesVersion: version}); err != nil {
				return nil, fmt.Errorf("encode explanation: %w", err)
			}
			continue
		}
		line = appendResult(line[:0], m.Match(q), version)
		out.Write(line)
	}
	return out.Bytes(), nil
}
