package proxy

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/restproxy-dev/restproxy-operator/proxy/devbroker"
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

// Spec 4.2 and 6: Kafka's per-partition failures become error reports
// with the codes of the table, in input order between the successes of
// the other partitions (ok, FAIL, ok), and the stream goes on.
func TestProduce_KafkaFailuresReportedInOrder(t *testing.T) {
	cases := []struct {
		kafkaCode int16
		name      string
		want      int
	}{
		{29, "TOPIC_AUTHORIZATION_FAILED", 40301},
		{3, "UNKNOWN_TOPIC_OR_PARTITION", 40403},
		{87, "INVALID_RECORD", 40002},
		{6, "NOT_LEADER_FOR_PARTITION (retriable)", 50003},
		{21, "INVALID_REQUIRED_ACKS (other)", 50002},
	}
	topics := map[string]int32{}
	for _, c := range cases {
		topics[fmt.Sprintf("fail-%d", c.kafkaCode)] = 3
	}
	b, err := devbroker.Start("127.0.0.1:0", topics)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
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
			reports := produceChunked(t, ts.url("c", fmt.Sprintf("fail-%d", c.kafkaCode)), body)
			if len(reports) != 6 {
				t.Fatalf("%d reports, want 6: %v", len(reports), reports)
			}
			for i, r := range reports {
				want := 200
				if i%3 == 1 {
					want = c.want
				}
				if r.ErrorCode != want {
					t.Errorf("report %d (partition %d) = %v, want error_code %d", i, i%3, r, want)
				}
			}
		})
	}
}

// Spec 4.1 (ours): a topic the broker refuses the proxy's principal access
// to, from metadata, is answered 403/40301 before streaming.
func TestProduce_TopicNotAuthorized_40301(t *testing.T) {
	t.Parallel()
	b, err := devbroker.Start("127.0.0.1:0", map[string]int32{"secret": 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
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
