package config

import "fmt"

// Who the proxy is to Kafka (kafka.identity).
const (
	// IdentityProxy writes every record with kafka.sasl's credentials.
	IdentityProxy = "proxy"
	// IdentityPrincipal writes each client's records with the Kafka
	// credentials kafka.principals maps its principal to, so Kafka's ACLs
	// apply per client.
	IdentityPrincipal = "principal"
)

// KafkaIdentity is the kafka keys of producing as the caller. Its keys
// are kafka's own ("kafka.identity").
type KafkaIdentity struct {
	Identity   string           `json:"identity"`
	Principals []KafkaPrincipal `json:"principals"`
	// MaxPrincipalWriters bounds the Kafka writers of principals open at
	// once; the one used least recently is closed to make room.
	MaxPrincipalWriters int `json:"maxPrincipalWriters"`
	// PrincipalWriterIdleMs closes a principal's writer unused for this
	// long.
	PrincipalWriterIdleMs int64 `json:"principalWriterIdleMs"`
}

// KafkaPrincipal maps a client's principal to its Kafka SASL user, with
// kafka.sasl.mechanism; the password lives in a file, re-read whenever a
// writer for the principal is opened.
type KafkaPrincipal struct {
	Principal    string `json:"principal"`
	Username     string `json:"username"`
	PasswordFile string `json:"passwordFile"`
}

var defaultKafkaIdentity = KafkaIdentity{
	Identity: IdentityProxy, Principals: []KafkaPrincipal{}, MaxPrincipalWriters: 100, PrincipalWriterIdleMs: 300000,
}

func (v *validator) kafkaIdentity(k Kafka, authType string) {
	v.oneOf("kafka.identity", k.Identity, IdentityProxy, IdentityPrincipal)
	v.positive("kafka.maxPrincipalWriters", int64(k.MaxPrincipalWriters))
	v.positive("kafka.principalWriterIdleMs", k.PrincipalWriterIdleMs)
	if k.Identity != IdentityPrincipal {
		return
	}
	if k.SASL.Mechanism == SASLNone {
		v.bad("kafka.identity", "principal needs kafka.sasl.mechanism: the principals' credentials are SASL users")
	}
	if authType == AuthNone {
		v.bad("kafka.identity", "principal needs authentication: with type none no client has a name")
	}
	seen := map[string]bool{}
	for i, p := range k.Principals {
		field := fmt.Sprintf("kafka.principals[%d]", i)
		switch {
		case p.Principal == "":
			v.bad(field+".principal", "must not be empty")
		case seen[p.Principal]:
			v.bad(field+".principal", "%q is mapped twice", p.Principal)
		}
		seen[p.Principal] = true
		if p.Username == "" {
			v.bad(field+".username", "must not be empty")
		}
		if p.PasswordFile == "" {
			v.bad(field+".passwordFile", "must not be empty")
		}
	}
}
