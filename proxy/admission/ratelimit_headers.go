package admission

import "strconv"

// budgetNames name the budgets in the RateLimit-Policy and RateLimit
// headers, in management.RateLimitNames' order.
var budgetNames = [numBudgets]string{
	"proxy-records", "proxy-bytes", "cluster-records", "cluster-bytes", "principal-records", "principal-bytes",
}

// Headers returns the RateLimit-Policy and RateLimit header values
// (docs/produce-api.md, "Rate limits") of the budget of g the stream
// stands closest to exhausting, as of unix second now: its quota per
// one-second window and what remains of it, with the window's reset in
// one second. ok is false when no budget applies.
func (g *Gate) Headers(now int64) (policy, state string, ok bool) {
	budgets, used := g.l.standing(g, now)
	best := -1
	var bestRemaining int64
	for i, q := range budgets {
		if q <= 0 {
			continue
		}
		remaining := max(q-used[i], 0)
		// remaining/q at most the best's, compared without division; a
		// tie goes to the later, more specific budget.
		if best < 0 || remaining*budgets[best] <= bestRemaining*q {
			best, bestRemaining = i, remaining
		}
	}
	if best < 0 {
		return "", "", false
	}
	name := strconv.Quote(budgetNames[best])
	policy = name + ";q=" + strconv.FormatInt(budgets[best], 10) + ";w=1"
	state = name + ";r=" + strconv.FormatInt(bestRemaining, 10) + ";t=1"
	return policy, state, true
}

// standing returns g's budgets and what each used in second now.
func (l *RateLimiter) standing(g *Gate, now int64) (budgets, used [numBudgets]int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.global.roll(now)
	g.cluster.roll(now)
	g.principal.roll(now)
	budgets = [numBudgets]int64{
		l.cfg.RecordsPerSecond, l.cfg.BytesPerSecond,
		l.cfg.PerClusterRecordsPerSecond, l.cfg.PerClusterBytesPerSecond,
		g.limits.RecordsPerSecond, g.limits.BytesPerSecond,
	}
	used = [numBudgets]int64{
		l.global.records, l.global.bytes,
		g.cluster.records, g.cluster.bytes,
		g.principal.records, g.principal.bytes,
	}
	return budgets, used
}
