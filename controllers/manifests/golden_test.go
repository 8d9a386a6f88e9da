package manifests

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// marshalAll renders Build's output as one multi-document YAML stream, the
// form a reviewer reads and kubectl accepts.
func marshalAll(t testing.TB, in Input) []byte {
	t.Helper()
	objs, err := Build(in)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	var buf bytes.Buffer
	for i, o := range objs {
		data, err := yaml.Marshal(o)
		if err != nil {
			t.Fatalf("marshal %T: %v", o, err)
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(data)
	}
	return buf.Bytes()
}

// TestGolden compares Build's whole output with testdata/build_*.yaml; run
// `go test ./controllers/manifests -update` to accept a deliberate change,
// then review the diff of the golden file.
func TestGolden(t *testing.T) {
	for name, in := range map[string]Input{"minimal": input(minimal()), "full": input(full()), "podmonitor": podMonitorInput(), "jwt_kubernetes": input(kubernetesJWT()),
		"schema_registry": input(schemaRegistryProxy())} {
		t.Run(name, func(t *testing.T) {
			got := marshalAll(t, in)
			path := filepath.Join("testdata", "build_"+name+".yaml")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Build output differs from %s (run with -update if intended):\n%s", path, lineDiff(string(want), string(got)))
			}
		})
	}
}

// lineDiff shows the lines that differ, with their numbers; enough to see
// what changed without a diff library.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 20; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  - %s\n  + %s\n", i+1, wl, gl)
			shown++
		}
	}
	return b.String()
}
