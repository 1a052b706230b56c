package messages

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"go.yaml.in/yaml/v3"
)

// A message file is first read into a tree of located nodes, the same for
// every format, so that go-i18n's layout rules are applied once and every
// problem can name its line.

type nodeKind int

const (
	kindString nodeKind = iota
	kindNull
	kindMap
	kindOther // numbers, lists, dates...: never valid card text
)

type tnode struct {
	kind    nodeKind
	str     string
	what    string // for kindOther: what the value is, as a phrase ("a number")
	line    int
	entries []tentry // for kindMap, in file order
}

type tentry struct {
	key  string
	line int
	val  *tnode
}

// maxNesting bounds how deep message files may nest; go-i18n files need a
// handful of levels, and the bound keeps hostile input from exhausting
// the stack.
const maxNesting = 32

// syntaxError is a file-level problem found while reading a tree.
type syntaxError struct {
	line int
	msg  string
}

func (e *syntaxError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// parseTree reads data in format into a located tree. An empty document
// yields a nil node.
func parseTree(format string, data []byte) (*tnode, *syntaxError) {
	switch format {
	case "toml":
		return parseTOMLTree(data)
	case "json":
		n, err := parseJSONTree(data)
		if err != nil {
			var se *syntaxError
			if errors.As(err, &se) {
				return nil, se
			}
			return nil, &syntaxError{line: 1, msg: err.Error()}
		}
		return n, nil
	case "yaml", "yml":
		return parseYAMLTree(data)
	}
	return nil, &syntaxError{msg: fmt.Sprintf("unknown message file format %q (use toml, json or yaml)", format)}
}

// parseJSONTree walks data's tokens so that every key keeps its line.
func parseJSONTree(data []byte) (*tnode, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := readJSON(dec, &lineCounter{data: data, line: 1}, 0)
	if err == io.EOF {
		return nil, nil // an empty file holds no messages
	}
	if err != nil {
		return nil, jsonProblem(data, dec, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &syntaxError{line: lineAt(data, dec.InputOffset()), msg: "invalid JSON: unexpected data after the top-level object"}
	}
	return n, nil
}

func jsonProblem(data []byte, dec *json.Decoder, err error) *syntaxError {
	var se *syntaxError
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return se
	case errors.As(err, &syn):
		return &syntaxError{line: lineAt(data, syn.Offset), msg: "invalid JSON: " + syn.Error()}
	case err == io.ErrUnexpectedEOF || err == io.EOF:
		return &syntaxError{line: lineAt(data, int64(len(data))), msg: "invalid JSON: the file ends too early"}
	}
	return &syntaxError{line: lineAt(data, dec.InputOffset()), msg: "invalid JSON: " + err.Error()}
}

func readJSON(dec *json.Decoder, lc *lineCounter, depth int) (*tnode, error) {
	tok, err := dec.Token()
	if err != nil {
		if depth > 0 && err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	// Inside a value, the input may not end.
	token := func() (json.Token, error) {
		tok, err := dec.Token()
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return tok, err
	}
	line := lc.at(dec.InputOffset())
	switch t := tok.(type) {
	case json.Delim:
		if depth >= maxNesting {
			return nil, &syntaxError{line: line, msg: fmt.Sprintf("nested more than %d levels deep", maxNesting)}
		}
		if t == '[' {
			// Elements are kept, though never message text, so that
			// ParseDefinition can locate keys inside lists.
			n := &tnode{kind: kindOther, what: "a list", line: line}
			for dec.More() {
				el, err := readJSON(dec, lc, depth+1)
				if err != nil {
					return nil, err
				}
				n.entries = append(n.entries, tentry{line: el.line, val: el})
			}
			if _, err := token(); err != nil {
				return nil, err
			}
			return n, nil
		}
		n := &tnode{kind: kindMap, line: line}
		seen := map[string]int{}
		for dec.More() {
			ktok, err := token()
			if err != nil {
				return nil, err
			}
			key, _ := ktok.(string)
			kline := lc.at(dec.InputOffset())
			if first, dup := seen[key]; dup {
				return nil, &syntaxError{line: kline, msg: fmt.Sprintf("key %q appears twice in the same object (first at line %d)", key, first)}
			}
			seen[key] = kline
			val, err := readJSON(dec, lc, depth+1)
			if err != nil {
				return nil, err
			}
			n.entries = append(n.entries, tentry{key: key, line: kline, val: val})
		}
		if _, err := token(); err != nil {
			return nil, err
		}
		return n, nil
	case string:
		return &tnode{kind: kindString, str: t, line: line}, nil
	case nil:
		return &tnode{kind: kindNull, line: line}, nil
	case json.Number:
		return &tnode{kind: kindOther, what: "a number", line: line}, nil
	case bool:
		return &tnode{kind: kindOther, what: "true or false", line: line}, nil
	}
	return &tnode{kind: kindOther, what: fmt.Sprintf("%T", tok), line: line}, nil
}

var yamlLineRe = regexp.MustCompile(`line (\d+)`)

func parseYAMLTree(data []byte) (*tnode, *syntaxError) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line := 1
		if m := yamlLineRe.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
		if m := yamlLineRe.FindStringIndex(msg); m != nil && m[0] == 0 {
			msg = strings.TrimPrefix(msg[m[1]:], ": ")
		}
		return nil, &syntaxError{line: line, msg: "invalid YAML: " + msg}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil
	}
	return yamlToTree(doc.Content[0], 0)
}

