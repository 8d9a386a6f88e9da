// Package codec is what the schema formats (Avro, JSON Schema, Protobuf)
// have in common: a compiled schema turns a record's JSON data into the
// bytes a Confluent deserializer reads after the wire format's 5-byte
// header (README "Schemas").
package codec

import "fmt"

// Codec is one compiled schema. It is immutable and safe for concurrent use.
type Codec interface {
	// Append appends the encoding of data to dst. data is one JSON value
	// as its text (valid JSON, possibly with whitespace), never the
	// literal null: a null key or value is stored as null without its
	// codec. Data that does not fit the schema is a *DataError.
	Append(dst, data []byte) ([]byte, error)
	// RecordName is the name the RECORD_NAME subject strategies use: an
	// Avro named type's full name, a Protobuf schema's first message's
	// full name, a JSON Schema's "title"; "" when the schema has none.
	RecordName() string
}

// Reference is a schema that another one references, by the name the
// registry's reference gives it: an Avro type's full name, a Protobuf
// import path, a JSON Schema $ref URL.
type Reference struct {
	Name   string
	Schema string
}

// DataError is data that does not fit its schema.
type DataError struct {
	// Path names the field, as the record's JSON would reach it:
	// "customer.id", "items[2]", "" for the whole value.
	Path string
	// Problem says what is wrong, with the value when short:
	// `expected a long, got "abc"`.
	Problem string
}

func (e *DataError) Error() string {
	if e.Path == "" {
		return e.Problem
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Problem)
}
