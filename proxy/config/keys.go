package config

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// checkKnownKeys reports every key of the document that Config does not
// have, by its full path ("kafka.bootstrap"), which the JSON decoder alone
// would name only by its last element.
func checkKnownKeys(data []byte) error {
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("parse: %s", cleanYAMLError(err))
	}
	var unknown []string
	walkKeys(doc, reflect.TypeFor[Config](), "", &unknown)
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return fmt.Errorf("unknown key %s", strings.Join(quoteAll(unknown), ", "))
}

func walkKeys(doc any, t reflect.Type, path string, unknown *[]string) {
	switch t.Kind() {
	case reflect.Struct:
		m, ok := doc.(map[string]any)
		if !ok {
			return // a type mismatch; the decoder reports it with the field named
		}
		fields := map[string]reflect.Type{}
		jsonFields(t, fields)
		for key, value := range m {
			child := key
			if path != "" {
				child = path + "." + key
			}
			ft, known := fields[key]
			if !known {
				*unknown = append(*unknown, child)
				continue
			}
			walkKeys(value, ft, child, unknown)
		}
	case reflect.Slice:
		items, _ := doc.([]any)
		for i, item := range items {
			walkKeys(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), unknown)
		}
	}
}

// jsonFields adds the keys of struct type t to fields, with their types;
// the keys of an embedded struct without a key of its own are t's, as
// encoding/json reads them.
func jsonFields(t reflect.Type, fields map[string]reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" {
			jsonFields(f.Type, fields)
			continue
		}
		fields[name] = f.Type
	}
}
