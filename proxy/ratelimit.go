package proxy

import (
	"sync"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// rateLimiter holds the records/s and bytes/s budgets of the process and of
// each path cluster_id, in fixed one-second windows. A record is admitted by
// all four budgets or by none: a refused record costs nothing, so a client
// that backs off is not punished for the records it was refused.
type rateLimiter struct {
	cfg config.RateLimit

	mu       sync.Mutex
	global   window
	clusters map[string]*window
}

// window counts what was admitted during one wall-clock second.
type window struct {
	second  int64
	records int64
	bytes   int64
}

// maxClusterWindows bounds the per-cluster table: any cluster_id is accepted
// in the path, so stale entries are pruned when it grows past this.
const maxClusterWindows = 1024

func newRateLimiter(cfg config.RateLimit) *rateLimiter {
	if !cfg.Enabled {
		return nil
	}
	return &rateLimiter{cfg: cfg, clusters: map[string]*window{}}
}

// cluster returns the window of one cluster id; a stream looks it up once,
// so the per-record path has no map access.
func (l *rateLimiter) cluster(id string) *window {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.clusters[id]
	if !ok {
		if len(l.clusters) >= maxClusterWindows {
			l.pruneLocked()
		}
		w = &window{}
		l.clusters[id] = w
	}
	return w
}

// pruneLocked forgets windows of past seconds. A stream still holding a
// pruned window keeps counting in it, which only makes it more lenient.
func (l *rateLimiter) pruneLocked() {
	for id, w := range l.clusters {
		if w.second < l.global.second {
			delete(l.clusters, id)
		}
	}
}

// allow checks global records, global bytes, per-cluster records and
// per-cluster bytes, in that order, for a record of size bytes at unix
// second now, and counts it only if all four admit it.
func (l *rateLimiter) allow(cluster *window, now int64, size int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.global.roll(now)
	cluster.roll(now)
	n := int64(size)
	if l.global.records+1 > l.cfg.RecordsPerSecond ||
		l.global.bytes+n > l.cfg.BytesPerSecond ||
		cluster.records+1 > l.cfg.PerClusterRecordsPerSecond ||
		cluster.bytes+n > l.cfg.PerClusterBytesPerSecond {
		return false
	}
	l.global.records++
	l.global.bytes += n
	cluster.records++
	cluster.bytes += n
	return true
}

func (w *window) roll(now int64) {
	if w.second != now {
		*w = window{second: now}
	}
}
