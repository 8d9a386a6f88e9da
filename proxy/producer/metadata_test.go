package producer

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
)

func TestPartitionsOfKnownAndUnknownTopics(t *testing.T) {
	b := kafkatest.StartBroker(t, map[string]int32{"orders": 3, "events": 1})
	p := newProducer(t, testConfig(b.Addr()))

	for topic, want := range map[string]int{"orders": 3, "events": 1} {
		n, err := p.Partitions(t.Context(), topic)
		if err != nil || n != want {
			t.Errorf("Partitions(%s) = %d, %v; want %d", topic, n, err, want)
		}
	}
	if n, err := p.Partitions(t.Context(), "missing"); !errors.Is(err, ErrUnknownTopic) {
		t.Errorf("Partitions(missing) = %d, %v; want ErrUnknownTopic", n, err)
	}
	if err := p.Ready(t.Context()); err != nil {
		t.Errorf("Ready: %v", err)
	}
}

// A topic created after the producer cached the cluster layout must be found
// at once, not after the transport's metadata TTL, and be writable.
func TestPartitionsSeesTopicCreatedLater(t *testing.T) {
	b := kafkatest.StartBroker(t, map[string]int32{"orders": 1})
	p := newProducer(t, testConfig(b.Addr()))
	if _, err := p.Partitions(t.Context(), "orders"); err != nil { // caches the layout
		t.Fatal(err)
	}

	admin := &kafka.Client{Addr: kafka.TCP(b.Addr())}
	res, err := admin.CreateTopics(t.Context(), &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{Topic: "later", NumPartitions: 2, ReplicationFactor: 1}}})
	if err != nil || res.Errors["later"] != nil {
		t.Fatalf("create topic: %v %v", err, res)
	}

	n, err := p.Partitions(t.Context(), "later")
	if err != nil || n != 2 {
		t.Fatalf("after creation: Partitions = %d, %v; want 2", n, err)
	}
	results := produceAll(t, p, "later", newRecord(1, "", "hello", time.Now()))
	if results[0].Err != nil || results[0].Partition != 1 {
		t.Fatalf("produce to new topic: %s", describe(results[0]))
	}
}

func TestPartitionsWhenBrokerIsUnreachable(t *testing.T) {
	closed := closedPort(t)
	silent := silentListener(t)
	for name, addr := range map[string]string{"closed port": closed, "broker never answers": silent} {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig(addr)
			cfg.Producer.MetadataWaitMs = 300
			p := newProducer(t, cfg)

			n, err := p.Partitions(context.Background(), "orders")
			if !errors.Is(err, ErrUnavailable) {
				t.Errorf("Partitions = %d, %v; want ErrUnavailable", n, err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
			defer cancel()
			if err := p.Ready(ctx); !errors.Is(err, ErrUnavailable) {
				t.Errorf("Ready = %v, want ErrUnavailable", err)
			}
		})
	}
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// silentListener accepts connections and never answers, like a hung broker.
func silentListener(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	return ln.Addr().String()
}
