package handlers

import (
	"encoding/json"
	"testing"
)

func FuzzEventRequest(f *testing.F) {
	f.Add(`{"kind":"search","text":"small boat to uk","locale":"ar-IQ,ar;q=0.9","subject":"s","country":"FR"}`)
	f.Add(`{"kind":"view","text":""}`)
	f.Add(`{"kind":5}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, body string) {
		var req eventRequest
		if json.Unmarshal([]byte(body), &req) != nil {
			return
		}
		ev, verr := req.toEvent("acme")
		if verr != nil {
			if verr.Status != 400 && verr.Status != 413 || verr.Code == "" || verr.Message == "" {
				t.Fatalf("bad error %+v", verr)
			}
			return
		}
		if ev.Text == "" || (ev.KindName != "search" && ev.KindName != "view") || len(ev.Text) > MaxViewText || ev.Platform != "acme" {
			t.Fatalf("accepted invalid event %+v", ev)
		}
	})
}

func TestToEventLimits(t *testing.T) {
	s := func(v string) *string { return &v }
	long := func(n int) *string {
		b := make([]byte, n)
		for i := range b {
			b[i] = 'a'
		}
		v := string(b)
		return &v
	}
	tests := []struct {
		name   string
		req    eventRequest
		status int
		code   string
	}{
		{"ok", eventRequest{Kind: s("search"), Text: s("x")}, 0, ""},
		{"missing kind", eventRequest{Text: s("x")}, 400, "missing_kind"},
		{"search at limit", eventRequest{Kind: s("search"), Text: long(MaxSearchText)}, 0, ""},
		{"search over limit", eventRequest{Kind: s("search"), Text: long(MaxSearchText + 1)}, 413, "text_too_large"},
		{"view at limit", eventRequest{Kind: s("view"), Text: long(MaxViewText)}, 0, ""},
		{"long locale", eventRequest{Kind: s("view"), Text: s("x"), Locale: *long(300)}, 400, "invalid_locale"},
		{"long subject", eventRequest{Kind: s("view"), Text: s("x"), Subject: *long(300)}, 400, "invalid_subject"},
		{"lower-case country", eventRequest{Kind: s("view"), Text: s("x"), Country: "fr"}, 400, "invalid_country"},
	}
	for _, tt := range tests {
		_, verr := tt.req.toEvent("p")
		switch {
		case tt.status == 0 && verr != nil:
			t.Errorf("%s: unexpected error %v", tt.name, verr)
		case tt.status != 0 && (verr == nil || verr.Status != tt.status || verr.Code != tt.code):
			t.Errorf("%s: err = %v, want %d %s", tt.name, verr, tt.status, tt.code)
		}
	}
}
