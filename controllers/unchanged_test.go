package controllers

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/client-go/applyconfigurations"
	"k8s.io/utils/ptr"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

// TestAppliedUnchanged: a child is skipped only when the fields the
// operator owns hold exactly what it would apply. The managed fields are
// made as the API server makes them: the field set of the applied object.
func TestAppliedUnchanged(t *testing.T) {
	scheme, err := NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	tc := applyconfigurations.NewTypeConverter(scheme)
	rp := &v1alpha1.RestProxy{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", UID: types.UID("uid-1")}}
	configMap := func(change func(*corev1.ConfigMap)) *corev1.ConfigMap {
		cm := &corev1.ConfigMap{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: metav1.ObjectMeta{Name: "p-config", Namespace: "ns", Labels: map[string]string{"app": "restproxy"}},
			Data:       map[string]string{"config.yaml": "a: 1\n"},
		}
		if change != nil {
			change(cm)
		}
		return cm
	}
	// applied is what the operator's apply of cm leaves on the API server:
	// the object, with the fields of the apply owned by FieldOwner.
	applied := func(cm *corev1.ConfigMap) (*corev1.ConfigMap, *unstructured.Unstructured) {
		t.Helper()
		u, err := applyConfiguration(scheme, rp, cm)
		if err != nil {
			t.Fatal(err)
		}
		stored := cm.DeepCopy()
		stored.OwnerReferences = u.GetOwnerReferences()
		stored.UID, stored.ResourceVersion = "cm-uid", "7"
		stored.ManagedFields = []metav1.ManagedFieldsEntry{managedEntry(t, tc, u, FieldOwner, metav1.ManagedFieldsOperationApply)}
		return stored, u
	}

	tests := []struct {
		name string
		// stored is the object as the cache holds it, desired what the
		// operator would apply now.
		stored  func() *corev1.ConfigMap
		desired *corev1.ConfigMap
		want    bool
	}{{
		name:    "as applied",
		stored:  func() *corev1.ConfigMap { s, _ := applied(configMap(nil)); return s },
		desired: configMap(nil),
		want:    true,
	}, {
		name: "another manager's field beside ours",
		stored: func() *corev1.ConfigMap {
			s, _ := applied(configMap(nil))
			s.Annotations = map[string]string{"team": "x"}
			s.ManagedFields = append(s.ManagedFields, metav1.ManagedFieldsEntry{
				Manager: "kubectl-annotate", Operation: metav1.ManagedFieldsOperationUpdate, FieldsType: "FieldsV1",
				FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:metadata":{"f:annotations":{".":{},"f:team":{}}}}`)},
			})
			return s
		},
		desired: configMap(nil),
		want:    true,
	}, {
		name: "an owned field edited by someone else",
		stored: func() *corev1.ConfigMap {
			s, _ := applied(configMap(nil))
			s.Data["config.yaml"] = "a: 2\n"
			// The editor takes the field over: the operator's set loses it.
			_, mine := applied(configMap(func(cm *corev1.ConfigMap) { cm.Data = nil }))
			s.ManagedFields = []metav1.ManagedFieldsEntry{
				managedEntry(t, tc, mine, FieldOwner, metav1.ManagedFieldsOperationApply),
				{Manager: "kubectl-edit", Operation: metav1.ManagedFieldsOperationUpdate, FieldsType: "FieldsV1",
					FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:data":{"f:config.yaml":{}}}`)}},
			}
			return s
		},
		desired: configMap(nil),
		want:    false,
	}, {
		name:    "spec change: a new value",
		stored:  func() *corev1.ConfigMap { s, _ := applied(configMap(nil)); return s },
		desired: configMap(func(cm *corev1.ConfigMap) { cm.Data["config.yaml"] = "a: 3\n" }),
		want:    false,
	}, {
		name:    "spec change: a new field",
		stored:  func() *corev1.ConfigMap { s, _ := applied(configMap(nil)); return s },
		desired: configMap(func(cm *corev1.ConfigMap) { cm.Data["extra"] = "x" }),
		want:    false,
	}, {
		name:    "spec change: a field no longer sent",
		stored:  func() *corev1.ConfigMap { s, _ := applied(configMap(nil)); return s },
		desired: configMap(func(cm *corev1.ConfigMap) { cm.Labels = nil }),
		want:    false,
	}, {
		name: "a new owner",
		stored: func() *corev1.ConfigMap {
			s, _ := applied(configMap(nil))
			s.OwnerReferences[0].UID = "uid-of-a-deleted-restproxy"
			s.ManagedFields[0].FieldsV1.Raw = []byte(`{"f:data":{".":{},"f:config.yaml":{}},"f:metadata":{"f:labels":{".":{},"f:app":{}},` +
				`"f:ownerReferences":{".":{},"k:{\"uid\":\"uid-of-a-deleted-restproxy\"}":{}}}}`)
			return s
		},
		desired: configMap(nil),
		want:    false,
	}, {
		name: "not applied by the operator",
		stored: func() *corev1.ConfigMap {
			s, _ := applied(configMap(nil))
			s.ManagedFields[0].Manager = "someone-else"
			return s
		},
		desired: configMap(nil),
		want:    false,
	}, {
		name: "written by the operator with an update, not an apply",
		stored: func() *corev1.ConfigMap {
			s, _ := applied(configMap(nil))
			s.ManagedFields[0].Operation = metav1.ManagedFieldsOperationUpdate
			return s
		},
		desired: configMap(nil),
		want:    false,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stored := tt.stored()
			stored.TypeMeta = metav1.TypeMeta{} // as the typed cache returns it
			u, err := applyConfiguration(scheme, rp, tt.desired)
			if err != nil {
				t.Fatal(err)
			}
			got, err := appliedUnchanged(tc, stored, u)
			if err != nil {
				t.Fatalf("appliedUnchanged: %v", err)
			}
			if got != tt.want {
				t.Errorf("appliedUnchanged = %t, want %t\nstored %+v\ndesired %v", got, tt.want, stored, u.Object)
			}
		})
	}
}

// managedEntry is the managed-fields entry the API server records for
// manager after it wrote u with operation op: the field set of u, without
// the fields that identify the object.
func managedEntry(t *testing.T, tc managedfields.TypeConverter, u *unstructured.Unstructured, manager string, op metav1.ManagedFieldsOperationType) metav1.ManagedFieldsEntry {
	t.Helper()
	typed, err := tc.ObjectToTyped(u)
	if err != nil {
		t.Fatalf("type %s: %v", u.GetKind(), err)
	}
	set, err := typed.ToFieldSet()
	if err != nil {
		t.Fatalf("field set of %s: %v", u.GetKind(), err)
	}
	raw, err := set.Difference(identityFields).ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	return metav1.ManagedFieldsEntry{Manager: manager, Operation: op, FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: raw},
		APIVersion: u.GetAPIVersion(), Time: ptr.To(metav1.Now())}
}

