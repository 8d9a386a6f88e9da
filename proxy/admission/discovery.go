package admission

import "context"

// Allowed reports whether the principal on ctx (Authenticate put it there)
// may see and produce to topic: the discovery endpoints show only those.
func (ac *Access) Allowed(ctx context.Context, topic string) bool {
	return ac.policy.grant(PrincipalFrom(ctx)).Allows(topic)
}

// HasPrincipalLimits reports whether a rule of authorization.rules sets
// rate limits of its own, which the RateLimiter then counts.
func (ac *Access) HasPrincipalLimits() bool { return ac.policy.hasPrincipalLimits() }
