package messages

import (
	"strings"
	"testing"
)

// TestAgreeWithI18n feeds the cross-check readings that differ from the
// file, as a bug in our reader would, and expects each to be caught.
func TestAgreeWithI18n(t *testing.T) {
	f := LocaleFile{Format: "toml", Name: "en.toml", Data: []byte("\"a.title\" = \"Title\"\n\"a.body\" = \"Body\"\n")}
	msg := func(id, text string) parsedMessage {
		return parsedMessage{Message: Message{ID: id, Forms: map[string]string{"other": text}, Line: 1}}
	}
	tests := []struct {
		name string
		ours []parsedMessage
		want []string
	}{
		{"same", []parsedMessage{msg("a.body", "Body"), msg("a.title", "Title")}, nil},
		{"text differs", []parsedMessage{msg("a.body", "Body"), msg("a.title", "Titel")}, []string{`a.title: go-i18n reads the "other" form differently`}},
		{"message missed", []parsedMessage{msg("a.title", "Title")}, []string{"a.body: go-i18n reads a message here"}},
		{"message invented", []parsedMessage{msg("a.body", "Body"), msg("a.title", "Title"), msg("a.dismiss", "Close")}, []string{"a.dismiss: go-i18n does not read this message"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probs := agreeWithI18n("en", f, f.Data, tt.ours)
			if len(probs) != len(tt.want) {
				t.Fatalf("problems = %v, want %d", probs, len(tt.want))
			}
			for i, p := range probs {
				ce := p.(*ContentError)
				if got := ce.MessageID + ": " + ce.Msg; !strings.HasPrefix(got, tt.want[i]) {
					t.Errorf("problem %d = %q, want prefix %q", i, got, tt.want[i])
				}
			}
		})
	}
}
