// Package avro encodes records given as JSON, in Avro's JSON encoding, to
// Avro binary (README.md, "Schemas").
//
// Compile parses a schema with its references and builds a tree of small
// encoders, one per schema node; Append walks the JSON text once,
// appending binary, without decoding it into Go values first. Encoding
// allocates nothing in steady state.
//
// JSON is read as Apache Avro's JsonDecoder reads it (Confluent's REST
// Proxy uses it), except where noted:
//
//   - null is JSON null, boolean true or false.
//   - int and long are JSON numbers with a whole value. 2.0 and 2e3 are
//     taken, as Java takes them, but from their decimal digits, so that
//     no large value is rounded. A fraction is refused (as Avro 1.12 and
//     later do; earlier Java truncated it), and so is a value out of range.
//   - float and double are JSON numbers, or the strings "NaN",
//     "Infinity" ("INF") and "-Infinity" ("-INF"), as recent Avro reads
//     them (older versions refuse them). A number too large for the type
//     is refused (Java would store infinity). NaN is written with Java's
//     bit pattern.
//   - string is a JSON string. A lone UTF-16 surrogate (\ud800) or
//     invalid UTF-8 is refused (Java would write '?').
//   - bytes and fixed are JSON strings whose code points 0-255 are the
//     bytes ("\u00ff" is the byte 0xff); a larger code point is refused
//     (Java would write '?'). A fixed needs exactly its size.
//   - enum is the JSON string of one of its symbols.
//   - array is a JSON array, map a JSON object. A map key given twice is
//     refused (Java keeps the last; some Avro readers refuse the map).
//   - record is a JSON object with a member per field, by name or alias,
//     in any order. A missing member takes the field's default (Java
//     refuses the record); without a default it is an error. An unknown
//     member is refused (Java refuses those before the last field it
//     reads and ignores the rest), as is a member given twice.
//   - union is JSON null for its null branch, or an object with exactly
//     one member naming the branch: a named type's full name, else the
//     type's name ("string", "array", "map"). Extra members are refused
//     (Java skips them).
//   - Logical types are written as their underlying type: a decimal as
//     bytes or fixed, a timestamp-millis as a long (and in a union, the
//     branch "long"), a date as an int, a uuid as a string.
//   - Data nested deeper than 1000 levels is refused.
//
// Data that does not fit is a *codec.DataError whose Path names the place
// in the record's JSON ("customer.id", "items[2]", `tags["x"]`; a union's
// branch name is not part of it) and whose Problem quotes the value,
// clipped to about 40 bytes: `expected a long, got "abc"`.
package avro
