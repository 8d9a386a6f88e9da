// Package jsonschema is the JSON Schema codec: it validates a record's JSON
// data against a compiled schema and writes the data itself, compacted, as
// Confluent's JSON Schema serializer does (README "Schemas").
//
// The draft is chosen by the schema's "$schema" (draft 4, 6, 7, 2019-09 and
// 2020-12 are known); a schema without one is read as draft 7, the default
// of Confluent's Schema Registry. Nothing is ever loaded from the network or
// the file system: "$ref" reaches only the meta-schemas built into the
// validator and the schemas given as references.
package jsonschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/restproxy-dev/restproxy-operator/proxy/schema/codec"
)

// Codec is one compiled JSON Schema. It is immutable and safe for
// concurrent use.
type Codec struct {
	schema     *jsonschema.Schema
	recordName string
}

var _ codec.Codec = (*Codec)(nil)

// Compile compiles a JSON Schema text. refs are the schemas it reaches by
// "$ref", each under the name the registry's reference gives it.
func Compile(text string, refs []codec.Reference) (*Codec, error) {
	doc, err := parseJSON(text)
	if err != nil {
		return nil, fmt.Errorf("schema is not valid JSON: %w", err)
	}
	if err := refuseCostlyNumbers(doc, "schema"); err != nil {
		return nil, err
	}
	loader, err := newReferenceLoader(doc, refs)
	if err != nil {
		return nil, err
	}
	compiler := jsonschema.NewCompiler()
	compiler.DefaultDraft(jsonschema.Draft7)
	compiler.UseLoader(loader)
	if err := compiler.AddResource(recordLocation, doc); err != nil {
		return nil, fmt.Errorf("add schema: %w", err)
	}
	schema, err := compiler.Compile(recordLocation)
	if err != nil {
		return nil, errors.New(oneLine(recordLocationNamed.Replace(err.Error())))
	}
	if err := refuseReferenceCycle(schema); err != nil {
		return nil, err
	}
	return &Codec{schema: schema, recordName: title(doc)}, nil
}

// Append validates data against the schema and appends data with its
// insignificant whitespace removed: member order, number spelling and
// string escapes stay as the client sent them.
func (c *Codec) Append(dst, data []byte) ([]byte, error) {
	// The decoder would read invalid UTF-8 as U+FFFD and validate that,
	// while the bytes written on are the client's.
	if !utf8.Valid(data) {
		return dst, &codec.DataError{Problem: "not valid JSON: the text is not UTF-8"}
	}
	instance, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return dst, &codec.DataError{Problem: "not valid JSON: " + err.Error()}
	}
	if hasCostlyNumber(instance) {
		costly := findCostlyNumber(instance)
		return dst, &codec.DataError{Path: instancePath(instance, costly.location), Problem: costly.problem()}
	}
	if err := c.schema.Validate(instance); err != nil {
		return dst, dataError(err, instance)
	}
	out := bytes.NewBuffer(dst)
	if err := json.Compact(out, data); err != nil {
		return dst, &codec.DataError{Problem: "not valid JSON: " + err.Error()}
	}
	return out.Bytes(), nil
}

// RecordName is the schema's top-level "title", "" when it has none.
func (c *Codec) RecordName() string {
	return c.recordName
}

// refuseReferenceCycle finds a "$ref" loop that every value runs into
// ({"$ref": "#"}): the validator only reports a cycle when a value reaches
// it, and such a schema would refuse every record with a puzzling message.
func refuseReferenceCycle(schema *jsonschema.Schema) error {
	for _, probe := range []any{nil, map[string]any{}} {
		var failure *jsonschema.ValidationError
		if errors.As(schema.Validate(probe), &failure) {
			if cycle := findReferenceCycle(failure); cycle != nil {
				return errors.New(problemText(cycle.ErrorKind))
			}
		}
	}
	return nil
}

// recordLocationNamed keeps the internal URL of the record's schema out of
// the messages a client reads.
var recordLocationNamed = strings.NewReplacer(
	`"`+recordLocation+`#"`, "the schema",
	recordLocation+"#", "the schema",
	recordLocation, "the schema",
)

// parseJSON reads one JSON value, keeping numbers exact as the validator
// needs for multipleOf and large integers.
func parseJSON(text string) (any, error) {
	return jsonschema.UnmarshalJSON(strings.NewReader(text))
}

func title(doc any) string {
	object, ok := doc.(map[string]any)
	if !ok {
		return ""
	}
	name, _ := object["title"].(string)
	return name
}

// oneLine folds a multi-line message (the validator lists nested causes on
// indented lines) into one line for an API error message.
func oneLine(message string) string {
	lines := strings.Split(message, "\n")
	kept := lines[:0]
	for _, line := range lines {
		if line = strings.TrimSpace(line); line != "" {
			kept = append(kept, line)
		}
	}
	return strings.Join(kept, "; ")
}
