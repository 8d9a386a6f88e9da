package admission

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// newTestLimiter returns a limiter for cfg and the counters of its
// budgets.
func newTestLimiter(cfg config.RateLimit) (*RateLimiter, [numBudgets]prometheus.Counter) {
	var refused [numBudgets]prometheus.Counter
	for i := range refused {
		refused[i] = prometheus.NewCounter(prometheus.CounterOpts{Name: "refused"})
	}
	return NewRateLimiter(cfg, true, refused), refused
}

// admitted is a limiterStep's want for a record no budget refuses; the
// others are the refusing budget's index: 0 global records, 1 global
// bytes, 2 per-cluster records, 3 per-cluster bytes, 4 per-principal
// records, 5 per-principal bytes.
const admitted = -1

func TestRateLimiter(t *testing.T) {
	cfg := config.RateLimit{Enabled: true, RecordsPerSecond: 3, BytesPerSecond: 100, PerClusterRecordsPerSecond: 2, PerClusterBytesPerSecond: 60}
	steps := []limiterStep{
		{"first", "a", 10, 10, admitted},
		{"second in cluster a", "a", 10, 10, admitted},
		{"cluster a over its record budget", "a", 10, 10, 2},
		{"cluster b has its own; over its bytes", "b", 10, 70, 3},
		{"a refusal costs nothing", "b", 10, 50, admitted},
		{"global records exhausted", "c", 10, 1, 0},
		{"next second resets", "a", 11, 60, admitted},
		{"cluster bytes exhausted", "a", 11, 1, 3},
		{"global bytes checked before cluster records", "b", 11, 41, 1},
		{"within global bytes", "b", 11, 40, admitted},
	}
	runSteps(t, cfg, steps)
	if l := NewRateLimiter(config.RateLimit{Enabled: false, RecordsPerSecond: 1}, false, [numBudgets]prometheus.Counter{}); l != nil {
		t.Errorf("disabled limits must give a nil limiter (no per-record cost)")
	}
}

// A budget of 0 is no limit on that dimension: only the others apply.
func TestRateLimiter_ZeroBudgetIsNoLimit(t *testing.T) {
	tests := []struct {
		name string
		cfg  config.RateLimit
		// Three records of 40 bytes in one second, in one cluster: the
		// budget that refuses the third, or admitted.
		third int
	}{
		{"records only", config.RateLimit{Enabled: true, RecordsPerSecond: 2}, 0},
		{"bytes only", config.RateLimit{Enabled: true, BytesPerSecond: 100}, 1},
		{"per-cluster records only", config.RateLimit{Enabled: true, PerClusterRecordsPerSecond: 2}, 2},
		{"per-cluster bytes only", config.RateLimit{Enabled: true, PerClusterBytesPerSecond: 100}, 3},
		{"generous budgets", config.RateLimit{Enabled: true, RecordsPerSecond: 3, PerClusterBytesPerSecond: 120}, admitted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runSteps(t, tt.cfg, []limiterStep{
				{"first", "a", 1, 40, admitted},
				{"second", "a", 1, 40, admitted},
				{"third", "a", 1, 40, tt.third},
			})
		})
	}
}

// limiterStep is one record offered to the limiter and the budget that
// must refuse it (its index, in check order), or admitted.
type limiterStep struct {
	name    string
	cluster string
	second  int64
	size    int
	want    int
}

// principalStep is a limiterStep by a principal whose rule grants limits.
type principalStep struct {
	limiterStep
	principal string
	limits    PrincipalLimits
}

// runSteps offers the steps' records in order to a limiter for cfg and
// checks each verdict and the refusal counters after it.
func runSteps(t *testing.T, cfg config.RateLimit, steps []limiterStep) {
	t.Helper()
	ps := make([]principalStep, len(steps))
	for i, s := range steps {
		ps[i] = principalStep{limiterStep: s}
	}
	runPrincipalSteps(t, cfg, ps)
}

