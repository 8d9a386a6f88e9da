package main

import (
	"strings"
	"testing"
)

// The help names the registry it has and prints the AVRO example only when
// there is one; the expected report only for the in-process registry,
// whose ids it knows.
func TestDevHelp_RegistryAndAvroExample(t *testing.T) {
	t.Parallel()
	base := devHelp{API: "127.0.0.1:8082", Management: "127.0.0.1:8081", Kafka: "127.0.0.1:9092", Storage: "in memory", Topic: "orders", ClusterID: "dev"}
	inProcess, fromConfig, none := base, base, base
	inProcess.Registries, inProcess.InProcess = []string{"http://127.0.0.1:8085"}, true
	fromConfig.Registries = []string{"https://sr-0:8081", "https://sr-1:8081"}
	for _, tt := range []struct {
		name     string
		help     devHelp
		want     []string
		wantNone []string
	}{
		{"in-process registry", inProcess,
			[]string{"Schema Registry:  http://127.0.0.1:8085  (in memory", `"value":{"type":"AVRO","schema":`, `..."value":{"type":"AVRO","subject":"orders-value","schema_id":1,"schema_version":1,"size":22}}`,
				"curl -sS http://127.0.0.1:8085/subjects/orders-value/versions/latest"}, nil},
		{"registry from --config", fromConfig,
			[]string{"Schema Registry:  https://sr-0:8081,https://sr-1:8081  (from --config)", `"value":{"type":"AVRO","schema":`, "curl -sS https://sr-0:8081/subjects/orders-value/versions/latest"},
			[]string{`..."value"`}},
		{"no registry", none, []string{"Schema Registry:  none  (AVRO, JSONSCHEMA and PROTOBUF records get 42206)"}, []string{"AVRO record", "/subjects/"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out strings.Builder
			tt.help.print(&out)
			for _, want := range tt.want {
				if !strings.Contains(out.String(), want) {
					t.Errorf("help lacks %q:\n%s", want, out.String())
				}
			}
			for _, unwanted := range tt.wantNone {
				if strings.Contains(out.String(), unwanted) {
					t.Errorf("help has %q:\n%s", unwanted, out.String())
				}
			}
		})
	}
}
