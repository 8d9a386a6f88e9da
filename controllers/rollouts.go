package controllers

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlevent "sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
	"github.com/restproxy-dev/restproxy-operator/controllers/manifests"
)

// DefaultMaxConcurrentRollouts is the share of RestProxies that may roll at
// once after an operator upgrade.
var DefaultMaxConcurrentRollouts = intstr.FromString("5%")

// heldRetry is how often a RestProxy waiting for a rollout slot tries
// again, should the wake-up when a slot frees be lost.
const heldRetry = time.Minute

// rolloutPace bounds how many RestProxies roll at once for a change of the
// operator's own (an operator upgrade: a new proxy image or pod template),
// so an upgrade does not surge every tenant's pods and drain every open
// stream together. A RestProxy holds a slot from the moment its Deployment
// gets the new template until that rollout is complete (every pod updated
// and available); a rollout that never completes (an image that cannot
// start) keeps its slot, which stops the upgrade from spreading through the
// fleet.
//
// Only rollouts the pace admitted hold slots: a new tenant or a spec change
// rolls at once and takes none, so tenants failing for their own reasons
// cannot stall an upgrade. The slots live in memory: after a restart of the
// operator (or a new leader) mid-upgrade, up to another limit's worth may
// start while the previous leader's last rollouts finish.
type rolloutPace struct {
	// max is --max-concurrent-rollouts: a count, or a percentage of the
	// RestProxies the operator watches (rounded down), at least 1.
	max intstr.IntOrString
	// wake receives the RestProxies to reconcile again when slots free up.
	wake chan ctrlevent.GenericEvent

	mu      sync.Mutex
	rolling map[types.NamespacedName]bool
	// waiting is first come, first served: when a slot frees up, the
	// RestProxy that has waited longest is woken, and the slot is reserved
	// for it until its reconcile takes it.
	waiting  []types.NamespacedName
	reserved map[types.NamespacedName]bool
	// limit as last computed, for waking as many as there are free slots.
	limit int
}

func newRolloutPace(limit intstr.IntOrString) *rolloutPace {
	return &rolloutPace{
		max:      limit,
		wake:     make(chan ctrlevent.GenericEvent, 1024),
		rolling:  map[types.NamespacedName]bool{},
		reserved: map[types.NamespacedName]bool{},
	}
}

// limitFor is how many may roll at once among total RestProxies.
func limitFor(limit intstr.IntOrString, total int) (int, error) {
	n, err := intstr.GetScaledValueFromIntOrPercent(&limit, total, false)
	if err != nil {
		return 0, fmt.Errorf("--max-concurrent-rollouts %s: %w", limit.String(), err)
	}
	return max(n, 1), nil
}

// admit says whether key may start rolling to the operator's image now,
// among total RestProxies; if not, key waits in line to be woken.
func (p *rolloutPace) admit(key types.NamespacedName, total int) (bool, error) {
	limit, err := limitFor(p.max, total)
	if err != nil {
		return false, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.limit = limit
	if p.rolling[key] {
		return true, nil
	}
	if p.reserved[key] {
		delete(p.reserved, key)
		p.rolling[key] = true
		return true, nil
	}
	if p.free() > 0 && (len(p.waiting) == 0 || p.waiting[0] == key) {
		p.dropWaiting(key)
		p.rolling[key] = true
		return true, nil
	}
	if !slices.Contains(p.waiting, key) {
		p.waiting = append(p.waiting, key)
	}
	// The limit may have grown with the number of RestProxies.
	p.wakeFree()
	return false, nil
}

// free is how many slots are neither taken nor reserved.
func (p *rolloutPace) free() int {
	return p.limit - len(p.rolling) - len(p.reserved)
}

// observe records whether key, if admitted, is still rolling to the
// operator's image after a reconcile; a slot that frees up wakes the
// longest waiting RestProxy.
func (p *rolloutPace) observe(key types.NamespacedName, rolling bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !rolling && p.rolling[key] {
		delete(p.rolling, key)
		p.wakeFree()
	}
}

// forget drops a deleted RestProxy, freeing its slot.
func (p *rolloutPace) forget(key types.NamespacedName) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dropWaiting(key)
	delete(p.reserved, key)
	delete(p.rolling, key)
	p.wakeFree()
}

