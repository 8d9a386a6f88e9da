package proxy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/devbroker"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
)

// failPartition makes the broker answer every produce request for
// topic/partition with the Kafka error code; other requests go through.
func failPartition(b *devbroker.Broker, topic string, partition int32, code int16) {
	c := b.Cluster()
	c.ControlKey(int16(kmsg.Produce), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		req := kreq.(*kmsg.ProduceRequest)
		if len(req.Topics) != 1 || req.Topics[0].Topic != topic ||
			len(req.Topics[0].Partitions) != 1 || req.Topics[0].Partitions[0].Partition != partition {
			return nil, nil, false
		}
		resp := req.ResponseKind().(*kmsg.ProduceResponse)
		resp.Version = req.Version
		rt := kmsg.NewProduceResponseTopic()
		rt.Topic = topic
		rp := kmsg.NewProduceResponseTopicPartition()
		rp.Partition = partition
		rp.ErrorCode = code
		rt.Partitions = append(rt.Partitions, rp)
		resp.Topics = append(resp.Topics, rt)
		return resp, nil, true
	})
}

// docs/produce-api.md, "Delivery guarantees and back-pressure" (Order):
// Kafka's per-partition failures become error reports with the codes of the
// table in "Failures of one record", and Kafka's text as the message, in
// input order between the successes of the other partitions (ok, FAIL, ok),
// and the stream goes on. A consumer finds exactly the records reported 200,
// at their offsets, and nothing of the failed partition.
func TestProduce_KafkaFailuresReportedInOrder(t *testing.T) {
	cases := []struct {
		kafkaCode int16
		name      string
		want      int
		message   string // the start of the failed records' message
	}{
		{29, "TOPIC_AUTHORIZATION_FAILED", 40301, "[29] Topic Authorization Failed: "},
		{3, "UNKNOWN_TOPIC_OR_PARTITION", 40403, "[3] Unknown Topic Or Partition: "},
		{87, "INVALID_RECORD", 40002, "[87] Invalid Record: "},
		{10, "MESSAGE_TOO_LARGE", 413, "[10] Message Size Too Large: "},
		{6, "NOT_LEADER_FOR_PARTITION (retriable)", 50003, "[6] Not Leader For Partition: "},
		{19, "NOT_ENOUGH_REPLICAS (retriable)", 50003, "[19] Not Enough Replicas: "},
		{21, "INVALID_REQUIRED_ACKS (other)", 50002, "[21] Invalid Required Acks: "},
	}
	topics := map[string]int32{}
	for _, c := range cases {
		topics[fmt.Sprintf("fail-%d", c.kafkaCode)] = 3
	}
	b := kafkatest.StartBroker(t, topics)
	for _, c := range cases {
		failPartition(b, fmt.Sprintf("fail-%d", c.kafkaCode), 1, c.kafkaCode)
	}
	cfg := testConfig(b.Addr())
	cfg.Producer.MaxAttempts = 2
	cfg.Producer.DeliveryTimeoutMs = 3000
	ts := startServerConfig(t, cfg, io.Discard)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var body string
			for i := range 6 {
				body += fmt.Sprintf(`{"partition_id":%d,"value":{"type":"STRING","data":"r%d"}}`, i%3, i)
			}
			topic := fmt.Sprintf("fail-%d", c.kafkaCode)
			reports := produceChunked(t, ts.url("c", topic), body)
			if len(reports) != 6 {
				t.Fatalf("%d reports, want 6: %v", len(reports), reports)
			}
			sent := make([]string, 6)
			for i, r := range reports {
				sent[i] = fmt.Sprintf("r%d", i)
				want := 200
				if i%3 == 1 {
					want = c.want
				}
				if r.ErrorCode != want || want != 200 && !strings.HasPrefix(r.Message, c.message) {
					t.Errorf("report %d (partition %d) = %v, want error_code %d (message %q...)", i, i%3, r, want, c.message)
				}
			}
			checkStored(t, sent, reports, storedRecords(t, b.Addr(), topic, 3), 1, false)
		})
	}
}

// docs/produce-api.md, "Refusals before streaming": a topic the broker
// refuses the proxy's principal access to, from metadata, is answered
// 403/40301 before streaming.
func TestProduce_TopicNotAuthorized_40301(t *testing.T) {
	t.Parallel()
	b := kafkatest.StartBroker(t, map[string]int32{"secret": 1})
	c := b.Cluster()
	host, portText, _ := net.SplitHostPort(b.Addr())
	port, _ := strconv.Atoi(portText)
	// kafka-go's transport asks for the whole cluster's metadata; answer
	// every such request with this one broker and the topic refused.
	c.ControlKey(int16(kmsg.Metadata), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		req := kreq.(*kmsg.MetadataRequest)
		resp := req.ResponseKind().(*kmsg.MetadataResponse)
		resp.Version = req.Version
		broker := kmsg.NewMetadataResponseBroker()
		broker.NodeID, broker.Host, broker.Port = 0, host, int32(port)
		resp.Brokers = append(resp.Brokers, broker)
		resp.ControllerID = 0
		rt := kmsg.NewMetadataResponseTopic()
		rt.Topic = kmsg.StringPtr("secret")
		rt.ErrorCode = 29 // TOPIC_AUTHORIZATION_FAILED
		resp.Topics = append(resp.Topics, rt)
		return resp, nil, true
	})
	ts := startServerConfig(t, testConfig(b.Addr()), io.Discard)
	resp, body := post(t, ts.url("c", "secret"), "application/json", oneRecord)
	wantError(t, resp, body, 403, 40301, "Not authorized to access topic secret.")
}

