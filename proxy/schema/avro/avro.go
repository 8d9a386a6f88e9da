package avro

import (
	"fmt"
	"strings"

	"github.com/hamba/avro/v2"

	"github.com/restproxy-dev/restproxy-operator/proxy/schema/codec"
)

// Codec is a compiled Avro schema. It is immutable and safe for concurrent use.
type Codec struct {
	root       node
	recordName string
}

var _ codec.Codec = (*Codec)(nil)

// Compile parses an Avro schema, with the schemas it references (each
// defining named types it uses), and compiles it into a Codec.
func Compile(text string, refs []codec.Reference) (*Codec, error) {
	cache := &avro.SchemaCache{}
	if err := parseReferences(refs, cache); err != nil {
		return nil, err
	}
	schema, err := parse(text, cache)
	if err != nil {
		return nil, err
	}
	defaults := rawDefaults{}
	for _, ref := range refs {
		defaults.collect(ref.Schema)
	}
	defaults.collect(text)
	c := &compiler{named: map[string]node{}, defaults: defaults}
	root, err := c.compile(schema)
	if err != nil {
		return nil, err
	}
	if err := c.encodeDefaults(); err != nil {
		return nil, err
	}
	return &Codec{root: root, recordName: recordName(schema)}, nil
}

// parseReferences parses the referenced schemas into cache. They come in
// dependency order, but any order is taken: a schema that needs one not
// parsed yet is tried again after the others.
func parseReferences(refs []codec.Reference, cache *avro.SchemaCache) error {
	for len(refs) > 0 {
		var failed []codec.Reference
		var lastErr error
		for _, ref := range refs {
			if _, err := parse(ref.Schema, cache); err != nil {
				failed = append(failed, ref)
				lastErr = fmt.Errorf("reference %s: %w", ref.Name, err)
			}
		}
		if len(failed) == len(refs) {
			return lastErr
		}
		refs = failed
	}
	return nil
}

// parse parses one schema text into cache, which holds the named types
// it may use and gets those it defines. The parser panics on some valid
// schemas (a default holding a value of a record still being parsed);
// that is an error here, not a crash.
func parse(text string, cache *avro.SchemaCache) (schema avro.Schema, err error) {
	defer func() {
		if recovered := recover(); recovered != nil {
			schema, err = nil, fmt.Errorf("schema parser failed: %v", recovered)
		}
	}()
	schema, err = avro.ParseWithCache(text, "", cache)
	if err != nil {
		// Drop the parser's "avro: " prefix: callers say what failed.
		return nil, fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "avro: "))
	}
	return schema, nil
}

// recordName is the full name RecordName reports for a parsed schema.
func recordName(schema avro.Schema) string {
	if ref, ok := schema.(*avro.RefSchema); ok {
		return ref.Schema().FullName()
	}
	if named, ok := schema.(avro.NamedSchema); ok {
		return named.FullName()
	}
	return ""
}

// RecordName is the schema's full name when it is a named type (record,
// enum or fixed), else "".
func (c *Codec) RecordName() string {
	return c.recordName
}

// Append appends the Avro binary of data, one JSON value, to dst. Data
// that does not fit the schema is a *codec.DataError naming where.
func (c *Codec) Append(dst, data []byte) ([]byte, error) {
	st := &state{data: data}
	st.skipSpace()
	out, err := c.root.encode(st, dst)
	if err == nil && !st.atEnd() {
		err = &codec.DataError{Problem: fmt.Sprintf("unexpected text after the value at offset %d", st.pos)}
	}
	if st.spare != nil { // else there are no counts and no scratch space
		if err == nil {
			out = st.insertCounts(out)
		}
		st.finish()
	}
	if err != nil {
		return dst, err
	}
	return out, nil
}
