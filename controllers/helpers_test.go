package controllers

import (
	"context"
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
	"github.com/restproxy-dev/restproxy-operator/controllers/manifests"
)

// newRestProxy is the smallest valid RestProxy, shaped by the options.
func newRestProxy(ns, name string, opts ...func(*v1alpha1.RestProxy)) *v1alpha1.RestProxy {
	rp := &v1alpha1.RestProxy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.RestProxySpec{
			Kafka: v1alpha1.KafkaSpec{BootstrapServers: []string{"kafka-0.kafka:9092"}},
		},
	}
	for _, o := range opts {
		o(rp)
	}
	return rp
}

// withSASL makes rp read its Kafka password from Secret name, key.
func withSASL(name, key string) func(*v1alpha1.RestProxy) {
	return func(rp *v1alpha1.RestProxy) {
		rp.Spec.Kafka.SASL = &v1alpha1.KafkaSASLSpec{
			Mechanism:         "SCRAM-SHA-512",
			Username:          "tenant",
			PasswordSecretRef: &v1alpha1.SecretKeySelector{Name: name, Key: key},
		}
	}
}

// cpuRequests are the requests CPU autoscaling needs (a CEL rule says so).
func cpuRequests() *corev1.ResourceRequirements {
	return &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}}
}

func newSecret(ns, name string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := k8s.Create(context.Background(), obj); err != nil {
		t.Fatalf("create %T %s: %v", obj, obj.GetName(), err)
	}
}

func get(t *testing.T, key types.NamespacedName, obj client.Object) {
	t.Helper()
	if err := k8s.Get(context.Background(), key, obj); err != nil {
		t.Fatalf("get %T %s: %v", obj, key, err)
	}
}

// patch applies change to the stored obj with a merge patch, as a user's
// kubectl edit would, and leaves obj as stored afterwards.
func patch[T client.Object](t *testing.T, obj T, change func(T)) {
	t.Helper()
	get(t, client.ObjectKeyFromObject(obj), obj)
	before := obj.DeepCopyObject().(T)
	change(obj)
	if err := k8s.Patch(context.Background(), obj, client.MergeFrom(before)); err != nil {
		t.Fatalf("patch %T %s: %v", obj, obj.GetName(), err)
	}
}

// waitCondition waits until the RestProxy has condition typ with status
// and reason, observed at its current generation, and returns it as stored.
func waitCondition(t *testing.T, key types.NamespacedName, typ string, status metav1.ConditionStatus, reason string) *v1alpha1.RestProxy {
	t.Helper()
	rp := &v1alpha1.RestProxy{}
	eventually(t, func() error {
		if err := k8s.Get(context.Background(), key, rp); err != nil {
			return err
		}
		c := meta.FindStatusCondition(rp.Status.Conditions, typ)
		switch {
		case c == nil:
			return fmt.Errorf("RestProxy %s has no %s condition; conditions %+v", key, typ, rp.Status.Conditions)
		case c.Status != status || c.Reason != reason || c.ObservedGeneration != rp.Generation:
			return fmt.Errorf("RestProxy %s condition %s = %s/%s at generation %d (%q), want %s/%s at %d",
				key, typ, c.Status, c.Reason, c.ObservedGeneration, c.Message, status, reason, rp.Generation)
		}
		return nil
	})
	return rp
}

// waitDeployment waits until rp's Deployment exists and satisfies check.
func waitDeployment(t testing.TB, rp *v1alpha1.RestProxy, check func(*appsv1.Deployment) error) *appsv1.Deployment {
	t.Helper()
	dep := &appsv1.Deployment{}
	eventually(t, func() error {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(rp), dep); err != nil {
			return err
		}
		if check == nil {
			return nil
		}
		return check(dep)
	})
	return dep
}

// waitConfig waits until the ConfigMap rp's Deployment mounts exists and
// satisfies check.
func waitConfig(t *testing.T, rp *v1alpha1.RestProxy, check func(*corev1.ConfigMap) error) *corev1.ConfigMap {
	t.Helper()
	cm := &corev1.ConfigMap{}
	eventually(t, func() error {
		dep := &appsv1.Deployment{}
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(rp), dep); err != nil {
			return err
		}
		name := manifests.MountedConfigMap(&dep.Spec.Template.Spec)
		if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: rp.Namespace, Name: name}, cm); err != nil {
			return err
		}
		if check == nil {
			return nil
		}
		return check(cm)
	})
	return cm
}

// waitGone waits until obj no longer exists.
func waitGone(t *testing.T, obj client.Object) {
	t.Helper()
	eventually(t, func() error {
		err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), obj)
		switch {
		case apierrors.IsNotFound(err):
			return nil
		case err != nil:
			return err
		}
		return fmt.Errorf("%T %s still exists", obj, obj.GetName())
	})
}

func podAnnotation(dep *appsv1.Deployment, key string) string {
	return dep.Spec.Template.Annotations[key]
}

// poke writes an annotation the reconciler ignores, which wakes it up (the
// For watch passes annotation changes) without changing anything it builds,
// and waits for that reconcile to finish. Reconciles are queued per
// RestProxy and deduplicated, so once it has finished every event that came
// before it has been handled: what follows is caused by what follows. It
// returns the RestProxy's resourceVersion after the poke.
func poke(t *testing.T, rp *v1alpha1.RestProxy, value string) string {
	t.Helper()
	patch(t, rp, func(rp *v1alpha1.RestProxy) {
		if rp.Annotations == nil {
			rp.Annotations = map[string]string{}
		}
		rp.Annotations["test.restproxy.dev/poke"] = value
	})
	waitReconciled(t, client.ObjectKeyFromObject(rp), rp.ResourceVersion)
	return rp.ResourceVersion
}
