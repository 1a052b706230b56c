package match

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Op is the kind of an expression node.
type Op uint8

// Expression operators. OpTerm is a leaf.
const (
	OpTerm Op = iota
	OpOr
	OpAnd
	OpNear
	OpNot
)

// Expr is a parsed rule expression. Leaves are terms (a word, a word
// prefix, a phrase or an emoji); inner nodes combine their children.
type Expr struct {
	Op Op
	// Term is the term as written (for OpTerm), without quotes or '*'.
	Term string
	// Prefix reports whether the term's last word is a prefix (`smuggl*`).
	Prefix bool
	// Phrase reports whether the term was quoted.
	Phrase bool
	// Dist is the NEAR distance in words.
	Dist int
	Kids []*Expr
	// Set is the name of the term set this node stands for (`@boat`); its
	// one kid is the set's expression.
	Set string
}

// String renders e in the rule syntax, fully parenthesised; it is what
// explain and lint messages show.
func (e *Expr) String() string {
	if e.Set != "" {
		return "@" + e.Set
	}
	switch e.Op {
	case OpTerm:
		s := e.Term
		if e.Prefix {
			s += "*"
		}
		if e.Phrase {
			s = `"` + s + `"` // a phrase cannot contain '"'; no escaping
		}
		return s
	}
	parts := make([]string, len(e.Kids))
	for i, k := range e.Kids {
		parts[i] = k.String()
	}
	sep := map[Op]string{OpOr: " OR ", OpAnd: " AND ", OpNot: " NOT ", OpNear: fmt.Sprintf(" NEAR/%d ", e.Dist)}[e.Op]
	return "(" + strings.Join(parts, sep) + ")"
}

// Terms returns the terms of e, in order, sets expanded; for linting and
// tests.
func (e *Expr) Terms() []*Expr {
	if e.Op == OpTerm {
		return []*Expr{e}
	}
	var out []*Expr
	for _, k := range e.Kids {
		out = append(out, k.Terms()...)
	}
	return out
}

// ExprError is a syntax error at a column (1-based, in runes) of an
// expression.
type ExprError struct {
	Col int
	Msg string
}

func (e *ExprError) Error() string { return fmt.Sprintf("column %d: %s", e.Col, e.Msg) }

// maxNear bounds NEAR distances: beyond a sentence, proximity means little
// and only costs time.
const maxNear = 30

// maxDepth bounds nesting so hostile rule files cannot exhaust the stack.
const maxDepth = 32

type tokKind uint8

const (
	tkEOF tokKind = iota
	tkWord
	tkPhrase
	tkLParen
	tkRParen
	tkOr
	tkAnd
	tkNot
	tkNear
)

type tok struct {
	kind tokKind
	text string
	dist int
	col  int
}

func lexExpr(s string) ([]tok, error) {
	var toks []tok
	// col converts a byte offset to a 1-based rune column; offsets only
	// grow, so it counts incrementally (a long line stays linear).
	lastI, lastCol := 0, 1
	col := func(i int) int {
		lastCol += utf8.RuneCountInString(s[lastI:i])
		lastI = i
		return lastCol
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsSpace(r):
			i += n
		case r == '(':
			toks = append(toks, tok{kind: tkLParen, col: col(i)})
			i += n
		case r == ')':
			toks = append(toks, tok{kind: tkRParen, col: col(i)})
			i += n
		case r == '"':
			end := strings.IndexByte(s[i+1:], '"')
			if end < 0 {
				return nil, &ExprError{col(i), "unterminated quoted phrase"}
			}
			toks = append(toks, tok{kind: tkPhrase, text: s[i+1 : i+1+end], col: col(i)})
			i += end + 2
		default:
			j := i
			for j < len(s) {
				r, n := utf8.DecodeRuneInString(s[j:])
				if unicode.IsSpace(r) || r == '(' || r == ')' || r == '"' {
					break
				}
				j += n
			}
			w := s[i:j]
			t := tok{kind: tkWord, text: w, col: col(i)}
			switch {
			case w == "OR":
				t.kind = tkOr
			case w == "AND":
				t.kind = tkAnd
			case w == "NOT":
				t.kind = tkNot
			case strings.HasPrefix(w, "NEAR"):
				d, err := strconv.Atoi(strings.TrimPrefix(w, "NEAR/"))
				if !strings.HasPrefix(w, "NEAR/") || err != nil || d < 0 || d > maxNear {
					return nil, &ExprError{col(i), fmt.Sprintf("%q: write NEAR/n with n from 0 to %d", w, maxNear)}
				}
				t.kind, t.dist = tkNear, d
			}
			toks = append(toks, t)
			i = j
		}
	}
	return append(toks, tok{kind: tkEOF, col: utf8.RuneCountInString(s) + 1}), nil
}

// ParseExpr parses a rule expression. Grammar, loosest first:
//
//	query := group ("NOT" group)*
//	group := near ("OR" near)* | near ("AND" near)*
//	near  := atom ("NEAR/n" atom)*
//	atom  := word | word* | "phrase" | "(" query ")"
func ParseExpr(s string) (*Expr, error) {
	return parseExpr(s, nil)
}

