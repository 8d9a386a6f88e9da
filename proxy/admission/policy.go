package admission

import (
	"slices"
	"strings"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// policy is authorization: the topics and per-principal rate limits each
// principal is granted. Without rules, everyone gets authorization.topics
// and only the RestProxy-wide rateLimit; with rules, the first rule that
// matches the principal applies, and a principal no rule matches is
// granted nothing.
type policy struct {
	topics []config.TopicRule
	rules  []config.AccessRule
}

// Grant is what a principal may do.
type Grant struct {
	// Matched is false when rules exist and none matched: nothing is
	// granted.
	Matched bool
	topics  []config.TopicRule
	// Limits are the principal's own budgets, per pod; 0 is no limit.
	Limits PrincipalLimits
}

// PrincipalLimits are a rule's per-principal budgets, per second and pod.
type PrincipalLimits struct {
	RecordsPerSecond int64
	BytesPerSecond   int64
}

func (l PrincipalLimits) any() bool { return l.RecordsPerSecond > 0 || l.BytesPerSecond > 0 }

func (p *policy) grant(pr Principal) Grant {
	if len(p.rules) == 0 {
		return Grant{Matched: true, topics: p.topics}
	}
	for _, r := range p.rules {
		if !matchesAny(r.Principals, pr) {
			continue
		}
		g := Grant{Matched: true, topics: r.Topics, Limits: PrincipalLimits{r.RecordsPerSecond, r.BytesPerSecond}}
		if len(g.topics) == 0 {
			g.topics = p.topics
		}
		return g
	}
	return Grant{}
}

// HasPrincipalLimits reports whether a rule of authorization.rules sets
// rate limits of its own, which the RateLimiter then counts.
func (ac *Access) HasPrincipalLimits() bool { return ac.policy.hasPrincipalLimits() }

// hasPrincipalLimits reports whether any rule sets its own rate limits.
func (p *policy) hasPrincipalLimits() bool {
	for _, r := range p.rules {
		if (PrincipalLimits{r.RecordsPerSecond, r.BytesPerSecond}).any() {
			return true
		}
	}
	return false
}

func matchesAny(ms []config.PrincipalMatch, pr Principal) bool {
	for _, m := range ms {
		switch {
		case m.Name != "" && m.Name == pr.Name,
			m.Prefix != "" && pr.Name != "" && strings.HasPrefix(pr.Name, m.Prefix),
			m.Group != "" && slices.Contains(pr.Groups, m.Group):
			return true
		}
	}
	return false
}

// Allows reports whether the grant covers topic: an empty topic list
// allows every topic.
func (g Grant) Allows(topic string) bool {
	if !g.Matched {
		return false
	}
	if len(g.topics) == 0 {
		return true
	}
	for _, r := range g.topics {
		if (r.Name != "" && r.Name == topic) || (r.Prefix != "" && strings.HasPrefix(topic, r.Prefix)) {
			return true
		}
	}
	return false
}
