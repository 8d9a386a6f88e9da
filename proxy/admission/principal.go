package admission

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"time"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// Principal is who a request authenticated as: the name authorization's
// rules match, the per-principal rate limits count against and the log
// line shows (a name, never a secret).
type Principal struct {
	// Kind is the authentication type that named it (config.Auth*).
	Kind string
	// Name is the basic user, "key:" and the first 8 hex digits of an API
	// key's SHA-256, the client certificate's subject CN, or the JWT's
	// principal claim; empty for authentication type none.
	Name string
	// Groups are the JWT's groups claim; nil for the other types.
	Groups []string
	// Expiry is when a JWT stops being valid (its exp plus the leeway);
	// zero for the other types.
	Expiry time.Time
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal a request authenticated as; the
// zero Principal before authentication or with type none.
func PrincipalFrom(ctx context.Context) Principal {
	p, _ := ctx.Value(principalKey{}).(Principal)
	return p
}

// apiKeyPrincipal names an API key: the credentials file gives keys no
// names, so the name is a stable digest prefix that tells keys apart in
// rules and logs without revealing them.
func apiKeyPrincipal(key string) Principal {
	sum := sha256.Sum256([]byte(key))
	return Principal{Kind: config.AuthAPIKey, Name: "key:" + hex.EncodeToString(sum[:4])}
}

// certificatePrincipal names a verified client certificate by its
// subject's common name.
func certificatePrincipal(cs *tls.ConnectionState) Principal {
	return Principal{Kind: config.AuthMTLS, Name: cs.VerifiedChains[0][0].Subject.CommonName}
}
