package messages

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"path"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
	"go.yaml.in/yaml/v3"
)

// MaxFileSize bounds an uploaded message file (the API answers 413 above
// it). A campaign's card text is a few kilobytes per locale; anything much
// larger is a mistake or an attack.
const MaxFileSize = 1 << 20

// acceptedTypes names what DetectFormat accepts, for its error message.
const acceptedTypes = "application/toml, application/json, application/yaml, application/xliff+xml " +
	"(or a file ending in .toml, .json, .yaml, .yml, .xlf or .xliff)"

// DetectFormat returns the format of an uploaded file, "toml", "json",
// "yaml" or "xliff", from its Content-Type, or from name's extension when
// the type is generic (empty, application/octet-stream or text/plain), as
// browsers and curl send for files they do not know. An unsupported type
// is an error naming the accepted ones.
func DetectFormat(contentType, name string) (string, error) {
	mt := ""
	if strings.TrimSpace(contentType) != "" {
		var err error
		if mt, _, err = mime.ParseMediaType(contentType); err != nil {
			return "", fmt.Errorf("content type %q is malformed: use %s", contentType, acceptedTypes)
		}
	}
	switch mt {
	case "application/toml", "text/toml":
		return "toml", nil
	case "application/json", "text/json":
		return "json", nil
	case "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml":
		return "yaml", nil
	case "application/xliff+xml", "application/x-xliff+xml":
		return "xliff", nil
	case "", "application/octet-stream", "text/plain":
		switch strings.ToLower(path.Ext(name)) {
		case ".toml":
			return "toml", nil
		case ".json":
			return "json", nil
		case ".yaml", ".yml":
			return "yaml", nil
		case ".xlf", ".xliff":
			return "xliff", nil
		}
		return "", fmt.Errorf("cannot tell the format of %q: use %s", name, acceptedTypes)
	}
	return "", fmt.Errorf("content type %q is not supported: use %s", mt, acceptedTypes)
}

// Message is one message of a locale file, in every format's terms.
type Message struct {
	ID          string
	Description string
	// Forms holds the text by CLDR plural form: "other" always, and "zero",
	// "one", "two", "few" or "many" when the text depends on a count.
	Forms map[string]string
	Line  int // the line of the message's key, when known
}

// pluralForms lists go-i18n's plural form keys in CLDR order.
func pluralForms() []string { return []string{"zero", "one", "two", "few", "many", "other"} }

// parsedMessage is a Message with the lines of its plural forms, so that
// a problem with one form points at that form.
type parsedMessage struct {
	Message
	formLines map[string]int
}

// ParseLocaleFile reads one locale's go-i18n message file. Its messages
// are sorted by id. Every problem, with its line, is reported in one
// *ValidationError.
func ParseLocaleFile(locale string, f LocaleFile) ([]Message, error) {
	pms, probs := parseMessages(locale, f)
	if len(probs) > 0 {
		sortErrors(probs)
		return nil, &ValidationError{Problems: probs}
	}
	out := make([]Message, len(pms))
	for i, pm := range pms {
		out[i] = pm.Message
	}
	return out, nil
}

