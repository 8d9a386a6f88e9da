package controllers

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
	"github.com/restproxy-dev/restproxy-operator/controllers/manifests"
	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

func TestChildrenAreOwnedLabelledAndComplete(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	create(t, newSecret(ns, "kafka-creds", map[string]string{"password": "s3cret"}))
	create(t, newSecret(ns, "http-cert", map[string]string{"tls.crt": "CERT", "tls.key": "KEY"}))
	rp := newRestProxy(ns, "orders", withSASL("kafka-creds", "password"), func(rp *v1alpha1.RestProxy) {
		rp.Spec.HTTP = &v1alpha1.HTTPSpec{Port: 8443, ManagementPort: 8081, TLS: &v1alpha1.HTTPTLSSpec{SecretName: "http-cert"}}
	})
	create(t, rp)
	rp = waitCondition(t, client.ObjectKeyFromObject(rp), v1alpha1.ConditionDegraded, metav1.ConditionFalse, ReasonReconciled)

	cm := &corev1.ConfigMap{}
	dep := &appsv1.Deployment{}
	svc := &corev1.Service{}
	sa := &corev1.ServiceAccount{}
	named := func(name string) types.NamespacedName { return types.NamespacedName{Namespace: ns, Name: name} }
	get(t, named(rp.Name), dep)
	get(t, named(manifests.MountedConfigMap(&dep.Spec.Template.Spec)), cm)
	get(t, named(rp.Name), svc)
	get(t, named(rp.Name), sa)

	for _, obj := range []client.Object{cm, dep, svc, sa} {
		owner := metav1.GetControllerOf(obj)
		if owner == nil || owner.UID != rp.UID || owner.Kind != "RestProxy" || !ptr.Deref(owner.BlockOwnerDeletion, false) {
			t.Errorf("%T %s controller reference = %+v, want RestProxy %s (uid %s) blocking deletion", obj, obj.GetName(), owner, rp.Name, rp.UID)
		}
		for k, v := range manifests.Labels(rp) {
			if obj.GetLabels()[k] != v {
				t.Errorf("%T %s label %s = %q, want %q", obj, obj.GetName(), k, obj.GetLabels()[k], v)
			}
		}
	}
	if want := manifests.SelectorLabels(rp); !reflect.DeepEqual(dep.Spec.Selector.MatchLabels, want) || !reflect.DeepEqual(svc.Spec.Selector, want) {
		t.Errorf("selectors: Deployment %v, Service %v; want %v", dep.Spec.Selector.MatchLabels, svc.Spec.Selector, want)
	}

	// The ConfigMap is the proxy's config file: it parses with the proxy's
	// own parser into what the spec says.
	rendered := cm.Data[manifests.ConfigFileKey]
	got, err := config.Parse([]byte(rendered))
	if err != nil {
		t.Fatalf("config.Parse of the ConfigMap: %v\n%s", err, rendered)
	}
	want := manifests.ProxyConfig(manifests.Input{RestProxy: rp, DefaultImage: testImage})
	if !reflect.DeepEqual(got, want) {
		t.Errorf("config parsed from the ConfigMap differs from the spec's:\n got %+v\nwant %+v", got, want)
	}
	if !slices.Equal(got.Kafka.BootstrapServers, rp.Spec.Kafka.BootstrapServers) || got.Kafka.ClientID != ns+".orders" ||
		got.Kafka.SASL.PasswordFile != manifests.KafkaPasswordFile || got.HTTP.TLS.CertFile != manifests.HTTPCertFile {
		t.Errorf("config kafka %+v, http.tls %+v: want the spec's servers, clientId %s.orders, mounted password and certificate", got.Kafka, got.HTTP.TLS, ns)
	}

	pod := dep.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("pod has %d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	if c.Image != testImage {
		t.Errorf("image %q, want the operator's default %q", c.Image, testImage)
	}
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil {
		t.Errorf("probes: readiness %+v, liveness %+v; want HTTP probes", c.ReadinessProbe, c.LivenessProbe)
	}
	psc, csc := pod.SecurityContext, c.SecurityContext
	if psc == nil || csc == nil ||
		!ptr.Deref(psc.RunAsNonRoot, false) || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault ||
		ptr.Deref(csc.AllowPrivilegeEscalation, true) || !ptr.Deref(csc.ReadOnlyRootFilesystem, false) ||
		csc.Capabilities == nil || !slices.Equal(csc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("security context: pod %+v, container %+v; want restricted", psc, csc)
	}
	if ptr.Deref(pod.AutomountServiceAccountToken, true) {
		t.Errorf("automountServiceAccountToken = %v, want false", pod.AutomountServiceAccountToken)
	}
	mounted := map[string]bool{}
	for _, v := range pod.Volumes {
		if v.Projected != nil {
			for _, s := range v.Projected.Sources {
				if s.Secret != nil {
					mounted[s.Secret.Name] = true
				}
			}
		}
		if v.Secret != nil {
			mounted[v.Secret.SecretName] = true
		}
	}
	if !mounted["kafka-creds"] || !mounted["http-cert"] {
		t.Errorf("Secrets mounted %v, want kafka-creds and http-cert", mounted)
	}
	if got, want := podAnnotation(dep, manifests.ConfigHashAnnotation), manifests.ConfigHash([]byte(rendered)); got != want {
		t.Errorf("config-hash annotation %q, want the ConfigMap's %q", got, want)
	}
}

