package proxy

import (
	"io"
	"net"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
)

// docs/produce-api.md, "Failures of one record" (40403, the topic or
// partition vanished): a topic whose metadata turns to no partitions in the
// middle of a stream (being deleted or recreated) fails the stream's records
// with 40403, the stream goes on, its records succeed again once the topic is
// back, and the server still shuts down cleanly (startServerConfig's cleanup
// checks): a failure inside the Kafka client's partitioner must not leak the
// producer's lock or its in-flight accounting.
func TestProduce_TopicVanishedMidStream_40403(t *testing.T) {
	t.Parallel()
	b := kafkatest.StartBroker(t, map[string]int32{"vanishing": 1})
	ts := startServerConfig(t, testConfig(b.Addr()), io.Discard)
	sc := openStream(t, ts.url("c", "vanishing"))
	sc.send(oneRecord)
	if r := sc.next(); r.ErrorCode != 200 {
		t.Fatalf("first report %v", r)
	}

	// From now on the broker lists the topic with no partitions.
	var vanished atomic.Bool
	vanished.Store(true)
	c := b.Cluster()
	host, portText, _ := net.SplitHostPort(b.Addr())
	port, _ := strconv.Atoi(portText)
	c.ControlKey(int16(kmsg.Metadata), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if !vanished.Load() {
			return nil, nil, false
		}
		req := kreq.(*kmsg.MetadataRequest)
		resp := req.ResponseKind().(*kmsg.MetadataResponse)
		resp.Version = req.Version
		broker := kmsg.NewMetadataResponseBroker()
		broker.NodeID, broker.Host, broker.Port = 0, host, int32(port)
		resp.Brokers = append(resp.Brokers, broker)
		rt := kmsg.NewMetadataResponseTopic()
		rt.Topic = kmsg.StringPtr("vanishing")
		resp.Topics = append(resp.Topics, rt)
		return resp, nil, true
	})
	// A request for an unknown topic makes the proxy refresh its layout.
	resp, body := post(t, ts.url("c", "nope"), "application/json", oneRecord)
	wantError(t, resp, body, 404, 40401, "Topic nope cannot be found.")

	for i := range 3 {
		sc.send(oneRecord)
		if r := sc.next(); r.ErrorCode != 40403 {
			t.Errorf("record %d to a topic without partitions: %v, want 40403", i, r)
		}
	}

	// The topic is back: the proxy's metadata refresh finds it again.
	vanished.Store(false)
	sc.sendUntil(oneRecord, 200, 40403, "the topic's return")
	sc.closeSend()
	if rest := sc.rest(); len(rest) != 0 {
		t.Errorf("extra reports: %v", rest)
	}
}