func runPrincipalSteps(t *testing.T, cfg config.RateLimit, steps []principalStep) {
	t.Helper()
	l, refused := newTestLimiter(cfg)
	gates := map[string]*Gate{}
	var wantRefused [numBudgets]float64
	for _, s := range steps {
		g, ok := gates[s.cluster+"/"+s.principal]
		if !ok {
			g = l.Gate(s.cluster, s.principal, s.limits)
			gates[s.cluster+"/"+s.principal] = g
		}
		if got := g.Allow(s.second, s.size); got != (s.want == admitted) {
			t.Errorf("%s: allow = %v, want %v", s.name, got, s.want == admitted)
		}
		if s.want != admitted {
			wantRefused[s.want]++
		}
		for i, c := range refused {
			if got := testutil.ToFloat64(c); got != wantRefused[i] {
				t.Errorf("after %s: budget %d refused %v records, want %v", s.name, i, got, wantRefused[i])
			}
		}
	}
}

// Each principal whose rule sets limits has budgets of its own, checked
// after the shared ones; a principal without limits meets only those.
func TestRateLimiter_PerPrincipal(t *testing.T) {
	cfg := config.RateLimit{Enabled: true, RecordsPerSecond: 100}
	alice := PrincipalLimits{RecordsPerSecond: 2}
	bob := PrincipalLimits{BytesPerSecond: 50}
	runPrincipalSteps(t, cfg, []principalStep{
		{limiterStep{"alice 1", "c", 1, 10, admitted}, "alice", alice},
		{limiterStep{"alice 2", "c", 1, 10, admitted}, "alice", alice},
		{limiterStep{"alice over her records", "c", 1, 10, 4}, "alice", alice},
		{limiterStep{"bob has his own budget", "c", 1, 40, admitted}, "bob", bob},
		{limiterStep{"bob over his bytes", "c", 1, 20, 5}, "bob", bob},
		{limiterStep{"carol has no limits of her own", "c", 1, 1000, admitted}, "carol", PrincipalLimits{}},
		{limiterStep{"alice's next second", "c", 2, 10, admitted}, "alice", alice},
	})
}

// The headers tell the budget closest to exhaustion, in the draft's
// structured-field syntax.
func TestGate_Headers(t *testing.T) {
	l, _ := newTestLimiter(config.RateLimit{Enabled: true, RecordsPerSecond: 1000, BytesPerSecond: 1 << 20})
	g := l.Gate("c", "alice", PrincipalLimits{RecordsPerSecond: 4})
	policy, state, ok := g.Headers(7)
	if !ok || policy != `"principal-records";q=4;w=1` || state != `"principal-records";r=4;t=1` {
		t.Fatalf("fresh: %q %q %v", policy, state, ok)
	}
	for range 3 {
		g.Allow(7, 10)
	}
	if _, state, _ := g.Headers(7); state != `"principal-records";r=1;t=1` {
		t.Errorf("after 3 records: RateLimit %q, want r=1", state)
	}
	if _, state, _ := g.Headers(8); state != `"principal-records";r=4;t=1` {
		t.Errorf("next second: RateLimit %q, want r=4", state)
	}
	// Without a principal budget, the shared one that is closest to
	// exhaustion: 3 records of 1000 use 0.3%, 3 records of 300 KiB 88%.
	g2 := l.Gate("c", "bob", PrincipalLimits{})
	for range 3 {
		g2.Allow(9, 300<<10)
	}
	if policy, state, _ := g2.Headers(9); policy != `"proxy-bytes";q=1048576;w=1` || state != `"proxy-bytes";r=126976;t=1` {
		t.Errorf("shared budgets: %q %q", policy, state)
	}
	off := NewRateLimiter(config.RateLimit{}, true, [numBudgets]prometheus.Counter{})
	if _, _, ok := off.Gate("c", "x", PrincipalLimits{}).Headers(1); ok {
		t.Errorf("no budget applies: want no headers")
	}
}
