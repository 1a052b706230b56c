package match

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// Kind is the kind of event a rule applies to.
type Kind uint8

// Event kinds, as a bit set.
const (
	KindSearch Kind = 1 << iota
	KindView
	KindAll = KindSearch | KindView
)

// ParseKind maps "search" or "view" to its Kind.
func ParseKind(s string) (Kind, bool) {
	switch s {
	case "search":
		return KindSearch, true
	case "view":
		return KindView, true
	}
	return 0, false
}

// Categories are the kinds of harm a rule detects; campaigns target them.
var Categories = []string{"crossing", "smuggler", "documents", "discount", "children", "safety"}

// Rule is one parsed term rule.
type Rule struct {
	ID        string // "<lang>.<local id>", e.g. "en.crossing.boat_uk"
	Lang      string
	Category  string
	Kinds     Kind
	Languages []string // event languages the rule is limited to; nil means any
	Expr      *Expr
	Source    string // expression as written
	File      string
	Line      int
}

// RuleFile is one parsed rule file: a language's rules and the
// exclusion that applies to all of them.
type RuleFile struct {
	Name    string
	Lang    string
	Exclude *Expr
	Rules   []Rule
	// Sets are the file's named term sets, referenced as @name.
	Sets map[string]*Expr
}

// ParseError locates a problem in a rule file.
type ParseError struct {
	File string
	Line int
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

var (
	// langRe admits a base language with an optional script, e.g. "ar"
	// or "ar-latn" (Arabizi: Arabic written in Latin letters and digits).
	langRe = regexp.MustCompile(`^[a-z]{2,3}(-[a-z]{4})?$`)
	setRe  = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
	idRe   = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)*$`)
)

// maxRuleFile bounds a rule file's size: generous for generated rule
// sets, small enough that a hostile upload cannot exhaust memory.
const maxRuleFile = 16 << 20

// directive is one logical line "key: value", continuation lines joined.
type directive struct {
	key, value string
	line       int
}

func splitDirectives(name string, data []byte) ([]directive, error) {
	var out []directive
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxRuleFile)
	line := 0
	for sc.Scan() {
		line++
		raw := sc.Text()
		trimmed := strings.TrimSpace(raw)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if raw[0] == ' ' || raw[0] == '\t' {
			if len(out) == 0 {
				return nil, &ParseError{name, line, "continuation line before any directive"}
			}
			out[len(out)-1].value += " " + trimmed
			continue
		}
		key, value, ok := strings.Cut(trimmed, ":")
		if !ok {
			return nil, &ParseError{name, line, fmt.Sprintf("expected \"key: value\", found %q", trimmed)}
		}
		out = append(out, directive{strings.TrimSpace(key), strings.TrimSpace(value), line})
	}
	if err := sc.Err(); err != nil {
		return nil, &ParseError{name, line + 1, err.Error()}
	}
	return out, nil
}

// ParseRuleFile parses one rule file. name is used in error messages.
func ParseRuleFile(name string, data []byte) (*RuleFile, error) {
	if len(data) > maxRuleFile {
		return nil, &ParseError{name, 1, fmt.Sprintf("file is larger than %d bytes", maxRuleFile)}
	}
	if !utf8.Valid(data) {
		return nil, &ParseError{name, 1, "file is not valid UTF-8"}
	}
	dirs, err := splitDirectives(name, data)
	if err != nil {
		return nil, err
	}
	if len(dirs) == 0 || dirs[0].key != "lang" {
		line := 1
		if len(dirs) > 0 {
			line = dirs[0].line
		}
		return nil, &ParseError{name, line, `the first directive must be "lang: <language>"`}
	}
	f := &RuleFile{Name: name, Lang: dirs[0].value, Sets: map[string]*Expr{}}
	if !langRe.MatchString(f.Lang) {
		return nil, &ParseError{name, dirs[0].line, fmt.Sprintf("lang %q is not a lower-case language code like en or ckb", f.Lang)}
	}
	var cur *Rule
	finish := func() error {
		if cur == nil {
			return nil
		}
		if cur.Category == "" {
			return &ParseError{name, cur.Line, fmt.Sprintf("rule %s has no category", cur.ID)}
		}
		if cur.Expr == nil {
			return &ParseError{name, cur.Line, fmt.Sprintf("rule %s has no match expression", cur.ID)}
		}
		f.Rules = append(f.Rules, *cur)
		cur = nil
		return nil
	}
	for _, d := range dirs[1:] {
		fail := func(format string, args ...any) error {
			return &ParseError{name, d.line, fmt.Sprintf(format, args...)}
		}
		if d.key == "rule" {
			if err := finish(); err != nil {
				return nil, err
			}
			if !idRe.MatchString(d.value) {
				return nil, fail("rule id %q: use lower-case letters, digits, '_' and '.'", d.value)
			}
			cur = &Rule{ID: f.Lang + "." + d.value, Lang: f.Lang, Kinds: KindAll, File: name, Line: d.line}
			continue
		}
		if d.key == "set" {
			if err := finish(); err != nil {
				return nil, err
			}
			setName, expr, ok := strings.Cut(d.value, "=")
			setName = strings.TrimSpace(setName)
			if !ok || !setRe.MatchString(setName) {
				return nil, fail("set: write \"set: name = expression\" with a lower-case name")
			}
			if _, dup := f.Sets[setName]; dup {
				return nil, fail("set @%s is defined twice", setName)
			}
			e, err := parseExpr(expr, f.Sets)
			if err != nil {
				return nil, fail("set @%s: %v", setName, err)
			}
			f.Sets[setName] = e
			continue
		}
		if d.key == "exclude" {
			if cur != nil || f.Exclude != nil {
				return nil, fail("exclude: must appear once, before the first rule")
			}
			e, err := parseExpr(d.value, f.Sets)
			if err != nil {
				return nil, fail("exclude: %v", err)
			}
			f.Exclude = e
			continue
		}
		if cur == nil {
			return nil, fail("%q outside a rule: start one with \"rule: <id>\"", d.key)
		}
		if err := cur.set(d.key, d.value, f.Sets); err != nil {
			return nil, fail("rule %s: %v", cur.ID, err)
		}
	}
	if err := finish(); err != nil {
		return nil, err
	}
	return f, nil
}

func (r *Rule) set(key, value string, sets map[string]*Expr) error {
	switch key {
	case "category":
		if !slices.Contains(Categories, value) {
			return fmt.Errorf("unknown category %q (use one of %s)", value, strings.Join(Categories, ", "))
		}
		r.Category = value
	case "kinds":
		r.Kinds = 0
		for _, k := range strings.Fields(value) {
			kind, ok := ParseKind(k)
			if !ok {
				return fmt.Errorf("unknown kind %q (use search, view or both)", k)
			}
			r.Kinds |= kind
		}
		if r.Kinds == 0 {
			return errors.New("kinds: is empty")
		}
	case "languages":
		r.Languages = strings.Fields(value)
		for _, l := range r.Languages {
			if !langRe.MatchString(l) {
				return fmt.Errorf("language %q is not a lower-case language code", l)
			}
		}
	case "match":
		if r.Expr != nil {
			return errors.New("has two match expressions")
		}
		e, err := parseExpr(value, sets)
		if err != nil {
			return fmt.Errorf("match: %w", err)
		}
		r.Expr, r.Source = e, value
	default:
		return fmt.Errorf("unknown directive %q (use category, kinds, languages or match)", key)
	}
	return nil
}

// LoadRules parses every *.rules file in dir of fsys, in name order, and
// checks that rule ids are unique across files.
func LoadRules(fsys fs.FS, dir string) ([]*RuleFile, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.rules"))
	if err != nil {
		return nil, fmt.Errorf("list rule files in %s: %w", dir, err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no *.rules files in %s", dir)
	}
	// Files are parsed in parallel: parsing is a tenth of what `signpost
	// match` waits for before its first line. The first error in name
	// order is reported, as a serial loop would.
	files := make([]*RuleFile, len(names))
	errs := make([]error, len(names))
	next := make(chan int, len(names))
	for i := range names {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(names)) {
		wg.Go(func() {
			for i := range next {
				files[i], errs[i] = loadRuleFile(fsys, names[i])
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if err := CheckUniqueIDs(files); err != nil {
		return nil, err
	}
	return files, nil
}

// loadRuleFile reads and parses the rule file name of fsys.
func loadRuleFile(fsys fs.FS, name string) (*RuleFile, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("read rule file: %w", err)
	}
	return ParseRuleFile(name, data)
}

// CheckUniqueIDs reports the first rule id defined twice across files,
// with both places: ids name rules in results and statistics, so each
// must mean one rule.
func CheckUniqueIDs(files []*RuleFile) error {
	seen := map[string]string{}
	for _, f := range files {
		for _, r := range f.Rules {
			if prev, dup := seen[r.ID]; dup {
				return &ParseError{f.Name, r.Line, fmt.Sprintf("rule id %s is already defined at %s", r.ID, prev)}
			}
			seen[r.ID] = fmt.Sprintf("%s:%d", f.Name, r.Line)
		}
	}
	return nil
}
