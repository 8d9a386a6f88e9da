package manifests

import (
	"bytes"
	"testing"
)

// TestDeterminism renders the same input 1,000 times: the config and the
// whole Build output must be byte-identical each time, or pods would roll
// and the API server be written to for nothing (map iteration order is
// random in Go, so this catches any map rendered by ranging over it).
func TestDeterminism(t *testing.T) {
	for name, in := range map[string]Input{"minimal": input(minimal()), "full": input(full())} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			firstConfig, err := RenderConfig(in)
			if err != nil {
				t.Fatal(err)
			}
			firstBuild := marshalAll(t, in)
			for i := range 1000 {
				cfg, err := RenderConfig(in)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(cfg, firstConfig) {
					t.Fatalf("render %d: config differs:\n%s", i, lineDiff(string(firstConfig), string(cfg)))
				}
				if got := marshalAll(t, in); !bytes.Equal(got, firstBuild) {
					t.Fatalf("build %d: output differs:\n%s", i, lineDiff(string(firstBuild), string(got)))
				}
			}
		})
	}
}
