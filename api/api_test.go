package api_test

import (
	"bytes"
	"context"
	"testing"

	"signpost/api"
)

func TestLoadValidates(t *testing.T) {
	doc, err := api.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPIMajorMinor() != "3.1" {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	if doc.Paths.Len() == 0 {
		t.Error("document has no paths")
	}
	for _, p := range []string{"/openapi.yaml", "/docs/api"} {
		if doc.Paths.Value(p) == nil || doc.Paths.Value(p).Get == nil {
			t.Errorf("document does not describe GET %s, which serves it", p)
		}
	}
}

func TestDocumentIsACopy(t *testing.T) {
	a := api.Document()
	if !bytes.HasPrefix(a, []byte("openapi: 3.1")) {
		t.Fatalf("document starts %q", a[:min(len(a), 20)])
	}
	a[0] = 'X'
	if api.Document()[0] != 'o' {
		t.Error("Document returned the embedded bytes themselves")
	}
}
