package messages

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Problem is one thing an editor must fix, located as precisely as the input allows.
type Problem struct {
	Locale    string `json:"locale,omitempty"`
	File      string `json:"file,omitempty"`
	MessageID string `json:"message_id,omitempty"`
	Field     string `json:"field,omitempty"` // definition field, e.g. "actions[1].url"
	Line      int    `json:"line,omitempty"`  // 1-based, when the format has lines
	Message   string `json:"message"`         // a plain sentence an editor can act on
}

// ValidationError lists every problem found in a campaign, so an editor
// can fix them all in one go.
type ValidationError struct {
	Campaign string // empty when the campaign's id is not known yet
	Problems []error
}

func (e *ValidationError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Error()
	}
	if e.Campaign == "" {
		return strings.Join(msgs, "; ")
	}
	return fmt.Sprintf("campaign %q: %s", e.Campaign, strings.Join(msgs, "; "))
}

// Unwrap exposes the individual problems to errors.Is and errors.As.
func (e *ValidationError) Unwrap() []error { return e.Problems }

// List returns the problems in the structured form the editing API sends,
// sorted by locale, line, message id, field and message.
func (e *ValidationError) List() []Problem {
	out := make([]Problem, len(e.Problems))
	for i, err := range e.Problems {
		out[i] = toProblem(err)
	}
	slices.SortStableFunc(out, compareProblems)
	return out
}

func toProblem(err error) Problem {
	var ce *ContentError
	var de *DefinitionError
	switch {
	case errors.As(err, &ce):
		return Problem{Locale: ce.Locale, File: ce.File, MessageID: ce.MessageID, Line: ce.Line, Message: ce.Msg}
	case errors.As(err, &de):
		return Problem{Field: de.Field, Line: de.Line, Message: de.Msg}
	}
	return Problem{Message: err.Error()}
}

func compareProblems(a, b Problem) int {
	return cmp.Or(
		cmp.Compare(a.Locale, b.Locale),
		cmp.Compare(a.Line, b.Line),
		cmp.Compare(a.MessageID, b.MessageID),
		cmp.Compare(a.Field, b.Field), // only definition problems have one
		cmp.Compare(a.Message, b.Message),
		cmp.Compare(a.File, b.File),
	)
}

// sortErrors orders problems as List does, so that Error() is stable too.
func sortErrors(errs []error) {
	slices.SortStableFunc(errs, func(a, b error) int { return compareProblems(toProblem(a), toProblem(b)) })
}

// DefinitionError locates a problem in a campaign definition.
type DefinitionError struct {
	Field string // e.g. "actions[1].url"; empty for JSON syntax errors
	Line  int    // 1-based; 0 when the problem is in a value, not the text
	Msg   string
	Err   error // the underlying decoding error, if any
}

func (e *DefinitionError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

func (e *DefinitionError) Unwrap() error { return e.Err }

// ContentError locates a problem in a locale's content.
type ContentError struct {
	Locale    string
	File      string // the file's name, when known
	MessageID string
	Line      int // 1-based; 0 when the problem has no place in the file
	Msg       string
}

func (e *ContentError) Error() string {
	where := "locale " + e.Locale
	if e.File != "" {
		where = e.File
	}
	if e.Line > 0 {
		where += fmt.Sprintf(" line %d", e.Line)
	}
	if e.File != "" {
		where += " (locale " + e.Locale + ")"
	}
	if e.MessageID == "" {
		return fmt.Sprintf("%s: %s", where, e.Msg)
	}
	return fmt.Sprintf("%s: message %q: %s", where, e.MessageID, e.Msg)
}

// lineAt returns the 1-based line of byte offset off in data.
func lineAt(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return bytes.Count(data[:off], []byte("\n")) + 1
}
