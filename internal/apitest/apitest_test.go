package apitest_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"signpost/internal/apitest"
)

// exchange builds a request and the response a server might give it.
func exchange(method, target, auth, reqBody string, status int, ct, respBody string) (*http.Request, []byte, *http.Response, []byte) {
	req := httptest.NewRequest(method, "http://127.0.0.1:4321"+target, strings.NewReader(reqBody))
	if reqBody != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	resp := &http.Response{StatusCode: status, Header: http.Header{}}
	if ct != "" {
		resp.Header.Set("Content-Type", ct)
	}
	return req, []byte(reqBody), resp, []byte(respBody)
}

func TestValidatorRules(t *testing.T) {
	v := apitest.New(t)
	const (
		js  = "application/json"
		err = `{"error":{"code":"unauthorized","message":"a valid bearer token is required"}}`
	)
	tests := []struct {
		name                       string
		method, target, auth, body string
		status                     int
		ct, resp                   string
		wantErr                    string // "" for a valid exchange
	}{
		{name: "documented and valid", method: "GET", target: "/livez", status: 200, ct: js, resp: `{"status":"ok"}`},
		{name: "charset parameter is fine", method: "GET", target: "/livez", status: 200, ct: js + "; charset=utf-8", resp: `{"status":"ok"}`},
		{name: "unknown path, refused", method: "GET", target: "/nowhere", status: 404, ct: js, resp: `{"error":{"code":"not_found","message":"no such route"}}`},
		{name: "unknown path, refused without an Error", method: "GET", target: "/nowhere", status: 404, ct: js, resp: `{"oops":1}`, wantErr: "not an Error"},
		{name: "unknown path, served", method: "GET", target: "/nowhere", status: 200, ct: js, resp: `{}`, wantErr: "no operation"},
		{name: "unknown method, served", method: "DELETE", target: "/livez", status: 204, wantErr: "no operation"},
		{name: "undocumented status", method: "GET", target: "/livez", status: 418, ct: js, resp: `{"status":"ok"}`, wantErr: "status is not supported"},
		{name: "wrong content type", method: "GET", target: "/livez", status: 200, ct: "text/plain", resp: "ok", wantErr: "text/plain"},
		{name: "missing content type", method: "GET", target: "/livez", status: 200, resp: `{"status":"ok"}`, wantErr: "Content-Type"},
		{name: "extra property in a closed object", method: "GET", target: "/readyz", status: 503, ct: js, resp: `{"error":{"code":"x","message":"y","extra":1}}`, wantErr: "extra"},
		{name: "missing required property", method: "GET", target: "/readyz", status: 503, ct: js, resp: `{"error":{"code":"x"}}`, wantErr: "message"},
		{name: "no credentials, refused", method: "GET", target: "/v1/tokens", status: 401, ct: js, resp: err},
		{name: "no credentials, served", method: "GET", target: "/v1/tokens", status: 200, ct: js, resp: `{"tokens":[]}`, wantErr: "rejects the request"},
		{name: "bad body, refused", method: "POST", target: "/v1/tokens", auth: "s", body: `{"name":1}`, status: 400, ct: js, resp: `{"error":{"code":"invalid_json","message":"bad"}}`},
		{name: "bad body, accepted", method: "POST", target: "/v1/tokens", auth: "s", body: `{"name":1}`, status: 201, ct: js,
			resp: `{"id":"tok_1","secret":"s","name":"n","role":"admin","created_at":"2026-01-01T00:00:00Z"}`, wantErr: "rejects the request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, rb, resp, body := exchange(tc.method, tc.target, tc.auth, tc.body, tc.status, tc.ct, tc.resp)
			errs := v.Errors(req, rb, resp, body)
			if tc.wantErr == "" {
				for _, e := range errs {
					t.Errorf("unexpected: %v", e)
				}
				return
			}
			found := false
			for _, e := range errs {
				if strings.Contains(e.Error(), tc.wantErr) {
					found = true
				}
			}
			if !found {
				t.Errorf("want an error mentioning %q, got %v", tc.wantErr, errs)
			}
		})
	}
}

func TestValidatorCoverage(t *testing.T) {
	v := apitest.New(t)
	before := len(v.Unexercised())
	if before != v.Operations() || before == 0 {
		t.Fatalf("fresh validator: %d unexercised of %d", before, v.Operations())
	}
	req, rb, resp, body := exchange("GET", "/livez", "", "", 200, "application/json", `{"status":"ok"}`)
	v.Check(t, req, rb, resp, body)
	if got := len(v.Unexercised()); got != before-1 {
		t.Errorf("after one GET /livez: %d unexercised, want %d", got, before-1)
	}
	if ex := v.Exercised(); len(ex) != 1 || ex[0] != "GET /livez 200" {
		t.Errorf("Exercised() = %v", ex)
	}
}