// parseMessages reads f into messages sorted by id. It returns the
// messages it could read alongside the problems it found, so that Compile
// can check the rest of a file with one broken message.
func parseMessages(locale string, f LocaleFile) ([]parsedMessage, []error) {
	problem := func(line int, id, format string, args ...any) error {
		return &ContentError{Locale: locale, File: f.Name, MessageID: id, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	data := bytes.TrimPrefix(f.Data, []byte("\xef\xbb\xbf"))
	if len(data) > MaxFileSize {
		return nil, []error{problem(0, "", "the file is %d bytes, more than the limit of %d", len(data), MaxFileSize)}
	}
	if !utf8.Valid(data) {
		line := 1
		for i := 0; i < len(data); {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n == 1 {
				line = lineAt(data, int64(i))
				break
			}
			i += n
		}
		return nil, []error{problem(line, "", "the file is not valid UTF-8 text: save it as UTF-8")}
	}
	root, se := parseTree(f.Format, data)
	if se != nil {
		return nil, []error{problem(se.line, "", "%s", se.msg)}
	}
	c := &collector{problem: problem, first: map[string]int{}}
	if root != nil {
		if root.kind != kindMap {
			return nil, []error{problem(root.line, "", "the file must map message ids to text, not hold %s", describe(root))}
		}
		c.walk(root, "", 0)
	}
	slices.SortStableFunc(c.msgs, func(a, b parsedMessage) int { return strings.Compare(a.ID, b.ID) })
	if len(c.probs) == 0 && len(c.msgs) > 0 {
		if probs := agreeWithI18n(locale, f, data, c.msgs); len(probs) > 0 {
			return nil, probs
		}
	}
	return c.msgs, c.probs
}

func describe(n *tnode) string {
	switch n.kind {
	case kindString:
		return "a single text"
	case kindNull:
		return "nothing"
	case kindMap:
		return "a table"
	}
	return n.what
}

// collector applies go-i18n's layout rules to a tree: a string is a
// message; a table whose keys are all message fields (description, the
// plural forms) is a message; any other table nests ids with ".".
type collector struct {
	problem func(line int, id, format string, args ...any) error
	msgs    []parsedMessage
	probs   []error
	first   map[string]int // id -> line of its first definition
}

func (c *collector) walk(n *tnode, prefix string, depth int) {
	for _, e := range n.entries {
		id := e.key
		if prefix != "" {
			id = prefix + "." + e.key
		}
		switch e.val.kind {
		case kindString:
			c.add(parsedMessage{Message: Message{ID: id, Forms: map[string]string{"other": e.val.str}, Line: e.line}})
		case kindNull:
			c.add(parsedMessage{Message: Message{ID: id, Forms: map[string]string{"other": ""}, Line: e.line}})
		case kindOther:
			c.probs = append(c.probs, c.problem(e.line, id, "the value is %s, not text: put the text in quotes", e.val.what))
		case kindMap:
			c.table(id, e, prefix, depth)
		}
	}
}

func (c *collector) table(id string, e tentry, prefix string, depth int) {
	var reserved, other []string
	for _, sub := range e.val.entries {
		if isFieldKey(sub) {
			reserved = append(reserved, sub.key)
		} else {
			other = append(other, sub.key)
		}
	}
	switch {
	case len(reserved) > 0 && len(other) > 0:
		c.probs = append(c.probs, c.problem(e.line, id, "mixes message fields (%s) with nested keys (%s): keep plural forms and description apart from other message ids",
			strings.Join(reserved, ", "), strings.Join(other, ", ")))
	case len(reserved) > 0:
		c.message(id, e)
	case len(other) == 0:
		c.probs = append(c.probs, c.problem(e.line, id, "has no text"))
	case depth+1 >= maxNesting:
		c.probs = append(c.probs, c.problem(e.line, id, "is nested too deeply"))
	default:
		c.walk(e.val, id, depth+1)
	}
}

// isFieldKey reports whether a table entry is a message field in
// go-i18n's sense: a reserved key (any case) with a text value.
func isFieldKey(e tentry) bool {
	lk := strings.ToLower(e.key)
	if lk == "translation" {
		return true
	}
	return e.val.kind == kindString && isReservedKey(lk)
}

// isReservedKey reports whether go-i18n reads a key (lower-cased) as a
// message field rather than a message id.
func isReservedKey(lk string) bool {
	return lk == "translation" || slices.Contains(pluralForms(), lk) ||
		slices.Contains([]string{"id", "description", "hash", "leftdelim", "rightdelim"}, lk)
}

func (c *collector) message(id string, e tentry) {
	pm := parsedMessage{Message: Message{ID: id, Forms: map[string]string{}, Line: e.line}, formLines: map[string]int{}}
	for _, sub := range e.val.entries {
		lk := strings.ToLower(sub.key)
		switch {
		case lk == "translation":
			if sub.val.kind != kindString {
				c.probs = append(c.probs, c.problem(sub.line, id, "a translation table is not supported: put the plural forms directly under the message"))
				return
			}
			pm.Forms["other"], pm.formLines["other"] = sub.val.str, sub.line
		case lk == "description":
			pm.Description = sub.val.str
		case lk == "id":
			if sub.val.str != id {
				c.probs = append(c.probs, c.problem(sub.line, id, "its id field says %q: the message id is its key, remove the id field", sub.val.str))
				return
			}
		case slices.Contains(pluralForms(), lk):
			pm.Forms[lk], pm.formLines[lk] = sub.val.str, sub.line
		}
	}
	if len(pm.Forms) == 0 {
		// A description (or id) alone is no message: written back out it
		// would be an empty table.
		c.probs = append(c.probs, c.problem(e.line, id, "has no text"))
		return
	}
	c.add(pm)
}

func (c *collector) add(pm parsedMessage) {
	if pm.ID == "" {
		c.probs = append(c.probs, c.problem(pm.Line, "", "a message has an empty id"))
		return
	}
	if isReservedKey(strings.ToLower(pm.ID)) {
		// go-i18n reads null here as an empty message, but a file that
		// holds one with text beside other messages is one it refuses:
		// written back out, the id would be taken for a message field.
		c.probs = append(c.probs, c.problem(pm.Line, pm.ID, "%q is a message field name in go-i18n and cannot be a whole message id: rename it (for example card.%s)", pm.ID, pm.ID))
		return
	}
	if first, ok := c.first[pm.ID]; ok {
		c.probs = append(c.probs, c.problem(pm.Line, pm.ID, "is defined twice (first at line %d): keep one", first))
		return
	}
	c.first[pm.ID] = pm.Line
	c.msgs = append(c.msgs, pm)
}

// EncodeLocaleFile writes messages as a go-i18n message file in format
// ("toml", "json" or "yaml"). A message with only an "other" text and no
// description is written as a plain string; any other as a table of its
// description and plural forms. Keys are sorted, so equal input gives
// equal bytes.
func EncodeLocaleFile(msgs []Message, format string) ([]byte, error) {
	doc := make(map[string]any, len(msgs))
	for _, m := range msgs {
		if m.ID == "" {
			return nil, errors.New("encode messages: a message has an empty id")
		}
		if isReservedKey(strings.ToLower(m.ID)) {
			return nil, fmt.Errorf("encode messages: message id %q is a go-i18n field name", m.ID)
		}
		if _, dup := doc[m.ID]; dup {
			return nil, fmt.Errorf("encode messages: message %q appears twice", m.ID)
		}
		for form := range m.Forms {
			if !slices.Contains(pluralForms(), form) {
				return nil, fmt.Errorf("encode messages: message %q: unknown plural form %q", m.ID, form)
			}
		}
		if len(m.Forms) == 1 && m.Description == "" {
			if text, ok := m.Forms["other"]; ok {
				doc[m.ID] = text
				continue
			}
		}
		t := make(map[string]string, len(m.Forms)+1)
		for form, text := range m.Forms {
			t[form] = text
		}
		if m.Description != "" {
			t["description"] = m.Description
		}
		doc[m.ID] = t
	}
	var buf bytes.Buffer
	switch format {
	case "toml":
		if err := toml.NewEncoder(&buf).Encode(doc); err != nil {
			return nil, fmt.Errorf("encode messages as toml: %w", err)
		}
	case "json":
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			return nil, fmt.Errorf("encode messages as json: %w", err)
		}
	case "yaml", "yml":
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(yamlDoc(doc)); err != nil {
			return nil, fmt.Errorf("encode messages as yaml: %w", err)
		}
		if err := enc.Close(); err != nil {
			return nil, fmt.Errorf("encode messages as yaml: %w", err)
		}
	default:
		return nil, fmt.Errorf("encode messages: unknown format %q (use toml, json or yaml)", format)
	}
	return buf.Bytes(), nil
}

// yamlDoc returns doc (message ids to texts, or to tables of texts) with
// every text that holds a tab as a double-quoted YAML scalar. The encoder
// writes a text of several lines as a literal block, and a block whose
// line starts with a tab does not read back ("found a tab character where
// an indentation space is expected"); a double-quoted scalar escapes the
// tab and always does.
func yamlDoc(doc map[string]any) map[string]any {
	text := func(s string) any {
		if !strings.ContainsRune(s, '\t') {
			return s
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Style: yaml.DoubleQuotedStyle}
	}
	out := make(map[string]any, len(doc))
	for id, v := range doc {
		switch v := v.(type) {
		case string:
			out[id] = text(v)
		case map[string]string:
			t := make(map[string]any, len(v))
			for k, s := range v {
				t[k] = text(s)
			}
			out[id] = t
		default:
			out[id] = v
		}
	}
	return out
}
