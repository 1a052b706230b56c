package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"signpost/store/boltstore"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestMatchCommand(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"match"}, strings.NewReader("small boat to uk price\nferry timetable\n"), &out, &errb, env(nil))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines, got %q", out.String())
	}
	var first, second struct {
		Matched    bool
		Categories []string
		Rules      []string
	}
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil || !first.Matched || len(first.Rules) == 0 || len(first.Categories) == 0 {
		t.Errorf("line 1 = %s (%v), want a match", lines[0], err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil || second.Matched || second.Rules == nil {
		t.Errorf("line 2 = %s (%v), want no match with empty lists", lines[1], err)
	}
}

func TestMatchCommandExplain(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"match", "--explain", "--kind", "view"}, strings.NewReader("SMALL  BOAT to the UK\n"), &out, &errb, env(nil)); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var line struct {
		Matched    bool
		Normalized string
		Matches    []struct {
			Rule  string
			Spans []struct{ Text string }
		}
	}
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	if !line.Matched || line.Normalized == "" || len(line.Matches) == 0 || len(line.Matches[0].Spans) == 0 {
		t.Errorf("explain output = %s", out.String())
	}
}

func TestMatchCommandErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "en.rules"), []byte("lang: en\nrule: x\ncategory: boats\nmatch: boat\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"invalid rules", []string{"match", "--rules", dir}, "en.rules:3:"},
		{"missing rules dir", []string{"match", "--rules", filepath.Join(dir, "nope")}, "no *.rules files"},
		{"bad kind", []string{"match", "--kind", "click"}, "--kind"},
		{"unknown command", []string{"frobnicate"}, "unknown command"},
		{"token without create", []string{"token"}, "usage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(tt.args, strings.NewReader("boat\n"), &out, &errb, env(nil))
			if code == 0 || !strings.Contains(errb.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want non-zero and %q", code, errb.String(), tt.want)
			}
		})
	}
}

func TestTokenCreateCommand(t *testing.T) {
	vars := map[string]string{"SIGNPOST_DATA_DIR": t.TempDir()}
	var out, errb bytes.Buffer
	code := run([]string{"token", "create", "--role", "platform", "--name", "Acme", "--platform", "acme"}, nil, &out, &errb, env(vars))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if secret := strings.TrimSpace(out.String()); !strings.HasPrefix(secret, "sp_") {
		t.Errorf("stdout = %q, want the secret alone", out.String())
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"token", "create", "--role", "platform", "--name", "Acme"}, nil, &out, &errb, env(vars)); code == 0 || !strings.Contains(errb.String(), "platform id") {
		t.Errorf("platform token without --platform: exit %d, stderr %q", code, errb.String())
	}
}

func TestUserAddCommand(t *testing.T) {
	vars := map[string]string{"SIGNPOST_DATA_DIR": t.TempDir()}
	var out, errb bytes.Buffer
	args := []string{"user", "add", "--role", "editor", "--name", "ann@example.org"}
	if code := run(args, strings.NewReader("a long enough passphrase\n"), &out, &errb, env(vars)); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if strings.Contains(out.String()+errb.String(), "passphrase") {
		t.Error("the password was echoed")
	}
	st, err := boltstore.Open(vars["SIGNPOST_DATA_DIR"])
	if err != nil {
		t.Fatal(err)
	}
	events, err := st.SecurityEvents(t.Context())
	st.Close()
	if err != nil || len(events) != 1 || events[0].Action != "user_created" || events[0].ActorID != "cli" {
		t.Errorf("security log after user add: %+v, %v", events, err)
	}
	errb.Reset()
	if code := run(args, strings.NewReader("a long enough passphrase\n"), &out, &errb, env(vars)); code == 0 {
		t.Error("a second user with the same name was created")
	}
	errb.Reset()
	args[5] = "bob@example.org"
	if code := run(args, strings.NewReader("short\n"), &out, &errb, env(vars)); code == 0 || !strings.Contains(errb.String(), "at least 12") {
		t.Errorf("short password: exit %d, stderr %q", code, errb.String())
	}
}

