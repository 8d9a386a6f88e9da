package avro

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// rawDefaults holds the JSON of every record field's default, by record
// full name and field position (nil: no default). Defaults are taken
// from the schema text rather than from the parsed schema, whose
// defaults have already been converted to Go values (large longs through
// float64, bytes to []byte): encoding the JSON as a value of the field's
// type writes exactly what the schema says.
type rawDefaults map[string][]json.RawMessage

// schemaObject is the part of a schema object that leads to defaults.
type schemaObject struct {
	Type      json.RawMessage `json:"type"`
	Name      string          `json:"name"`
	Namespace string          `json:"namespace"`
	Fields    []struct {
		Type    json.RawMessage `json:"type"`
		Default json.RawMessage `json:"default"`
	} `json:"fields"`
	Items  json.RawMessage `json:"items"`
	Values json.RawMessage `json:"values"`
}

// collect adds the defaults of the records a schema text defines. Text
// the parser accepted but that is not JSON (a bare type name) has none.
func (d rawDefaults) collect(text string) {
	d.walk(json.RawMessage(text), "")
}

func (d rawDefaults) walk(text json.RawMessage, namespace string) {
	text = bytes.TrimSpace(text)
	if len(text) == 0 {
		return
	}
	switch text[0] {
	case '[':
		var branches []json.RawMessage
		if json.Unmarshal(text, &branches) == nil {
			for _, branch := range branches {
				d.walk(branch, namespace)
			}
		}
	case '{':
		var object schemaObject
		if json.Unmarshal(text, &object) == nil {
			d.walkObject(&object, namespace)
		}
	}
}

func (d rawDefaults) walkObject(object *schemaObject, namespace string) {
	var typ string
	if json.Unmarshal(object.Type, &typ) != nil {
		d.walk(object.Type, namespace)
		return
	}
	switch typ {
	case "record", "error":
		fullName, inner := qualify(object.Name, object.Namespace, namespace)
		fieldDefaults := make([]json.RawMessage, len(object.Fields))
		for i, field := range object.Fields {
			fieldDefaults[i] = field.Default
			d.walk(field.Type, inner)
		}
		d[fullName] = fieldDefaults
	case "array":
		d.walk(object.Items, namespace)
	case "map":
		d.walk(object.Values, namespace)
	}
}

// qualify returns a named type's full name and the namespace of the types
// it encloses, as the schema parser resolves them: a dotted name is full,
// an empty namespace is the enclosing one.
func qualify(name, namespace, enclosing string) (fullName, inner string) {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name, name[:i]
	}
	if namespace == "" {
		namespace = enclosing
	}
	if namespace == "" {
		return name, ""
	}
	return namespace + "." + name, namespace
}

// encodeDefaults encodes every pending default with the field's own node.
// A default may need another's (a record default that leaves out a field
// with a default), so this goes round until none is left.
func (c *compiler) encodeDefaults() error {
	for len(c.pending) > 0 {
		var waiting []pendingDefault
		for _, p := range c.pending {
			err := p.encode()
			if errors.Is(err, errDefaultPending) {
				waiting = append(waiting, p)
				continue
			}
			if err != nil {
				return fmt.Errorf("invalid default for field %s.%s: %w", p.record.name, p.record.fields[p.field].name, err)
			}
		}
		if len(waiting) == len(c.pending) {
			p := waiting[0]
			return fmt.Errorf("default of field %s.%s depends on itself", p.record.name, p.record.fields[p.field].name)
		}
		c.pending = waiting
	}
	return nil
}

// encode encodes the default as its field's value. A union field's default
// is a value of the union's first branch, without the branch's name.
func (p pendingDefault) encode() error {
	field := &p.record.fields[p.field]
	n, encoded := field.node, []byte{}
	if union, ok := n.enc.(*unionNode); ok {
		n, encoded = union.branches[0], appendLong(encoded, 0)
	}
	st := &state{data: p.text}
	defer st.finish()
	encoded, err := n.encode(st, encoded)
	if err != nil {
		return err
	}
	if !st.atEnd() {
		return st.malformed(st.pos)
	}
	field.encoded, field.defaults = st.insertCounts(encoded), defaultReady
	return nil
}
