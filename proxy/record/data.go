package record

import (
	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"

	"bytes"
	"fmt"
)

// Data types (docs/produce-api.md, "Data objects"). The first three are
// stored without a schema; the others are encoded with one from the Schema
// Registry (README "Schemas").
const (
	TypeBinary     = "BINARY"
	TypeJSON       = "JSON"
	TypeString     = "STRING"
	TypeAvro       = "AVRO"
	TypeJSONSchema = "JSONSCHEMA"
	TypeProtobuf   = "PROTOBUF"
)

const dataTypes = `"BINARY", "JSON", "STRING", "AVRO", "JSONSCHEMA", "PROTOBUF"`

const dataFieldNames = `"type", "data", "subject", "subject_name_strategy", "schema_id", "schema_version", "schema"`

// Bits of the data object's fields, set when the field is present and not null.
const (
	dataType = 1 << iota
	dataData
	dataSubject
	dataStrategy
	dataSchemaID
	dataSchemaVersion
	dataSchema
)

// dataObject is what a data object said, before its checks.
type dataObject struct {
	present int    // dataType... bits of the non-null fields
	seen    int    // bits of every field given, null or not, for duplicates
	typ     string // when present: one of the six types
	data    []byte // text of "data" when present
	// The schema fields' tokens (strings quoted, numbers as text) and the
	// strategy's name, when present.
	subject, schema, id, version []byte
	strategy                     string
}

// data reads the key or value field (named by path): a data object, or null.
// Structural errors are returned; encoding errors are kept in d for Encode.
func (p *parser) data(path string, d *Data) *apierror.Error {
	if null, err := p.isNull(); null || err != nil {
		return err
	}
	if p.peek() != '{' {
		v, err := p.value(1)
		if err != nil {
			return err
		}
		return invalid(path, "a data object or null", v)
	}
	var o dataObject
	err := p.members(func(key []byte) *apierror.Error { return p.dataField(path, &o, key) })
	if err != nil {
		return err
	}
	if err := o.check(path); err != nil {
		return err
	}
	p.encode(&o, d)
	return nil
}

// dataField reads one member of a data object.
func (p *parser) dataField(path string, o *dataObject, key []byte) *apierror.Error {
	var bit int
	var v []byte // the field's text when not null
	var present bool
	var err *apierror.Error
	switch string(key) {
	case "type":
		bit = dataType
		o.typ, err = p.enumOrNull(path, "type", dataTypes, TypeBinary, TypeJSON, TypeString, TypeAvro, TypeJSONSchema, TypeProtobuf)
		present = o.typ != ""
	case "data":
		bit = dataData
		if o.namesSchema() {
			v, err = p.skimData(2)
		} else {
			v, err = p.value(2)
		}
	case "subject":
		bit = dataSubject
		v, err = p.stringOrNull(path, "subject")
		o.subject = v
	case "schema":
		bit = dataSchema
		v, err = p.stringOrNull(path, "schema")
		o.schema = v
	case "subject_name_strategy":
		bit = dataStrategy
		o.strategy, err = p.enumOrNull(path, "subject_name_strategy", `"TOPIC_NAME", "RECORD_NAME", "TOPIC_RECORD_NAME"`,
			StrategyTopicName, StrategyRecordName, StrategyTopicRecordName)
		present = o.strategy != ""
	case "schema_id":
		bit = dataSchemaID
		v, err = p.int32OrNull(path, "schema_id")
		o.id = v
	case "schema_version":
		bit = dataSchemaVersion
		v, err = p.int32OrNull(path, "schema_version")
		o.version = v
	default:
		return unrecognized(key, fmt.Sprintf("%q", path), dataFieldNames)
	}
	if o.seen&bit != 0 {
		return duplicate(key, fmt.Sprintf("%q", path))
	}
	o.seen |= bit
	if err != nil {
		return err
	}
	if bit == dataData {
		o.data = v // null data is a value, not an absence
	}
	if present || v != nil {
		o.present |= bit
	}
	return nil
}

