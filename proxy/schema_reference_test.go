package proxy

import (
	"strconv"
	"strings"
	"testing"
)

// How a case's data object names its schema.
type schemaMode int

const (
	modeRaw     schemaMode = iota // "type" and "schema"
	modeID                        // "schema_id"
	modeVersion                   // "schema_version"
	modeLatest                    // none: the subject's latest
)

// schemaOK is one of the reference implementation's successful schema
// cases (kafka-rest's ProduceActionIntegrationTest), for the key and the
// value alike.
type schemaOK struct {
	name     string
	mode     schemaMode
	subject  string // "subject" given; "" for none
	strategy string // "subject_name_strategy" given; "" for none
	null     bool   // "data": null
}

var schemaOKCases = []schemaOK{
	{name: "RawSchema", mode: modeRaw},
	{name: "RawSchemaAndNullData", mode: modeRaw, null: true},
	{name: "SchemaId", mode: modeID},
	{name: "SchemaVersion", mode: modeVersion},
	{name: "LatestSchema", mode: modeLatest},
	{name: "RawSchemaAndSubject", mode: modeRaw, subject: "my-subject"},
	{name: "SchemaIdAndSubject", mode: modeID, subject: "my-subject"},
	{name: "SchemaVersionAndSubject", mode: modeVersion, subject: "my-subject"},
	{name: "LatestSchemaAndSubject", mode: modeLatest, subject: "my-subject"},
	{name: "RawSchemaAndSubjectStrategy", mode: modeRaw, strategy: "RECORD_NAME"},
	{name: "SchemaIdAndSubjectStrategy", mode: modeID, strategy: "RECORD_NAME"},
	{name: "RawSchemaAndTopicRecordStrategy", mode: modeRaw, strategy: "TOPIC_RECORD_NAME"},
	{name: "SchemaVersionAndSubjectStrategy", mode: modeVersion, strategy: "TOPIC_NAME"},
	{name: "LatestSchemaAndSubjectStrategy", mode: modeLatest, strategy: "TOPIC_NAME"},
	{name: "SchemaIdAndNullData", mode: modeID, null: true},
}

// TestProduceSchemas_Reference runs the reference's schema cases for each
// format: what Kafka stored is read back and decoded independently, and
// the report names the subject, id and version the registry holds.
func TestProduceSchemas_Reference(t *testing.T) {
	t.Parallel()
	for _, f := range schemaFormats {
		for _, c := range schemaOKCases {
			t.Run(f.typ+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				x := newSchemaFixture(t, f, "schemas", nil)
				key, keySubject, keyData := c.dataObject(x, &f.key, true)
				value, valueSubject, valueData := c.dataObject(x, &f.value, false)
				r := x.produce(key, value)
				if r.ErrorCode != 200 {
					t.Fatalf("report %s, want 200", r)
				}
				x.checkReport(r.Key, keySubject, c.null)
				x.checkReport(r.Value, valueSubject, c.null)
				msg := readBack(t, "schemas", r.PartitionID, r.Offset)
				x.checkStored("key", msg.Key, r.Key, &f.key, keyData)
				x.checkStored("value", msg.Value, r.Value, &f.value, valueData)
			})
		}
	}
}

