package app_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"signpost/app"
)

// catalogued is one row of docs/metrics.md.
type catalogued struct {
	typ string
	// labels maps each documented label to its value set when the row
	// lists one as plain words, e.g. `kind` (search, view); nil when the
	// set is described in prose (route patterns, campaign ids).
	labels map[string][]string
}

// readCatalogue parses the tables of docs/metrics.md: every row whose
// first cell is a backticked metric name.
func readCatalogue(t *testing.T) map[string]catalogued {
	t.Helper()
	data, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]catalogued{}
	nameRE := regexp.MustCompile("^`([a-zA-Z_:][a-zA-Z0-9_:]*)`$")
	for i, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := tableCells(line)
		if len(cells) != 5 {
			t.Errorf("docs/metrics.md:%d: %d cells, want 5 (name, type, labels, meaning, alert)", i+1, len(cells))
			continue
		}
		m := nameRE.FindStringSubmatch(cells[0])
		if m == nil {
			t.Errorf("docs/metrics.md:%d: first cell %q is not a backticked metric name", i+1, cells[0])
			continue
		}
		if _, dup := out[m[1]]; dup {
			t.Errorf("docs/metrics.md:%d: %s listed twice", i+1, m[1])
		}
		if cells[3] == "" || cells[4] == "" {
			t.Errorf("docs/metrics.md:%d: %s needs a meaning and the alert it supports", i+1, m[1])
		}
		out[m[1]] = catalogued{typ: cells[1], labels: parseLabels(cells[2])}
	}
	if len(out) == 0 {
		t.Fatal("docs/metrics.md lists no metrics")
	}
	return out
}

// tableCells splits a Markdown table row on its unescaped pipes.
func tableCells(line string) []string {
	var cells []string
	var cur strings.Builder
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line) && line[i+1] == '|':
			cur.WriteByte('|')
			i++
		case line[i] == '|':
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(line[i])
		}
	}
	// Drop what precedes the first pipe and follows the last.
	if len(cells) > 0 {
		cells = cells[1:]
	}
	return cells
}

// parseLabels reads a labels cell: backticked names outside parentheses,
// each optionally followed by its value set in parentheses.
func parseLabels(cell string) map[string][]string {
	labels := map[string][]string{}
	if cell == "none" {
		return labels
	}
	plain := regexp.MustCompile(`^[a-z_]+(, [a-z_]+)*$`)
	depth, last := 0, ""
	var paren strings.Builder
	for i := 0; i < len(cell); i++ {
		switch c := cell[i]; {
		case c == '(':
			if depth == 0 {
				paren.Reset()
			} else {
				paren.WriteByte(c)
			}
			depth++
		case c == ')':
			depth--
			if depth == 0 && last != "" {
				if set := paren.String(); plain.MatchString(set) {
					labels[last] = strings.Split(set, ", ")
				}
			} else if depth > 0 {
				paren.WriteByte(c)
			}
		case depth > 0:
			paren.WriteByte(c)
		case c == '`':
			end := strings.IndexByte(cell[i+1:], '`')
			if end < 0 {
				return labels
			}
			last = cell[i+1 : i+1+end]
			labels[last] = nil
			i += end + 1
		}
	}
	return labels
}

