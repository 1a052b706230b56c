package messages

import (
	"strconv"
	"strings"
)

// BurntSushi/toml reports positions only for syntax errors, so the lines
// of keys are found by a scanner of our own. It runs only on documents the
// decoder has accepted, so it can be lenient: it needs to find keys and
// table headers and to skip values (including multi-line strings, arrays
// and inline tables) without being fooled by what they contain.

// tomlKeyLines maps each key path (see keyPath) of a valid TOML document
// to the line of the key or table header that first defines it.
func tomlKeyLines(data []byte) map[string]int {
	s := &tomlScanner{src: data, line: 1, lines: map[string]int{}}
	s.document()
	return s.lines
}

type tomlScanner struct {
	src   []byte
	pos   int
	line  int
	lines map[string]int
}

func (s *tomlScanner) eof() bool { return s.pos >= len(s.src) }

func (s *tomlScanner) peek() byte {
	if s.eof() {
		return 0
	}
	return s.src[s.pos]
}

func (s *tomlScanner) hasPrefix(p string) bool {
	return strings.HasPrefix(string(s.src[s.pos:min(len(s.src), s.pos+len(p))]), p)
}

func (s *tomlScanner) next() {
	if s.eof() {
		return
	}
	if s.src[s.pos] == '\n' {
		s.line++
	}
	s.pos++
}

func (s *tomlScanner) skipSpace() {
	for c := s.peek(); c == ' ' || c == '\t'; c = s.peek() {
		s.next()
	}
}

// skipBlank skips white space, newlines and comments.
func (s *tomlScanner) skipBlank() {
	for !s.eof() {
		switch s.peek() {
		case ' ', '\t', '\r', '\n':
			s.next()
		case '#':
			for !s.eof() && s.peek() != '\n' {
				s.next()
			}
		default:
			return
		}
	}
}

func (s *tomlScanner) skipLine() {
	for !s.eof() && s.peek() != '\n' {
		s.next()
	}
	s.next()
}

// record notes the line of every path from segs[:from+1] to segs, keeping
// the first definition.
func (s *tomlScanner) record(segs []string, from, line int) {
	for i := from + 1; i <= len(segs); i++ {
		k := keyPath(segs[:i])
		if _, ok := s.lines[k]; !ok {
			s.lines[k] = line
		}
	}
}

func (s *tomlScanner) document() {
	var table []string
	for {
		s.skipBlank()
		if s.eof() {
			return
		}
		line := s.line
		if s.peek() == '[' {
			s.next()
			if s.peek() == '[' {
				s.next()
			}
			table = s.key()
			s.record(table, 0, line)
			s.skipLine()
			continue
		}
		start := s.pos
		keys := s.key()
		if len(keys) == 0 {
			if s.pos == start {
				s.skipLine()
			}
			continue
		}
		full := append(append([]string(nil), table...), keys...)
		s.record(full, len(table), line)
		s.skipSpace()
		if s.peek() == '=' {
			s.next()
		}
		s.value(full, 0)
	}
}

// key reads a dotted key and returns its segments.
func (s *tomlScanner) key() []string {
	var segs []string
	for {
		s.skipSpace()
		seg, ok := s.keySegment()
		if !ok {
			return segs
		}
		segs = append(segs, seg)
		s.skipSpace()
		if s.peek() != '.' {
			return segs
		}
		s.next()
	}
}

func (s *tomlScanner) keySegment() (string, bool) {
	switch c := s.peek(); c {
	case '"':
		start := s.pos
		s.basicString()
		raw := string(s.src[start:s.pos])
		if v, err := strconv.Unquote(strings.ReplaceAll(raw, `\e`, `\x1b`)); err == nil {
			return v, true
		}
		return strings.Trim(raw, `"`), true
	case '\'':
		s.next()
		start := s.pos
		for !s.eof() && s.peek() != '\'' && s.peek() != '\n' {
			s.next()
		}
		v := string(s.src[start:s.pos])
		s.next()
		return v, true
	}
	start := s.pos
	for !s.eof() && !strings.ContainsRune(" \t\r\n=.[]{},#\"'", rune(s.peek())) {
		s.next()
	}
	return string(s.src[start:s.pos]), s.pos > start
}

// basicString skips a single-line "..." string, escapes included.
func (s *tomlScanner) basicString() {
	s.next()
	for !s.eof() && s.peek() != '\n' {
		c := s.peek()
		s.next()
		if c == '\\' {
			s.next()
		} else if c == '"' {
			return
		}
	}
}

// multiline skips a """ or ”' string; delim is its quote character.
func (s *tomlScanner) multiline(delim byte, escapes bool) {
	q := strings.Repeat(string(delim), 3)
	for range 3 {
		s.next()
	}
	for !s.eof() {
		if escapes && s.peek() == '\\' {
			s.next()
			s.next()
			continue
		}
		if s.hasPrefix(q) {
			for range 3 {
				s.next()
			}
			// Up to two more quotes belong to the content.
			for i := 0; i < 2 && s.peek() == delim; i++ {
				s.next()
			}
			return
		}
		s.next()
	}
}

// value skips a value; the keys of inline tables under path are recorded.
func (s *tomlScanner) value(path []string, depth int) {
	s.skipSpace()
	if depth > maxNesting {
		s.skipLine()
		return
	}
	switch c := s.peek(); {
	case s.hasPrefix(`"""`):
		s.multiline('"', true)
	case s.hasPrefix(`'''`):
		s.multiline('\'', false)
	case c == '"':
		s.basicString()
	case c == '\'':
		s.next()
		for !s.eof() && s.peek() != '\'' && s.peek() != '\n' {
			s.next()
		}
		s.next()
	case c == '[':
		s.next()
		for {
			s.skipBlank()
			if s.eof() {
				return
			}
			switch s.peek() {
			case ']':
				s.next()
				return
			case ',':
				s.next()
				continue
			}
			start := s.pos
			s.value(nil, depth+1)
			if s.pos == start {
				s.next()
			}
		}
	case c == '{':
		s.next()
		for {
			s.skipBlank()
			if s.eof() {
				return
			}
			switch s.peek() {
			case '}':
				s.next()
				return
			case ',':
				s.next()
				continue
			}
			line, start := s.line, s.pos
			keys := s.key()
			if len(keys) == 0 {
				if s.pos == start {
					s.next()
				}
				continue
			}
			var full []string
			if path != nil {
				full = append(append([]string(nil), path...), keys...)
				s.record(full, len(path), line)
			}
			s.skipSpace()
			if s.peek() == '=' {
				s.next()
			}
			s.value(full, depth+1)
		}
	default:
		for !s.eof() && !strings.ContainsRune(",]}\r\n#", rune(s.peek())) {
			s.next()
		}
	}
}
