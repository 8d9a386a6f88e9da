package producer

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
)

// A group of records handed over together is kafka-go's all-or-nothing
// call: a record that passes the proxy's own size check but that kafka-go
// refuses once framed must still fail alone, and its neighbours be stored
// in order, as when every record was a call of its own.
func TestProduceAll_RecordKafkaGoRefusesFailsAloneNeighboursStored(t *testing.T) {
	broker := kafkatest.StartBroker(t, map[string]int32{"group": 1})
	cfg := testConfig(broker.Addr())
	cfg.Producer.MaxMessageBytes = 1000
	cfg.Producer.BatchMaxBytes = 1000
	p := newProducer(t, cfg)
	if _, err := p.Partitions(t.Context(), "group"); err != nil {
		t.Fatal(err)
	}
	ts := time.UnixMilli(1700000000000).UTC()
	recs := []Pending{
		{Rec: newRecord(0, "", "first", ts)},
		// 1000 bytes by the proxy's count, more than 1000 with Kafka's framing.
		{Rec: newRecord(0, "", strings.Repeat("x", 1000), ts)},
		{Rec: newRecord(0, "", "third", ts)},
	}
	results := make([]Result, len(recs))
	var wg sync.WaitGroup
	wg.Add(len(recs))
	for i := range recs {
		recs[i].To = DoneFunc(func(r Result) { results[i] = r; wg.Done() })
	}
	p.ProduceAll("group", recs)
	waitGroup(t, &wg, "done callbacks")

	if results[0].Err != nil || results[2].Err != nil {
		t.Fatalf("neighbours: %s, %s; want both stored", describe(results[0]), describe(results[2]))
	}
	if results[1].Err == nil || results[1].Err.Code() != 413 {
		t.Fatalf("framed-too-large record: %s, want 413", describe(results[1]))
	}
	if results[0].Offset+1 != results[2].Offset {
		t.Errorf("offsets %d and %d, want consecutive", results[0].Offset, results[2].Offset)
	}
	stored := readBack(t, broker.Addr(), "group", 0, 2)
	if string(stored[0].Value) != "first" || string(stored[1].Value) != "third" {
		t.Errorf("stored %q, %q; want first, third", stored[0].Value, stored[1].Value)
	}
}