// BenchmarkMatchCommand streams the benchmark queries through `signpost
// match` end to end (read, match, write JSON), reporting queries/s.
func BenchmarkMatchCommand(b *testing.B) {
	data, err := os.ReadFile("match/testdata/bench-queries.txt")
	if err != nil {
		b.Fatal(err)
	}
	var qs []string
	for _, l := range strings.Split(string(data), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			qs = append(qs, l)
		}
	}
	const perRun = 200000
	var in strings.Builder
	for i := 0; i < perRun; i++ {
		in.WriteString(qs[i%len(qs)])
		in.WriteByte('\n')
	}
	input := in.String()
	var startup, streaming time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var errb bytes.Buffer
		start := time.Now()
		r := &firstReadReader{r: strings.NewReader(input)}
		if code := run([]string{"match"}, r, io.Discard, &errb, env(nil)); code != 0 {
			b.Fatalf("exit %d: %s", code, errb.String())
		}
		startup += r.first.Sub(start)
		streaming += time.Since(r.first)
	}
	// Start-up is compiling the rules, once per process; the stream rate
	// is what a long-running pipe sustains after it.
	b.ReportMetric(float64(startup.Milliseconds())/float64(b.N), "startup-ms")
	b.ReportMetric(float64(b.N*perRun)/streaming.Seconds(), "stream-queries/s")
	b.ReportMetric(float64(b.N*perRun)/b.Elapsed().Seconds(), "queries/s")
}

// firstReadReader notes when the command first reads its input: the end
// of start-up.
type firstReadReader struct {
	r     io.Reader
	first time.Time
}

func (f *firstReadReader) Read(p []byte) (int, error) {
	if f.first.IsZero() {
		f.first = time.Now()
	}
	return f.r.Read(p)
}

// TestRulesTrainCommand trains a scorer for a small rules directory and
// matches with it; a directory without labelled texts, or with a broken
// one, is an error that leaves any scorer already there alone.
func TestRulesTrainCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("en.rules", "lang: en\nrule: crossing.boat\ncategory: crossing\nmatch: dinghy NEAR/3 uk\n")
	var errb, out bytes.Buffer
	if code := run([]string{"rules", "train", dir}, nil, &out, &errb, env(nil)); code == 0 || !strings.Contains(errb.String(), "no labelled texts") {
		t.Fatalf("no labelled texts: exit %d, stderr %q", code, errb.String())
	}
	var cases strings.Builder
	cases.WriteString("# label\tkind\tcategory\ttext\n")
	for _, place := range []string{"italy", "spain", "greece", "malta", "cyprus"} {
		for _, v := range []string{"lorry", "truck", "van"} {
			fmt.Fprintf(&cases, "1\tsearch\tcrossing\tagent %s to %s price\n", v, place)
			fmt.Fprintf(&cases, "0\tsearch\ttravel\t%s %s rental weekend\n", place, v)
		}
	}
	write("testdata/cases/en.tsv", cases.String())
	write("testdata/benign/en.txt", "# benign\nlorry\nagent\n")
	errb.Reset()
	if code := run([]string{"rules", "train", dir}, nil, &out, &errb, env(nil)); code != 0 {
		t.Fatalf("train: exit %d, stderr %q", code, errb.String())
	}
	scorer, err := os.ReadFile(filepath.Join(dir, "scorer.bin"))
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := run([]string{"match", "--rules", dir}, strings.NewReader("agent lorry to portugal price\nlorry\n"), &out, &errb, env(nil)); code != 0 {
		t.Fatalf("match: exit %d, stderr %q", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"rules":["scorer.crossing"]`) || !strings.Contains(lines[1], `"matched":false`) {
		t.Errorf("match with the trained scorer:\n%s", out.String())
	}

	write("testdata/cases/en.tsv", cases.String()+"1\tclick\tdinghy to uk\n")
	errb.Reset()
	if code := run([]string{"rules", "train", dir}, nil, &out, &errb, env(nil)); code == 0 || !strings.Contains(errb.String(), "testdata/cases/en.tsv:") {
		t.Errorf("broken cases: exit %d, stderr %q", code, errb.String())
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "scorer.bin")); !bytes.Equal(after, scorer) {
		t.Error("a failed training changed the scorer already there")
	}
	if code := run([]string{"rules", "train"}, nil, &out, &errb, env(nil)); code == 0 {
		t.Error("rules train without a directory succeeded")
	}
}