func TestSpecChangeUpdatesConfigAndRollsPods(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	rp := newRestProxy(ns, "p")
	create(t, rp)
	before := waitDeployment(t, rp, nil)
	oldHash := podAnnotation(before, manifests.ConfigHashAnnotation)

	patch(t, rp, func(rp *v1alpha1.RestProxy) {
		rp.Spec.Kafka.BootstrapServers = []string{"kafka-a:9092", "kafka-b:9092"}
	})
	waitConfig(t, rp, func(cm *corev1.ConfigMap) error {
		cfg, err := config.Parse([]byte(cm.Data[manifests.ConfigFileKey]))
		if err != nil {
			return err
		}
		if !slices.Equal(cfg.Kafka.BootstrapServers, []string{"kafka-a:9092", "kafka-b:9092"}) {
			return fmt.Errorf("config bootstrapServers %v, want the new two", cfg.Kafka.BootstrapServers)
		}
		return nil
	})
	waitDeployment(t, rp, func(dep *appsv1.Deployment) error {
		if h := podAnnotation(dep, manifests.ConfigHashAnnotation); h == oldHash || h == "" {
			return fmt.Errorf("config-hash annotation %q, want a new one (was %q)", h, oldHash)
		}
		return nil
	})
}

// TestUnchangedRestProxyIsNotWritten proves that a reconcile of an
// unchanged RestProxy writes nothing: every object keeps its
// resourceVersion across a reconcile that is known to have run.
func TestUnchangedRestProxyIsNotWritten(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	create(t, newSecret(ns, "creds", map[string]string{"password": "pw"}))
	rp := newRestProxy(ns, "p", withSASL("creds", "password"), func(rp *v1alpha1.RestProxy) {
		rp.Spec.Replicas = ptr.To[int32](2)
		rp.Spec.PodDisruptionBudget = &v1alpha1.PodDisruptionBudgetSpec{Enabled: ptr.To(true)}
		rp.Spec.NetworkPolicy = &v1alpha1.NetworkPolicySpec{Enabled: true}
		rp.Spec.Autoscaling = &v1alpha1.AutoscalingSpec{MaxReplicas: 4}
		rp.Spec.Resources = cpuRequests()
	})
	create(t, rp)
	key := client.ObjectKeyFromObject(rp)
	waitCondition(t, key, v1alpha1.ConditionDegraded, metav1.ConditionFalse, ReasonReconciled)

	poke(t, rp, "settle") // let reconciles queued by the creation finish
	waitEvent(t, rp, "Created")
	before := resourceVersions(t, rp)
	eventsBefore := eventVersions(t, ns)

	afterPoke := poke(t, rp, "again")
	after := resourceVersions(t, rp)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("children's resourceVersions changed across a no-op reconcile:\nbefore %v\n after %v", before, after)
	}
	if eventsAfter := eventVersions(t, ns); !reflect.DeepEqual(eventsBefore, eventsAfter) {
		t.Errorf("events changed across a no-op reconcile:\nbefore %v\n after %v", eventsBefore, eventsAfter)
	}
	var stored v1alpha1.RestProxy
	get(t, key, &stored)
	if stored.ResourceVersion != afterPoke {
		t.Errorf("RestProxy resourceVersion %s after the reconcile, want %s (the poke's): status was written", stored.ResourceVersion, afterPoke)
	}
	if len(before) != 7 {
		t.Errorf("tracked %d children %v, want 7 (ServiceAccount, ConfigMap, Service, Deployment, PDB, HPA, NetworkPolicy)", len(before), before)
	}
}