// dataObject is the case's data object for s, having registered s where
// the case expects it; it returns the subject the report must name.
func (c schemaOK) dataObject(x *schemaFixture, s *testSchema, isKey bool) (obj, subject, data string) {
	subject = x.topic + "-value"
	if isKey {
		subject = x.topic + "-key"
	}
	switch {
	case c.subject != "":
		subject = c.subject + map[bool]string{true: "-k", false: "-v"}[isKey]
	case c.strategy == "RECORD_NAME":
		subject = s.name
	case c.strategy == "TOPIC_RECORD_NAME":
		subject = x.topic + "-" + s.name
	}
	var pairs []string
	switch c.mode {
	case modeRaw:
		pairs = []string{"type", quoted(x.f.typ), "schema", quoted(s.text)}
	case modeID:
		id, _ := x.register(subject, *s)
		pairs = []string{"schema_id", strconv.Itoa(id)}
	case modeVersion:
		_, version := x.register(subject, *s)
		pairs = []string{"schema_version", strconv.Itoa(version)}
	case modeLatest:
		x.register(subject, *s)
	}
	if c.subject != "" {
		pairs = append(pairs, "subject", quoted(subject))
	}
	if c.strategy != "" {
		pairs = append(pairs, "subject_name_strategy", quoted(c.strategy))
	}
	data = s.data
	if c.null {
		data = "null"
	}
	return dataObject(append(pairs, "data", data)...), subject, data
}

// checkReport checks what a success report says of a key or value: the
// format, and the subject, id and version the registry holds for it.
func (x *schemaFixture) checkReport(got *dataReport, subject string, null bool) {
	x.t.Helper()
	if got == nil || got.Type != x.f.typ || got.Subject != subject {
		x.t.Fatalf("report data %+v, want type %s and subject %s", got, x.f.typ, subject)
	}
	held, ok := x.reg.GetSchema(subject, got.SchemaVersion)
	if !ok || held.ID != got.SchemaID {
		x.t.Errorf("report says schema %d version %d of %s; the registry holds %+v", got.SchemaID, got.SchemaVersion, subject, held)
	}
	if null && got.Size != -1 {
		x.t.Errorf("null data reported with size %d, want -1", got.Size)
	}
}

// schemaRefused is one of the reference's refused schema cases.
type schemaRefused struct {
	name string
	// value builds the value's data object, registering what it needs.
	value   func(x *schemaFixture) string
	code    int
	message string // the report's message starts with it
}

func registered(x *schemaFixture, subject string) (id, version string) {
	i, v := x.register(subject, x.f.value)
	return strconv.Itoa(i), strconv.Itoa(v)
}

