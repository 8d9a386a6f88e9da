package controllers

import (
	"context"
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
	"github.com/restproxy-dev/restproxy-operator/controllers/manifests"
)

// newReplicaSet is the ReplicaSet the Deployment controller would make of
// dep's current template (envtest runs no Deployment controller).
func newReplicaSet(t *testing.T, dep *appsv1.Deployment, suffix string) *appsv1.ReplicaSet {
	t.Helper()
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: dep.Namespace, Name: dep.Name + "-" + suffix, Labels: dep.Spec.Template.Labels,
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "apps/v1", Kind: "Deployment", Name: dep.Name, UID: dep.UID, Controller: ptr.To(true),
			}},
		},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To[int32](0),
			Selector: dep.Spec.Selector.DeepCopy(),
			Template: *dep.Spec.Template.DeepCopy(),
		},
	}
	create(t, rs)
	return rs
}

// TestOldConfigMapKeptWhileAReplicaSetMountsIt: a changed config is a new
// immutable ConfigMap; the old one stays while a ReplicaSet of the
// Deployment mounts it, so old pods keep their file, and goes with the
// last such ReplicaSet.
func TestOldConfigMapKeptWhileAReplicaSetMountsIt(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	rp := newRestProxy(ns, "p")
	create(t, rp)
	oldCM := waitConfig(t, rp, nil)
	if oldCM.Immutable == nil || !*oldCM.Immutable {
		t.Errorf("ConfigMap %s immutable = %v, want true", oldCM.Name, oldCM.Immutable)
	}
	oldRS := newReplicaSet(t, waitDeployment(t, rp, nil), "old")

	patch(t, rp, func(rp *v1alpha1.RestProxy) { rp.Spec.Kafka.BootstrapServers = []string{"elsewhere:9092"} })
	newCM := waitConfig(t, rp, func(cm *corev1.ConfigMap) error {
		if cm.Name == oldCM.Name {
			return fmt.Errorf("the Deployment still mounts %s", cm.Name)
		}
		return nil
	})
	if newCM.Data[manifests.ConfigFileKey] == oldCM.Data[manifests.ConfigFileKey] {
		t.Errorf("new ConfigMap %s has the old file", newCM.Name)
	}
	// Every event so far handled: the old ConfigMap survived a prune.
	waitCondition(t, client.ObjectKeyFromObject(rp), v1alpha1.ConditionDegraded, metav1.ConditionFalse, ReasonReconciled)
	poke(t, rp, "after-change")
	get(t, client.ObjectKeyFromObject(oldCM), &corev1.ConfigMap{})

	// The Deployment controller drops the old revision: the old file goes.
	if err := k8s.Delete(context.Background(), oldRS); err != nil {
		t.Fatalf("delete ReplicaSet: %v", err)
	}
	waitGone(t, oldCM)
	get(t, client.ObjectKeyFromObject(newCM), &corev1.ConfigMap{})
}

// legacySecretsHash is the pod-template annotation in which earlier
// operators kept a hash of Secret contents (lastly the Kafka TLS ones),
// rolling the pods when it changed. This one builds none, so upgrading
// from them removes it from every pod template: an operator change.
const legacySecretsHash = "kafka.restproxy.dev/secrets-hash"

// writtenByOlderOperator makes rp's Deployment what an earlier operator
// applied, as the operator's field manager, so that its apply can remove
// what it no longer builds: a pod template with a secrets hash and, if
// withHashes (the previous version), the template and spec hashes, else
// (a version before those) neither.
func writtenByOlderOperator(t *testing.T, rp *v1alpha1.RestProxy, withHashes bool) {
	t.Helper()
	dep := waitDeployment(t, rp, nil)
	older, err := appsv1ac.ExtractDeployment(dep, FieldOwner)
	if err != nil {
		t.Fatalf("extract what the operator applied to Deployment %s: %v", dep.Name, err)
	}
	older.Spec.Template.WithAnnotations(map[string]string{legacySecretsHash: "kafka-tls-v1"})
	if withHashes {
		// Not the hash that operator computed (it hashed the template it
		// built, not the stored one), but as much not the new one.
		template := dep.Spec.Template.DeepCopy()
		template.Annotations[legacySecretsHash] = "kafka-tls-v1"
		older.WithAnnotations(map[string]string{manifests.TemplateHashAnnotation: manifests.TemplateHash(*template)})
	} else {
		delete(older.Annotations, manifests.TemplateHashAnnotation)
		delete(older.Labels, manifests.SpecHashLabel)
	}
	if err := k8s.Apply(context.Background(), older, client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
		t.Fatalf("make Deployment %s look older: %v", dep.Name, err)
	}
	markRolledOut(t, rp)
}