// resourceVersions of every child of rp, by kind and name.
func resourceVersions(t *testing.T, rp *v1alpha1.RestProxy) map[string]string {
	t.Helper()
	versions := map[string]string{}
	lists := []client.ObjectList{
		&corev1.ServiceAccountList{}, &corev1.ConfigMapList{}, &corev1.ServiceList{}, &appsv1.DeploymentList{},
		&policyv1.PodDisruptionBudgetList{}, &autoscalingv2.HorizontalPodAutoscalerList{}, &networkingv1.NetworkPolicyList{},
	}
	for _, list := range lists {
		if err := k8s.List(context.Background(), list, client.InNamespace(rp.Namespace), client.MatchingLabels(manifests.SelectorLabels(rp))); err != nil {
			t.Fatalf("list %T: %v", list, err)
		}
		items, err := meta.ExtractList(list)
		if err != nil {
			t.Fatalf("items of %T: %v", list, err)
		}
		for _, item := range items {
			obj := item.(client.Object)
			versions[fmt.Sprintf("%T/%s", obj, obj.GetName())] = obj.GetResourceVersion()
		}
	}
	return versions
}

// eventVersions of every Event in namespace ns, by reason and name.
func eventVersions(t *testing.T, ns string) map[string]string {
	t.Helper()
	var list eventsv1.EventList
	if err := k8s.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatalf("list events: %v", err)
	}
	versions := map[string]string{}
	for _, e := range list.Items {
		versions[e.Reason+"/"+e.Name] = e.ResourceVersion
	}
	return versions
}

// TestSecretRotation: rotating any Secret the pods mount (credentials,
// SASL password, HTTPS certificate, key and client CA, Kafka CA and client
// certificate) leaves the Deployment's pod template, its generation and
// the config alone: the proxy re-reads every one of those files, and a
// roll would drain every open stream.
func TestSecretRotation(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	secrets := map[string]*corev1.Secret{
		"credentials": newSecret(ns, "credentials", map[string]string{"users": "alice:old"}),
		"https":       newSecret(ns, "https", map[string]string{"tls.crt": "CERT", "tls.key": "KEY"}),
		"clients-ca":  newSecret(ns, "clients-ca", map[string]string{"ca.crt": "CLIENT CA"}),
		"sasl":        newSecret(ns, "sasl", map[string]string{"password": "old"}),
		"kafka-ca":    newSecret(ns, "kafka-ca", map[string]string{"ca.crt": "CA"}),
		"kafka-cert":  newSecret(ns, "kafka-cert", map[string]string{"tls.crt": "CERT", "tls.key": "KEY"}),
	}
	for _, s := range secrets {
		create(t, s)
	}
	rp := newRestProxy(ns, "p", withSASL("sasl", "password"), func(rp *v1alpha1.RestProxy) {
		rp.Spec.Authentication = &v1alpha1.AuthenticationSpec{Type: v1alpha1.AuthenticationBasic,
			SecretRef: &v1alpha1.SecretKeySelector{Name: "credentials", Key: "users"}}
		rp.Spec.HTTP = &v1alpha1.HTTPSpec{TLS: &v1alpha1.HTTPTLSSpec{SecretName: "https",
			ClientCASecretRef: &v1alpha1.SecretKeySelector{Name: "clients-ca", Key: "ca.crt"}}}
		rp.Spec.Kafka.TLS = &v1alpha1.KafkaTLSSpec{Enabled: true,
			CASecretRef:   &v1alpha1.SecretKeySelector{Name: "kafka-ca", Key: "ca.crt"},
			CertSecretRef: &v1alpha1.SecretReference{Name: "kafka-cert"}}
	})
	create(t, rp)
	rp = waitCondition(t, client.ObjectKeyFromObject(rp), v1alpha1.ConditionDegraded, metav1.ConditionFalse, ReasonReconciled)
	// Reconciles the creation queued (the children's own events) are over.
	poke(t, rp, "settle")

	for _, rotate := range []struct{ secret, key string }{
		{"kafka-ca", "ca.crt"}, {"kafka-cert", "tls.crt"}, {"kafka-cert", "tls.key"},
		{"credentials", "users"}, {"sasl", "password"}, {"https", "tls.crt"}, {"https", "tls.key"}, {"clients-ca", "ca.crt"},
	} {
		before := waitDeployment(t, rp, nil)
		config := waitConfig(t, rp, nil)
		patch(t, secrets[rotate.secret], func(s *corev1.Secret) { s.Data[rotate.key] = []byte("rotated") })
		// The reconcile that handles the poke starts after the rotation and
		// reads Secrets uncached: it has seen the rotated contents, as has
		// any reconcile the Secrets' watch queued before it.
		poke(t, rp, "after "+rotate.secret+"/"+rotate.key)
		after := waitDeployment(t, rp, nil)
		if after.Generation != before.Generation || !reflect.DeepEqual(after.Spec.Template, before.Spec.Template) {
			t.Errorf("rotating Secret %s key %s changed the Deployment (generation %d -> %d, template annotations %v -> %v); want no roll, the proxy re-reads the file",
				rotate.secret, rotate.key, before.Generation, after.Generation, before.Spec.Template.Annotations, after.Spec.Template.Annotations)
		}
		cm := waitConfig(t, rp, nil)
		if cm.Name != config.Name || !reflect.DeepEqual(cm.Data, config.Data) {
			t.Errorf("rotating Secret %s key %s changed the config (ConfigMap %s -> %s); want it unchanged", rotate.secret, rotate.key, config.Name, cm.Name)
		}
	}
	// The rotated Secrets were read: still reconciled, nothing missing.
	waitCondition(t, client.ObjectKeyFromObject(rp), v1alpha1.ConditionDegraded, metav1.ConditionFalse, ReasonReconciled)
}

