package producer

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	metadataAPI "github.com/segmentio/kafka-go/protocol/metadata"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
)

// Cluster reads the brokers' metadata: the cluster id, the controller,
// every topic sorted by name with its partitions, leaders and replicas,
// and which topics the brokers mark internal.
func TestClusterSnapshot(t *testing.T) {
	b := kafkatest.StartBroker(t, map[string]int32{"orders": 3, "audit": 1},
		kfake.NumBrokers(3), kfake.ClusterID("lkc-test"))
	kafkatest.CreateInternalTopic(t, b.Addr(), "sys", 2)
	p := newProducer(t, testConfig(b.Addr()))

	c, err := p.Cluster(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != "lkc-test" || c.Controller < 0 {
		t.Errorf("cluster id %q, controller %d; want lkc-test and a controller", c.ID, c.Controller)
	}
	var names []string
	for _, topic := range c.Topics {
		names = append(names, topic.Name)
	}
	if want := []string{"audit", "orders", "sys"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("topics %v, want %v", names, want)
	}
	orders, _ := c.Topic("orders")
	if orders.Internal || len(orders.Partitions) != 3 {
		t.Errorf("orders: %+v, want 3 partitions, not internal", orders)
	}
	for i, part := range orders.Partitions {
		if part.ID != int32(i) || part.Leader != b.Cluster().LeaderFor("orders", int32(i)) || len(part.Replicas) == 0 || part.Replicas[0] != part.Leader {
			t.Errorf("orders partition %d: %+v, want id %d led by broker %d", i, part, i, b.Cluster().LeaderFor("orders", int32(i)))
		}
	}
	if sys, _ := c.Topic("sys"); !sys.Internal || len(sys.Partitions[0].Replicas) != 2 {
		t.Errorf("sys: %+v, want internal with 2 replicas", sys)
	}
	if _, ok := c.Topic("missing"); ok {
		t.Error("Topic(missing) found")
	}
	if _, ok := orders.Partition(3); ok {
		t.Error("Partition(3) of a 3-partition topic found")
	}
}

// A stale snapshot is answered at once while one fetch renews it; the
// renewed one shows what changed.
func TestClusterRenewsStaleSnapshot(t *testing.T) {
	b := kafkatest.StartBroker(t, map[string]int32{"orders": 1})
	p := newProducer(t, testConfig(b.Addr()))
	first, err := p.Cluster(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	admin := &kafka.Client{Addr: kafka.TCP(b.Addr())}
	if res, err := admin.CreateTopics(t.Context(), &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{Topic: "later", NumPartitions: 1, ReplicationFactor: 1}}}); err != nil || res.Errors["later"] != nil {
		t.Fatalf("create topic: %v %v", err, res)
	}
	if again, _ := p.Cluster(t.Context()); again != first {
		t.Fatal("a fresh snapshot was not reused")
	}
	// Age the snapshot, and the transport's last refresh with it.
	cc := &p.meta.clusterCache
	cc.mu.Lock()
	cc.at = time.Now().Add(-time.Hour)
	cc.mu.Unlock()
	p.meta.refreshMu.Lock()
	p.meta.refreshed = time.Time{}
	p.meta.refreshMu.Unlock()
	if stale, err := p.Cluster(t.Context()); err != nil || stale != first {
		t.Fatalf("stale snapshot: %v, %v; want the stale one at once", stale, err)
	}
	deadline := time.Now().Add(waitLimit)
	for {
		c, err := p.Cluster(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if c != first {
			if _, ok := c.Topic("later"); !ok {
				t.Fatalf("the renewed snapshot lacks the topic created meanwhile: %+v", c.Topics)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the stale snapshot was never renewed")
		}
		time.Sleep(5 * time.Millisecond) // polling the background fetch
	}
}

// With no broker, Cluster fails with ErrUnavailable within the metadata
// wait.
func TestClusterWhenBrokerIsUnreachable(t *testing.T) {
	cfg := testConfig(silentListener(t))
	cfg.Producer.MetadataWaitMs = 300
	p := newProducer(t, cfg)
	start := time.Now()
	if c, err := p.Cluster(context.Background()); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Cluster = %+v, %v; want ErrUnavailable", c, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Cluster took %s, want about the 300ms metadata wait", d)
	}
}

// snapshot keeps what discovery shows, sorted, and shares no slice with
// the transport's cached answer.
func TestSnapshot(t *testing.T) {
	res := &metadataAPI.Response{
		ClusterID:    "c",
		ControllerID: 9, // not among the brokers: unknown
		Brokers:      []metadataAPI.ResponseBroker{{NodeID: 1}, {NodeID: 2}},
		Topics: []metadataAPI.ResponseTopic{
			{Name: "b", Partitions: []metadataAPI.ResponsePartition{
				{PartitionIndex: 1, LeaderID: -1, ReplicaNodes: []int32{2}},
				{PartitionIndex: 0, LeaderID: 1, ReplicaNodes: []int32{1, 2}, IsrNodes: []int32{1}},
			}},
			{Name: "creating", ErrorCode: int16(kafka.LeaderNotAvailable)},
			{Name: "a", IsInternal: true},
		},
	}
	got := snapshot(res)
	want := &Cluster{ID: "c", Controller: -1, Topics: []Topic{
		{Name: "a", Internal: true, Partitions: []Partition{}},
		{Name: "b", Partitions: []Partition{
			{ID: 0, Leader: 1, Replicas: []int32{1, 2}, ISR: []int32{1}},
			{ID: 1, Leader: -1, Replicas: []int32{2}},
		}},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("snapshot =\n%+v\nwant\n%+v", got, want)
	}
	res.Topics[0].Partitions[1].ReplicaNodes[0] = 7
	if got.Topics[1].Partitions[0].Replicas[0] != 1 {
		t.Error("the snapshot shares its replicas with the transport's answer")
	}
	res.ControllerID = 2
	if c := snapshot(res); c.Controller != 2 {
		t.Errorf("controller %d, want 2", c.Controller)
	}
}
