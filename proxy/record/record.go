package record

import (
	"time"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
)

// AnyPartition is Record.Partition when the request left the choice to the
// partitioner (partition_id absent or null).
const AnyPartition int32 = -1

// explicitMinusOne stands for an explicit "partition_id": -1. The request named
// a partition, and a negative one must be answered 40402 "Partition not found."
// by the server's partition check, so it must not collapse into AnyPartition.
// Any negative value fails that check the same way, so the smallest int32 is used.
const explicitMinusOne int32 = -1 << 31

// Header of a record. Value nil means a null header value; an empty, non-nil
// Value is the empty string "".
type Header struct {
	Name  string
	Value []byte
}

// Data is a record's key or value.
type Data struct {
	// Typed is true when the request gave the field as a data object with a
	// non-null "type": only then does the success report describe it.
	Typed bool
	// Type is the type the data was stored as once Encode succeeded (a
	// schema's own type when the request named none); before that it is
	// what the request said.
	Type string
	// Bytes is what is stored in Kafka, set by Encode. nil is null data (size -1).
	Bytes []byte
	// Schema is set when the data names a schema: the schema stage
	// encodes it. Used is the schema it was encoded with.
	Schema *SchemaRequest
	Used   *SchemaUsed

	// Parse does all the decoding in its single pass over the record and keeps
	// the outcome here; Encode publishes it. This keeps the per-record order
	// of checks (encoding errors after rate limits) without a second pass.
	encoded   []byte
	encodeErr *apierror.Error
}

// Record is one record of a produce request, as parsed and validated.
type Record struct {
	// Partition is AnyPartition when absent or null. An explicit negative
	// partition_id stays negative (an explicit -1 is stored as math.MinInt32 to
	// stay distinct from AnyPartition), so "Partition < 0 && Partition !=
	// AnyPartition" means "answer 40402".
	Partition int32
	Headers   []Header // order and duplicates kept
	Key       Data
	Value     Data
	// Timestamp is zero when absent or null: the caller stamps "now".
	// Otherwise it is in UTC and truncated to milliseconds.
	Timestamp time.Time
	// Size is the byte length of the record's own JSON text, from { to } inclusive.
	Size int
}

// Encode runs the encoding checks, key then value, and fills Key.Bytes and
// Value.Bytes. It returns 400 for BINARY data that is not (valid) base64 and
// STRING data that is not a string; data that names a schema goes to
// schemas, and without one (no registry) gets 422 42206. The server calls
// it after rate limits and the partition check.
func (r *Record) Encode(schemas SchemaEncoder) *apierror.Error { return r.EncodeIn(schemas, nil) }

// EncodeIn is Encode with the schema stage's encodings kept in a, as
// ParseIn keeps the decoded bytes; a nil a allocates.
func (r *Record) EncodeIn(schemas SchemaEncoder, a *Arena) *apierror.Error {
	if err := r.Key.publish(schemas, true, a); err != nil {
		return err
	}
	return r.Value.publish(schemas, false, a)
}

func (d *Data) publish(schemas SchemaEncoder, isKey bool, a *Arena) *apierror.Error {
	switch {
	case d.encodeErr != nil:
		return d.encodeErr
	case d.Schema == nil:
		d.Bytes = d.encoded
		return nil
	case schemas == nil:
		return apierror.New(apierror.SchemaUnsupported)
	}
	e, err := schemas.EncodeSchema(d.Schema, isKey, a.take(len(d.Schema.Data)+encodedRoom))
	if err != nil {
		return err
	}
	a.keep(e.Bytes)
	d.Bytes, d.Type, d.Used = e.Bytes[:len(e.Bytes):len(e.Bytes)], e.Type, e.Used
	return nil
}
