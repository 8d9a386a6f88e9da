package admission

import (
	"crypto/tls"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/reload"
)

// Access is the produce endpoint's authentication (401/40101) and topic
// authorization (403/40301), configured by the authentication and
// authorization keys. It runs after routing and before
// any other check of the request, so an unauthenticated client learns
// nothing about topics or clusters.
type Access struct {
	kind        string           // config.Auth*
	credentials *credentialsFile // basic and apiKey
	bcrypt      *bcryptRuns      // per client address
	jwt         *jwtVerifier     // jwt
	policy      policy
}

// bcryptRunsPerAddress is how many bcrypt runs one client address may cause
// per second: a few failed logins are normal, a stream of them is guessing.
const bcryptRunsPerAddress = 10

// NewAccess builds the access control of the authentication and
// authorization keys. log and m receive the credentials file's reloads
// (package reload); either may be nil.
func NewAccess(a config.Authentication, z config.Authorization, log *slog.Logger, m reload.Metrics) (*Access, error) {
	ac := &Access{kind: a.Type, policy: policy{topics: z.Topics, rules: z.Rules}, bcrypt: newBcryptRuns(bcryptRunsPerAddress)}
	switch a.Type {
	case config.AuthJWT:
		v, err := newJWTVerifier(a.JWT, log, m)
		if err != nil {
			return nil, err
		}
		ac.jwt = v
	case config.AuthBasic, config.AuthAPIKey:
		f, err := newCredentialsFile(a.CredentialsFile, a.Type == config.AuthBasic, log, m)
		if err != nil {
			return nil, err
		}
		ac.credentials = f
	}
	return ac, nil
}

// Admit returns the refusal of a request that may not produce, or nil.
// An admitted request's context carries its Principal.
func (ac *Access) Admit(c echo.Context) *apierror.Error {
	if rerr := ac.Authenticate(c); rerr != nil {
		return rerr
	}
	topic, ok := PathParam(c, "topic_name")
	if !ok {
		return apierror.New(apierror.PathNotFound)
	}
	if !ac.GrantOf(c).Allows(topic) {
		return apierror.New(apierror.TopicForbidden, topic)
	}
	return nil
}

// Authenticate returns the refusal of a request without valid credentials
// of the configured type, or nil, and puts the principal on the request's
// context. The discovery endpoints, which name no topic to authorize,
// run it alone.
func (ac *Access) Authenticate(c echo.Context) *apierror.Error {
	p, rerr := ac.authenticate(c)
	if rerr != nil {
		return rerr
	}
	req := c.Request()
	c.SetRequest(req.WithContext(WithPrincipal(req.Context(), p)))
	return nil
}

// GrantOf is what the authenticated request's principal is granted.
func (ac *Access) GrantOf(c echo.Context) Grant {
	return ac.policy.grant(PrincipalFrom(c.Request().Context()))
}

// PathParam returns a path parameter decoded once, whatever echo routed
// on: the decoded path, or the raw path when the request escaped a byte
// that needs no escape (echo then hands the parameter over still escaped).
// Routing, the allow-list and the reports all see the one name. ok is false
// for an escape that does not decode.
func PathParam(c echo.Context, name string) (value string, ok bool) {
	v := c.Param(name)
	if c.Request().URL.RawPath == "" {
		return v, true
	}
	u, err := url.PathUnescape(v)
	return u, err == nil
}