func TestTurningFeaturesOffDeletesTheirObjects(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	on := func(rp *v1alpha1.RestProxy) {
		rp.Spec.PodDisruptionBudget = &v1alpha1.PodDisruptionBudgetSpec{Enabled: ptr.To(true)}
		rp.Spec.Autoscaling = &v1alpha1.AutoscalingSpec{MaxReplicas: 3}
		rp.Spec.Resources = cpuRequests()
		rp.Spec.NetworkPolicy = &v1alpha1.NetworkPolicySpec{Enabled: true}
	}
	rp := newRestProxy(ns, "p", on)
	create(t, rp)
	features := func() []client.Object {
		return []client.Object{
			&policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: rp.Name}},
			&autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: rp.Name}},
			&networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: rp.Name}},
		}
	}
	waitAll := func() {
		for _, obj := range features() {
			eventually(t, func() error { return k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), obj) })
			if owner := metav1.GetControllerOf(obj); owner == nil || owner.UID != rp.UID {
				t.Errorf("%T controller reference %+v, want the RestProxy", obj, owner)
			}
		}
	}
	waitAll()
	hpa := features()[1].(*autoscalingv2.HorizontalPodAutoscaler)
	get(t, client.ObjectKeyFromObject(hpa), hpa)
	if ref := hpa.Spec.ScaleTargetRef; ref.Kind != "RestProxy" || ref.Name != rp.Name {
		t.Errorf("HPA targets %+v, want the RestProxy", ref)
	}

	patch(t, rp, func(rp *v1alpha1.RestProxy) {
		rp.Spec.PodDisruptionBudget.Enabled = ptr.To(false)
		rp.Spec.Autoscaling = nil
		rp.Spec.NetworkPolicy.Enabled = false
	})
	for _, obj := range features() {
		waitGone(t, obj)
	}

	patch(t, rp, on)
	waitAll()
}

// TestServiceMonitorFollowsItsSwitch: the optional kind, served here by a
// stand-in CRD, is created, owned and pruned like the built-in ones.
func TestServiceMonitorFollowsItsSwitch(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	rp := newRestProxy(ns, "p", func(rp *v1alpha1.RestProxy) {
		rp.Spec.Metrics = &v1alpha1.MetricsSpec{ServiceMonitor: &v1alpha1.MonitorSpec{Enabled: true, Interval: "15s"}}
	})
	create(t, rp)
	sm := &unstructured.Unstructured{}
	sm.SetGroupVersionKind(manifests.ServiceMonitorGVK)
	eventually(t, func() error { return k8s.Get(context.Background(), client.ObjectKeyFromObject(rp), sm) })
	if owner := metav1.GetControllerOf(sm); owner == nil || owner.UID != rp.UID {
		t.Errorf("ServiceMonitor controller reference %+v, want the RestProxy", owner)
	}

	patch(t, rp, func(rp *v1alpha1.RestProxy) { rp.Spec.Metrics.ServiceMonitor.Enabled = false })
	waitGone(t, sm)
}

