// Package kafkatest starts a test broker and reads back what it stored, for
// tests only.
// It uses kafka-go, a client independent of the producer under test, so a
// test checks what Kafka holds rather than what the proxy says it wrote. It
// is a normal package rather than a _test.go file so that the tests of the
// proxy and of its producer share one way of reading back.
package kafkatest

import (
	"context"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/restproxy-dev/restproxy-operator/proxy/devbroker"
)

// StartBroker starts a broker of the test's own on a free loopback port,
// holding topics, and stops it when the test ends.
func StartBroker(t testing.TB, topics map[string]int32, opts ...kfake.Opt) *devbroker.Broker {
	t.Helper()
	b, err := devbroker.Start("127.0.0.1:0", topics, opts...)
	if err != nil {
		t.Fatalf("start test broker: %v", err)
	}
	t.Cleanup(b.Close)
	return b
}

// waitLimit bounds every read; it is far above what any read needs, so it
// only turns a hang into a failure.
const waitLimit = 20 * time.Second

// EndOffset is the next offset of one partition: how many records it holds
// when it started empty.
func EndOffset(t testing.TB, addr, topic string, partition int) int64 {
	t.Helper()
	return EndOffsetWith(t, kafka.DefaultDialer, addr, topic, partition)
}

// EndOffsetWith is EndOffset through d, which carries the TLS or SASL
// settings a secured broker requires.
func EndOffsetWith(t testing.TB, d *kafka.Dialer, addr, topic string, partition int) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	conn, err := d.DialLeader(ctx, "tcp", addr, topic, partition)
	if err != nil {
		t.Fatalf("dial leader of %s/%d at %s: %v", topic, partition, addr, err)
	}
	defer conn.Close()
	last, err := conn.ReadLastOffset()
	if err != nil {
		t.Fatalf("read end offset of %s/%d: %v", topic, partition, err)
	}
	return last
}

// Read consumes n records of rc.Topic/rc.Partition from offset on (an
// offset or kafka.FirstOffset), failing the test if they do not all arrive
// within the wait limit. rc names the broker and carries any TLS or SASL
// dialer; Read sets a short MaxWait and, if unset, room for large records.
func Read(t testing.TB, rc kafka.ReaderConfig, offset int64, n int) []kafka.Message {
	t.Helper()
	rc.MaxWait = 50 * time.Millisecond
	if rc.MaxBytes == 0 {
		rc.MinBytes, rc.MaxBytes = 1, 8<<20
	}
	r := kafka.NewReader(rc)
	defer r.Close()
	if err := r.SetOffset(offset); err != nil {
		t.Fatalf("seek %s/%d to %d: %v", rc.Topic, rc.Partition, offset, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	out := make([]kafka.Message, 0, n)
	for len(out) < n {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("read %s/%d from offset %d after %d of %d records: %v", rc.Topic, rc.Partition, offset, len(out), n, err)
		}
		out = append(out, m)
	}
	return out
}

// CreateInternalTopic creates topic with one partition and replicas
// replicas, and has the test broker mark it internal, as Kafka marks
// __consumer_offsets. The mark is set after creation: kafka-go's
// CreateTopics waits for the topic to appear in its layout, which leaves
// internal topics out.
func CreateInternalTopic(t testing.TB, addr, topic string, replicas int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	admin := &kafka.Client{Addr: kafka.TCP(addr)}
	res, err := admin.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{
		Topic: topic, NumPartitions: 1, ReplicationFactor: replicas,
	}}})
	if err != nil || res.Errors[topic] != nil {
		t.Fatalf("create topic %s: %v %v", topic, err, res)
	}
	alter, err := admin.AlterConfigs(ctx, &kafka.AlterConfigsRequest{Resources: []kafka.AlterConfigRequestResource{{
		ResourceType: kafka.ResourceTypeTopic, ResourceName: topic,
		Configs: []kafka.AlterConfigRequestConfig{{Name: "kfake.is_internal", Value: "true"}},
	}}})
	if err != nil {
		t.Fatalf("mark topic %s internal: %v", topic, err)
	}
	for r, err := range alter.Errors {
		if err != nil {
			t.Fatalf("mark topic %s internal: %v: %v", topic, r, err)
		}
	}
}