func yamlToTree(y *yaml.Node, depth int) (*tnode, *syntaxError) {
	if depth >= maxNesting {
		return nil, &syntaxError{line: y.Line, msg: fmt.Sprintf("nested more than %d levels deep", maxNesting)}
	}
	n := &tnode{line: y.Line, kind: kindOther}
	switch y.Kind {
	case yaml.ScalarNode:
		switch y.ShortTag() {
		case "!!str":
			n.kind, n.str = kindString, y.Value
		case "!!null":
			n.kind = kindNull
		case "!!int", "!!float":
			n.what = "a number"
		case "!!bool":
			n.what = "true or false"
		case "!!timestamp":
			n.what = "a date"
		default:
			n.what = "a value tagged " + y.ShortTag()
		}
	case yaml.SequenceNode:
		n.what = "a list"
	case yaml.AliasNode:
		n.what = "an alias (anchors and aliases are not supported)"
	case yaml.MappingNode:
		n.kind = kindMap
		seen := map[string]int{}
		for i := 0; i+1 < len(y.Content); i += 2 {
			k, v := y.Content[i], y.Content[i+1]
			if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
				return nil, &syntaxError{line: k.Line, msg: "keys must be plain text (merge keys and complex keys are not supported)"}
			}
			if first, dup := seen[k.Value]; dup {
				return nil, &syntaxError{line: k.Line, msg: fmt.Sprintf("key %q appears twice in the same mapping (first at line %d)", k.Value, first)}
			}
			seen[k.Value] = k.Line
			val, err := yamlToTree(v, depth+1)
			if err != nil {
				return nil, err
			}
			n.entries = append(n.entries, tentry{key: k.Value, line: k.Line, val: val})
		}
	}
	return n, nil
}

func parseTOMLTree(data []byte) (*tnode, *syntaxError) {
	var raw map[string]any
	if err := toml.Unmarshal(data, &raw); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &syntaxError{line: max(pe.Position.Line, 1), msg: "invalid TOML: " + pe.Message}
		}
		return nil, &syntaxError{line: 1, msg: "invalid TOML: " + err.Error()}
	}
	if len(raw) == 0 {
		return nil, nil
	}
	lines := tomlKeyLines(data)
	return tomlToTree(raw, nil, 1, lines, 0)
}

// tomlToTree converts a decoded TOML value; path holds the keys leading to
// it, so that its entries find their lines.
func tomlToTree(v any, path []string, line int, lines map[string]int, depth int) (*tnode, *syntaxError) {
	n := &tnode{line: line, kind: kindOther}
	switch t := v.(type) {
	case string:
		n.kind, n.str = kindString, t
	case map[string]any:
		if depth >= maxNesting {
			return nil, &syntaxError{line: line, msg: fmt.Sprintf("nested more than %d levels deep", maxNesting)}
		}
		n.kind = kindMap
		for k, sub := range t {
			p := append(slices.Clip(path), k)
			kl := lines[keyPath(p)]
			if kl == 0 {
				kl = line
			}
			val, err := tomlToTree(sub, p, kl, lines, depth+1)
			if err != nil {
				return nil, err
			}
			n.entries = append(n.entries, tentry{key: k, line: kl, val: val})
		}
		slices.SortFunc(n.entries, func(a, b tentry) int {
			if a.line != b.line {
				return a.line - b.line
			}
			return strings.Compare(a.key, b.key)
		})
	case int64, float64:
		n.what = "a number"
	case bool:
		n.what = "true or false"
	case time.Time:
		n.what = "a date"
	case []map[string]any:
		n.what = "a list of tables"
	default:
		n.what = "a list"
	}
	return n, nil
}

// keyPath joins key segments unambiguously: a quoted key "a.title" and
// the nested keys a, title must not collide.
func keyPath(segs []string) string { return strings.Join(segs, "\x00") }

// lineCounter turns increasing offsets into lines in linear time overall;
// lineAt per token would make large files quadratic.
type lineCounter struct {
	data []byte
	off  int64
	line int
}

func (c *lineCounter) at(off int64) int {
	off = min(max(off, 0), int64(len(c.data)))
	if off < c.off {
		c.off, c.line = 0, 1
	}
	c.line += bytes.Count(c.data[c.off:off], []byte("\n"))
	c.off = off
	return c.line
}
