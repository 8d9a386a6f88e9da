package manifests

import (
	"reflect"
	"testing"
)

func TestLabels(t *testing.T) {
	rp := minimal()
	want := map[string]string{
		"app.kubernetes.io/name":       "restproxy",
		"app.kubernetes.io/instance":   "orders",
		"app.kubernetes.io/component":  "produce-proxy",
		"app.kubernetes.io/managed-by": "restproxy-operator",
	}
	if got := Labels(rp); !reflect.DeepEqual(got, want) {
		t.Errorf("Labels = %v; want %v", got, want)
	}
	wantSel := map[string]string{"app.kubernetes.io/name": "restproxy", "app.kubernetes.io/instance": "orders"}
	if got := SelectorLabels(rp); !reflect.DeepEqual(got, wantSel) {
		t.Errorf("SelectorLabels = %v; want %v", got, wantSel)
	}
	// Each call returns a fresh map: a builder adding to its labels must not
	// change another object's.
	Labels(rp)["x"] = "y"
	if _, leaked := Labels(rp)["x"]; leaked {
		t.Errorf("Labels returns a shared map")
	}
}

func TestNames(t *testing.T) {
	rp := minimal()
	if got := ConfigMapName(rp, "0123456789abcdef"); got != "orders-config-0123456789" {
		t.Errorf("ConfigMapName = %q", got)
	}
	if got := ServiceURL(rp); got != "http://orders.tenant-a.svc:8082" {
		t.Errorf("ServiceURL = %q", got)
	}
	if got := ServiceURL(full()); got != "https://orders.tenant-a.svc:9443" {
		t.Errorf("ServiceURL with TLS = %q", got)
	}
}
