// Package api holds signpost's public HTTP contract, the OpenAPI 3.1
// document, so that the server can serve the exact bytes the tests check
// and the reference page is rendered from the same source.
//
// The document lives here rather than at the repository root because an
// embed directive cannot reach outside its package's directory.
package api

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed openapi.yaml
var document []byte

// Document returns the OpenAPI document as written. The slice is a copy, so
// a caller cannot alter what the next caller sees.
func Document() []byte { return append([]byte(nil), document...) }

// Load parses the document and validates it as OpenAPI 3.1 (kin-openapi's
// Validate, with JSON Schema 2020-12 for the schemas), so that a broken
// contract stops the service at startup and fails the tests, instead of
// being served. Each call returns a fresh *openapi3.T: the loader resolves
// references in place, and callers must not share a document they might
// modify.
func Load(ctx context.Context) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(document)
	if err != nil {
		return nil, fmt.Errorf("api: parse openapi.yaml: %w", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		return nil, fmt.Errorf("api: openapi.yaml declares openapi %q, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(ctx, openapi3.EnableMultiError()); err != nil {
		return nil, fmt.Errorf("api: validate openapi.yaml: %w", err)
	}
	return doc, nil
}
