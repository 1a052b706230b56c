package webhook_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"signpost/webhook"
)

func TestCheckURL(t *testing.T) {
	tests := []struct {
		url       string
		allowHTTP bool
		ok        bool
	}{
		{"https://queue.example.org/hooks/signpost?k=1", false, true},
		{"http://127.0.0.1:9000/hook", false, true},
		{"http://localhost/hook", false, true},
		{"http://[::1]:8080/", false, true},
		{"http://queue.example.org/hook", false, false},
		{"http://queue.example.org/hook", true, true},
		{"http://10.0.0.5/hook", false, false},
		{"https://user:pw@queue.example.org/", false, false},
		{"https://user@queue.example.org/", false, false},
		{"https://queue.example.org/#frag", false, false},
		{"ftp://queue.example.org/", true, false},
		{"/relative/path", false, false},
		{"queue.example.org/hook", false, false},
		{"https://", false, false},
		{"mailto:ops@example.org", true, false},
		{"", false, false},
		{"https://example.org/" + strings.Repeat("a", webhook.MaxURL), false, false},
	}
	for _, tt := range tests {
		err := webhook.CheckURL(tt.url, tt.allowHTTP)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, webhook.ErrInvalid)) {
			t.Errorf("CheckURL(%q, allowHTTP=%v) = %v, want ok=%v", tt.url, tt.allowHTTP, err, tt.ok)
		}
	}
}

func TestRequestCheck(t *testing.T) {
	r, err := webhook.Request{URL: "https://q.example.org/", Events: []string{"rule.auto_paused", "campaign.published", "rule.auto_paused"}}.Check(false)
	if err != nil || !slices.Equal(r.Events, []string{"campaign.published", "rule.auto_paused"}) {
		t.Errorf("Check = %v, %v; want the events sorted and deduplicated", r.Events, err)
	}
	for name, bad := range map[string]webhook.Request{
		"no events":      {URL: "https://q.example.org/"},
		"unknown event":  {URL: "https://q.example.org/", Events: []string{"campaign.deleted"}},
		"long text":      {URL: "https://q.example.org/", Events: []string{"ping"}, Description: strings.Repeat("x", webhook.MaxDescription+1)},
		"invalid UTF-8":  {URL: "https://q.example.org/", Events: []string{"ping"}, Description: "\xff"},
		"plain http url": {URL: "http://q.example.org/", Events: []string{"ping"}},
	} {
		if _, err := bad.Check(false); !errors.Is(err, webhook.ErrInvalid) {
			t.Errorf("%s: Check = %v, want ErrInvalid", name, err)
		}
	}
	for _, typ := range webhook.Types {
		if !webhook.ValidType(typ) || strings.Count(typ, ".") > 1 {
			t.Errorf("type %q", typ)
		}
	}
}
