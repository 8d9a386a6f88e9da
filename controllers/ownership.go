package controllers

import (
	"context"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

// conflictRetry is how often a RestProxy blocked by an object of another
// owner looks again: that object carries none of the operator's labels, so
// no watch reports its deletion.
const conflictRetry = 30 * time.Second

// nameConflicts finds the desired children whose name is taken by an
// object rp does not control: one someone else created (the namespace's
// `default` ServiceAccount, a hand-made Service), or another RestProxy's.
// Applying over it would adopt it, and garbage collection would delete it
// with the RestProxy. The cache holds only the operator's labelled
// objects, so a child it lacks is looked up on the API server (once per
// child, when it is first created, or while the conflict lasts).
func (a *applier) nameConflicts(ctx context.Context, rp *v1alpha1.RestProxy, desired []client.Object) error {
	var conflicts []string
	for _, obj := range desired {
		gvk, err := apiutil.GVKForObject(obj, a.scheme)
		if err != nil {
			return fmt.Errorf("kind of %T %s: %w", obj, obj.GetName(), err)
		}
		current := newObject(a.scheme, gvk)
		key := client.ObjectKeyFromObject(obj)
		err = a.cache.Get(ctx, key, current)
		if apierrors.IsNotFound(err) && a.reader != nil {
			err = a.reader.Get(ctx, key, current)
		}
		switch {
		case apierrors.IsNotFound(err):
			continue
		case err != nil:
			return &reconcileError{ReasonApplyFailed, fmt.Errorf("read %s %s: %w", gvk.Kind, obj.GetName(), err)}
		}
		if !metav1.IsControlledBy(current, rp) {
			conflicts = append(conflicts, fmt.Sprintf("%s %q", gvk.Kind, obj.GetName()))
		}
	}
	if len(conflicts) == 0 {
		return nil
	}
	return &reconcileError{ReasonNameConflict, fmt.Errorf("%s already exist in namespace %s and are not managed by this RestProxy: "+
		"the operator does not take over objects it did not create; delete them or rename the RestProxy", strings.Join(conflicts, ", "), rp.Namespace)}
}
