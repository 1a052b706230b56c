package handlers_test

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"go.yaml.in/yaml/v3"

	"signpost/api"
	"signpost/handlers"
	"signpost/locales"
	"signpost/web"
)

// openAPIOnly lists the operations openapi.yaml documents that
// handlers.Server.Register does not register, with where they come from.
var openAPIOnly = map[string]string{
	"GET /metrics": "registered by app.newFiber (app/app.go)",
}

// openAPIMethods are the path-item keys that are operations.
var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

var fiberParam = regexp.MustCompile(`:([A-Za-z0-9_]+)\??`)

// loadOpenAPI parses the embedded document (api/openapi.yaml) into
// generic maps.
func loadOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(api.Document(), &doc); err != nil {
		t.Fatalf("parse openapi.yaml: %v", err)
	}
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Fatalf("openapi = %q, want 3.1.x", v)
	}
	return doc
}

// documentedOperations returns "METHOD /path" -> operation object.
func documentedOperations(t *testing.T, doc map[string]any) map[string]map[string]any {
	t.Helper()
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		t.Fatal("openapi.yaml has no paths")
	}
	ops := map[string]map[string]any{}
	for p, item := range paths {
		im, ok := item.(map[string]any)
		if !ok {
			t.Errorf("path %s is not an object", p)
			continue
		}
		for _, m := range openAPIMethods {
			if op, ok := im[m]; ok {
				om, ok := op.(map[string]any)
				if !ok {
					t.Errorf("%s %s is not an object", m, p)
					continue
				}
				ops[strings.ToUpper(m)+" "+p] = om
			}
		}
	}
	return ops
}

// registeredRoutes returns the routes Server.Register adds, as
// "METHOD /path" in OpenAPI's spelling.
func registeredRoutes(t *testing.T) map[string]bool {
	t.Helper()
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	// Nil dependencies are fine: no handler is invoked.
	(&handlers.Server{}).Register(app)
	routes := map[string]bool{}
	for _, r := range app.GetRoutes(true) {
		switch r.Method {
		case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions:
		default: // HEAD mirrors GET; CONNECT, TRACE and the like come from fiber itself
			continue
		}
		p := fiberParam.ReplaceAllString(r.Path, "{$1}")
		if len(p) > 1 {
			p = strings.TrimSuffix(p, "/")
		}
		routes[r.Method+" "+p] = true
	}
	if len(routes) == 0 {
		t.Fatal("Register added no routes")
	}
	return routes
}

func TestOpenAPICoversEveryRoute(t *testing.T) {
	ops := documentedOperations(t, loadOpenAPI(t))
	routes := registeredRoutes(t)
	for _, r := range slices.Sorted(maps.Keys(routes)) {
		if _, ok := ops[r]; !ok {
			t.Errorf("route %s is registered but not documented in openapi.yaml", r)
		}
	}
	for _, op := range slices.Sorted(maps.Keys(ops)) {
		if routes[op] {
			continue
		}
		if _, ok := openAPIOnly[op]; ok {
			continue
		}
		t.Errorf("openapi.yaml documents %s, which Server.Register does not register (stale entry?)", op)
	}
	for op, why := range openAPIOnly {
		if _, ok := ops[op]; !ok {
			t.Errorf("%s (%s) is missing from openapi.yaml", op, why)
		}
		if routes[op] {
			t.Errorf("%s is now registered by Server.Register: remove it from openAPIOnly", op)
		}
	}
}

func TestOpenAPIOperations(t *testing.T) {
	doc := loadOpenAPI(t)
	ops := documentedOperations(t, doc)
	paths := doc["paths"].(map[string]any)
	seenIDs := map[string]string{}
	for _, key := range slices.Sorted(maps.Keys(ops)) {
		op := ops[key]
		id, _ := op["operationId"].(string)
		switch {
		case id == "":
			t.Errorf("%s has no operationId", key)
		case seenIDs[id] != "":
			t.Errorf("%s and %s share operationId %q", seenIDs[id], key, id)
		default:
			seenIDs[id] = key
		}
		if s, _ := op["summary"].(string); s == "" {
			t.Errorf("%s has no summary", key)
		}
		resp, _ := op["responses"].(map[string]any)
		if len(resp) == 0 {
			t.Errorf("%s has no responses", key)
		}
		if _, ok := op["security"]; !ok {
			t.Errorf("%s does not say its security (use [] for public routes)", key)
		}
		// Every {param} in the path must be declared, on the path item
		// or the operation.
		_, path, _ := strings.Cut(key, " ")
		declared := map[string]bool{}
		item := paths[path].(map[string]any)
		for _, list := range []any{item["parameters"], op["parameters"]} {
			ps, _ := list.([]any)
			for _, p := range ps {
				pm := resolve(doc, p)
				if pm["in"] == "path" {
					name, _ := pm["name"].(string)
					declared[name] = true
				}
			}
		}
		for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(path, -1) {
			if !declared[m[1]] {
				t.Errorf("%s does not declare path parameter %q", key, m[1])
			}
		}
	}
}

func TestOpenAPIRefsResolve(t *testing.T) {
	doc := loadOpenAPI(t)
	var refs []string
	var walk func(n any)
	walk = func(n any) {
		switch n := n.(type) {
		case map[string]any:
			for k, v := range n {
				if k == "$ref" {
					if s, ok := v.(string); ok {
						refs = append(refs, s)
					}
					continue
				}
				walk(v)
			}
		case []any:
			for _, v := range n {
				walk(v)
			}
		}
	}
	walk(doc)
	if len(refs) == 0 {
		t.Fatal("openapi.yaml has no $ref at all")
	}
	for _, ref := range refs {
		if !strings.HasPrefix(ref, "#/components/") {
			t.Errorf("$ref %q does not point into #/components/", ref)
			continue
		}
		if _, err := pointer(doc, ref); err != nil {
			t.Errorf("$ref %q does not resolve: %v", ref, err)
		}
	}
}

