package match

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"unicode/utf8"
)

// Finding is one linter result.
type Finding struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Severity string `json:"severity"` // "error" or "warning"
	Rule     string `json:"rule,omitempty"`
	Message  string `json:"message"`
}

func (f Finding) String() string {
	s := fmt.Sprintf("%s:%d: %s: ", f.File, f.Line, f.Severity)
	if f.Rule != "" {
		s += f.Rule + ": "
	}
	return s + f.Message
}

// shortTerm is the length below which a single-word term is flagged: it
// folds to so few letters that, even as a whole word, it is likely to mean
// something else somewhere.
const shortTerm = 3

// Lint checks parsed rule files beyond what the parser enforces: terms
// that fold to fewer than three letters (warnings: "uk" is fine, "a" is
// not), sets that no rule uses (warnings), and rules that fire on the
// benign corpus (errors): every line of every *.txt file under benignDir
// in fsys must match no rule. It returns the findings sorted by file and
// line.
func Lint(files []*RuleFile, fsys fs.FS, benignDir string) ([]Finding, error) {
	m, err := Compile(files)
	if err != nil {
		return nil, err
	}
	return LintCompiled(files, m, fsys, benignDir)
}

// LintCompiled is Lint for callers that have compiled files already (into
// m), sparing a second compilation.
func LintCompiled(files []*RuleFile, m *Matcher, fsys fs.FS, benignDir string) ([]Finding, error) {
	var out []Finding
	for _, f := range files {
		out = append(out, lintFile(f)...)
	}
	if fsys != nil {
		names, _ := fs.Glob(fsys, path.Join(benignDir, "*.txt"))
		for _, name := range names {
			data, err := fs.ReadFile(fsys, name)
			if err != nil {
				return nil, fmt.Errorf("lint: read benign corpus: %w", err)
			}
			sc := bufio.NewScanner(bytes.NewReader(data))
			for n := 1; sc.Scan(); n++ {
				text := strings.TrimSpace(sc.Text())
				if text == "" || strings.HasPrefix(text, "#") {
					continue
				}
				// The corpus file's name is its language, so rules limited
				// to that language (languages:) are tried too.
				lang := strings.TrimSuffix(path.Base(name), ".txt")
				for _, kind := range []Kind{KindSearch, KindView} {
					res := m.MatchRules(Query{Text: text, Kind: kind, Lang: lang})
					for _, id := range res.Rules {
						out = append(out, Finding{File: name, Line: n, Severity: "error", Rule: id,
							Message: fmt.Sprintf("fires on benign text %q", text)})
					}
					if res.Matched {
						break
					}
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Line < out[j].Line
	})
	return out, nil
}

func lintFile(f *RuleFile) []Finding {
	var out []Finding
	// walk visits e and everything under it, going into each set once
	// per walk: sets built from sets would otherwise be walked
	// exponentially often.
	var walked map[*Expr]bool
	var walk func(e *Expr, visit func(*Expr))
	walk = func(e *Expr, visit func(*Expr)) {
		visit(e)
		if e.Set != "" {
			if walked[e.Kids[0]] {
				return
			}
			walked[e.Kids[0]] = true
		}
		for _, k := range e.Kids {
			walk(k, visit)
		}
	}
	walkFrom := func(e *Expr, visit func(*Expr)) {
		walked = map[*Expr]bool{}
		walk(e, visit)
	}
	seen := map[string]bool{} // each short term is reported once per file
	for _, r := range f.Rules {
		walkFrom(r.Expr, func(e *Expr) {
			if e.Op != OpTerm || e.Phrase || e.Prefix || seen[e.Term] {
				return
			}
			seen[e.Term] = true
			norm := Normalize(e.Term)
			if n := prefixLetters(norm); n < shortTerm && !isEmojiWord(norm) && !isNumber(norm) {
				out = append(out, Finding{File: f.Name, Line: r.Line, Severity: "warning", Rule: r.ID,
					Message: fmt.Sprintf("term %q folds to %q, under %d letters: make sure it cannot mean something else, or pair it with another term", e.Term, norm, shortTerm)})
			}
		})
	}
	// A set is used when a rule or the exclusion reaches it, directly or
	// through another set.
	usedByRules := map[string]bool{}
	for _, r := range f.Rules {
		walkFrom(r.Expr, func(e *Expr) {
			if e.Set != "" {
				usedByRules[e.Set] = true
			}
		})
	}
	if f.Exclude != nil {
		walkFrom(f.Exclude, func(e *Expr) {
			if e.Set != "" {
				usedByRules[e.Set] = true
			}
		})
	}
	for name := range f.Sets {
		if !usedByRules[name] {
			out = append(out, Finding{File: f.Name, Line: 1, Severity: "warning",
				Message: fmt.Sprintf("set @%s is not used by any rule", name)})
		}
	}
	return out
}

// isEmojiWord reports whether w, a word of normalised text, is an emoji
// or a flag.
func isEmojiWord(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	if r < 0x2190 {
		return false
	}
	_, _, cls := fold(r)
	return cls == classEmoji || cls == classFlag
}

func isNumber(w string) bool {
	for _, r := range w {
		if !isDigit(r) {
			return false
		}
	}
	return w != ""
}