// TestMetricsCatalogue keeps docs/metrics.md and /metrics in step: it
// exercises the service (events matched and not, a card, an
// interaction, a redirect, feedback, an editor call), scrapes /metrics
// and compares. It also checks that nothing a person sent reaches a
// label.
func TestMetricsCatalogue(t *testing.T) {
	doc := readCatalogue(t)
	cfg := app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.BootstrapToken = bootstrap
	in := start(t, cfg)
	secret := in.createToken(t, "platform", "acme")

	const text, subject = "small boat to uk price", "subject-a51e0c77"
	resp, body := in.do(t, "POST", "/v1/events", secret, map[string]string{"kind": "search", "text": text, "locale": "en-GB", "subject": subject})
	var ev struct {
		Card struct {
			Token   string
			Actions []struct{ URL string }
		}
	}
	if err := json.Unmarshal(body, &ev); resp.StatusCode != http.StatusOK || err != nil || ev.Card.Token == "" || len(ev.Card.Actions) == 0 {
		t.Fatalf("POST /v1/events: %d %s (%v), want a card", resp.StatusCode, body, err)
	}
	in.do(t, "POST", "/v1/events", secret, map[string]string{"kind": "view", "text": "lovely weather in lisbon today"})
	if resp, body := in.do(t, "POST", "/v1/interactions", secret, map[string]string{"token": ev.Card.Token, "type": "impression"}); resp.StatusCode != http.StatusNoContent {
		t.Errorf("POST /v1/interactions: %d %s", resp.StatusCode, body)
	}
	action, err := url.Parse(ev.Card.Actions[0].URL)
	if err != nil {
		t.Fatal(err)
	}
	in.do(t, "GET", action.RequestURI(), "", nil)
	if resp, body := in.do(t, "POST", "/v1/feedback", secret, map[string]string{"type": "false_positive", "token": ev.Card.Token}); resp.StatusCode != http.StatusAccepted {
		t.Logf("POST /v1/feedback: %d %s (signpost_feedback_total may be missing below)", resp.StatusCode, body)
	}
	in.do(t, "GET", "/v1/campaigns", bootstrap, nil)
	// Several methods on one route pattern, so that the method label
	// (taken from a request buffer fiber reuses) is seen to stay put:
	// an aliased label value would show up as two series with the same
	// labels and a failed scrape.
	for _, m := range []string{"GET", "PUT", "GET", "DELETE"} {
		in.do(t, m, "/v1/campaigns/no-such-campaign/content/en.toml", bootstrap, nil)
	}

	resp, body = in.do(t, "GET", "/metrics", "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d", resp.StatusCode)
	}
	for _, secretish := range []string{text, subject, ev.Card.Token, secret, bootstrap, "127.0.0.1", "acme"} {
		if strings.Contains(string(body), secretish) {
			t.Errorf("/metrics holds %q", secretish)
		}
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}

	for name, fam := range families {
		row, listed := doc[name]
		if !strings.HasPrefix(name, "signpost_") {
			continue
		}
		if !listed {
			t.Errorf("%s is exposed but not in docs/metrics.md: add its row (labels, meaning, alert)", name)
			continue
		}
		if want := strings.ToLower(fam.GetType().String()); row.typ != want {
			t.Errorf("%s: docs/metrics.md says %s, /metrics says %s", name, row.typ, want)
		}
		for _, m := range fam.GetMetric() {
			checkLabels(t, name, m, row)
		}
	}
	for name := range doc {
		if _, ok := families[name]; !ok {
			t.Errorf("%s is in docs/metrics.md but not exposed on /metrics (not registered, renamed, or a vector whose series this test does not create: create them at start-up)", name)
		}
	}
}

// checkLabels fails for a label the catalogue does not list, and for a
// value outside a set the catalogue enumerates.
func checkLabels(t *testing.T, name string, m *dto.Metric, row catalogued) {
	t.Helper()
	for _, lp := range m.GetLabel() {
		set, ok := row.labels[lp.GetName()]
		if !ok {
			t.Errorf("%s has label %q, not listed in docs/metrics.md", name, lp.GetName())
			continue
		}
		if set != nil && !slices.Contains(set, lp.GetValue()) {
			t.Errorf("%s{%s=%q}: value not in the documented set %v", name, lp.GetName(), lp.GetValue(), set)
		}
	}
}

func TestParseLabels(t *testing.T) {
	got := parseLabels("`route` (the pattern, e.g. `/r/:token` (not the path)), `kind` (search, view), `code` (HTTP status)")
	want := map[string][]string{"route": nil, "kind": {"search", "view"}, "code": nil}
	if len(got) != len(want) {
		t.Fatalf("parseLabels = %v, want %v", got, want)
	}
	for k, v := range want {
		if !slices.Equal(got[k], v) {
			t.Errorf("label %s: %v, want %v", k, got[k], v)
		}
	}
	if cells := tableCells("| `a` | counter | none | x \\| y | z |"); len(cells) != 5 || cells[3] != "x | y" {
		t.Errorf("tableCells = %q", cells)
	}
}