func TestMissingSecretDegradesAndCreatingItRecovers(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	rp := newRestProxy(ns, "p", withSASL("creds", "password"))
	create(t, rp)
	key := client.ObjectKeyFromObject(rp)

	got := waitCondition(t, key, v1alpha1.ConditionDegraded, metav1.ConditionTrue, ReasonSecretNotFound)
	assertConditionMentions(t, got, v1alpha1.ConditionDegraded, `"creds"`)
	waitCondition(t, key, v1alpha1.ConditionReady, metav1.ConditionFalse, ReasonSecretNotFound)
	if got.Status.ObservedGeneration != 0 {
		t.Errorf("observedGeneration %d, want 0: no reconcile has succeeded", got.Status.ObservedGeneration)
	}
	var dep appsv1.Deployment
	if err := k8s.Get(context.Background(), key, &dep); err == nil {
		t.Errorf("a Deployment was created although its Secret is missing")
	}
	waitEvent(t, rp, ReasonSecretNotFound)

	// The Secret appears, without the key.
	secret := newSecret(ns, "creds", map[string]string{"username": "x"})
	create(t, secret)
	got = waitCondition(t, key, v1alpha1.ConditionDegraded, metav1.ConditionTrue, ReasonSecretKeyNotFound)
	assertConditionMentions(t, got, v1alpha1.ConditionDegraded, `"password"`)

	// The key appears: nothing else changes, and the RestProxy recovers.
	patch(t, secret, func(s *corev1.Secret) { s.Data["password"] = []byte("pw") })
	got = waitCondition(t, key, v1alpha1.ConditionDegraded, metav1.ConditionFalse, ReasonReconciled)
	if got.Status.ObservedGeneration != got.Generation {
		t.Errorf("observedGeneration %d, want %d", got.Status.ObservedGeneration, got.Generation)
	}
	waitDeployment(t, rp, nil)
	waitEvent(t, rp, "Recovered")
}

func assertConditionMentions(t *testing.T, rp *v1alpha1.RestProxy, typ, text string) {
	t.Helper()
	for _, c := range rp.Status.Conditions {
		if c.Type == typ && !strings.Contains(c.Message, text) {
			t.Errorf("condition %s message %q does not name %s", typ, c.Message, text)
		}
	}
}

// waitEvent waits for an events.k8s.io Event about rp with reason.
func waitEvent(t *testing.T, rp *v1alpha1.RestProxy, reason string) {
	t.Helper()
	eventually(t, func() error {
		var list eventsv1.EventList
		if err := k8s.List(context.Background(), &list, client.InNamespace(rp.Namespace)); err != nil {
			return err
		}
		var reasons []string
		for _, e := range list.Items {
			if e.Regarding.Name == rp.Name && e.Regarding.Kind == "RestProxy" {
				if e.Reason == reason {
					return nil
				}
				reasons = append(reasons, e.Reason)
			}
		}
		return fmt.Errorf("no event %s about RestProxy %s; events: %v", reason, rp.Name, reasons)
	})
}

func TestAvailableDeploymentMakesReady(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	rp := newRestProxy(ns, "p")
	create(t, rp)
	key := client.ObjectKeyFromObject(rp)
	got := waitCondition(t, key, v1alpha1.ConditionReady, metav1.ConditionFalse, ReasonRolloutInProgress)
	if got.Status.ObservedGeneration != got.Generation {
		t.Errorf("observedGeneration %d, want %d", got.Status.ObservedGeneration, got.Generation)
	}

	// No pod is ready yet, and the Ready Replicas column says 0, not nothing.
	stored := &unstructured.Unstructured{}
	stored.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind("RestProxy"))
	get(t, key, stored)
	if n, found, err := unstructured.NestedInt64(stored.Object, "status", "readyReplicas"); !found || err != nil || n != 0 {
		t.Errorf("stored status.readyReplicas = %d (found %t, %v), want 0 written", n, found, err)
	}

	// envtest runs no Deployment controller: play its part.
	markRolledOut(t, rp)
	got = waitCondition(t, key, v1alpha1.ConditionReady, metav1.ConditionTrue, ReasonReady)
	if got.Status.ReadyReplicas != 1 || got.Status.Replicas != 1 || got.Status.URL != manifests.ServiceURL(rp) || got.Status.Selector == "" {
		t.Errorf("status replicas %d, ready %d, url %q, selector %q; want 1, 1, %q and a selector",
			got.Status.Replicas, got.Status.ReadyReplicas, got.Status.URL, got.Status.Selector, manifests.ServiceURL(rp))
	}
	waitEvent(t, rp, "Ready")

	// A spec change is observed at the new generation; the new template is
	// not rolled out yet.
	patch(t, rp, func(rp *v1alpha1.RestProxy) { rp.Spec.Logging = &v1alpha1.LoggingSpec{Level: "debug"} })
	got = waitCondition(t, key, v1alpha1.ConditionReady, metav1.ConditionFalse, ReasonRolloutInProgress)
	if got.Status.ObservedGeneration != got.Generation || got.Generation < 2 {
		t.Errorf("observedGeneration %d at generation %d, want them equal and at least 2", got.Status.ObservedGeneration, got.Generation)
	}
}

