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

// Issue 5: Kafka-side authorization, with real ACLs on the broker. The
// proxy's principal may write "writable" and only describe "readonly":
// records to "writable" are stored; records to "readonly" are each
// reported 40301 in the stream, which goes on, and nothing is stored; a
// topic the principal may not even describe is refused before streaming,
// as unknown, since Kafka hides it.
func TestProduce_KafkaACLs_40301(t *testing.T) {
	t.Parallel()
	topicACL := func(topic string, op kmsg.ACLOperation) kfake.ACL {
		return kfake.ACL{Resource: kmsg.ACLResourceTypeTopic, Name: topic, Pattern: kmsg.ACLResourcePatternTypeLiteral, Operation: op, Allow: true}
	}
	b := kafkatest.StartBroker(t, map[string]int32{"writable": 1, "readonly": 1, "hidden": 1},
		kfake.EnableSASL(), kfake.EnableACLs(),
		kfake.Superuser(config.SASLPlain, "admin", "admin-secret"),
		kfake.User(config.SASLPlain, "proxy", "proxy-secret",
			topicACL("writable", kmsg.ACLOperationWrite),
			topicACL("readonly", kmsg.ACLOperationDescribe)),
	)
	passwordFile := t.TempDir() + "/password"
	writeCredentials(t, passwordFile, "proxy-secret")
	cfg := testConfig(b.Addr())
	cfg.Kafka.SASL = config.KafkaSASL{Mechanism: config.SASLPlain, Username: "proxy", PasswordFile: passwordFile}
	cfg.Producer.MaxAttempts = 1
	ts := startServerConfig(t, cfg, &syncBuffer{})
	admin := &kafka.Dialer{Timeout: 5 * time.Second, SASLMechanism: plain.Mechanism{Username: "admin", Password: "admin-secret"}}

	if reports := produce(t, ts.url("c", "writable"), oneRecord); len(reports) != 1 || reports[0].ErrorCode != 200 {
		t.Fatalf("writable topic: %v, want one success", reports)
	}
	stored := kafkatest.Read(t, kafka.ReaderConfig{Brokers: []string{b.Addr()}, Topic: "writable", Dialer: admin}, kafka.FirstOffset, 1)
	if string(stored[0].Value) != "hello" {
		t.Errorf("writable topic stores %q, want hello", stored[0].Value)
	}

	reports := produce(t, ts.url("c", "readonly"), oneRecord+oneRecord)
	if len(reports) != 2 {
		t.Fatalf("readonly topic: %d reports, want 2: %v", len(reports), reports)
	}
	for i, r := range reports {
		if r.ErrorCode != 40301 || !strings.Contains(r.Message, "Topic Authorization Failed") {
			t.Errorf("readonly topic, report %d: %v, want 40301 naming the topic authorization failure", i, r)
		}
	}

	// Kafka lists only the topics a principal may describe, so to the
	// proxy's cluster-wide metadata request this one does not exist. (A
	// broker that answers TOPIC_AUTHORIZATION_FAILED for it gets 403:
	// TestProduce_TopicNotAuthorized_40301.)
	resp, body := post(t, ts.url("c", "hidden"), "application/json", oneRecord)
	wantError(t, resp, body, 404, 40401, "Topic hidden cannot be found.")
	for _, topic := range []string{"readonly", "hidden"} {
		if n := endOffsetWith(t, admin, b.Addr(), topic); n != 0 {
			t.Errorf("topic %s holds %d records, want 0", topic, n)
		}
	}
}
