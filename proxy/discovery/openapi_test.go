package discovery

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// docs/openapi.json is the document's source; the served copy is equal to
// it.
func TestOpenAPI_EqualsDocs(t *testing.T) {
	docs, err := os.ReadFile("../../docs/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(docs, OpenAPI) {
		t.Fatal("proxy/discovery/openapi.json differs from docs/openapi.json: edit docs/openapi.json, then run go generate ./proxy/discovery")
	}
}

// The served document is a valid OpenAPI 3.0 document.
func TestOpenAPI_Valid(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(OpenAPI)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validate: %v", err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}
}
