package manifests

import "testing"

func TestBuildReturnsCoreChildren(t *testing.T) {
	for name, in := range map[string]Input{"minimal": input(minimal()), "full": input(full())} {
		objs, err := Build(in)
		if err != nil {
			t.Fatalf("%s: Build: %v", name, err)
		}
		if len(objs) < 4 {
			t.Fatalf("%s: Build returned %d objects, want at least 4", name, len(objs))
		}
	}
}
