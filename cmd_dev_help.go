package main

import (
	"encoding/json"
	"io"
	"strings"
	"text/template"
)

// devHelp is what restproxy dev prints once it serves: its addresses and
// paste-ready commands against them.
type devHelp struct {
	API, Management, Kafka string
	Storage                string // where the broker keeps records
	Topic                  string // the topic the examples produce to
	ClusterID              string
	// Registries are the proxy's schemaRegistry.urls: the in-process
	// registry (InProcess), or --config's; empty for no registry.
	Registries []string
	InProcess  bool
}

// devAvroSchema is the AVRO example's raw schema. Given as "schema", it is
// registered under <topic>-value on first use (README "Schemas").
const devAvroSchema = `{"type":"record","name":"Order","namespace":"dev.example","fields":[` +
	`{"name":"id","type":"string"},{"name":"amount","type":"double"},{"name":"paid","type":"boolean"}]}`

// devAvroValueSize is the stored size of the AVRO example's value: the
// wire format's 5-byte header, then "order-1" (1+7 bytes), a double (8)
// and a boolean (1).
const devAvroValueSize = 22

// AvroRecord is the AVRO example's record, with its schema as a JSON
// string.
func (devHelp) AvroRecord() string {
	schema, _ := json.Marshal(devAvroSchema) // a string always marshals
	return `{"key":{"type":"STRING","data":"order-1"},"value":{"type":"AVRO","schema":` + string(schema) +
		`,"data":{"id":"order-1","amount":9.5,"paid":true}}}`
}

// Registry is the registry the examples name; "" for none.
func (h devHelp) Registry() string {
	if len(h.Registries) == 0 {
		return ""
	}
	return h.Registries[0]
}

// AvroValueSize is devAvroValueSize, for the template.
func (devHelp) AvroValueSize() int { return devAvroValueSize }

func (h devHelp) print(w io.Writer) {
	// The template is fixed and its fields exist: it cannot fail but on
	// a write error, which a terminal's help text has no one to report to.
	_ = devHelpTemplate.Execute(w, h)
}

var devHelpTemplate = template.Must(template.New("dev").Funcs(template.FuncMap{"join": strings.Join}).Parse(
	`restproxy dev is running. Ctrl-C stops it.

  produce API:      http://{{.API}}  (POST /v3/clusters/{any}/topics/{topic}/records)
  management:       http://{{.Management}}  (/livez /readyz /metrics)
  Kafka broker:     {{.Kafka}}  ({{.Storage}})
{{- if .InProcess}}
  Schema Registry:  {{.Registry}}  (in memory, even with --data-dir; schemas are lost when it stops)
{{- else if .Registries}}
  Schema Registry:  {{join .Registries ","}}  (from --config)
{{- else}}
  Schema Registry:  none  (AVRO, JSONSCHEMA and PROTOBUF records get 42206)
{{- end}}

Produce one record:

  curl -sS -H 'Content-Type: application/json' --data-binary '{"key":{"type":"STRING","data":"k1"},"value":{"type":"JSON","data":{"hello":"world"}}}' http://{{.API}}/v3/clusters/{{.ClusterID}}/topics/{{.Topic}}/records
{{- if .Registries}}

Produce one AVRO record, its schema given raw (registered under {{.Topic}}-value on first use; later records can give "schema_id" instead):

  curl -sS -H 'Content-Type: application/json' --data-binary '{{.AvroRecord}}' http://{{.API}}/v3/clusters/{{.ClusterID}}/topics/{{.Topic}}/records

{{- if .InProcess}}

Its report names the schema, and the value is stored in the Confluent wire format (magic byte 0, the 4-byte schema id, the Avro binary):

  ..."value":{"type":"AVRO","subject":"{{.Topic}}-value","schema_id":1,"schema_version":1,"size":{{.AvroValueSize}}}}
{{- end}}

The registry has it:

  curl -sS {{.Registry}}/subjects/{{.Topic}}-value/versions/latest
{{- end}}

Stream a file of records (one JSON object per record; reports come back as they are acknowledged):

  printf '%s\n' '{"value":{"type":"STRING","data":"one"}}' '{"partition_id":1,"value":{"type":"STRING","data":"two"}}' > records.json
  curl -sS -N -X POST -T records.json -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/json' http://{{.API}}/v3/clusters/{{.ClusterID}}/topics/{{.Topic}}/records

List the topics of the cluster (its id is {{.ClusterID}}), or get the API's OpenAPI document:

  curl -sS http://{{.API}}/v3/clusters/{{.ClusterID}}/topics
  curl -sS http://{{.API}}/v3/openapi.json

Read the records back with any Kafka client, for example:

  kcat -b {{.Kafka}} -t {{.Topic}} -C -e -f '%p/%o key=%k value=%s\n'

`))
