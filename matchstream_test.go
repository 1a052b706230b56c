package main

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"signpost/app"
	"signpost/match"
)

// echoMatcher matches every text, naming it as the rule, so that the
// output says which input line each output line belongs to.
type echoMatcher struct{}

func (echoMatcher) Match(q match.Query) match.Result {
	return match.Result{Matched: true, Rules: []string{q.Text}, Categories: []string{"x"}}
}

func (echoMatcher) Explain(q match.Query) match.Explanation {
	return match.Explanation{Result: match.Result{Matched: true}, Normalized: q.Text}
}

func (echoMatcher) Version() string { return "v1" }

func numberedLines(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "l%d\n", i)
	}
	return b.String()
}

func TestMatchStreamKeepsInputOrder(t *testing.T) {
	for _, explain := range []bool{false, true} {
		// Several batches of lines, the last one short, and a last line
		// with no newline.
		n := 3*batchLines + 17
		in := numberedLines(n) + "last"
		var out bytes.Buffer
		if err := matchStream(echoMatcher{}, strings.NewReader(in), &out, match.KindSearch, explain); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		if len(lines) != n+1 {
			t.Fatalf("explain=%v: %d output lines for %d input lines", explain, len(lines), n+1)
		}
		for i, l := range lines {
			want := fmt.Sprintf(`"l%d"`, i)
			if i == n {
				want = `"last"`
			}
			if !strings.Contains(l, want) {
				t.Fatalf("explain=%v: output line %d is %s, want the one for %s", explain, i, l, want)
			}
		}
	}
}

func TestMatchStreamSameAsOneByOne(t *testing.T) {
	m, err := app.LoadMatcher("")
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"small boat to uk price", "ferry timetable", "", "ta7reeb bri6ania", "جواز سفر مزور للبيع", "weather london"}
	var in strings.Builder
	var want bytes.Buffer
	for i := range 2*batchLines + 3 {
		tx := texts[i%len(texts)]
		in.WriteString(tx + "\n")
		want.Write(appendResult(nil, m.Match(match.Query{Text: tx, Kind: match.KindSearch}), m.Version()))
	}
	var out bytes.Buffer
	if err := matchStream(m, strings.NewReader(in.String()), &out, match.KindSearch, false); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), want.Bytes()) {
		t.Error("the stream's output differs from matching the lines one by one")
	}
}

func TestMatchStreamReadError(t *testing.T) {
	// A line over the 1 MiB limit: the lines before it are still written.
	in := numberedLines(2*batchLines) + strings.Repeat("a", 2<<20) + "\nafter\n"
	var out bytes.Buffer
	err := matchStream(echoMatcher{}, strings.NewReader(in), &out, match.KindSearch, false)
	if err == nil || !strings.Contains(err.Error(), "read stdin") {
		t.Fatalf("err = %v, want a read error", err)
	}
	if got := strings.Count(out.String(), "\n"); got != 2*batchLines {
		t.Errorf("%d lines written before the error, want %d", got, 2*batchLines)
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestMatchStreamWriteErrorStopsReading(t *testing.T) {
	// A failed write must stop the reader and the workers: once the
	// stream returns, its goroutines end (the reader after at most the
	// batch it was cutting), where a reader left blocked on handing over
	// its next batch would stay for the process's life.
	before := runtime.NumGoroutine()
	in := strings.Repeat(strings.Repeat("a", 64<<10)+"\n", 1024)
	err := matchStream(echoMatcher{}, strings.NewReader(in), failingWriter{}, match.KindSearch, false)
	if err == nil || !strings.Contains(err.Error(), "broken pipe") {
		t.Fatalf("err = %v, want the write error", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines left running after the stream returned", runtime.NumGoroutine()-before)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
