package controllers

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// identityFields are in every apply configuration but never in managed
// fields: the API server records ownership without them.
var identityFields = fieldpath.NewSet(
	fieldpath.MakePathOrDie("apiVersion"),
	fieldpath.MakePathOrDie("kind"),
	fieldpath.MakePathOrDie("metadata", "name"),
	fieldpath.MakePathOrDie("metadata", "namespace"),
)

// appliedUnchanged says whether applying desired over current would change
// nothing, so the apply request can be skipped. It holds when the fields
// FieldOwner owns in current, with their current values, are exactly the
// fields desired sets, with the same values.
//
// Drift is caught by ownership: another manager that changes a field the
// operator owns (kubectl edit, a patch, a forced apply) takes that field
// over, so it drops out of the operator's set and the comparison fails;
// a field the operator stops sending is still in its set and fails it too.
// A value the API server normalises differently from what was sent also
// fails it: that costs a no-op apply, never a missed one.
//
// types converts objects to the schema-aware form server-side apply uses,
// so lists keyed by name compare as maps, as the API server compares them.
func appliedUnchanged(types managedfields.TypeConverter, current client.Object, desired *unstructured.Unstructured) (bool, error) {
	owned, ok, err := ownedFields(current)
	if err != nil || !ok {
		return false, err
	}
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(current)
	if err != nil {
		return false, fmt.Errorf("convert %s %s: %w", desired.GetKind(), desired.GetName(), err)
	}
	cur := &unstructured.Unstructured{Object: content}
	// Objects read from a typed cache carry no kind.
	cur.SetGroupVersionKind(desired.GroupVersionKind())

	curTyped, err := types.ObjectToTyped(cur)
	if err != nil {
		return false, fmt.Errorf("type stored %s %s: %w", desired.GetKind(), desired.GetName(), err)
	}
	wantTyped, err := types.ObjectToTyped(desired)
	if err != nil {
		return false, fmt.Errorf("type desired %s %s: %w", desired.GetKind(), desired.GetName(), err)
	}
	// What the last apply left in place: managedfields.ExtractInto does the
	// same, into a typed apply configuration.
	applied := curTyped.ExtractItems(owned.Leaves())
	cmp, err := applied.Compare(wantTyped)
	if err != nil {
		return false, fmt.Errorf("compare %s %s: %w", desired.GetKind(), desired.GetName(), err)
	}
	return cmp.ExcludeFields(identityFields).IsSame(), nil
}

// ownedFields are the fields FieldOwner owns in obj through apply; ok is
// false when it owns none.
func ownedFields(obj client.Object) (set *fieldpath.Set, ok bool, err error) {
	for _, mf := range obj.GetManagedFields() {
		if mf.Manager != FieldOwner || mf.Operation != metav1.ManagedFieldsOperationApply || mf.Subresource != "" || mf.FieldsV1 == nil {
			continue
		}
		set = &fieldpath.Set{}
		if err := set.FromJSON(mf.FieldsV1.GetRawReader()); err != nil {
			return nil, false, fmt.Errorf("read managed fields of %s: %w", obj.GetName(), err)
		}
		return set, true, nil
	}
	return nil, false, nil
}

// AppliedHashAnnotation holds, on children of a kind outside the
// operator's scheme (the ServiceMonitor), a hash of the apply configuration
// that wrote them: without the kind's schema, fields cannot be compared as
// server-side apply compares them, so the operator compares its intent.
const AppliedHashAnnotation = "kafka.restproxy.dev/applied-hash"

// stampAppliedHash sets AppliedHashAnnotation on u to the hash of u.
func stampAppliedHash(u *unstructured.Unstructured) error {
	data, err := json.Marshal(u.Object) // map keys sorted: the same u, the same bytes
	if err != nil {
		return fmt.Errorf("encode %s %s: %w", u.GetKind(), u.GetName(), err)
	}
	sum := sha256.Sum256(data)
	annotations := u.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[AppliedHashAnnotation] = hex.EncodeToString(sum[:])
	u.SetAnnotations(annotations)
	return nil
}

// hashUnchanged says whether applying desired, stamped by
// stampAppliedHash, over current would change nothing: current carries the
// same hash, so the operator's last apply sent the same content, and no
// one but that apply has written it, so nothing has drifted since.
func hashUnchanged(current client.Object, desired *unstructured.Unstructured) bool {
	want := desired.GetAnnotations()[AppliedHashAnnotation]
	if want == "" || current.GetAnnotations()[AppliedHashAnnotation] != want {
		return false
	}
	entries := current.GetManagedFields()
	for _, mf := range entries {
		if mf.Manager != FieldOwner || mf.Operation != metav1.ManagedFieldsOperationApply || mf.Subresource != "" {
			return false
		}
	}
	return len(entries) > 0
}