// authenticate returns the principal of a request with valid credentials
// of the configured type, or the refusal.
func (ac *Access) authenticate(c echo.Context) (Principal, *apierror.Error) {
	req := c.Request()
	if len(req.Header.Values(echo.HeaderAuthorization)) > 1 {
		// Which one a component behind the proxy would read is anyone's
		// guess: refuse rather than pick.
		return Principal{}, apierror.New(apierror.AmbiguousCredentials)
	}
	switch ac.kind {
	case config.AuthBasic:
		user, secret, ok := req.BasicAuth()
		if !ok {
			return Principal{}, unauthenticated(`Basic realm="restproxy"`)
		}
		return Principal{Kind: ac.kind, Name: user}, ac.checkFrom(req.RemoteAddr, user, secret, `Basic realm="restproxy"`)
	case config.AuthAPIKey:
		key, ok := bearerToken(req.Header.Get(echo.HeaderAuthorization))
		if !ok {
			return Principal{}, unauthenticated("Bearer")
		}
		return apiKeyPrincipal(key), ac.checkFrom(req.RemoteAddr, "", key, "Bearer")
	case config.AuthJWT:
		token, ok := bearerToken(req.Header.Get(echo.HeaderAuthorization))
		if !ok {
			return Principal{}, unauthenticated("Bearer")
		}
		return ac.jwt.verify(req.Context(), token)
	case config.AuthMTLS:
		// The TLS layer verifies a certificate the client presents
		// against http.tls.clientCAFile and refuses one the CA did not
		// sign; a client that presents none gets here. No registered
		// HTTP scheme names TLS client certificates: the challenge only
		// tells a person what is expected.
		if !verifiedClient(req.TLS) {
			return Principal{}, unauthenticated(`ClientCertificate realm="restproxy"`)
		}
		return certificatePrincipal(req.TLS), nil
	}
	return Principal{Kind: ac.kind}, nil
}

// bearerToken returns the token of an "Authorization: Bearer <token>"
// header. The scheme name is case-insensitive (RFC 7235 section 2.1), as
// net/http's BasicAuth treats "Basic": clients that send "bearer" are
// right.
func bearerToken(header string) (token string, ok bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}

// check ignores the file's re-read error: package reload logged and
// counted it, and the last good credentials answered.
func (ac *Access) check(user, secret string) bool {
	ok, _ := ac.credentials.check(user, secret)
	return ok
}

// checkFrom is check for a request from addr, whose bcrypt runs are
// bounded; it returns the refusal, nil when the credentials are valid.
func (ac *Access) checkFrom(addr, user, secret, challenge string) *apierror.Error {
	ok, limited, _ := ac.credentials.checkLimited(user, secret, func() bool { return ac.bcrypt.allow(addr) })
	switch {
	case ok:
		return nil
	case limited:
		return apierror.New(apierror.TooManyAuthAttempts)
	}
	return unauthenticated(challenge)
}

func verifiedClient(cs *tls.ConnectionState) bool {
	return cs != nil && len(cs.VerifiedChains) > 0
}

// unauthenticated is the 401 with the challenge of the configured scheme.
func unauthenticated(challenge string) *apierror.Error {
	return apierror.Challenge(apierror.New(apierror.Unauthenticated), challenge)
}

// Credentials is what a stream re-checks of the credentials it was
// admitted with, at most once a second: a key revoked in the credentials
// file ends the streams that use it, not only new requests.
type Credentials struct {
	ac           *Access
	user, secret string
	expiry       time.Time // jwt: the token's exp plus the leeway
}

// Credentials returns the re-check of the request's credentials, or nil
// when the authentication type has nothing to re-check (none, or mtls,
// whose certificate was checked by the handshake).
func (ac *Access) Credentials(c echo.Context) *Credentials {
	req := c.Request()
	switch ac.kind {
	case config.AuthBasic:
		user, secret, _ := req.BasicAuth()
		return &Credentials{ac: ac, user: user, secret: secret}
	case config.AuthAPIKey:
		key, _ := bearerToken(req.Header.Get(echo.HeaderAuthorization))
		return &Credentials{ac: ac, secret: key}
	case config.AuthJWT:
		return &Credentials{ac: ac, expiry: PrincipalFrom(req.Context()).Expiry}
	}
	return nil
}

// Valid reports whether the credentials are still in the credentials file
// (re-read at most once a second; a file that cannot be read keeps its
// last good version), or for a JWT whether it has not expired: a stream
// ends with its token.
func (c *Credentials) Valid() bool {
	if c.ac.kind == config.AuthJWT {
		return c.ac.jwt.now().Before(c.expiry)
	}
	return c.ac.check(c.user, c.secret)
}
