package messages

import (
	"encoding/json"
	"fmt"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
)

// agreeWithI18n reads data with go-i18n itself and reports a problem for
// every message it reads differently from parseMessages. Our own reader
// exists for what go-i18n does not give (line numbers, duplicate keys);
// go-i18n is what localises the text elsewhere, so a file the two read
// differently is refused rather than served one way and shown another.
func agreeWithI18n(locale string, f LocaleFile, data []byte, msgs []parsedMessage) []error {
	problem := func(id, format string, args ...any) error {
		return &ContentError{Locale: locale, File: f.Name, MessageID: id, Msg: fmt.Sprintf(format, args...)}
	}
	tag, err := language.Parse(locale)
	if err != nil {
		return []error{problem("", "not a language code: %v", err)}
	}
	var unmarshal i18n.UnmarshalFunc
	switch f.Format {
	case "toml":
		unmarshal = toml.Unmarshal
	case "json":
		unmarshal = json.Unmarshal
	case "yaml", "yml":
		unmarshal = yaml.Unmarshal
	default:
		return nil
	}
	theirs, err := i18n.NewBundle(language.Und).ParseMessageBytes(tag, data, unmarshal)
	if err != nil {
		return []error{problem("", "go-i18n cannot read this file: %v", err)}
	}
	ours := make(map[string]*parsedMessage, len(msgs))
	for i := range msgs {
		ours[msgs[i].ID] = &msgs[i]
	}
	var probs []error
	for _, m := range theirs {
		o := ours[m.ID]
		if o == nil {
			probs = append(probs, problem(m.ID, "go-i18n reads a message here that this file's layout hides: write it as \"id\" = \"text\""))
			continue
		}
		delete(ours, m.ID)
		for form, text := range map[string]string{"zero": m.Zero, "one": m.One, "two": m.Two, "few": m.Few, "many": m.Many, "other": m.Other} {
			if o.Forms[form] != text {
				probs = append(probs, &ContentError{Locale: locale, File: f.Name, MessageID: m.ID, Line: o.Line,
					Msg: fmt.Sprintf("go-i18n reads the %q form differently: write the message as plain text or a table of plural forms", form)})
			}
		}
	}
	for id, o := range ours {
		probs = append(probs, &ContentError{Locale: locale, File: f.Name, MessageID: id, Line: o.Line,
			Msg: "go-i18n does not read this message: write it as \"id\" = \"text\" or a table of plural forms"})
	}
	return probs
}
