package admission

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// RateLimiter holds the records/s and bytes/s budgets of the process, of
// each cluster it is given (the configured clusterId: never the path's, so
// a client cannot choose a budget of its own) and of each principal whose
// rule sets limits of its own, in fixed one-second windows. A record is
// admitted by every budget or by none: a refused record costs nothing, so
// a client that backs off is not punished for the records it was refused.
// A budget of 0 is no limit on that dimension.
type RateLimiter struct {
	cfg config.RateLimit // all zero when rateLimit is off
	// refused counts refusals by the budget that refused, in check order
	// (management.RateLimitNames).
	refused [numBudgets]prometheus.Counter

	mu         sync.Mutex
	global     window
	clusters   map[string]*window
	principals map[string]*window
}

// numBudgets: global records and bytes, per-cluster records and bytes,
// per-principal records and bytes.
const numBudgets = 6

// window counts what was admitted during one wall-clock second.
type window struct {
	second  int64
	records int64
	bytes   int64
}

// maxWindows bounds the per-cluster and per-principal tables: stale
// entries are pruned when one grows past this.
const maxWindows = 4096

// NewRateLimiter returns nil when rate limits are off and no rule of
// authorization.rules sets its own (principalLimits), so streams pay
// nothing per record. refused are the counters of the budgets.
func NewRateLimiter(cfg config.RateLimit, principalLimits bool, refused [numBudgets]prometheus.Counter) *RateLimiter {
	if !cfg.Enabled && !principalLimits {
		return nil
	}
	if !cfg.Enabled {
		cfg = config.RateLimit{}
	}
	return &RateLimiter{cfg: cfg, refused: refused, clusters: map[string]*window{}, principals: map[string]*window{}}
}

// windowOf returns the window of id in table; a stream looks it up once,
// so the per-record path has no map access.
func (l *RateLimiter) windowOf(table map[string]*window, id string) *window {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := table[id]
	if !ok {
		if len(table) >= maxWindows {
			l.pruneLocked(table)
		}
		w = &window{}
		table[id] = w
	}
	return w
}

// pruneLocked forgets windows of past seconds. A stream still holding a
// pruned window keeps counting in it, which only makes it more lenient.
func (l *RateLimiter) pruneLocked(table map[string]*window) {
	for id, w := range table {
		if w.second < l.global.second {
			delete(table, id)
		}
	}
}

// allow checks the budgets in management.RateLimitNames' order for a
// record of size bytes at unix second now, and counts it only if all
// admit it. A refusal is counted against the first budget that refused.
func (l *RateLimiter) allow(g *Gate, now int64, size int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.global.roll(now)
	g.cluster.roll(now)
	g.principal.roll(now)
	n := int64(size)
	for i, over := range [numBudgets]bool{
		exceeds(l.cfg.RecordsPerSecond, l.global.records, 1),
		exceeds(l.cfg.BytesPerSecond, l.global.bytes, n),
		exceeds(l.cfg.PerClusterRecordsPerSecond, g.cluster.records, 1),
		exceeds(l.cfg.PerClusterBytesPerSecond, g.cluster.bytes, n),
		exceeds(g.limits.RecordsPerSecond, g.principal.records, 1),
		exceeds(g.limits.BytesPerSecond, g.principal.bytes, n),
	} {
		if over {
			l.refused[i].Inc()
			return false
		}
	}
	for _, w := range []*window{&l.global, g.cluster, g.principal} {
		w.records++
		w.bytes += n
	}
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

// Gate is the rate limits as one stream of a cluster and principal meets
// them, record by record.
type Gate struct {
	l         *RateLimiter
	cluster   *window
	principal *window // a window of its own when limits has none
	limits    PrincipalLimits
}

// Gate returns the gate of a stream of cluster id by the principal named
// principal, whose rule grants it limits.
func (l *RateLimiter) Gate(id, principal string, limits PrincipalLimits) *Gate {
	g := &Gate{l: l, cluster: l.windowOf(l.clusters, id), principal: &window{}, limits: limits}
	if limits.any() {
		g.principal = l.windowOf(l.principals, principal)
	}
	return g
}

// Allow reports whether a record of size bytes, read in the second now, is
// within every budget, and counts it if so.
func (g *Gate) Allow(now int64, size int) bool { return g.l.allow(g, now, size) }
