package producer

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/restproxy-dev/restproxy-operator/proxy/devbroker"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
)

// failProduce answers the next produce request with code for every
// partition it carries, as a broker would.
func failProduce(code int16) func(kmsg.Request) (kmsg.Response, error, bool) {
	return func(req kmsg.Request) (kmsg.Response, error, bool) {
		preq := req.(*kmsg.ProduceRequest)
		resp := preq.ResponseKind().(*kmsg.ProduceResponse)
		for _, rt := range preq.Topics {
			st := kmsg.NewProduceResponseTopic()
			st.Topic, st.TopicID = rt.Topic, rt.TopicID
			for _, rp := range rt.Partitions {
				sp := kmsg.NewProduceResponseTopicPartition()
				sp.Partition = rp.Partition
				sp.ErrorCode = code
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	}
}

func TestBrokerErrorsBecomeAPICodes(t *testing.T) {
	tests := []struct {
		kafka *kerr.Error
		want  int
	}{
		{kerr.NotLeaderForPartition, 50003},
		{kerr.UnknownTopicOrPartition, 40403},
		{kerr.InvalidRecord, 40002},
		{kerr.CorruptMessage, 40002},
		{kerr.TopicAuthorizationFailed, 40301},
		{kerr.MessageTooLarge, 413},
		{kerr.NotEnoughReplicas, 50003},
		{kerr.UnknownServerError, 50002},
	}
	b := kafkatest.StartBroker(t, map[string]int32{"orders": 1})
	cfg := testConfig(b.Addr())
	cfg.Producer.MaxAttempts = 1 // each injected answer is the final one
	p := newProducer(t, cfg)
	if _, err := p.Partitions(t.Context(), "orders"); err != nil {
		t.Fatal(err)
	}

	for _, tt := range tests {
		t.Run(tt.kafka.Message, func(t *testing.T) {
			b.Cluster().ControlKey(int16(kmsg.Produce), failProduce(tt.kafka.Code))
			res := produceAll(t, p, "orders", newRecord(0, "k", "v", time.Now()))[0]
			if res.Err == nil || res.Err.Code() != tt.want {
				t.Fatalf("after %s: %s, want error %d", tt.kafka.Message, describe(res), tt.want)
			}
			if strings.ContainsAny(res.Err.Message, "\r\n") || res.Err.Message == "" {
				t.Errorf("message %q: want one non-empty line", res.Err.Message)
			}
			// The injected answer was used up: the next record goes through.
			if res := produceAll(t, p, "orders", newRecord(0, "k", "v", time.Now()))[0]; res.Err != nil {
				t.Errorf("next record: %s, want success", describe(res))
			}
		})
	}
}

func TestRetriableErrorIsRetried(t *testing.T) {
	b := kafkatest.StartBroker(t, map[string]int32{"orders": 1})
	p := newProducer(t, testConfig(b.Addr())) // maxAttempts 3
	var rejected atomic.Int32
	b.Cluster().ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		rejected.Add(1)
		return failProduce(kerr.NotEnoughReplicas.Code)(req)
	})
	res := produceAll(t, p, "orders", newRecord(0, "k", "v", time.Now()))[0]
	if res.Err != nil || res.Offset != 0 {
		t.Fatalf("%s, want success at offset 0 after one rejected attempt", describe(res))
	}
	if n := rejected.Load(); n != 1 {
		t.Errorf("broker rejected %d attempts, want 1", n)
	}
}

// A broker that takes produce requests and never answers must not hold
// records past the delivery timeout. kafka-go keeps the records until its
// own attempts end; once the broker answers again they must be accounted
// for, so they do not count against later records.
func TestDeliveryTimeoutWhenBrokerHangs(t *testing.T) {
	b := kafkatest.StartBroker(t, map[string]int32{"orders": 2})
	p, hung := hangingProducer(t, b)

	start := time.Now()
	results := produceAll(t, p, "orders",
		newRecord(0, "", "a", time.Now()), newRecord(1, "", "b", time.Now()), newRecord(0, "", "c", time.Now()))
	for i, res := range results {
		if res.Err == nil || res.Err.Code() != 50003 {
			t.Errorf("record %d: %s, want 50003", i, describe(res))
		}
	}
	t.Logf("all reported after %s (delivery timeout 400ms)", time.Since(start))

	hung.Store(false)
	deadline := time.Now().Add(waitLimit)
	for held(p) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("kafka-go still holds %d timed-out records after the broker recovered", held(p))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if res := produceAll(t, p, "orders", newRecord(0, "", "after", time.Now()))[0]; res.Err != nil {
		t.Errorf("after recovery: %s, want success", describe(res))
	}
	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// Close must return even while kafka-go is still retrying for a hung broker.
func TestCloseWhileBrokerHangs(t *testing.T) {
	b := kafkatest.StartBroker(t, map[string]int32{"orders": 1})
	p, _ := hangingProducer(t, b)
	var reported atomic.Int32
	for range 5 {
		p.Produce("orders", newRecord(0, "", "v", time.Now()), func(r Result) {
			if r.Err != nil && r.Err.Code() == 50003 {
				reported.Add(1)
			}
		})
	}
	closed := make(chan error, 1)
	go func() { closed <- p.Close() }()
	select {
	case err := <-closed:
		if err != nil && !strings.Contains(err.Error(), "still retrying") {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Close hangs while the broker does not answer")
	}
	if n := reported.Load(); n != 5 {
		t.Errorf("%d records reported 50003 by the time Close returned, want 5", n)
	}
}

// hangingProducer is a producer with a 400 ms delivery timeout whose
// broker swallows produce requests while the returned flag is true.
func hangingProducer(t *testing.T, b *devbroker.Broker) (*Producer, *atomic.Bool) {
	cfg := testConfig(b.Addr())
	cfg.Producer.DeliveryTimeoutMs = 400
	p := newProducer(t, cfg)
	if _, err := p.Partitions(t.Context(), "orders"); err != nil {
		t.Fatal(err)
	}
	var hung atomic.Bool
	hung.Store(true)
	b.Cluster().ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		if !hung.Load() {
			return nil, nil, false // answer normally from now on
		}
		b.Cluster().KeepControl()
		return nil, nil, true // swallow the request: no answer ever
	})
	return p, &hung
}

// held is how many records the producer still holds after reporting them.
func held(p *Producer) int64 {
	records, _ := p.Flow().Held()
	return records
}
