package admission

import "context"

// Allowed reports whether the principal on ctx (Authenticate put it there)
// may see and produce to topic: the discovery endpoints show only those.
func (ac *Access) Allowed(ctx context.Context, topic string) bool {
	return ac.policy.grant(PrincipalFrom(ctx)).Allows(topic)
}