// wakeFree wakes as many waiting RestProxies as there are free slots and
// reserves a slot for each.
func (p *rolloutPace) wakeFree() {
	for p.free() > 0 && len(p.waiting) > 0 {
		key := p.waiting[0]
		p.waiting = p.waiting[1:]
		p.reserved[key] = true
		obj := &v1alpha1.RestProxy{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}
		select {
		case p.wake <- ctrlevent.GenericEvent{Object: obj}:
		default:
			// The controller is far behind; the waiter's periodic retry
			// (heldRetry) brings it back.
		}
	}
}

func (p *rolloutPace) dropWaiting(key types.NamespacedName) {
	for i, w := range p.waiting {
		if w == key {
			p.waiting = append(p.waiting[:i], p.waiting[i+1:]...)
			return
		}
	}
}

// holdRollout says whether rp's Deployment must keep its current pod
// template for now, though desired has a new one: the change is the
// operator's own (a new version: another proxy image, a changed template),
// not the tenant's (a spec change, which rolls at once), and either
// spec.upgradePolicy is Manual (held until the spec changes) or
// rolloutPace has no slot free (held until one frees up). A Secret
// rotation changes no template: the proxy re-reads the files.
//
// A template that changes while the spec hash stays is the operator's:
// that covers the upgrade from an operator that put a hash of the Kafka
// TLS Secrets on the pod template (the annotation goes, which changes the
// template), and a Deployment written by an operator without the spec
// hash, which counts as unchanged in spec and gets it stamped.
func (r *RestProxyReconciler) holdRollout(ctx context.Context, rp *v1alpha1.RestProxy, desired []client.Object) (bool, error) {
	var want *appsv1.Deployment
	for _, obj := range desired {
		if d, ok := obj.(*appsv1.Deployment); ok {
			want = d
		}
	}
	current := &appsv1.Deployment{}
	err := r.Client.Get(ctx, client.ObjectKeyFromObject(rp), current)
	switch {
	case client.IgnoreNotFound(err) != nil:
		return false, fmt.Errorf("read Deployment %s: %w", rp.Name, err)
	case err != nil || want == nil || !metav1.IsControlledBy(current, rp):
		return false, nil
	}
	applied := current.Annotations[manifests.TemplateHashAnnotation]
	if applied == want.Annotations[manifests.TemplateHashAnnotation] {
		return false, nil // the pods would not roll
	}
	specHash := current.Labels[manifests.SpecHashLabel]
	if specHash != "" && specHash != want.Labels[manifests.SpecHashLabel] {
		return false, nil // the tenant changed the spec
	}
	if specHash == "" {
		// So that a change of the spec from now on is seen, and rolls.
		if err := r.stampSpecHash(ctx, current, want.Labels[manifests.SpecHashLabel]); err != nil {
			return false, err
		}
	}
	if rp.Spec.UpgradePolicy == v1alpha1.UpgradePolicyManual {
		return true, nil
	}
	if r.pace == nil {
		return false, nil
	}
	var all v1alpha1.RestProxyList
	if err := r.Client.List(ctx, &all, client.UnsafeDisableDeepCopy); err != nil {
		return false, fmt.Errorf("count RestProxies: %w", err)
	}
	admitted, err := r.pace.admit(client.ObjectKeyFromObject(rp), len(all.Items))
	return !admitted, err
}

// stampSpecHash records on a Deployment an older operator wrote the hash of
// the spec it stands for now, leaving everything else as it is.
func (r *RestProxyReconciler) stampSpecHash(ctx context.Context, dep *appsv1.Deployment, hash string) error {
	patch := client.RawPatch(types.MergePatchType, fmt.Appendf(nil, `{"metadata":{"labels":{%q:%q}}}`, manifests.SpecHashLabel, hash))
	if err := r.Client.Patch(ctx, dep, patch, client.FieldOwner(FieldOwner)); err != nil {
		return &reconcileError{ReasonApplyFailed, fmt.Errorf("annotate Deployment %s: %w", dep.Name, err)}
	}
	return nil
}

// observeRollout tells the pace whether rp, if admitted, is still rolling
// now that its Deployment is dep.
func (r *RestProxyReconciler) observeRollout(rp *v1alpha1.RestProxy, dep *appsv1.Deployment) {
	if r.pace == nil {
		return
	}
	r.pace.observe(client.ObjectKeyFromObject(rp), dep != nil && !rolledOut(dep))
}
