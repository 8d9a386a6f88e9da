package avro

import (
	"slices"
	"strings"
	"testing"

	"github.com/hamba/avro/v2"

	"github.com/restproxy-dev/restproxy-operator/proxy/schema/codec"
)

const (
	addressRef = `{"type":"record","name":"Address","namespace":"com.acme",
		"fields":[{"name":"street","type":"string"},{"name":"country","type":"com.acme.Country","default":"NL"}]}`
	countryRef     = `{"type":"enum","name":"Country","namespace":"com.acme","symbols":["NL","BE"]}`
	customerSchema = `{"type":"record","name":"Customer","namespace":"com.acme.crm","fields":[
		{"name":"name","type":"string"},
		{"name":"home","type":"com.acme.Address"},
		{"name":"work","type":["null","com.acme.Address"],"default":null}]}`
	// customerInlined is customerSchema with its references written in,
	// for goavro, which knows nothing of references.
	customerInlined = `{"type":"record","name":"Customer","namespace":"com.acme.crm","fields":[
		{"name":"name","type":"string"},
		{"name":"home","type":{"type":"record","name":"Address","namespace":"com.acme","fields":[
			{"name":"street","type":"string"},
			{"name":"country","type":{"type":"enum","name":"Country","namespace":"com.acme","symbols":["NL","BE"]},"default":"NL"}]}},
		{"name":"work","type":["null","com.acme.Address"],"default":null}]}`
)

func TestCompileWithReferences(t *testing.T) {
	t.Parallel()
	inOrder := []codec.Reference{{Name: "com.acme.Country", Schema: countryRef}, {Name: "com.acme.Address", Schema: addressRef}}
	reversed := []codec.Reference{inOrder[1], inOrder[0]}
	for name, refs := range map[string][]codec.Reference{"dependency order": inOrder, "reversed": reversed} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := Compile(customerSchema, refs)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			if got := c.RecordName(); got != "com.acme.crm.Customer" {
				t.Errorf("RecordName() = %q, want com.acme.crm.Customer", got)
			}
			data := `{"name":"Ada","home":{"street":"Kerkstraat 1"},"work":{"com.acme.Address":{"street":"Dam 1","country":"BE"}}}`
			out, err := c.Append(nil, []byte(data))
			if err != nil {
				t.Fatalf("Append: %v", err)
			}
			want := map[string]any{
				"name": "Ada",
				"home": map[string]any{"street": "Kerkstraat 1", "country": "NL"},
				"work": map[string]any{"com.acme.Address": map[string]any{"street": "Dam 1", "country": "BE"}},
			}
			if got := decodeWithGoavro(t, customerInlined, out); !sameNative(got, want) {
				t.Errorf("decodes to %#v, want %#v", got, want)
			}
		})
	}
}

func TestCompileNameOfReferencedType(t *testing.T) {
	t.Parallel()
	// A subject's schema may be just the name of a type a reference defines.
	refs := []codec.Reference{{Name: "com.acme.Country", Schema: countryRef}}
	c, err := Compile(`"com.acme.Country"`, refs)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	if got := c.RecordName(); got != "com.acme.Country" {
		t.Errorf("RecordName() = %q, want com.acme.Country", got)
	}
	out, err := c.Append(nil, []byte(`"BE"`))
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	if got := decodeWithGoavro(t, countryRef, out); got != "BE" {
		t.Errorf("decodes to %#v, want BE", got)
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, schema string
		refs         []codec.Reference
		want         string
	}{
		{"not a schema", `{"type":"recrod","name":"R","fields":[]}`, nil, "unknown type"},
		{"missing reference", customerSchema, nil, "unknown type: com.acme.Address"},
		{"reference missing its own reference", customerSchema,
			[]codec.Reference{{Name: "com.acme.Address", Schema: addressRef}}, "reference com.acme.Address: unknown type: com.acme.Country"},
		{"default of the wrong type", record(`{"name":"a","type":"int","default":"x"}`), nil, "invalid default for field a"},
		{"default not whole", record(`{"name":"a","type":"int","default":1.5}`), nil, "invalid default for field ex.R.a: expected an int, got 1.5"},
		{"default byte above 255", record(`{"name":"a","type":"bytes","default":"\u0100"}`), nil, "invalid default"},
		{"record default missing a field", record(`{"name":"in","type":{"type":"record","name":"In","fields":[{"name":"x","type":"int"}]},"default":{}}`),
			nil, "invalid default for field in"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Compile(tc.schema, tc.refs)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Compile error = %v, want it to contain %q", err, tc.want)
			}
			if err != nil && strings.HasPrefix(err.Error(), "avro: ") {
				t.Errorf("error %q keeps the parser's prefix", err)
			}
		})
	}
}

func TestRecordName(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		record(`{"name":"a","type":"int"}`):                                 "ex.R",
		`{"type":"enum","name":"Color","namespace":"ui","symbols":["RED"]}`: "ui.Color",
		`{"type":"fixed","name":"MD5","size":16}`:                           "MD5",
		`"string"`:                       "",
		`{"type":"array","items":"int"}`: "",
		`["null","int"]`:                 "",
	}
	for schema, want := range cases {
		c, err := Compile(schema, nil)
		if err != nil {
			t.Fatalf("Compile(%s): %v", schema, err)
		}
		if got := c.RecordName(); got != want {
			t.Errorf("RecordName() of %s = %q, want %q", schema, got, want)
		}
	}
}

func TestCompileSurvivesParserPanic(t *testing.T) {
	t.Parallel()
	// Valid Avro (B.a's default is an A, whose n has a default), but the
	// parser checks the default while A's fields are still being parsed.
	schema := `{"type":"record","name":"A","fields":[
		{"name":"b","type":{"type":"record","name":"B","fields":[
			{"name":"a","type":["A","null"],"default":{"b":{"a":null}}}]}},
		{"name":"n","type":"int","default":5}]}`
	if _, err := Compile(schema, nil); err == nil || !strings.Contains(err.Error(), "schema parser failed") {
		t.Errorf("Compile error = %v, want the parser's failure", err)
	}
}

func TestDefaultsEncodeInAnyOrder(t *testing.T) {
	t.Parallel()
	// Outer's default leaves out Inner.q, so Inner.q's default must be
	// encoded first; the compiler meets it first, so reverse the order.
	schema := record(`
		{"name":"spare","type":{"type":"record","name":"Inner","fields":[{"name":"p","type":"int"},{"name":"q","type":"int","default":9}]},"default":{"p":2}},
		{"name":"outer","type":{"type":"record","name":"Outer","fields":[{"name":"inner","type":"Inner","default":{"p":1}}]},"default":{}}`)
	parsed, err := parse(schema, &avro.SchemaCache{})
	if err != nil {
		t.Fatal(err)
	}
	defaults := rawDefaults{}
	defaults.collect(schema)
	c := &compiler{named: map[string]node{}, defaults: defaults}
	root, err := c.compile(parsed)
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(c.pending)
	if err := c.encodeDefaults(); err != nil {
		t.Fatal(err)
	}
	out, err := (&Codec{root: root}).Append(nil, []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"spare": map[string]any{"p": int32(2), "q": int32(9)},
		"outer": map[string]any{"inner": map[string]any{"p": int32(1), "q": int32(9)}},
	}
	if got := decodeWithGoavro(t, schema, out); !sameNative(got, want) {
		t.Errorf("decodes to %#v, want %#v", got, want)
	}
}