// TestHashUnchanged: a child of a kind outside the scheme is skipped only
// when it carries the hash of the same intent and only the operator's
// apply has written it.
func TestHashUnchanged(t *testing.T) {
	desired := func(interval string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]any{
			"spec": map[string]any{"endpoints": []any{map[string]any{"port": "management", "interval": interval}}},
		}}
		u.SetAPIVersion("monitoring.coreos.com/v1")
		u.SetKind("ServiceMonitor")
		u.SetName("p")
		if err := stampAppliedHash(u); err != nil {
			t.Fatal(err)
		}
		return u
	}
	ours := metav1.ManagedFieldsEntry{Manager: FieldOwner, Operation: metav1.ManagedFieldsOperationApply}
	stored := func(from *unstructured.Unstructured, entries ...metav1.ManagedFieldsEntry) *unstructured.Unstructured {
		s := from.DeepCopy()
		s.SetManagedFields(entries)
		return s
	}

	if a, b := desired("15s"), desired("15s"); a.GetAnnotations()[AppliedHashAnnotation] != b.GetAnnotations()[AppliedHashAnnotation] {
		t.Fatalf("the same intent hashed twice differs: %v, %v", a.GetAnnotations(), b.GetAnnotations())
	}
	tests := []struct {
		name    string
		stored  *unstructured.Unstructured
		desired *unstructured.Unstructured
		want    bool
	}{
		{"as applied", stored(desired("15s"), ours), desired("15s"), true},
		{"intent changed", stored(desired("15s"), ours), desired("30s"), false},
		{"edited by another manager", stored(desired("15s"), ours,
			metav1.ManagedFieldsEntry{Manager: "kubectl-edit", Operation: metav1.ManagedFieldsOperationUpdate}), desired("15s"), false},
		{"written by the operator with an update", stored(desired("15s"),
			metav1.ManagedFieldsEntry{Manager: FieldOwner, Operation: metav1.ManagedFieldsOperationUpdate}), desired("15s"), false},
		{"no managed fields", stored(desired("15s")), desired("15s"), false},
		{"no hash stored", stored(&unstructured.Unstructured{Object: map[string]any{}}, ours), desired("15s"), false},
	}
	for _, tt := range tests {
		if got := hashUnchanged(tt.stored, tt.desired); got != tt.want {
			t.Errorf("%s: hashUnchanged = %t, want %t", tt.name, got, tt.want)
		}
	}
}
