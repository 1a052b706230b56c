// Package apitest checks real HTTP traffic against the OpenAPI contract
// (api/openapi.yaml), so that the end-to-end tests prove the document true
// rather than trusting it: every request must find its operation, every
// response must match what the document says for its status, and a
// request the document rejects must be refused by the server too.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"signpost/api"
)

// sessionCookie is the session scheme's cookie (components.securitySchemes).
const sessionCookie = "__Host-signpost_session"

// textDecoders registers, once per process, body decoders for the text
// media types the document uses and kin-openapi does not know: their
// schemas are plain strings. kin-openapi keeps decoders in a process-wide
// table, so this cannot be per Validator.
var textDecoders = sync.OnceFunc(func() {
	decoders := map[string]openapi3filter.BodyDecoder{"text/json": openapi3filter.JSONBodyDecoder,
		"text/yaml": openapi3filter.YamlBodyDecoder, "text/x-yaml": openapi3filter.YamlBodyDecoder}
	for _, ct := range []string{"text/html", "text/javascript", "text/css", "text/tab-separated-values",
		"text/toml", "application/toml", "application/xliff+xml", "application/x-xliff+xml"} {
		decoders[ct] = openapi3filter.PlainBodyDecoder
	}
	for ct, dec := range decoders {
		if openapi3filter.RegisteredBodyDecoder(ct) == nil {
			openapi3filter.RegisterBodyDecoder(ct, dec)
		}
	}
})

// Validator checks exchanges against the document and remembers which
// operations and statuses the tests exercised. It is safe for concurrent
// use by parallel tests.
type Validator struct {
	doc    *openapi3.T
	router routers.Router

	mu   sync.Mutex
	seen map[string]map[int]bool // "METHOD /path" -> statuses answered
}

// New loads the contract for a test, failing it if the document is invalid.
func New(tb testing.TB) *Validator {
	tb.Helper()
	v, err := Load()
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// Load loads the contract, for a TestMain that shares one Validator
// across a package's tests (so coverage adds up over all of them).
func Load() (*Validator, error) {
	textDecoders()
	doc, err := api.Load(context.Background())
	if err != nil {
		return nil, err
	}
	// The document names the default local server; tests listen on a
	// random loopback port, so match paths on any host.
	doc.Servers = nil
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("apitest: build router: %w", err)
	}
	return &Validator{doc: doc, router: router, seen: map[string]map[int]bool{}}, nil
}

// Check validates one exchange: req as sent (its body in reqBody, since
// the client consumed it) and resp as received (its body in respBody).
// Rules:
//   - the request must match a documented operation;
//   - a request the document rejects (bad parameters or body, missing
//     credentials) must get a 4xx: tests send bad input on purpose;
//   - the response's status must be documented for the operation, its
//     Content-Type must be one the document lists, and its body and
//     headers must validate, required fields and closed objects included.
func (v *Validator) Check(tb testing.TB, req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) {
	tb.Helper()
	for _, err := range v.Errors(req, reqBody, resp, respBody) {
		tb.Errorf("contract: %s %s -> %d: %v", req.Method, req.URL.RequestURI(), resp.StatusCode, err)
	}
}

// Errors returns what Check would report, for tests of the validator.
func (v *Validator) Errors(req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) []error {
	ctx := context.Background()
	r := req.Clone(ctx)
	r.Body = io.NopCloser(bytes.NewReader(reqBody))
	r.ContentLength = int64(len(reqBody))
	if len(reqBody) == 0 {
		r.Body = http.NoBody
		r.Header.Del("Content-Type") // in.do sets it on every request, body or not
	}
	route, params, err := v.router.FindRoute(r)
	if err != nil {
		// Tests probe routes that do not exist on purpose: the server
		// refusing them agrees with the document. Anything else means
		// a route the document does not describe.
		if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
			return []error{fmt.Errorf("no operation in the contract: %w", err)}
		}
		return v.checkError(resp, respBody)
	}
	v.record(route, resp.StatusCode)

	opts := &openapi3filter.Options{
		IncludeResponseStatus:             true,
		RejectWhenRequestBodyNotSpecified: true,
		MultiError:                        true,
		AuthenticationFunc:                authenticate,
	}
	opts.WithCustomSchemaErrorFunc(schemaError)
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: opts}
	var errs []error
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		if resp.StatusCode < 400 || resp.StatusCode > 499 {
			errs = append(errs, fmt.Errorf("the contract rejects the request but the server answered %d: %w", resp.StatusCode, err))
		}
	}

	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Options:                opts,
	}
	out.SetBodyBytes(respBody)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		errs = append(errs, fmt.Errorf("response does not match the contract: %w", err))
	}
	if err := checkContentType(route, resp, respBody); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// checkError checks that a refusal of an undocumented route is the