// pointer follows a local JSON pointer ("#/a/b") in doc.
func pointer(doc map[string]any, ref string) (any, error) {
	var cur any = doc
	for _, tok := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%q is not inside an object", tok)
		}
		if cur, ok = m[tok]; !ok {
			return nil, fmt.Errorf("no %q", tok)
		}
	}
	return cur, nil
}

// resolve returns the object n, following a $ref if it is one.
func resolve(doc map[string]any, n any) map[string]any {
	m, _ := n.(map[string]any)
	if ref, ok := m["$ref"].(string); ok {
		target, err := pointer(doc, ref)
		if err != nil {
			return nil
		}
		m, _ = target.(map[string]any)
	}
	return m
}

// apiDocApp serves the two contract routes the way the service does.
func apiDocApp(t *testing.T) *fiber.App {
	t.Helper()
	doc := handlers.NewAPIDoc()
	assets, err := web.NewAssets()
	if err != nil {
		t.Fatal(err)
	}
	ui, err := web.NewUI(assets, locales.UI())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	app := fiber.New(fiber.Config{ErrorHandler: handlers.ErrorHandler(log)})
	app.Use(handlers.SecurityHeaders(false))
	(&handlers.Server{APIDoc: doc, UI: ui, Assets: assets, Log: log}).Register(app)
	return app
}

func get(t *testing.T, app *fiber.App, target string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func TestServeOpenAPIDocument(t *testing.T) {
	app := apiDocApp(t)
	resp, body := get(t, app, "/openapi.yaml")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if !bytes.Equal(body, api.Document()) {
		t.Error("served bytes differ from api/openapi.yaml")
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/yaml; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=3600" {
		t.Errorf("Cache-Control %q", cc)
	}
	etag := resp.Header.Get("ETag")
	if !regexp.MustCompile(`^"[0-9a-f]{24}"$`).MatchString(etag) {
		t.Fatalf("ETag %q", etag)
	}
	resp, body = get(t, app, "/openapi.yaml", "If-None-Match", etag)
	if resp.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Errorf("If-None-Match with the ETag: %d and %d bytes, want 304 and none", resp.StatusCode, len(body))
	}
	if resp, _ = get(t, app, "/openapi.yaml", "If-None-Match", `"stale"`); resp.StatusCode != http.StatusOK {
		t.Errorf("If-None-Match with another ETag: %d, want 200", resp.StatusCode)
	}
}

func TestServeAPIReference(t *testing.T) {
	app := apiDocApp(t)
	resp, body := get(t, app, "/docs/api", "Accept-Language", "ar")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	page := string(body)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q", ct)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); csp != web.UICSP {
		t.Errorf("CSP %q, want the UI's", csp)
	}
	// The frame speaks the reader's language; the reference is English.
	if !strings.Contains(page, `<html lang="ar" dir="rtl">`) || !strings.Contains(page, `class="apidoc" lang="en" dir="ltr"`) {
		t.Error("lang/dir: want an Arabic frame around an English, left-to-right reference")
	}
	// Strict CSP: no inline script or style, the stylesheet from the assets.
	if regexp.MustCompile(`<script>|<script [^>]*>[^<]|<style|style="|\son[a-z]+="`).MatchString(page) {
		t.Error("the page has inline script or style")
	}
	if u := assetURL(t, "apidoc.css"); !strings.Contains(page, `href="`+u+`"`) {
		t.Errorf("page does not load %s", u)
	}
	// Every operation has its anchor, method and path, and every link to
	// an anchor resolves.
	ops := documentedOperations(t, loadOpenAPI(t))
	for key, op := range ops {
		id, _ := op["operationId"].(string)
		method, path, _ := strings.Cut(key, " ")
		if !strings.Contains(page, `id="op-`+id+`"`) {
			t.Errorf("%s: no anchor op-%s", key, id)
		}
		if !strings.Contains(page, `>`+method+`</span> <code>`+template.HTMLEscapeString(path)+`</code>`) {
			t.Errorf("%s: method and path not shown", key)
		}
	}
	ids := map[string]bool{}
	for _, m := range regexp.MustCompile(`id="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		ids[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`href="#([^"]+)"`).FindAllStringSubmatch(page, -1) {
		if !ids[m[1]] {
			t.Errorf("link #%s has no target", m[1])
		}
	}
	for _, want := range []string{"Auth:</strong> public", "Auth:</strong> bearer", "Request body", "Responses", `id="schema-Error"`, `href="#schema-Error"`, "No other properties are allowed."} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	etag := resp.Header.Get("ETag")
	if etag == "" || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("ETag %q, Cache-Control %q: want an ETag and no-cache", etag, resp.Header.Get("Cache-Control"))
	}
	if resp, _ := get(t, app, "/docs/api", "Accept-Language", "ar", "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: %d, want 304", resp.StatusCode)
	}
}

func assetURL(t *testing.T, name string) string {
	t.Helper()
	a, err := web.NewAssets()
	if err != nil {
		t.Fatal(err)
	}
	u := a.URL(name)
	if u == "" {
		t.Fatalf("%s is not an asset", name)
	}
	return u
}
