package record

import (
	"strconv"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
)

// Subject name strategies of "subject_name_strategy" (README "Schemas").
const (
	StrategyTopicName       = "TOPIC_NAME"
	StrategyRecordName      = "RECORD_NAME"
	StrategyTopicRecordName = "TOPIC_RECORD_NAME"
)

// SchemaRequest is what a data object said about its schema: a data
// object of type AVRO, JSONSCHEMA or PROTOBUF, or of no type. The schema
// stage (SchemaEncoder) turns it into the stored bytes.
type SchemaRequest struct {
	// Type is "AVRO", "JSONSCHEMA", "PROTOBUF" or "" when not given.
	Type     string
	Subject  string // "" when not given
	Strategy string // "" when not given
	// Schema is the raw schema text; "" when not given.
	Schema string
	// ID and Version are the schema_id and schema_version; 0 when not
	// given (HasID and HasVersion say whether they were).
	ID, Version        int32
	HasID, HasVersion  bool
	HasSubject, HasRaw bool
	// Data is the JSON text of "data" (whitespace kept inside it);
	// "null" for null data.
	Data []byte
}

// SchemaUsed is what a success report says of the schema a key or value
// was encoded with. Values are shared by every record that used the same
// schema, and never change.
type SchemaUsed struct {
	Subject string
	ID      int32
	Version int32
	// fields is the report's text of the three, written once.
	fields []byte
}

// NewSchemaUsed returns what a report says of a schema: its subject, id
// and version under the subject.
func NewSchemaUsed(subject string, id, version int32) SchemaUsed {
	u := SchemaUsed{Subject: subject, ID: id, Version: version}
	u.fields = appendJSONString([]byte(`,"subject":`), subject)
	u.fields = strconv.AppendInt(append(u.fields, `,"schema_id":`...), int64(id), 10)
	u.fields = strconv.AppendInt(append(u.fields, `,"schema_version":`...), int64(version), 10)
	return u
}

// SchemaEncoder is the schema stage: it encodes a key or value that names
// a schema into the bytes to store (nil for null data), appended to dst,
// and says which type and schema it used. dst has room for an encoding a
// little longer than the data's JSON text; a longer one grows it.
type SchemaEncoder interface {
	EncodeSchema(r *SchemaRequest, isKey bool, dst []byte) (Encoded, *apierror.Error)
}

// encodedRoom is the room dst has beyond the data's JSON text: the wire
// format's header and the few bytes by which a binary encoding of short
// JSON (a double written "1") can pass it.
const encodedRoom = 32

// Encoded is what the schema stage made of a key or value.
type Encoded struct {
	Bytes []byte
	Type  string
	Used  *SchemaUsed
}

// schemaRequest keeps what the schema stage needs of o, in the arena.
func (p *parser) schemaRequest(o *dataObject) *SchemaRequest {
	r := p.shared.request()
	r.Type, r.Strategy = o.typ, o.strategy
	if o.subject != nil {
		r.Subject, r.HasSubject = string(stringValue(o.subject, hasEscape(o.subject))), true
	}
	if o.schema != nil {
		r.Schema, r.HasRaw = string(stringValue(o.schema, hasEscape(o.schema))), true
	}
	if o.id != nil {
		r.ID, _ = parseInt32(o.id)
		r.HasID = true
	}
	if o.version != nil {
		r.Version, _ = parseInt32(o.version)
		r.HasVersion = true
	}
	// Copied as it is: the codecs read JSON whitespace, so compacting it
	// here would only pass over it once more.
	r.Data = p.keep(append(p.reserve(len(o.data)), o.data...))
	return r
}
