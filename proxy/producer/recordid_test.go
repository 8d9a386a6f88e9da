package producer

import (
	"regexp"
	"testing"
	"time"

	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
	"github.com/restproxy-dev/restproxy-operator/proxy/record"
)

var recordIDForm = regexp.MustCompile(`^[0-9a-f]{16}-[0-9a-f]{16}$`)

func TestRecordIDs_FixedFormUniquePerRecordAndProcess(t *testing.T) {
	a, err := newRecordIDs()
	if err != nil {
		t.Fatal(err)
	}
	b, err := newRecordIDs()
	if err != nil {
		t.Fatal(err)
	}
	if a.prefix == b.prefix {
		t.Errorf("two processes drew the same prefix %q", a.prefix)
	}
	seen := map[string]bool{}
	for i := range 1000 {
		h := a.header()
		id := string(h.Value)
		if h.Key != RecordIDHeader || !recordIDForm.MatchString(id) || len(h.Key)+len(id) != a.size() {
			t.Fatalf("header %d: %s=%q, want %s with a value like %s (%d bytes in all)", i, h.Key, id, RecordIDHeader, "0123456789abcdef-0000000000000001", a.size())
		}
		if seen[id] {
			t.Fatalf("id %q given twice", id)
		}
		seen[id] = true
	}
	var off *recordIDs
	if off.size() != 0 {
		t.Errorf("size with ids off = %d, want 0", off.size())
	}
}

// With producer.recordIdHeader on, every stored record ends with its own id
// header, after the client's headers, which keep their order; with it off
// (the default) nothing is added.
func TestRecordIDHeader_StoredAfterClientHeaders(t *testing.T) {
	for _, on := range []bool{false, true} {
		b := kafkatest.StartBroker(t, map[string]int32{"ids": 1})
		cfg := testConfig(b.Addr())
		cfg.Producer.RecordIDHeader = on
		p := newProducer(t, cfg)
		results := produceAll(t, p, "ids",
			newRecord(0, "", "plain", time.Now()),
			newRecord(0, "", "with headers", time.Now(), record.Header{Name: "trace", Value: []byte("t1")}, record.Header{Name: "trace", Value: nil}))
		for i, r := range results {
			if r.Err != nil {
				t.Fatalf("recordIdHeader=%v, record %d: %s", on, i, describe(r))
			}
		}
		stored := readBack(t, b.Addr(), "ids", 0, 2)
		ids := map[string]bool{}
		for i, m := range stored {
			clientHeaders := i // the first record has none, the second two
			if i == 1 {
				clientHeaders = 2
				if m.Headers[0].Key != "trace" || string(m.Headers[0].Value) != "t1" || m.Headers[1].Key != "trace" || m.Headers[1].Value != nil {
					t.Errorf("recordIdHeader=%v: client headers stored as %v, want trace=t1, trace=null", on, m.Headers)
				}
			}
			want := clientHeaders
			if on {
				want++
			}
			if len(m.Headers) != want {
				t.Fatalf("recordIdHeader=%v, record %d: %d headers %v, want %d", on, i, len(m.Headers), m.Headers, want)
			}
			if !on {
				continue
			}
			last := m.Headers[len(m.Headers)-1]
			if last.Key != RecordIDHeader || !recordIDForm.MatchString(string(last.Value)) || ids[string(last.Value)] {
				t.Errorf("record %d: last header %s=%q, want a fresh %s", i, last.Key, last.Value, RecordIDHeader)
			}
			ids[string(last.Value)] = true
		}
	}
}

// The id header counts towards producer.maxMessageBytes, as Kafka counts it.
func TestRecordIDHeader_CountsTowardsMaxMessageBytes(t *testing.T) {
	b := kafkatest.StartBroker(t, map[string]int32{"ids": 1})
	cfg := testConfig(b.Addr())
	cfg.Producer.RecordIDHeader = true
	cfg.Producer.MaxMessageBytes = 100
	p := newProducer(t, cfg)
	idBytes := p.shape.ids.size()
	fits := newRecord(0, "", string(make([]byte, 100-idBytes)), time.Now())
	over := newRecord(0, "", string(make([]byte, 100-idBytes+1)), time.Now())
	results := produceAll(t, p, "ids", fits, over)
	if results[0].Err != nil {
		t.Errorf("record of exactly the limit with its id: %s, want success", describe(results[0]))
	}
	if results[1].Err == nil || results[1].Err.Code() != 413 {
		t.Errorf("record one byte over the limit with its id: %s, want 413", describe(results[1]))
	}
}