// markRolledOut writes the Deployment status a Deployment controller would
// once every pod of the current template is available.
func markRolledOut(t testing.TB, rp *v1alpha1.RestProxy) {
	t.Helper()
	dep := waitDeployment(t, rp, nil)
	n := ptr.Deref(dep.Spec.Replicas, 1)
	dep.Status = appsv1.DeploymentStatus{
		ObservedGeneration: dep.Generation, Replicas: n, UpdatedReplicas: n, ReadyReplicas: n, AvailableReplicas: n,
		Conditions: []appsv1.DeploymentCondition{{
			Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable",
			Message: "Deployment has minimum availability.", LastUpdateTime: metav1.Now(), LastTransitionTime: metav1.Now(),
		}},
	}
	if err := k8s.Status().Update(context.Background(), dep); err != nil {
		t.Fatalf("update Deployment status: %v", err)
	}
}

func TestScaleSubresourceScalesTheDeployment(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	rp := newRestProxy(ns, "p")
	create(t, rp)
	waitDeployment(t, rp, nil)

	// What kubectl scale and an HPA do.
	scale := &autoscalingv1.Scale{Spec: autoscalingv1.ScaleSpec{Replicas: 3}}
	if err := k8s.SubResource("scale").Update(context.Background(), rp, client.WithSubResourceBody(scale)); err != nil {
		t.Fatalf("update scale subresource: %v", err)
	}
	waitDeployment(t, rp, func(dep *appsv1.Deployment) error {
		if r := ptr.Deref(dep.Spec.Replicas, 1); r != 3 {
			return fmt.Errorf("Deployment replicas %d, want 3", r)
		}
		return nil
	})
}

// TestOthersPodTemplateAnnotationSurvives: kubectl rollout restart's
// annotation, written by another field manager, is not reverted when the
// operator applies the Deployment again.
func TestOthersPodTemplateAnnotationSurvives(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	rp := newRestProxy(ns, "p")
	create(t, rp)
	dep := waitDeployment(t, rp, nil)
	oldHash := podAnnotation(dep, manifests.ConfigHashAnnotation)

	const restartedAt = "kubectl.kubernetes.io/restartedAt"
	restart := client.RawPatch(types.StrategicMergePatchType,
		[]byte(`{"spec":{"template":{"metadata":{"annotations":{"`+restartedAt+`":"2026-11-24T05:00:00Z"}}}}}`))
	if err := k8s.Patch(context.Background(), dep, restart, client.FieldOwner("kubectl-rollout")); err != nil {
		t.Fatalf("restart patch: %v", err)
	}

	// A spec change makes the operator apply a new pod template.
	patch(t, rp, func(rp *v1alpha1.RestProxy) { rp.Spec.Logging = &v1alpha1.LoggingSpec{Level: "warn"} })
	dep = waitDeployment(t, rp, func(dep *appsv1.Deployment) error {
		if podAnnotation(dep, manifests.ConfigHashAnnotation) == oldHash {
			return fmt.Errorf("config-hash not yet updated")
		}
		return nil
	})
	if got := podAnnotation(dep, restartedAt); got != "2026-11-24T05:00:00Z" {
		t.Errorf("annotation %s = %q after the operator's apply, want kubectl's value kept", restartedAt, got)
	}
}

