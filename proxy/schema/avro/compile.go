package avro

import (
	"encoding/json"
	"fmt"

	"github.com/hamba/avro/v2"
)

// compiler turns a parsed schema into a tree of nodes. Named types become
// one node each, shared by every use, so recursive types are cycles.
type compiler struct {
	named    map[string]node
	defaults rawDefaults
	pending  []pendingDefault
}

func (c *compiler) compile(schema avro.Schema) (node, error) {
	switch s := schema.(type) {
	case *avro.RefSchema:
		return c.compile(s.Schema())
	case *avro.NullSchema:
		return newNode(nullNode{}), nil
	case *avro.PrimitiveSchema:
		return primitiveNode(s.Type())
	case *avro.RecordSchema:
		return c.record(s)
	case *avro.EnumSchema:
		return c.namedNode(s, func() node { return newNode(newEnumNode(s.FullName(), s.Symbols())) }), nil
	case *avro.FixedSchema:
		return c.namedNode(s, func() node { return newNode(newFixedNode(s.FullName(), s.Size())) }), nil
	case *avro.ArraySchema:
		items, err := c.compile(s.Items())
		return newNode(&arrayNode{items: items}), err
	case *avro.MapSchema:
		values, err := c.compile(s.Values())
		return newNode(&mapNode{values: values}), err
	case *avro.UnionSchema:
		return c.union(s)
	}
	return node{}, fmt.Errorf("unsupported schema type %s", schema.Type())
}

// primitiveNode encodes a primitive type. A logical type on it changes
// nothing: Avro's JSON encoding writes a logical type as its underlying
// type (a timestamp-millis is a long, a date an int, a uuid a string).
func primitiveNode(typ avro.Type) (node, error) {
	switch typ {
	case avro.Boolean:
		return newNode(booleanNode{}), nil
	case avro.Int:
		return newNode(intNode), nil
	case avro.Long:
		return newNode(longNode), nil
	case avro.Float:
		return newNode(floatNode32), nil
	case avro.Double:
		return newNode(doubleNode), nil
	case avro.String:
		return newNode(stringNode{}), nil
	case avro.Bytes:
		return newNode(bytesNode{}), nil
	}
	return node{}, fmt.Errorf("unsupported primitive type %s", typ)
}

// namedNode returns the node of a named type, building it on first use.
func (c *compiler) namedNode(s avro.NamedSchema, build func() node) node {
	n, ok := c.named[s.FullName()]
	if !ok {
		n = build()
		c.named[s.FullName()] = n
	}
	return n
}

// record builds a record's node. It is registered before its fields are
// compiled, so that a field of the record's own type finds it.
func (c *compiler) record(s *avro.RecordSchema) (node, error) {
	if n, ok := c.named[s.FullName()]; ok {
		return n, nil
	}
	r := &recordNode{name: s.FullName(), want: "an object (record " + s.FullName() + ")"}
	c.named[s.FullName()] = newNode(r)
	var names []string
	var positions []int
	for i, f := range s.Fields() {
		n, err := c.compile(f.Type())
		if err != nil {
			return node{}, fmt.Errorf("field %s.%s: %w", s.FullName(), f.Name(), err)
		}
		r.fields = append(r.fields, newRecordField(f.Name(), n))
		if f.HasDefault() {
			if err := c.addDefault(r, i); err != nil {
				return node{}, err
			}
		}
		names, positions = append(names, f.Name()), append(positions, i)
		for _, alias := range f.Aliases() {
			names, positions = append(names, alias), append(positions, i)
		}
	}
	r.names = newNameIndex(names, positions)
	r.scanKeys = len(r.fields) <= fewFields && namesFindOwnFields(r)
	return newNode(r), nil
}

// namesFindOwnFields reports whether each field's name looks up that
// field, so that matching the name on the text finds what reading it and
// looking it up would. An alias equal to an earlier field's name would
// look up that field instead.
func namesFindOwnFields(r *recordNode) bool {
	for i := range r.fields {
		if r.names.find([]byte(r.fields[i].name)) != i {
			return false
		}
	}
	return true
}

// addDefault notes that field i of r has a default, to be encoded from
// its JSON in the schema once every node is built.
func (c *compiler) addDefault(r *recordNode, i int) error {
	fieldDefaults := c.defaults[r.name]
	if i >= len(fieldDefaults) || fieldDefaults[i] == nil {
		return fmt.Errorf("field %s.%s: default not found in the schema text", r.name, r.fields[i].name)
	}
	r.fields[i].defaults = defaultPending
	c.pending = append(c.pending, pendingDefault{record: r, field: i, text: fieldDefaults[i]})
	return nil
}

func (c *compiler) union(s *avro.UnionSchema) (node, error) {
	branches := make([]node, 0, len(s.Types()))
	names := make([]string, 0, len(s.Types()))
	null := -1
	for i, t := range s.Types() {
		n, err := c.compile(t)
		if err != nil {
			return node{}, err
		}
		if t.Type() == avro.Null {
			null = i
		}
		branches, names = append(branches, n), append(names, branchName(t))
	}
	return newNode(newUnionNode(branches, names, null)), nil
}

// branchName is the name that picks a union branch in Avro's JSON
// encoding: a named type's full name, else the type's name.
func branchName(s avro.Schema) string {
	if ref, ok := s.(*avro.RefSchema); ok {
		return ref.Schema().FullName()
	}
	if named, ok := s.(avro.NamedSchema); ok {
		return named.FullName()
	}
	return string(s.Type())
}

// pendingDefault is a field default still to be encoded.
type pendingDefault struct {
	record *recordNode
	field  int
	text   json.RawMessage
}
