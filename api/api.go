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

// Parse parses the document and resolves its references, without
// validating it. It is what the server needs to render the reference
// page; validation (Load) costs about a second of CPU, which every start
// of the service would pay for a document that cannot change after the
// build. Each call returns a fresh *openapi3.T: the loader resolves
// references in place, and callers must not share a document they might
// modify.
func Parse() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(document)
	if err != nil {
		return nil, fmt.Errorf("api: parse openapi.yaml: %w", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		return nil, fmt.Errorf("api: openapi.yaml declares openapi %q, want 3.1", doc.OpenAPI)
	}
	return doc, nil
}

// Load is Parse, then validation as OpenAPI 3.1 (kin-openapi's Validate,
// with JSON Schema 2020-12 for the schemas and every example checked
// against its schema). The tests call it, so a broken contract fails the
// build instead of being served.
func Load(ctx context.Context) (*openapi3.T, error) {
	doc, err := Parse()
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(ctx, openapi3.EnableMultiError()); err != nil {
		return nil, fmt.Errorf("api: validate openapi.yaml: %w", err)
	}
	return doc, nil
}