// check applies the structural rules that span fields, in the reference
// implementation's order: schema selectors that exclude each other, then
// schema fields next to a schemaless type, then the required data.
func (o *dataObject) check(path string) *apierror.Error {
	if o.present&dataSubject != 0 && o.present&dataStrategy != 0 {
		return apierror.Detailf(apierror.InvalidRecord, "Only one of 'subject_name_strategy' or 'subject' can be used.")
	}
	if n := bitCount(o.present & (dataSchemaID | dataSchemaVersion | dataSchema)); n > 1 {
		return apierror.Detailf(apierror.InvalidRecord, "Only one of 'schema_id', 'schema_version' or 'schema' can be used.")
	}
	if o.typ == TypeBinary || o.typ == TypeJSON || o.typ == TypeString {
		for _, f := range [...]struct {
			bit  int
			name string
		}{
			{dataStrategy, "subject_name_strategy"},
			{dataSubject, "subject"},
			{dataSchemaID, "schema_id"},
			{dataSchemaVersion, "schema_version"},
			{dataSchema, "schema"},
		} {
			if o.present&f.bit != 0 {
				return apierror.Detailf(apierror.InvalidRecord, "'type=%s' cannot be used with '%s'.", o.typ, f.name)
			}
		}
	}
	if o.present&dataData == 0 {
		return missing(path + ".data")
	}
	return nil
}

// namesSchema reports whether the fields read so far say that the data is
// a schema's, which its codec reads whole.
func (o *dataObject) namesSchema() bool {
	switch o.typ {
	case TypeAvro, TypeJSONSchema, TypeProtobuf:
		return true
	}
	return o.present&(dataSubject|dataStrategy|dataSchemaID|dataSchemaVersion|dataSchema) != 0
}

func bitCount(x int) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

// encode turns a checked data object into the bytes to store, or into the
// encoding error Encode will return.
func (p *parser) encode(o *dataObject, d *Data) {
	d.Typed = o.typ != ""
	d.Type = o.typ
	switch o.typ {
	case TypeBinary, TypeJSON, TypeString:
	default:
		d.Schema = p.schemaRequest(o)
		return
	}
	if string(o.data) == "null" {
		return
	}
	isString := o.data[0] == '"'
	switch o.typ {
	case TypeBinary:
		if !isString {
			d.encodeErr = badData(o.data, "is not a base64 string.")
			return
		}
		b, ok := p.decodeBase64(stringValue(o.data, hasEscape(o.data)), false)
		if !ok {
			d.encodeErr = badData(o.data, "is not a valid base64 string.")
			return
		}
		d.encoded = b
	case TypeString:
		if !isString {
			d.encodeErr = badData(o.data, "is not a string.")
			return
		}
		d.encoded = p.keep(appendUnescaped(p.reserve(len(o.data)), o.data))
	case TypeJSON:
		d.encoded = p.keep(appendCompact(p.reserve(len(o.data)), o.data))
	}
}

// badData is the encoding error for data that does not fit its type. The
// message names the data as compact JSON, as the reference implementation does.
func badData(data []byte, problem string) *apierror.Error {
	return apierror.Detailf(apierror.InvalidData, "Bad Request: data=%s %s", appendCompact(nil, data), problem)
}

func hasEscape(tok []byte) bool { return bytes.IndexByte(tok, '\\') >= 0 }

// enumOrNull reads a string that must be one of names, or null. It returns the
// matching name (a constant: no allocation), or "" for null.
func (p *parser) enumOrNull(path, field, list string, names ...string) (string, *apierror.Error) {
	if null, err := p.isNull(); null || err != nil {
		return "", err
	}
	v, err := p.value(2)
	if err != nil {
		return "", err
	}
	if v[0] == '"' {
		s := stringValue(v, hasEscape(v))
		for _, name := range names {
			if string(s) == name {
				return name, nil
			}
		}
	}
	return "", invalid(path+"."+field, "one of "+list+" or null", v)
}

// stringOrNull reads a string or null (returned as nil).
func (p *parser) stringOrNull(path, field string) ([]byte, *apierror.Error) {
	if null, err := p.isNull(); null || err != nil {
		return nil, err
	}
	v, err := p.value(2)
	if err != nil {
		return nil, err
	}
	if v[0] != '"' {
		return nil, invalid(path+"."+field, "a string or null", v)
	}
	return v, nil
}

// int32OrNull reads an int32 or null (returned as nil).
func (p *parser) int32OrNull(path, field string) ([]byte, *apierror.Error) {
	if null, err := p.isNull(); null || err != nil {
		return nil, err
	}
	v, err := p.value(2)
	if err != nil {
		return nil, err
	}
	if _, ok := parseInt32(v); !ok {
		return nil, invalid(path+"."+field, "an int32 or null", v)
	}
	return v, nil
}
