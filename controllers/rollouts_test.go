package controllers

import (
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
	"github.com/restproxy-dev/restproxy-operator/controllers/manifests"
)

func TestRolloutLimit(t *testing.T) {
	tests := []struct {
		max   intstr.IntOrString
		total int
		want  int
	}{
		{intstr.FromString("5%"), 0, 1},
		{intstr.FromString("5%"), 19, 1},
		{intstr.FromString("5%"), 40, 2},
		{intstr.FromString("5%"), 500, 25},
		{intstr.FromInt(3), 500, 3},
		{intstr.FromString("100%"), 7, 7},
	}
	for _, tt := range tests {
		got, err := limitFor(tt.max, tt.total)
		if err != nil || got != tt.want {
			t.Errorf("limitFor(%s, %d) = %d, %v; want %d", tt.max.String(), tt.total, got, err, tt.want)
		}
	}
	if _, err := limitFor(intstr.FromString("many"), 10); err == nil {
		t.Errorf("limitFor accepted %q", "many")
	}
}

// TestRolloutPaceAdmitsInOrderAndWakesOnCompletion: two slots among 40
// RestProxies; the third and fourth wait in line and are woken, first
// come first served, one per slot that frees.
func TestRolloutPaceAdmitsInOrderAndWakesOnCompletion(t *testing.T) {
	p := newRolloutPace(intstr.FromString("5%"))
	key := func(n string) types.NamespacedName { return types.NamespacedName{Namespace: "ns", Name: n} }
	admit := func(name string) bool {
		t.Helper()
		ok, err := p.admit(key(name), 40)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	woken := func() []string {
		var names []string
		for {
			select {
			case e := <-p.wake:
				names = append(names, e.Object.GetName())
			default:
				return names
			}
		}
	}
	if !admit("a") || !admit("b") {
		t.Fatal("the first two were refused a slot of two")
	}
	if admit("c") || admit("d") || admit("c") {
		t.Fatal("a third was admitted beyond two slots")
	}
	if !admit("a") {
		t.Error("a RestProxy holding a slot was refused it on its next reconcile")
	}
	p.observe(key("a"), true) // still rolling
	p.observe(key("z"), true) // rolling, not for an upgrade: holds no slot
	if got := woken(); len(got) != 0 {
		t.Errorf("woke %v while no slot freed", got)
	}
	p.observe(key("a"), false) // rolled out
	if got := woken(); len(got) != 1 || got[0] != "c" {
		t.Errorf("woke %v after a's rollout completed, want [c]", got)
	}
	if admit("d") || !admit("c") {
		t.Error("the freed slot went to d, not c which waited longer")
	}
	p.forget(key("b"))
	if got := woken(); len(got) != 1 || got[0] != "d" {
		t.Errorf("woke %v after b was deleted, want [d]", got)
	}
	p.observe(key("z"), false)
	if got := woken(); len(got) != 0 {
		t.Errorf("woke %v when a rollout that held no slot completed", got)
	}
}

// TestProxyVersionShowsTheCompletedRollout: status.proxyVersion changes
// only when every pod runs the new image.
func TestProxyVersionShowsTheCompletedRollout(t *testing.T) {
	withImage := func(image string) func(*appsv1.Deployment) {
		return func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers = []corev1.Container{{Name: manifests.ContainerName, Image: image}}
		}
	}
	rp := &v1alpha1.RestProxy{ObjectMeta: metav1.ObjectMeta{Name: "p", Generation: 3}}
	rp.Status.ProxyVersion = "v1"
	now := metav1.NewTime(time.Unix(1700000000, 0))

	rolling := computeStatus(rp, observation{deployment: deployment(2, withImage("reg/restproxy:v2"))}, outcome{}, now)
	if rolling.ProxyVersion != "v1" {
		t.Errorf("proxyVersion = %q during the rollout, want v1 until it completes", rolling.ProxyVersion)
	}
	done := computeStatus(rp, observation{deployment: deployment(2, withImage("reg/restproxy:v2"), rolled)}, outcome{}, now)
	if done.ProxyVersion != "v2" {
		t.Errorf("proxyVersion = %q once rolled out, want v2", done.ProxyVersion)
	}
}
