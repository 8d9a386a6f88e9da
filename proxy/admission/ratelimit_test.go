package admission

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// newTestLimiter returns a limiter for cfg and the counters of its four
// budgets.
func newTestLimiter(cfg config.RateLimit) (*RateLimiter, [4]prometheus.Counter) {
	var refused [4]prometheus.Counter
	for i := range refused {
		refused[i] = prometheus.NewCounter(prometheus.CounterOpts{Name: "refused"})
	}
	return NewRateLimiter(cfg, refused), refused
}

// admitted is a limiterStep's want for a record no budget refuses; the
// others are the refusing budget's index: 0 global records, 1 global
// bytes, 2 per-cluster records, 3 per-cluster bytes.
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
	if l, _ := newTestLimiter(config.RateLimit{Enabled: false, RecordsPerSecond: 1}); l != nil {
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

// runSteps offers the steps' records in order to a limiter for cfg and
// checks each verdict and the refusal counters after it.
func runSteps(t *testing.T, cfg config.RateLimit, steps []limiterStep) {
	t.Helper()
	l, refused := newTestLimiter(cfg)
	windows := map[string]*window{}
	var wantRefused [4]float64
	for _, s := range steps {
		w, ok := windows[s.cluster]
		if !ok {
			w = l.cluster(s.cluster)
			windows[s.cluster] = w
		}
		if got := l.allow(w, s.second, s.size); got != (s.want == admitted) {
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
