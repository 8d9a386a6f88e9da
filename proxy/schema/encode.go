package schema

import (
	"encoding/binary"
	"errors"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
	"github.com/restproxy-dev/restproxy-operator/proxy/record"
	"github.com/restproxy-dev/restproxy-operator/proxy/schema/codec"
)

// Encoder is the schema stage of one request's records, to one topic. It
// serves one stream or batch, on one goroutine at a time.
type Encoder struct {
	r     *Registry
	topic string
	// last holds, for keys and for values, the schema fields of the record
	// encoded last and the schema they resolved to: the next record of a
	// stream usually names the same one, and is then resolved without the
	// registry's shared memo.
	last [2]lastResolved
}

type lastResolved struct {
	key memoKey
	s   *registered
}

// For returns the schema stage of one request's records to topic.
func (r *Registry) For(topic string) *Encoder { return &Encoder{r: r, topic: topic} }

// EncodeSchema resolves the schema q names and encodes q's data with it in
// the Confluent wire format. Null data is stored as null (a tombstone),
// its schema resolved all the same, as the reference implementation does.
func (e *Encoder) EncodeSchema(q *record.SchemaRequest, isKey bool, dst []byte) (record.Encoded, *apierror.Error) {
	s, err := e.resolve(q, isKey)
	if err != nil {
		return record.Encoded{}, err
	}
	out := record.Encoded{Type: s.format, Used: &s.used}
	if string(q.Data) == "null" {
		return out, nil
	}
	// The Confluent wire format's header: magic byte 0, then the schema id
	// as 4 bytes big-endian.
	b := binary.BigEndian.AppendUint32(append(dst, 0), uint32(s.used.ID))
	b, cerr := s.codec.Append(b, q.Data)
	if cerr != nil {
		return record.Encoded{}, dataFailure(cerr)
	}
	out.Bytes = b
	return out, nil
}

// resolve is the registry's resolveMemo, through the last record's answer.
func (e *Encoder) resolve(q *record.SchemaRequest, isKey bool) (*registered, *apierror.Error) {
	if !memoized(q) {
		return e.r.resolve(e.topic, q, isKey)
	}
	last := &e.last[0]
	if isKey {
		last = &e.last[1]
	}
	k := memoKeyOf("", q, isKey) // the topic is the Encoder's
	if last.s != nil && last.key == k {
		return last.s, nil
	}
	s, err := e.r.resolveMemo(e.topic, q, isKey)
	if err == nil {
		last.key, last.s = k, s
	}
	return s, err
}

// dataFailure is data that does not fit its schema: 400, naming the field.
func dataFailure(err error) *apierror.Error {
	var d *codec.DataError
	if errors.As(err, &d) && d.Path != "" {
		return apierror.Detailf(apierror.InvalidData, "Bad Request: data does not fit the schema at %s: %s", d.Path, d.Problem)
	}
	return apierror.Detailf(apierror.InvalidData, "Bad Request: data does not fit the schema: %v", err)
}