// TestOperatorUpgradeRollsAtBoundedPace: after the operator's proxy image
// changes, RestProxies that name no image roll to it one at a time
// (--max-concurrent-rollouts=1), the next when the previous rollout is
// complete; so does one that pins its image, whose template changes only
// by losing the secrets hash an earlier operator put on it; an
// upgradePolicy Manual one keeps its pod template until its spec changes;
// status.proxyVersion follows completed rollouts. The Deployments are as
// the previous operator version left them (a secrets hash on the pod
// template, the template and spec hashes), or as one before it (no hashes
// but the secrets hash).
func TestOperatorUpgradeRollsAtBoundedPace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ns := newNamespace(t)
	const v1, v2 = "registry.example/restproxy:v1", "registry.example/restproxy:v2"
	scheme, err := NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	mine := func(rp *v1alpha1.RestProxy) { rp.Labels = map[string]string{operatorLabel: ns} }
	manual := newRestProxy(ns, "m", mine, func(rp *v1alpha1.RestProxy) { rp.Spec.UpgradePolicy = v1alpha1.UpgradePolicyManual })
	pinned := newRestProxy(ns, "p", mine, func(rp *v1alpha1.RestProxy) { rp.Spec.Image = v1 })
	oldest := newRestProxy(ns, "c", mine)
	all := []*v1alpha1.RestProxy{newRestProxy(ns, "a", mine), newRestProxy(ns, "b", mine), oldest, pinned, manual}
	start := func(image string) (*runningOperator, context.CancelFunc) {
		t.Helper()
		opCtx, stop := context.WithCancel(ctx)
		op, err := startOperator(opCtx, operatorREST, scheme, operatorOptions{
			namespaces: []string{ns}, concurrency: 2, second: true, image: image, only: ns, maxRollouts: intstr.FromInt(1),
		})
		if err != nil {
			stop()
			t.Fatalf("start operator with %s: %v", image, err)
		}
		return op, func() {
			stop()
			if err := <-op.done; err != nil {
				t.Errorf("operator with %s: %v", image, err)
			}
		}
	}
	imageOf := func(rp *v1alpha1.RestProxy) string {
		dep := &appsv1.Deployment{}
		get(t, client.ObjectKeyFromObject(rp), dep)
		return manifests.RunningImage(dep)
	}
	// rolled are the RestProxies whose pod template the new operator
	// applied: it has no secrets hash.
	rolled := func() []*v1alpha1.RestProxy {
		var names []*v1alpha1.RestProxy
		for _, rp := range all {
			dep := &appsv1.Deployment{}
			get(t, client.ObjectKeyFromObject(rp), dep)
			if _, ok := dep.Spec.Template.Annotations[legacySecretsHash]; !ok {
				names = append(names, rp)
			}
		}
		return names
	}
	waitVersion := func(rp *v1alpha1.RestProxy, want string) {
		t.Helper()
		eventually(t, func() error {
			get(t, client.ObjectKeyFromObject(rp), rp)
			if rp.Status.ProxyVersion != want {
				return fmt.Errorf("RestProxy %s proxyVersion %q, want %q", rp.Name, rp.Status.ProxyVersion, want)
			}
			return nil
		})
	}

	_, stopV1 := start(v1)
	for _, rp := range all {
		create(t, rp)
	}
	for _, rp := range all {
		waitDeployment(t, rp, func(dep *appsv1.Deployment) error {
			if got := manifests.RunningImage(dep); got != v1 {
				return fmt.Errorf("image %q, want %s", got, v1)
			}
			return nil
		})
		markRolledOut(t, rp)
		waitVersion(rp, "v1")
	}
	stopV1()
	for _, rp := range all {
		writtenByOlderOperator(t, rp, rp != oldest && rp != manual)
	}

	// The upgrade: every RestProxy reconciled by the new operator, one of
	// the three Automatic ones admitted to roll.
	opV2, stopV2 := start(v2)
	defer stopV2()
	eventually(t, func() error {
		opV2.seen.mu.Lock()
		defer opV2.seen.mu.Unlock()
		if len(opV2.seen.versions) < len(all) {
			return fmt.Errorf("the new operator reconciled %d of %d RestProxies", len(opV2.seen.versions), len(all))
		}
		return nil
	})
	completed := map[*v1alpha1.RestProxy]bool{}
	for done := 1; done <= 4; done++ {
		var rolling []*v1alpha1.RestProxy
		eventually(t, func() error {
			rolling = rolled()
			switch {
			case len(rolling) > done:
				return hopeless(fmt.Errorf("%d RestProxies rolled by the upgrade after %d rollouts completed, want at most %d", len(rolling), done-1, done))
			case len(rolling) < done:
				return fmt.Errorf("%d RestProxies rolled by the upgrade after %d rollouts completed, want %d", len(rolling), done-1, done)
			}
			return nil
		})
		var newest *v1alpha1.RestProxy
		for _, rp := range rolling {
			if rp == manual {
				t.Fatalf("the Manual RestProxy was rolled by the upgrade")
			}
			if !completed[rp] {
				newest = rp
			}
		}
		want := v2
		if newest == pinned {
			want = v1
		}
		if got := imageOf(newest); got != want {
			t.Errorf("RestProxy %s rolled to %q, want %s", newest.Name, got, want)
		}
		// The rollout of the newest completes; the next may start.
		markRolledOut(t, newest)
		completed[newest] = true
		waitVersion(newest, manifests.ImageVersion(want))
	}

	// Manual keeps v1 through a reconcile of the new operator...
	key := client.ObjectKeyFromObject(manual)
	// ...which stamped the spec hash on its older Deployment, without
	// changing its generation.
	held := waitDeployment(t, manual, func(dep *appsv1.Deployment) error {
		if dep.Labels[manifests.SpecHashLabel] == "" {
			return fmt.Errorf("no %s label on the held Deployment", manifests.SpecHashLabel)
		}
		return nil
	})
	if held.Generation != held.Status.ObservedGeneration {
		t.Errorf("the held Deployment is at generation %d, observed %d: stamping the spec hash moved it", held.Generation, held.Status.ObservedGeneration)
	}
	patch(t, manual, func(rp *v1alpha1.RestProxy) { rp.Annotations = map[string]string{"test.restproxy.dev/poke": "1"} })
	opV2.seen.waitReconciled(t, key, manual.ResourceVersion)
	if got := imageOf(manual); got != v1 {
		t.Errorf("Manual RestProxy runs %q after the upgrade, want %s kept", got, v1)
	}
	eventually(t, func() error {
		got := &v1alpha1.RestProxy{}
		get(t, key, got)
		if c := meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionProgressing); c == nil || c.Reason != ReasonUpgradeHeld || !strings.Contains(c.Message, "Manual") {
			dep := &appsv1.Deployment{}
			get(t, key, dep)
			var managers []string
			for _, mf := range dep.ManagedFields {
				managers = append(managers, fmt.Sprintf("%s/%s/%s@%s", mf.Manager, mf.Operation, mf.Subresource, mf.Time))
			}
			return fmt.Errorf("Progressing = %+v, want UpgradeHeld naming upgradePolicy Manual; Deployment generation %d, observed %d, managers %v, template annotations %v",
				c, dep.Generation, dep.Status.ObservedGeneration, managers, dep.Spec.Template.Annotations)
		}
		return nil
	})
	if _, ok := waitDeployment(t, manual, nil).Spec.Template.Annotations[legacySecretsHash]; !ok {
		t.Errorf("the held pod template of the Manual RestProxy lost its secrets hash: the upgrade changed it")
	}
	// ...and takes v2 with a change of its spec.
	patch(t, manual, func(rp *v1alpha1.RestProxy) { rp.Spec.Logging = &v1alpha1.LoggingSpec{Level: "debug", Format: "json"} })
	waitDeployment(t, manual, func(dep *appsv1.Deployment) error {
		if got := manifests.RunningImage(dep); got != v2 {
			return fmt.Errorf("Manual RestProxy runs %q after a spec change, want %s", got, v2)
		}
		if h, ok := dep.Spec.Template.Annotations[legacySecretsHash]; ok {
			return fmt.Errorf("Manual RestProxy's pod template keeps the secrets hash %q after a spec change", h)
		}
		return nil
	})
}