func TestPausedAnnotationStopsChangesUntilRemoved(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	rp := newRestProxy(ns, "p")
	create(t, rp)
	key := client.ObjectKeyFromObject(rp)
	before := waitConfig(t, rp, nil)

	patch(t, rp, func(rp *v1alpha1.RestProxy) { rp.Annotations = map[string]string{v1alpha1.PausedAnnotation: "true"} })
	waitCondition(t, key, v1alpha1.ConditionPaused, metav1.ConditionTrue, ReasonPaused)
	waitEvent(t, rp, "Paused")

	patch(t, rp, func(rp *v1alpha1.RestProxy) { rp.Spec.Kafka.BootstrapServers = []string{"elsewhere:9092"} })
	waitReconciled(t, key, rp.ResourceVersion)
	got := waitCondition(t, key, v1alpha1.ConditionReady, metav1.ConditionFalse, ReasonPaused)
	if got.Status.ObservedGeneration == got.Generation {
		t.Errorf("observedGeneration follows generation %d while paused", got.Generation)
	}
	after := waitConfig(t, rp, nil)
	if after.ResourceVersion != before.ResourceVersion || after.Data[manifests.ConfigFileKey] != before.Data[manifests.ConfigFileKey] {
		t.Errorf("ConfigMap changed while paused:\n%s", after.Data[manifests.ConfigFileKey])
	}

	patch(t, rp, func(rp *v1alpha1.RestProxy) { delete(rp.Annotations, v1alpha1.PausedAnnotation) })
	waitCondition(t, key, v1alpha1.ConditionPaused, metav1.ConditionFalse, ReasonNotPaused)
	waitConfig(t, rp, func(cm *corev1.ConfigMap) error {
		if !strings.Contains(cm.Data[manifests.ConfigFileKey], "elsewhere:9092") {
			return fmt.Errorf("ConfigMap does not have the spec change made while paused")
		}
		return nil
	})
	waitEvent(t, rp, "Resumed")
}

// TestManagerRunsWithTheGeneratedRole guards the RBAC markers: every other
// test passes only if the ClusterRole generated from them lets the operator
// do its work.
func TestManagerRunsWithTheGeneratedRole(t *testing.T) {
	if !roleLoaded {
		t.Fatal("config/rbac/role.yaml is missing (run make manifests): the suite ran the operator as administrator, so the RBAC markers went untested")
	}
}

// TestDeletedChildIsRecreated: the Owns watches bring the RestProxy back
// when one of its children goes.
func TestDeletedChildIsRecreated(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	rp := newRestProxy(ns, "p")
	create(t, rp)
	svc := &corev1.Service{}
	eventually(t, func() error { return k8s.Get(context.Background(), client.ObjectKeyFromObject(rp), svc) })
	oldUID := svc.UID

	if err := k8s.Delete(context.Background(), svc); err != nil {
		t.Fatalf("delete Service: %v", err)
	}
	eventually(t, func() error {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(rp), svc); err != nil {
			return err
		}
		if svc.UID == oldUID {
			return fmt.Errorf("Service still the deleted one (uid %s)", oldUID)
		}
		return nil
	})
}

