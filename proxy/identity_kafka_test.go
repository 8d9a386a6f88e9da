package proxy

import (
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
)

// docs/configuration.md, "kafka.identity": with principal, each client's
// records are written as its own Kafka user, so Kafka's ACLs decide per
// client. alice's Kafka user may write the topic, bob's may not: alice's
// record is stored, bob's is reported 40301 naming the topic and nothing
// of his is stored; a client no Kafka user is mapped to gets 40101 and is
// never written as the proxy.
func TestProduce_AsThePrincipal(t *testing.T) {
	t.Parallel()
	acl := func(op kmsg.ACLOperation) kfake.ACL {
		return kfake.ACL{Resource: kmsg.ACLResourceTypeTopic, Name: "ledger", Pattern: kmsg.ACLResourcePatternTypeLiteral, Operation: op, Allow: true}
	}
	b := kafkatest.StartBroker(t, map[string]int32{"ledger": 1},
		kfake.EnableSASL(), kfake.EnableACLs(),
		kfake.Superuser(config.SASLPlain, "admin", "admin-secret"),
		// The proxy's own user reads metadata and may write too: a record
		// written as the proxy would be stored, which the test would see.
		kfake.User(config.SASLPlain, "proxy", "proxy-secret", acl(kmsg.ACLOperationDescribe), acl(kmsg.ACLOperationWrite)),
		kfake.User(config.SASLPlain, "kafka-alice", "alice-kafka-secret", acl(kmsg.ACLOperationWrite)),
		kfake.User(config.SASLPlain, "kafka-bob", "bob-kafka-secret", acl(kmsg.ACLOperationDescribe)),
	)
	dir := t.TempDir()
	for name, content := range map[string]string{"proxy": "proxy-secret", "alice": "alice-kafka-secret", "bob": "bob-kafka-secret", "users": "alice:a\nbob:b\ncarol:c\n"} {
		writeCredentials(t, dir+"/"+name, content)
	}
	cfg := testConfig(b.Addr())
	cfg.Kafka.SASL = config.KafkaSASL{Mechanism: config.SASLPlain, Username: "proxy", PasswordFile: dir + "/proxy"}
	cfg.Kafka.Identity = config.IdentityPrincipal
	cfg.Kafka.Principals = []config.KafkaPrincipal{
		{Principal: "alice", Username: "kafka-alice", PasswordFile: dir + "/alice"},
		{Principal: "bob", Username: "kafka-bob", PasswordFile: dir + "/bob"},
	}
	cfg.Kafka.MaxPrincipalWriters = 1 // bob's writer replaces alice's
	cfg.Authentication = config.Authentication{Type: config.AuthBasic, CredentialsFile: dir + "/users"}
	cfg.Producer.MaxAttempts = 1
	ts := startServerConfig(t, cfg, &syncBuffer{})
	url := ts.url("c", "ledger")

	for _, c := range []struct {
		who, secret string
		code        int
		message     string
	}{
		{"alice", "a", 200, ""},
		{"bob", "b", 40301, "[29] Topic Authorization Failed: "},
		{"carol", "c", 40101, `no Kafka user is mapped to the principal in kafka.principals: "carol"`},
		{"alice", "a", 200, ""}, // her writer is opened again
	} {
		body := `{"value":{"type":"STRING","data":"from ` + c.who + `"}}`
		resp, raw := produceBodyAs(t, url, basic(c.who, c.secret), body)
		reports := parseReports(t, raw)
		if resp.StatusCode != 200 || len(reports) != 1 || reports[0].ErrorCode != c.code || !strings.Contains(reports[0].Message, c.message) ||
			(c.code == 40301 && !strings.HasSuffix(reports[0].Message, "(topic ledger)")) {
			t.Errorf("%s: %d %v, want one report %d containing %q", c.who, resp.StatusCode, reports, c.code, c.message)
		}
	}
	admin := &kafka.Dialer{Timeout: 5 * time.Second, SASLMechanism: plain.Mechanism{Username: "admin", Password: "admin-secret"}}
	if n := kafkatest.EndOffsetWith(t, admin, b.Addr(), "ledger", 0); n != 2 {
		t.Errorf("ledger holds %d records, want alice's 2 only", n)
	}
	for _, m := range kafkatest.Read(t, kafka.ReaderConfig{Brokers: []string{b.Addr()}, Topic: "ledger", Dialer: admin}, kafka.FirstOffset, 2) {
		if string(m.Value) != "from alice" {
			t.Errorf("ledger stores %q, want only alice's records", m.Value)
		}
	}
}