// parseExpr parses s, resolving @name references in sets.
func parseExpr(s string, sets map[string]*Expr) (*Expr, error) {
	toks, err := lexExpr(s)
	if err != nil {
		return nil, err
	}
	p := &exprParser{toks: toks, sets: sets}
	e, err := p.query(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tkEOF {
		return nil, &ExprError{t.col, fmt.Sprintf("unexpected %s", describe(t))}
	}
	return e, nil
}

type exprParser struct {
	toks []tok
	pos  int
	sets map[string]*Expr
}

func (p *exprParser) peek() tok { return p.toks[p.pos] }
func (p *exprParser) next() tok { t := p.toks[p.pos]; p.pos++; return t }

func describe(t tok) string {
	switch t.kind {
	case tkEOF:
		return "end of expression"
	case tkWord:
		return fmt.Sprintf("word %q", t.text)
	case tkPhrase:
		return fmt.Sprintf("phrase %q", t.text)
	case tkLParen:
		return `"("`
	case tkRParen:
		return `")"`
	case tkOr:
		return "OR"
	case tkAnd:
		return "AND"
	case tkNot:
		return "NOT"
	}
	return fmt.Sprintf("NEAR/%d", t.dist)
}

func (p *exprParser) query(depth int) (*Expr, error) {
	left, err := p.group(depth)
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tkNot {
		p.next()
		right, err := p.group(depth)
		if err != nil {
			return nil, err
		}
		left = &Expr{Op: OpNot, Kids: []*Expr{left, right}}
	}
	return left, nil
}

func (p *exprParser) group(depth int) (*Expr, error) {
	first, err := p.near(depth)
	if err != nil {
		return nil, err
	}
	kind := p.peek().kind
	if kind != tkOr && kind != tkAnd {
		return first, nil
	}
	e := &Expr{Op: OpOr, Kids: []*Expr{first}}
	if kind == tkAnd {
		e.Op = OpAnd
	}
	for {
		t := p.peek()
		if t.kind != tkOr && t.kind != tkAnd {
			return e, nil
		}
		if t.kind != kind {
			return nil, &ExprError{t.col, "AND and OR are mixed at one level: add parentheses to say which binds first"}
		}
		p.next()
		k, err := p.near(depth)
		if err != nil {
			return nil, err
		}
		e.Kids = append(e.Kids, k)
	}
}

func (p *exprParser) near(depth int) (*Expr, error) {
	left, err := p.atom(depth)
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tkNear {
		d := p.next().dist
		right, err := p.atom(depth)
		if err != nil {
			return nil, err
		}
		left = &Expr{Op: OpNear, Dist: d, Kids: []*Expr{left, right}}
	}
	if t := p.peek(); t.kind == tkWord || t.kind == tkPhrase || t.kind == tkLParen {
		return nil, &ExprError{t.col, fmt.Sprintf("missing operator before %s: join terms with OR, AND or NEAR/n, or quote a phrase", describe(t))}
	}
	return left, nil
}

func (p *exprParser) atom(depth int) (*Expr, error) {
	t := p.next()
	switch t.kind {
	case tkLParen:
		if depth >= maxDepth {
			return nil, &ExprError{t.col, fmt.Sprintf("parentheses nested deeper than %d", maxDepth)}
		}
		e, err := p.query(depth + 1)
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tkRParen {
			return nil, &ExprError{c.col, fmt.Sprintf("expected \")\", found %s", describe(c))}
		}
		return e, nil
	case tkWord, tkPhrase:
		if name, ok := strings.CutPrefix(t.text, "@"); ok && t.kind == tkWord {
			set, ok := p.sets[name]
			if !ok {
				return nil, &ExprError{t.col, fmt.Sprintf("unknown set @%s: define it first with \"set: %s = ...\"", name, name)}
			}
			return &Expr{Op: OpOr, Kids: []*Expr{set}, Set: name}, nil
		}
		return termExpr(t)
	}
	return nil, &ExprError{t.col, fmt.Sprintf("expected a term or \"(\", found %s", describe(t))}
}

// minPrefix is the least number of letters before '*': shorter prefixes
// match too many unrelated words.
const minPrefix = 3

func termExpr(t tok) (*Expr, error) {
	e := &Expr{Op: OpTerm, Phrase: t.kind == tkPhrase}
	text := strings.TrimSpace(t.text)
	if strings.HasSuffix(text, "*") {
		e.Prefix = true
		text = strings.TrimSuffix(text, "*")
	}
	if strings.Contains(text, "*") {
		return nil, &ExprError{t.col, fmt.Sprintf("%q: '*' may only end a term", t.text)}
	}
	norm := Normalize(text)
	if norm == "" {
		return nil, &ExprError{t.col, fmt.Sprintf("%q has no letters, digits or emoji", t.text)}
	}
	if !e.Phrase && strings.Contains(norm, " ") {
		return nil, &ExprError{t.col, fmt.Sprintf("%q normalises to several words (%q): quote it as a phrase", t.text, norm)}
	}
	if e.Prefix {
		words := strings.Fields(norm)
		if last := words[len(words)-1]; prefixLetters(last) < minPrefix {
			return nil, &ExprError{t.col, fmt.Sprintf("%q: a prefix needs at least %d letters before '*'", t.text, minPrefix)}
		}
	}
	e.Term = text
	return e, nil
}

// prefixLetters counts the letters of a prefix for minPrefix: an Ethiopic
// syllable (ቪ is "vi") counts as two.
func prefixLetters(w string) int {
	n := 0
	for _, r := range w {
		n++
		if r >= 0x1200 && r <= 0x139F || r >= 0x2D80 && r <= 0x2DDF {
			n++
		}
	}
	return n
}
