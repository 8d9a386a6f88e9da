package proxy

import (
	"testing"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

func TestRateLimiter(t *testing.T) {
	cfg := config.RateLimit{Enabled: true, RecordsPerSecond: 3, BytesPerSecond: 100, PerClusterRecordsPerSecond: 2, PerClusterBytesPerSecond: 60}
	steps := []struct {
		name    string
		cluster string
		second  int64
		size    int
		want    bool
	}{
		{"first", "a", 10, 10, true},
		{"second in cluster a", "a", 10, 10, true},
		{"cluster a over its record budget", "a", 10, 10, false},
		{"cluster b has its own", "b", 10, 70, false}, // over b's bytes
		{"a refusal costs nothing", "b", 10, 50, true},
		{"global records exhausted", "c", 10, 1, false},
		{"next second resets", "a", 11, 60, true},
		{"cluster bytes exhausted", "a", 11, 1, false},
		{"global bytes checked", "b", 11, 41, false},
		{"within global bytes", "b", 11, 40, true},
	}
	l := newRateLimiter(cfg)
	windows := map[string]*window{}
	for _, s := range steps {
		w, ok := windows[s.cluster]
		if !ok {
			w = l.cluster(s.cluster)
			windows[s.cluster] = w
		}
		if got := l.allow(w, s.second, s.size); got != s.want {
			t.Errorf("%s: allow = %v, want %v", s.name, got, s.want)
		}
	}
	if newRateLimiter(config.RateLimit{Enabled: false}) != nil {
		t.Errorf("disabled limits must give a nil limiter (no per-record cost)")
	}
}
