package admission

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// RateLimiter holds the records/s and bytes/s budgets of the process and of
// each cluster it is given (the configured clusterId: never the path's, so
// a client cannot choose a budget of its own), in fixed one-second windows. A record is admitted by
// all four budgets or by none: a refused record costs nothing, so a client
// that backs off is not punished for the records it was refused. A budget of
// 0 is no limit on that dimension.
type RateLimiter struct {
	cfg config.RateLimit
	// refused counts refusals by the budget that refused, in check order:
	// global records, global bytes, per-cluster records, per-cluster bytes.
	refused [4]prometheus.Counter

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

// maxClusterWindows bounds the per-cluster table, should ids ever be many:
// stale entries are pruned when it grows past this.
const maxClusterWindows = 1024

// NewRateLimiter returns nil when rate limits are off, so streams pay
// nothing per record. refused are the counters of the four budgets.
func NewRateLimiter(cfg config.RateLimit, refused [4]prometheus.Counter) *RateLimiter {
	if !cfg.Enabled {
		return nil
	}
	return &RateLimiter{cfg: cfg, refused: refused, clusters: map[string]*window{}}
}

// cluster returns the window of one cluster id; a stream looks it up once,
// so the per-record path has no map access.
func (l *RateLimiter) cluster(id string) *window {
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
func (l *RateLimiter) pruneLocked() {
	for id, w := range l.clusters {
		if w.second < l.global.second {
			delete(l.clusters, id)
		}
	}
}

// allow checks global records, global bytes, per-cluster records and
// per-cluster bytes, in that order, for a record of size bytes at unix
// second now, and counts it only if all four admit it. A refusal is
// counted against the first budget that refused.
func (l *RateLimiter) allow(cluster *window, now int64, size int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.global.roll(now)
	cluster.roll(now)
	n := int64(size)
	for i, over := range [4]bool{
		exceeds(l.cfg.RecordsPerSecond, l.global.records, 1),
		exceeds(l.cfg.BytesPerSecond, l.global.bytes, n),
		exceeds(l.cfg.PerClusterRecordsPerSecond, cluster.records, 1),
		exceeds(l.cfg.PerClusterBytesPerSecond, cluster.bytes, n),
	} {
		if over {
			l.refused[i].Inc()
			return false
		}
	}
	l.global.records++
	l.global.bytes += n
	cluster.records++
	cluster.bytes += n
	return true
}

// exceeds reports whether adding n to used goes over budget; a budget of 0
// is no limit.
func exceeds(budget, used, n int64) bool {
	return budget > 0 && used+n > budget
}

func (w *window) roll(now int64) {
	if w.second != now {
		*w = window{second: now}
	}
}

// Gate is the rate limits as one stream of a cluster meets them, record by
// record.
type Gate struct {
	l *RateLimiter
	w *window
}

// Gate returns the gate of a stream of cluster id.
func (l *RateLimiter) Gate(id string) *Gate { return &Gate{l: l, w: l.cluster(id)} }

// Allow reports whether a record of size bytes, read in the second now, is
// within every budget, and counts it if so.
func (g *Gate) Allow(now int64, size int) bool { return g.l.allow(g.w, now, size) }
