package management

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
)

// The per-principal counters name at most principalLimit principals, the
// first ones seen; later ones count as "other", an empty one as
// "anonymous", and a named principal keeps its series.
func TestPrincipals_BoundedToTheFirstSeen(t *testing.T) {
	m := NewMetricsLimited(nil, nil, 2)
	for _, name := range []string{"alice", "bob", "carol", "dave", "", "alice"} {
		m.Principal(name).Count(apierror.Success)
	}
	m.Principal("carol").Count(apierror.InvalidRecord)
	// alice, bob, anonymous and other, two results each: no series of
	// carol or dave.
	if n := testutil.CollectAndCount(m.principals.records); n != 8 {
		t.Errorf("%d series, want 8", n)
	}
	want := map[[2]string]float64{
		{"alice", "ok"}: 2, {"bob", "ok"}: 1, {"other", "ok"}: 2, {"other", "failed"}: 1, {"anonymous", "ok"}: 1,
	}
	for labels, n := range want {
		if got := testutil.ToFloat64(m.principals.records.WithLabelValues(labels[0], labels[1])); got != n {
			t.Errorf("restproxy_principal_records_total{principal=%q,result=%q} = %v, want %v", labels[0], labels[1], got, n)
		}
	}
}