// docs/produce-api.md, "Failures of one record": when Kafka starts refusing
// the proxy's SASL credentials in the middle of a stream, the records fail
// with 40101 (50003 is allowed until the proxy's background check has named
// the cause), the stream goes on, and the password reaches no log line. A
// broker may answer the failed authentication with
// SASL_AUTHENTICATION_FAILED, or just close the connection (kfake does, and
// kafka-go then says only "unexpected EOF").
func TestProduce_KafkaSASLRefusedMidStream_40101(t *testing.T) {
	t.Parallel()
	for _, closeConn := range []bool{false, true} {
		name := "error response"
		if closeConn {
			name = "connection closed"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testSASLRefusedMidStream(t, closeConn)
		})
	}
}

func testSASLRefusedMidStream(t *testing.T, closeConn bool) {
	const password = "pw-7c1e-never-logged"
	b := kafkatest.StartBroker(t, map[string]int32{"sasl": 1},
		kfake.EnableSASL(), kfake.Superuser("PLAIN", "proxy", password))
	passwordFile := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(passwordFile, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(b.Addr())
	cfg.Kafka.SASL = config.KafkaSASL{Mechanism: config.SASLPlain, Username: "proxy", PasswordFile: passwordFile}
	cfg.Producer.MaxAttempts = 1
	cfg.Producer.DeliveryTimeoutMs = 2000
	cfg.Logging.Level = "debug"
	var logs syncBuffer
	ts := startServerConfig(t, cfg, &logs)

	sc := openStream(t, ts.url("c", "sasl"))
	sc.send(oneRecord)
	if r := sc.next(); r.ErrorCode != 200 {
		t.Fatalf("report before the credentials were refused: %v", r)
	}

	// From now on every SASL authentication fails, as after a password
	// rotation on the broker; the proxy's established connection is cut
	// once, so it must authenticate again.
	c := b.Cluster()
	c.ControlKey(int16(kmsg.SASLAuthenticate), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if closeConn {
			return nil, errors.New("invalid sasl"), true
		}
		resp := kreq.ResponseKind().(*kmsg.SASLAuthenticateResponse)
		resp.Version = kreq.GetVersion()
		resp.ErrorCode = 58 // SASL_AUTHENTICATION_FAILED
		resp.ErrorMessage = kmsg.StringPtr("Authentication failed: invalid credentials")
		return resp, nil, true
	})
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		return nil, errors.New("cut the connection"), true
	})

	sc.sendUntil(oneRecord, 40101, 50003, "Kafka's refusal of the credentials")
	// The stream continues: the next record is read and answered too.
	sc.send(oneRecord)
	if r := sc.next(); r.ErrorCode != 40101 && r.ErrorCode != 50003 {
		t.Errorf("record after the 40101: %v", r)
	}
	sc.closeSend()
	if rest := sc.rest(); len(rest) != 0 {
		t.Errorf("extra reports: %v", rest)
	}
	waitFor(t, "the stream's log line", func() bool { return strings.Contains(logs.String(), `"stream finished"`) })
	if strings.Contains(logs.String(), password) {
		t.Errorf("a log line shows the SASL password:\n%s", logs.String())
	}
}

// docs/produce-api.md, "Delivery guarantees and back-pressure": a 200 report
// means the broker acknowledged the record with the configured acks, all
// in-sync replicas by default: the produce requests on the wire carry acks -1
// by default and 1 for producer.acks leader.
func TestProduce_AcksOnTheWire(t *testing.T) {
	t.Parallel()
	for acks, want := range map[string]int16{"": -1, "all": -1, "leader": 1} {
		t.Run("acks="+acks, func(t *testing.T) {
			t.Parallel()
			b := kafkatest.StartBroker(t, map[string]int32{"acks": 1})
			seen := make(chan int16, 100)
			c := b.Cluster()
			c.ControlKey(int16(kmsg.Produce), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
				c.KeepControl()
				seen <- kreq.(*kmsg.ProduceRequest).Acks
				return nil, nil, false // observe only
			})
			cfg := testConfig(b.Addr())
			if acks != "" {
				cfg.Producer.Acks = acks
			}
			ts := startServerConfig(t, cfg, io.Discard)
			if r := postRecords(t, ts.url("c", "acks"), oneRecord); len(r) != 1 || r[0].ErrorCode != 200 {
				t.Fatalf("reports %v", r)
			}
			if got := <-seen; got != want {
				t.Errorf("produce request with acks %d, want %d", got, want)
			}
		})
	}
}
