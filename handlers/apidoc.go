package handlers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gofiber/fiber/v2"

	"signpost/api"
	"signpost/web"
)

// APIDoc is the public contract as served: the OpenAPI document's exact
// bytes, and the reference page's content, built from the same document
// so the page cannot disagree with the file. The page's content is built
// on its first request: parsing the document takes longer than the rest
// of the service's start, for a page few people open.
type APIDoc struct {
	yaml []byte
	etag string
	ref  func() (*apiRef, error)
}

// NewAPIDoc prepares the embedded OpenAPI document for serving. The
// tests validate the document (api.Load); the service only parses it,
// on the reference page's first request.
func NewAPIDoc() *APIDoc {
	raw := api.Document()
	return &APIDoc{yaml: raw, etag: etagOf(raw), ref: sync.OnceValues(func() (*apiRef, error) {
		doc, err := api.Parse()
		if err != nil {
			return nil, err
		}
		return newAPIRef(doc), nil
	})}
}

// etagOf is a strong validator of body: the content changes only with a
// release, so a hash is both cheap and exact.
func etagOf(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

// notModified answers 304 when the client already holds etag.
func notModified(c *fiber.Ctx, etag string) bool {
	c.Set(fiber.HeaderETag, etag)
	for _, t := range strings.Split(c.Get(fiber.HeaderIfNoneMatch), ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// openAPIDocument serves GET /openapi.yaml. Its address is fixed (tools
// and clients fetch it by name), so it is cached for an hour like
// /widget.js, and revalidated cheaply by ETag.
func (s *Server) openAPIDocument(c *fiber.Ctx) error {
	if s.APIDoc == nil {
		return errorf(fiber.StatusNotFound, "not_found", "no API document")
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	c.Set(fiber.HeaderContentType, "application/yaml; charset=utf-8")
	if notModified(c, s.APIDoc.etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	return c.Send(s.APIDoc.yaml)
}

// apiReference serves GET /docs/api, the readable reference page. It is
// rendered in the UI's layout (so its chrome speaks the reader's
// language) with the reference itself marked as English. Pages are
// rendered per request, but the result only depends on the language, so
// it carries an ETag and browsers revalidate instead of downloading.
func (s *Server) apiReference(c *fiber.Ctx) error {
	if s.APIDoc == nil {
		return errorf(fiber.StatusNotFound, "not_found", "no API document")
	}
	ref, err := s.APIDoc.ref()
	if err != nil {
		return err
	}
	p := s.newPage(c, "", "")
	p.Title = "API reference"
	p.Data = ref
	var buf bytes.Buffer
	if err := s.UI.Render(&buf, "apidoc", p); err != nil {
		return err
	}
	body := buf.Bytes()
	c.Set(fiber.HeaderContentSecurityPolicy, web.UICSP)
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderVary, "Accept-Language, Cookie")
	if notModified(c, etagOf(body)) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	return c.Status(fiber.StatusOK).Send(body)
}

// apiRef is what web/ui/apidoc.html shows.
type apiRef struct {
	Title, Version string
	Intro          template.HTML
	Tags           []apiTag
	Security       []apiScheme
	Schemas        []apiSchema
}

type apiTag struct {
	Name, Anchor string
	Description  template.HTML
	Ops          []apiOp
}

type apiOp struct {
	Method, Path, Anchor, Summary string
	Description                   template.HTML
	// Auth says who may call: "public", or the schemes (bearer,
	// session), with the role sentence from the description.
	Auth, Roles string
	Params      []apiParam
	Body        *apiBody
	Responses   []apiResponse
}

type apiParam struct {
	Name, In, Type, Description string
	Required                    bool
}

type apiBody struct {
	Required    bool
	Description template.HTML
	Media       []apiMedia
}

type apiMedia struct {
	Type    string
	Schema  apiType
	Fields  []apiField
	Example string
}

type apiResponse struct {
	Code        string
	Description template.HTML
	Media       []apiMedia
}

// apiType names a schema: a link to a component, or an inline type.
type apiType struct {
	Text, Link string
}

type apiField struct {
	Name        string
	Type        apiType
	Required    bool
	Description string
}

type apiSchema struct {
	Name, Anchor string
	Type         apiType
	Description  template.HTML
	Fields       []apiField
	Closed       bool
}

type apiScheme struct {
	Name        string
	Description template.HTML
}

// methodOrder lists operations of one path in the order readers expect.
var methodOrder = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "TRACE"}

func newAPIRef(doc *openapi3.T) *apiRef {
	r := &apiRef{Title: doc.Info.Title, Version: doc.Info.Version, Intro: markdown(doc.Info.Description)}
	byTag := map[string]*apiTag{}
	for _, t := range doc.Tags {
		r.Tags = append(r.Tags, apiTag{Name: t.Name, Anchor: "tag-" + t.Name, Description: markdown(t.Description)})
	}
	for i := range r.Tags {
		byTag[r.Tags[i].Name] = &r.Tags[i]
	}
	paths := doc.Paths.Map()
	for _, p := range slices.Sorted(maps.Keys(paths)) {
		item := paths[p]
		ops := item.Operations()
		for _, m := range methodOrder {
			op := ops[m]
			if op == nil {
				continue
			}
			tag := "other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			t, ok := byTag[tag]
			if !ok {
				r.Tags = append(r.Tags, apiTag{Name: tag, Anchor: "tag-" + tag})
				// Appending may move the slice: rebuild the index.
				for i := range r.Tags {
					byTag[r.Tags[i].Name] = &r.Tags[i]
				}
				t = byTag[tag]
			}
			t.Ops = append(t.Ops, newAPIOp(doc, m, p, item, op))
		}
	}
	r.Tags = slices.DeleteFunc(r.Tags, func(t apiTag) bool { return len(t.Ops) == 0 })
	if doc.Components != nil {
		for _, name := range slices.Sorted(maps.Keys(doc.Components.SecuritySchemes)) {
			ss := doc.Components.SecuritySchemes[name]
			if ss == nil || ss.Value == nil {
				continue
			}
			r.Security = append(r.Security, apiScheme{Name: name, Description: markdown(ss.Value.Description)})
		}
		for _, name := range slices.Sorted(maps.Keys(doc.Components.Schemas)) {
			sr := doc.Components.Schemas[name]
			if sr == nil || sr.Value == nil {
				continue
			}
			r.Schemas = append(r.Schemas, apiSchema{
				Name: name, Anchor: "schema-" + name,
				Type:        typeOf(&openapi3.SchemaRef{Value: sr.Value}),
				Description: markdown(sr.Value.Description),
				Fields:      fieldsOf(sr.Value),
				Closed:      sr.Value.AdditionalProperties.Has != nil && !*sr.Value.AdditionalProperties.Has,
			})
		}
	}
	return r
}

// roleSentence finds "Role: ..." or "Roles: ..." in a description, the
// way the document states who may call an operation.
var roleSentence = regexp.MustCompile(`(?s)\bRoles?: (.+?)\.(\s|$)`)

func newAPIOp(doc *openapi3.T, method, path string, item *openapi3.PathItem, op *openapi3.Operation) apiOp {
	o := apiOp{Method: method, Path: path, Anchor: "op-" + op.OperationID, Summary: op.Summary, Description: markdown(op.Description)}
	if op.OperationID == "" {
		o.Anchor = "op-" + strings.ToLower(method) + strings.NewReplacer("/", "-", "{", "", "}", "").Replace(path)
	}
	sec := doc.Security
	if op.Security != nil {
		sec = *op.Security
	}
	var schemes []string
	optional := false
	for _, req := range sec {
		if len(req) == 0 {
			optional = true // an empty requirement: callers without credentials are answered too
			continue
		}
		for name := range req {
			if !slices.Contains(schemes, name) {
				schemes = append(schemes, name)
			}
		}
	}
	slices.Sort(schemes)
	switch {
	case len(schemes) == 0:
		o.Auth = "public"
	case optional:
		o.Auth = strings.Join(schemes, " or ") + " (optional: see the responses for callers without)"
	default:
		o.Auth = strings.Join(schemes, " or ")
	}
	if m := roleSentence.FindStringSubmatch(op.Description); m != nil {
		o.Roles = strings.Join(strings.Fields(m[1]), " ")
	}
	for _, list := range []openapi3.Parameters{item.Parameters, op.Parameters} {
		for _, pr := range list {
			if pr == nil || pr.Value == nil {
				continue
			}
			p := pr.Value
			o.Params = append(o.Params, apiParam{Name: p.Name, In: p.In, Required: p.Required, Description: p.Description, Type: typeOf(p.Schema).Text})
		}
	}
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		rb := op.RequestBody.Value
		o.Body = &apiBody{Required: rb.Required, Description: markdown(rb.Description), Media: mediaOf(rb.Content)}
	}
	if op.Responses != nil {
		resp := op.Responses.Map()
		for _, code := range slices.Sorted(maps.Keys(resp)) {
			rr := resp[code]
			if rr == nil || rr.Value == nil {
				continue
			}
			d := ""
			if rr.Value.Description != nil {
				d = *rr.Value.Description
			}
			o.Responses = append(o.Responses, apiResponse{Code: code, Description: markdown(d), Media: mediaOf(rr.Value.Content)})
		}
	}
	return o
}

func mediaOf(content openapi3.Content) []apiMedia {
	var out []apiMedia
	for _, ct := range slices.Sorted(maps.Keys(content)) {
		mt := content[ct]
		if mt == nil {
			continue
		}
		m := apiMedia{Type: ct}
		if mt.Schema != nil {
			m.Schema = typeOf(mt.Schema)
			if mt.Schema.Ref == "" && mt.Schema.Value != nil {
				m.Fields = fieldsOf(mt.Schema.Value)
			}
		}
		switch {
		case mt.Example != nil:
			m.Example = exampleText(mt.Example)
		case len(mt.Examples) > 0:
			for _, name := range slices.Sorted(maps.Keys(mt.Examples)) {
				if ex := mt.Examples[name]; ex != nil && ex.Value != nil && ex.Value.Value != nil {
					m.Example = exampleText(ex.Value.Value)
					break
				}
			}
		}
		out = append(out, m)
	}
	return out
}

// exampleText shows an example as the client sends or receives it: text
// bodies as they are, anything else as indented JSON.
func exampleText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// componentName returns the component a local $ref names, or "".
func componentName(ref string) string {
	if name, ok := strings.CutPrefix(ref, "#/components/schemas/"); ok {
		return name
	}
	return ""
}

// typeOf describes a schema in a few words: a component's name (linked),
// "array of X", "string (date-time)", "one of a, b".
func typeOf(sr *openapi3.SchemaRef) apiType {
	if sr == nil {
		return apiType{Text: "any"}
	}
	if name := componentName(sr.Ref); name != "" {
		return apiType{Text: name, Link: "#schema-" + name}
	}
	s := sr.Value
	if s == nil {
		return apiType{Text: "any"}
	}
	switch {
	case s.Items != nil && s.Type.Includes(openapi3.TypeArray):
		it := typeOf(s.Items)
		return apiType{Text: "array of " + it.Text, Link: it.Link}
	case len(s.Enum) > 0:
		vals := make([]string, 0, len(s.Enum))
		for _, v := range s.Enum {
			vals = append(vals, exampleText(v))
		}
		return apiType{Text: "one of " + strings.Join(vals, ", ")}
	case s.Const != nil:
		return apiType{Text: "always " + exampleText(s.Const)}
	case len(s.OneOf) > 0 || len(s.AnyOf) > 0:
		var alts []string
		for _, a := range append(slices.Clone(s.OneOf), s.AnyOf...) {
			alts = append(alts, typeOf(a).Text)
		}
		return apiType{Text: strings.Join(alts, " | ")}
	case len(s.AllOf) > 0:
		var parts []string
		for _, a := range s.AllOf {
			parts = append(parts, typeOf(a).Text)
		}
		return apiType{Text: strings.Join(parts, " & ")}
	}
	t := strings.Join(s.Type.Slice(), " | ")
	if t == "" {
		t = "any"
	}
	if s.Format != "" {
		t += " (" + s.Format + ")"
	}
	return apiType{Text: t}
}

// fieldsOf lists an object schema's properties, required ones first.
func fieldsOf(s *openapi3.Schema) []apiField {
	var out []apiField
	for _, name := range slices.Sorted(maps.Keys(s.Properties)) {
		p := s.Properties[name]
		f := apiField{Name: name, Type: typeOf(p), Required: slices.Contains(s.Required, name)}
		if p != nil && p.Value != nil {
			f.Description = p.Value.Description
		}
		out = append(out, f)
	}
	slices.SortStableFunc(out, func(a, b apiField) int {
		switch {
		case a.Required && !b.Required:
			return -1
		case b.Required && !a.Required:
			return 1
		}
		return 0
	})
	return out
}

var codeSpan = regexp.MustCompile("`([^`]+)`")

// markdown renders the small subset of Markdown the document's
// descriptions use: paragraphs, "## " headings, "- " lists and `code`.
// Everything is escaped first, so a description can never inject markup.
func markdown(s string) template.HTML {
	var b strings.Builder
	inline := func(t string) string {
		return codeSpan.ReplaceAllString(html.EscapeString(t), "<code>$1</code>")
	}
	for _, block := range strings.Split(strings.TrimSpace(s), "\n\n") {
		block = strings.TrimSpace(block)
		if block == "" {
			continue
		}
		lines := strings.Split(block, "\n")
		switch {
		case strings.HasPrefix(block, "#"):
			head := strings.TrimSpace(strings.TrimLeft(lines[0], "#"))
			b.WriteString("<h4>" + inline(head) + "</h4>")
			if rest := strings.Join(lines[1:], " "); strings.TrimSpace(rest) != "" {
				b.WriteString("<p>" + inline(rest) + "</p>")
			}
		case strings.HasPrefix(block, "- "):
			b.WriteString("<ul>")
			var item []string
			flush := func() {
				if len(item) > 0 {
					b.WriteString("<li>" + inline(strings.Join(item, " ")) + "</li>")
				}
				item = nil
			}
			for _, l := range lines {
				if t, ok := strings.CutPrefix(strings.TrimSpace(l), "- "); ok {
					flush()
					item = append(item, t)
				} else {
					item = append(item, strings.TrimSpace(l))
				}
			}
			flush()
			b.WriteString("</ul>")
		default:
			b.WriteString("<p>" + inline(strings.Join(lines, " ")) + "</p>")
		}
	}
	return template.HTML(b.String())
}
