package v1alpha1_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

var samplesDir = filepath.Join("..", "..", "config", "samples")

// fullSample is the sample that must use every field of the API.
const fullSample = "kafka_v1alpha1_restproxy_full.yaml"

// TestSamples creates every document of every sample in a namespace, with
// strict field validation so a misspelt field fails instead of being pruned
// silently, and checks the kustomization lists every sample.
func TestSamples(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	strict := client.WithFieldValidation(k8s, "Strict")

	files := sampleFiles(t)
	restProxies := 0
	for _, file := range files {
		for i, doc := range readDocuments(t, file) {
			switch doc.GetKind() {
			case "Secret":
			case "RestProxy":
				restProxies++
			default:
				t.Errorf("%s document %d: kind %q; samples hold only RestProxies and Secrets", file, i, doc.GetKind())
				continue
			}
			doc.SetNamespace(ns)
			if err := strict.Create(context.Background(), doc); err != nil {
				t.Errorf("%s document %d (%s %s): %v", file, i, doc.GetKind(), doc.GetName(), err)
			}
		}
	}
	if restProxies < 2 {
		t.Errorf("samples hold %d RestProxies; want the minimal and the full one", restProxies)
	}

	var kustomization struct {
		Resources []string `json:"resources"`
	}
	data, err := os.ReadFile(filepath.Join(samplesDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, &kustomization); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	slices.Sort(kustomization.Resources)
	if !slices.Equal(kustomization.Resources, files) {
		t.Errorf("kustomization.yaml resources = %v; want every sample %v", kustomization.Resources, files)
	}
}

// TestFullSampleUsesEveryField walks the API's own types (not the embedded
// core ones) and fails for any field the full sample leaves out, so a field
// added without a sample does not go unnoticed. A list counts as covering a
// field when any of its items sets it.
func TestFullSampleUsesEveryField(t *testing.T) {
	t.Parallel()
	var specs []any
	for _, doc := range readDocuments(t, fullSample) {
		if doc.GetKind() == "RestProxy" {
			specs = append(specs, doc.Object["spec"])
		}
	}
	// Fields that exclude each other (an API key Secret and a JWT issuer)
	// need more than one RestProxy: the sample's together cover them all.
	if len(specs) == 0 {
		t.Fatalf("%s holds no RestProxy", fullSample)
	}
	if missing := unusedFields(reflect.TypeFor[v1alpha1.RestProxySpec](), specs, "spec"); len(missing) > 0 {
		t.Errorf("%s does not set:\n  %s", fullSample, strings.Join(missing, "\n  "))
	}
}

// TestFullSampleIsSecured: the full sample must show a proxy locked down:
// client authentication, HTTPS and a topic allow-list.
func TestFullSampleIsSecured(t *testing.T) {
	t.Parallel()
	for _, doc := range readDocuments(t, fullSample) {
		if doc.GetKind() != "RestProxy" {
			continue
		}
		var rp v1alpha1.RestProxy
		if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(doc.Object, &rp, true); err != nil {
			t.Fatalf("%s: %v", fullSample, err)
		}
		s := rp.Spec
		if s.Authentication == nil || s.Authentication.Type == "" || s.Authentication.Type == v1alpha1.AuthenticationNone {
			t.Errorf("%s: spec.authentication.type is %v; want a real mechanism", fullSample, s.Authentication)
		}
		if s.HTTP == nil || s.HTTP.TLS == nil || s.HTTP.TLS.SecretName == "" {
			t.Errorf("%s: no spec.http.tls.secretName; want HTTPS", fullSample)
		}
		if s.Topics == nil || len(s.Topics.Allow) == 0 {
			t.Errorf("%s: no spec.topics.allow; want a topic allow-list", fullSample)
		}
	}
}

// unusedFields lists the JSON fields of struct type typ that none of values
// (decoded JSON objects of that type) sets, descending into the API package's
// own struct types.
func unusedFields(typ reflect.Type, values []any, path string) []string {
	apiPackage := reflect.TypeFor[v1alpha1.RestProxy]().PkgPath()
	var missing []string
	for field := range typ.Fields() {
		name, _, _ := strings.Cut(field.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		fieldPath := path + "." + name
		var set []any
		for _, v := range values {
			if m, ok := v.(map[string]any); ok {
				if x, ok := m[name]; ok {
					set = append(set, x)
				}
			}
		}
		if len(set) == 0 {
			missing = append(missing, fieldPath)
			continue
		}
		ft := deref(field.Type)
		if ft.Kind() == reflect.Slice {
			var items []any
			for _, s := range set {
				if list, ok := s.([]any); ok {
					items = append(items, list...)
				}
			}
			set, ft, fieldPath = items, deref(ft.Elem()), fieldPath+"[]"
		}
		if ft.Kind() == reflect.Struct && ft.PkgPath() == apiPackage {
			missing = append(missing, unusedFields(ft, set, fieldPath)...)
		}
	}
	return missing
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// sampleFiles lists the sample manifests, sorted, without the kustomization.
func sampleFiles(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(samplesDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, p := range paths {
		if name := filepath.Base(p); name != "kustomization.yaml" {
			files = append(files, name)
		}
	}
	slices.Sort(files)
	if len(files) == 0 {
		t.Fatalf("no samples in %s", samplesDir)
	}
	return files
}

// readDocuments decodes every non-empty YAML document of a sample file.
func readDocuments(t *testing.T, file string) []*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(samplesDir, file))
	if err != nil {
		t.Fatal(err)
	}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs []*unstructured.Unstructured
	for {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		js, err := yaml.YAMLToJSON(raw)
		if err != nil {
			t.Fatalf("%s document %d: %v", file, len(docs), err)
		}
		if string(js) == "null" { // only comments, or nothing
			continue
		}
		doc := &unstructured.Unstructured{}
		if err := doc.UnmarshalJSON(js); err != nil {
			t.Fatalf("%s document %d: %v", file, len(docs), err)
		}
		docs = append(docs, doc)
	}
}
