package jsonschema

import (
	"fmt"
	"net/url"

	"github.com/restproxy-dev/restproxy-operator/proxy/schema/codec"
)

// recordLocation is the URL the record's schema is compiled under, the base
// its relative "$ref"s resolve against when it has no "$id". The "mem"
// scheme names nowhere anything could be fetched from.
const recordLocation = "mem://registry/record.json"

// referenceLoader serves the registry's references to the compiler and
// refuses every other URL, so compiling never touches the network or the
// file system.
type referenceLoader struct {
	docs map[string]any
}

// newReferenceLoader places each reference where a "$ref" naming it lands.
// A reference's name is the "$ref" text other schemas use: an absolute URL
// is used as it is; a relative one ("customer.json") is resolved against
// every base a "$ref" may be relative to — the record's location, the
// record's "$id" and each reference's "$id" — so that it is found whichever
// way the referring schema is written.
func newReferenceLoader(recordDoc any, refs []codec.Reference) (*referenceLoader, error) {
	recordBase, err := url.Parse(recordLocation)
	if err != nil {
		return nil, fmt.Errorf("record location %q: %w", recordLocation, err)
	}
	bases := appendIDBase([]*url.URL{recordBase}, recordBase, recordDoc)
	names := make([]*url.URL, len(refs))
	docs := make([]any, len(refs))
	for i, ref := range refs {
		if names[i], err = url.Parse(ref.Name); err != nil {
			return nil, fmt.Errorf("reference name %q is not a URL: %w", ref.Name, err)
		}
		if docs[i], err = parseJSON(ref.Schema); err != nil {
			return nil, fmt.Errorf("reference %q is not valid JSON: %w", ref.Name, err)
		}
		if err := refuseCostlyNumbers(docs[i], fmt.Sprintf("reference %q", ref.Name)); err != nil {
			return nil, err
		}
		bases = appendIDBase(bases, recordBase.ResolveReference(names[i]), docs[i])
	}
	loader := &referenceLoader{docs: make(map[string]any, len(refs)*len(bases))}
	for i := range refs {
		for _, base := range bases {
			key := withoutFragment(base.ResolveReference(names[i]))
			if _, taken := loader.docs[key]; !taken {
				loader.docs[key] = docs[i]
			}
		}
	}
	return loader, nil
}

// Load returns the reference placed at rawURL.
func (l *referenceLoader) Load(rawURL string) (any, error) {
	parsed, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL: %w", rawURL, err)
	}
	if doc, ok := l.docs[withoutFragment(parsed)]; ok {
		return doc, nil
	}
	return nil, fmt.Errorf("%q is not among the schema's references (nothing is loaded from elsewhere)", rawURL)
}

// appendIDBase adds the URL a document's top-level "$id" gives it, resolved
// against where the document is placed.
func appendIDBase(bases []*url.URL, placed *url.URL, doc any) []*url.URL {
	object, ok := doc.(map[string]any)
	if !ok {
		return bases
	}
	id, ok := object["$id"].(string)
	if !ok {
		// Drafts 4 and 6 spell it "id"; a "$schema" decides which, but
		// trying both only adds a base no "$ref" may land on.
		if id, ok = object["id"].(string); !ok {
			return bases
		}
	}
	parsed, err := url.Parse(id)
	if err != nil {
		return bases
	}
	return append(bases, placed.ResolveReference(parsed))
}

func withoutFragment(u *url.URL) string {
	trimmed := *u
	trimmed.Fragment, trimmed.RawFragment = "", ""
	return trimmed.String()
}