var schemaRefusedCases = []schemaRefused{
	{"RawSchemaAndInvalidData", func(x *schemaFixture) string {
		return dataObject("type", quoted(x.f.typ), "schema", quoted(x.f.value.text), "data", x.f.badValue)
	}, 400, "Bad Request: data does not fit the schema"},
	{"TypeAndSchemaVersion", func(x *schemaFixture) string {
		_, v := registered(x, "schemas-value")
		return dataObject("type", quoted(x.f.typ), "schema_version", v, "data", x.f.value.data)
	}, 400, "'type=" + "%s' cannot be used with 'schema_version'"},
	{"TypeAndSchemaId", func(x *schemaFixture) string {
		id, _ := registered(x, "schemas-value")
		return dataObject("type", quoted(x.f.typ), "schema_id", id, "data", x.f.value.data)
	}, 400, "'type=%s' cannot be used with 'schema_id'"},
	{"TypeAndLatestSchema", func(x *schemaFixture) string {
		registered(x, "schemas-value")
		return dataObject("type", quoted(x.f.typ), "data", x.f.value.data)
	}, 400, "'type=%s' needs 'schema'"},
	{"SubjectAndSubjectStrategy", func(x *schemaFixture) string {
		return dataObject("type", quoted(x.f.typ), "schema", quoted(x.f.value.text), "subject", `"s"`, "subject_name_strategy", `"TOPIC_NAME"`, "data", x.f.value.data)
	}, 400, "Only one of 'subject_name_strategy' or 'subject' can be used."},
	{"SchemaVersionZero", func(x *schemaFixture) string {
		return dataObject("schema_version", "0", "data", x.f.value.data)
	}, 400, "'schema_version' must be 1 or more"},
	{"SchemaIdAndSchemaVersion", func(x *schemaFixture) string {
		return dataObject("schema_id", "1", "schema_version", "1", "data", x.f.value.data)
	}, 400, "Only one of 'schema_id', 'schema_version' or 'schema' can be used."},
	{"RawSchemaAndSchemaId", func(x *schemaFixture) string {
		return dataObject("type", quoted(x.f.typ), "schema", quoted(x.f.value.text), "schema_id", "1", "data", x.f.value.data)
	}, 400, "Only one of 'schema_id', 'schema_version' or 'schema' can be used."},
	{"RawSchemaAndSchemaVersion", func(x *schemaFixture) string {
		return dataObject("type", quoted(x.f.typ), "schema", quoted(x.f.value.text), "schema_version", "1", "data", x.f.value.data)
	}, 400, "Only one of 'schema_id', 'schema_version' or 'schema' can be used."},
	{"RecordSchemaSubjectStrategyAndSchemaVersion", func(x *schemaFixture) string {
		_, v := registered(x, x.f.value.name)
		return dataObject("schema_version", v, "subject_name_strategy", `"RECORD_NAME"`, "data", x.f.value.data)
	}, 400, "'subject_name_strategy=RECORD_NAME' cannot be used without 'schema_id' or 'schema'"},
	{"RecordSchemaSubjectStrategyAndLatestVersion", func(x *schemaFixture) string {
		registered(x, x.f.value.name)
		return dataObject("subject_name_strategy", `"RECORD_NAME"`, "data", x.f.value.data)
	}, 400, "'subject_name_strategy=RECORD_NAME' cannot be used without 'schema_id' or 'schema'"},
	{"RawSchemaWithoutType", func(x *schemaFixture) string {
		return dataObject("schema", quoted(x.f.value.text), "data", x.f.value.data)
	}, 400, "'schema' needs 'type'"},
	{"UnknownSchemaId", func(x *schemaFixture) string {
		return dataObject("schema_id", "999", "data", x.f.value.data)
	}, 422, "Error: 42207 : Error serializing message. Error when fetching schema by id. schemaId = 999"},
	{"SchemaIdNotUnderSubject", func(x *schemaFixture) string {
		id, _ := registered(x, "elsewhere")
		return dataObject("schema_id", id, "subject", `"nobody"`, "data", x.f.value.data)
	}, 422, "Error: 42207 : Error serializing message. Error when fetching schema version. subject = nobody"},
	{"UnknownSchemaVersion", func(x *schemaFixture) string {
		registered(x, "schemas-value")
		return dataObject("schema_version", "9", "data", x.f.value.data)
	}, 400, "Schema does not exist for subject: schemas-value, version: 9"},
	{"SubjectWithoutVersions", func(x *schemaFixture) string {
		return dataObject("subject", `"empty"`, "data", x.f.value.data)
	}, 422, "Error: 42207 : Error serializing message. Error when fetching latest schema version. subject = empty"},
	{"InvalidRawSchema", func(x *schemaFixture) string {
		return dataObject("type", quoted(x.f.typ), "schema", quoted(`{"type": "recrod"`), "data", x.f.value.data)
	}, 422, "Error: 42205 : Invalid schema: "},
}

// TestProduceSchemas_Refused runs the reference's refused schema cases for
// each format: each is that record's report, and the stream goes on.
func TestProduceSchemas_Refused(t *testing.T) {
	t.Parallel()
	for _, f := range schemaFormats {
		t.Run(f.typ, func(t *testing.T) {
			t.Parallel()
			x := newSchemaFixture(t, f, "schemas", nil)
			for _, c := range schemaRefusedCases {
				x.t = t
				r := x.produce("", c.value(x))
				want := c.message
				if strings.Contains(want, "%s") {
					want = strings.ReplaceAll(want, "%s", f.typ)
				}
				if r.ErrorCode != c.code || !strings.HasPrefix(r.Message, want) {
					t.Errorf("%s: report %s, want error_code %d and a message starting %q", c.name, r, c.code, want)
				}
			}
		})
	}
}