// document's Error body, like every other error.
func (v *Validator) checkError(resp *http.Response, body []byte) []error {
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt != "application/json" {
		return []error{fmt.Errorf("refusal of an undocumented route: Content-Type %q, want application/json", resp.Header.Get("Content-Type"))}
	}
	var value any
	if err := json.Unmarshal(body, &value); err != nil {
		return []error{fmt.Errorf("refusal of an undocumented route: %w", err)}
	}
	schema := v.doc.Components.Schemas["Error"]
	if err := v.doc.ValidateSchemaJSON(schema.Value, value, openapi3.EnableJSONSchema2020(), openapi3.SetSchemaErrorMessageCustomizer(schemaError)); err != nil {
		return []error{fmt.Errorf("refusal of an undocumented route is not an Error: %w", err)}
	}
	return nil
}

// schemaError keeps a schema failure to one line: where, why, and the
// value (test data, never user text), without the schema dump.
func schemaError(err *openapi3.SchemaError) string {
	v := fmt.Sprint(err.Value)
	if len(v) > 80 {
		v = v[:80] + "…"
	}
	return fmt.Sprintf("at /%s: %s (value %s)", strings.Join(err.JSONPointer(), "/"), err.Reason, v)
}

// authenticate checks that the request carries the credential a security
// scheme names. Whether the credential is valid is the server's to say;
// the contract only fixes where it goes.
func authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	req := in.RequestValidationInput.Request
	switch in.SecuritySchemeName {
	case "bearer":
		if s, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer "); ok && s != "" {
			return nil
		}
		return errors.New("no Authorization: Bearer header")
	case "session":
		if c, err := req.Cookie(sessionCookie); err == nil && c.Value != "" {
			return nil
		}
		return errors.New("no session cookie")
	}
	return fmt.Errorf("unknown security scheme %q", in.SecuritySchemeName)
}

// checkContentType adds what kin-openapi leaves out: a response with a
// body where the document says there is none, and a body-less response
// where the document promises one.
func checkContentType(route *routers.Route, resp *http.Response, body []byte) error {
	ref := route.Operation.Responses.Status(resp.StatusCode)
	if ref == nil {
		ref = route.Operation.Responses.Default()
	}
	if ref == nil || ref.Value == nil || route.Method == http.MethodHead {
		return nil // undocumented status: ValidateResponse reports it
	}
	content := ref.Value.Content
	ct := resp.Header.Get("Content-Type")
	switch {
	case len(content) == 0 && len(body) > 0:
		return fmt.Errorf("the contract documents no body for %d, got %d bytes of %q", resp.StatusCode, len(body), ct)
	case len(content) > 0 && resp.StatusCode != http.StatusNotModified && ct == "":
		return fmt.Errorf("the contract documents a body for %d, got no Content-Type", resp.StatusCode)
	case len(content) > 0 && ct != "":
		if _, _, err := mime.ParseMediaType(ct); err != nil {
			return fmt.Errorf("Content-Type %q: %w", ct, err)
		}
		if content.Get(ct) == nil {
			return fmt.Errorf("Content-Type %q is not one of %v", ct, slices.Sorted(maps.Keys(content)))
		}
	}
	return nil
}

func (v *Validator) record(route *routers.Route, status int) {
	key := route.Method + " " + route.Path
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.seen[key] == nil {
		v.seen[key] = map[int]bool{}
	}
	v.seen[key][status] = true
}

// Unexercised lists the documented operations ("METHOD /path") that no
// checked exchange reached, sorted.
func (v *Validator) Unexercised() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []string
	for path, item := range v.doc.Paths.Map() {
		for method := range item.Operations() {
			if key := method + " " + path; v.seen[key] == nil {
				out = append(out, key)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Exercised lists the operations checked exchanges reached, each with
// the statuses seen ("GET /livez 200"), sorted.
func (v *Validator) Exercised() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []string
	for key, statuses := range v.seen {
		codes := make([]string, 0, len(statuses))
		for _, s := range slices.Sorted(maps.Keys(statuses)) {
			codes = append(codes, strconv.Itoa(s))
		}
		out = append(out, key+" "+strings.Join(codes, ","))
	}
	slices.Sort(out)
	return out
}

// Operations is the number of documented operations.
func (v *Validator) Operations() int {
	n := 0
	for _, item := range v.doc.Paths.Map() {
		n += len(item.Operations())
	}
	return n
}