// TestOwnedFieldDriftIsRestored: someone else's change to a field the
// operator applies is reverted, although the operator skips applying
// children it finds unchanged; a field only they set stays.
func TestOwnedFieldDriftIsRestored(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ns := newNamespace(t)
	rp := newRestProxy(ns, "p", func(rp *v1alpha1.RestProxy) {
		rp.Spec.Metrics = &v1alpha1.MetricsSpec{ServiceMonitor: &v1alpha1.MonitorSpec{Enabled: true, Interval: "15s"}}
	})
	create(t, rp)
	cm := waitConfig(t, rp, nil)
	dep := waitDeployment(t, rp, nil)
	sm := &unstructured.Unstructured{}
	sm.SetGroupVersionKind(manifests.ServiceMonitorGVK)
	eventually(t, func() error { return k8s.Get(ctx, client.ObjectKeyFromObject(rp), sm) })
	wantConfig := cm.Data[manifests.ConfigFileKey]
	poke(t, rp, "settle")

	// The config file cannot be edited by hand: the ConfigMap is immutable.
	edit := cm.DeepCopy()
	edit.Data[manifests.ConfigFileKey] = "edited: by hand\n"
	if err := k8s.Update(ctx, edit); !apierrors.IsInvalid(err) {
		t.Errorf("editing the config file: error %v, want Invalid (the ConfigMap is immutable)", err)
	}
	// An annotation of someone else's may be added.
	patch(t, cm, func(cm *corev1.ConfigMap) {
		cm.Annotations = map[string]string{"team.example/owner": "payments"}
	})
	// kubectl set image.
	setImage := client.RawPatch(types.StrategicMergePatchType,
		[]byte(`{"spec":{"template":{"spec":{"containers":[{"name":"`+manifests.ContainerName+`","image":"registry.example/other:1"}]}}}}`))
	if err := k8s.Patch(ctx, dep, setImage, client.FieldOwner("kubectl-set")); err != nil {
		t.Fatalf("set image: %v", err)
	}
	// An edit of the ServiceMonitor, a kind the operator compares by the
	// hash of what it applied rather than field by field.
	slower := client.RawPatch(types.MergePatchType, []byte(`{"spec":{"endpoints":[{"port":"management","interval":"5m"}]}}`))
	if err := k8s.Patch(ctx, sm, slower, client.FieldOwner("kubectl-edit")); err != nil {
		t.Fatalf("edit ServiceMonitor: %v", err)
	}

	cm = waitConfig(t, rp, func(cm *corev1.ConfigMap) error {
		if got := cm.Data[manifests.ConfigFileKey]; got != wantConfig {
			return fmt.Errorf("config file %q, want the operator's unchanged", got)
		}
		return nil
	})
	if got := cm.Annotations["team.example/owner"]; got != "payments" {
		t.Errorf("annotation team.example/owner = %q after the restore, want the editor's value kept", got)
	}
	waitDeployment(t, rp, func(dep *appsv1.Deployment) error {
		if got := dep.Spec.Template.Spec.Containers[0].Image; got != testImage {
			return fmt.Errorf("image %q, want %q restored", got, testImage)
		}
		return nil
	})
	eventually(t, func() error {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(rp), sm); err != nil {
			return err
		}
		endpoints, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
		if len(endpoints) != 1 || endpoints[0].(map[string]any)["interval"] != "15s" || endpoints[0].(map[string]any)["path"] != "/metrics" {
			return fmt.Errorf("ServiceMonitor endpoints %v, want the operator's restored (interval 15s, path /metrics)", endpoints)
		}
		return nil
	})
}

// TestRejectedApplyDegradesUntilFixed: a spec the CRD accepts but the API
// server refuses for the Deployment shows as Degraded=ApplyFailed naming the
// object, and fixing the spec recovers.
func TestRejectedApplyDegradesUntilFixed(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	rp := newRestProxy(ns, "p", func(rp *v1alpha1.RestProxy) {
		rp.Spec.Template = &v1alpha1.TemplateSpec{Pod: &v1alpha1.PodTemplate{NodeSelector: map[string]string{"not a label key!": "x"}}}
	})
	create(t, rp)
	key := client.ObjectKeyFromObject(rp)
	got := waitCondition(t, key, v1alpha1.ConditionDegraded, metav1.ConditionTrue, ReasonApplyFailed)
	assertConditionMentions(t, got, v1alpha1.ConditionDegraded, "Deployment p")
	waitCondition(t, key, v1alpha1.ConditionReady, metav1.ConditionFalse, ReasonApplyFailed)

	patch(t, rp, func(rp *v1alpha1.RestProxy) { rp.Spec.Template = nil })
	waitCondition(t, key, v1alpha1.ConditionDegraded, metav1.ConditionFalse, ReasonReconciled)
	waitDeployment(t, rp, nil)
}

// TestDisruptionBudgetFollowsReplicasByDefault: without
// spec.podDisruptionBudget.enabled a budget exists while more than one pod
// is wanted, with autoscaling as without: replicas 2 under an autoscaler
// gets one, and scaling down to one (as the autoscaler would, through
// /scale) removes it.
func TestDisruptionBudgetFollowsReplicasByDefault(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	rp := newRestProxy(ns, "p", func(rp *v1alpha1.RestProxy) {
		rp.Spec.Replicas = ptr.To[int32](2)
		rp.Spec.Autoscaling = &v1alpha1.AutoscalingSpec{MaxReplicas: 4}
		rp.Spec.Resources = cpuRequests()
	})
	create(t, rp)
	pdb := &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: rp.Name}}
	eventually(t, func() error { return k8s.Get(context.Background(), client.ObjectKeyFromObject(pdb), pdb) })

	scale := &autoscalingv1.Scale{Spec: autoscalingv1.ScaleSpec{Replicas: 1}}
	if err := k8s.SubResource("scale").Update(context.Background(), rp, client.WithSubResourceBody(scale)); err != nil {
		t.Fatalf("update scale subresource: %v", err)
	}
	waitGone(t, pdb)
}
