package proxy

import (
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	kafka "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
	"github.com/restproxy-dev/restproxy-operator/proxy/producer"
)

// Tests of README "When things go wrong" and "Delivery guarantees" against
// a broker answering with real Kafka errors (kfake's faults). Each compares
// the reports with what a separate consumer reads back.

// storedRecords reads every record of topic's partitions from addr, by
// partition and offset.
func storedRecords(t *testing.T, addr, topic string, partitions int) map[int32]map[int64]kafka.Message {
	t.Helper()
	out := map[int32]map[int64]kafka.Message{}
	for p := range partitions {
		out[int32(p)] = map[int64]kafka.Message{}
		n := int(kafkatest.EndOffset(t, addr, topic, p))
		if n == 0 {
			continue
		}
		rc := kafka.ReaderConfig{Brokers: []string{addr}, Topic: topic, Partition: p}
		for _, m := range kafkatest.Read(t, rc, kafka.FirstOffset, n) {
			out[int32(p)][m.Offset] = m
		}
	}
	return out
}

// checkStored compares the reports of the records whose values were sent,
// in order, with what the broker stored: every record got one report; each
// 200 names the offset that holds its value; nothing is stored that was not
// sent; no record is stored more than maxCopies times; and a record
// reported as failed is not stored at all unless failedMayBeStored (a
// delivery timeout or a lost answer: Kafka may have it). It returns how
// many records were stored more than once.
func checkStored(t *testing.T, sent []string, reports []report, stored map[int32]map[int64]kafka.Message,
	maxCopies int, failedMayBeStored bool) (duplicated int) {
	t.Helper()
	if len(reports) != len(sent) {
		t.Fatalf("%d reports for %d records", len(reports), len(sent))
	}
	copies := map[string]int{}
	for p, log := range stored {
		for off, m := range log {
			copies[string(m.Value)]++
			if copies[string(m.Value)] > maxCopies {
				t.Errorf("%q stored more than %d times (again at partition %d offset %d)", m.Value, maxCopies, p, off)
			}
		}
	}
	for i, r := range reports {
		n := copies[sent[i]]
		delete(copies, sent[i])
		if n > 1 {
			duplicated++
		}
		if r.ErrorCode != 200 {
			if n > 0 && !failedMayBeStored {
				t.Errorf("record %d (%s) reported %v, but stored %d times", i, sent[i], r, n)
			}
			continue
		}
		if m, ok := stored[r.PartitionID][r.Offset]; !ok || string(m.Value) != sent[i] {
			t.Errorf("record %d (%s) reported 200 at partition %d offset %d, which holds %q", i, sent[i], r.PartitionID, r.Offset, m.Value)
		}
	}
	for v, n := range copies {
		t.Errorf("%q stored %d times but never sent", v, n)
	}
	return duplicated
}

// README "When things go wrong" (retriable broker errors): a broker that
// answers NOT_LEADER_OR_FOLLOWER or NOT_ENOUGH_REPLICAS for a while. A
// record whose batch succeeds within producer.maxAttempts is reported 200; one
// whose attempts all fail is reported 50003 with Kafka's text; one still
// failing at producer.deliveryTimeoutMs is reported 50003 naming the
// timeout, and kafka-go's later attempts may still store it. After each, the
// stream goes on. The broker rejects these errors before storing, so only
// the 200s and the timed-out record can be stored, each once.
func TestFaults_RetriableErrors_200AfterRetryOr50003(t *testing.T) {
	t.Parallel()
	for _, code := range []*kerr.Error{kerr.NotLeaderForPartition, kerr.NotEnoughReplicas} {
		t.Run(code.Message, func(t *testing.T) {
			t.Parallel()
			b := kafkatest.StartBroker(t, map[string]int32{"retry": 1})
			cfg := testConfig(b.Addr())
			// Twenty attempts with 100-200 ms back-off outlast the delivery
			// timeout by more than a second.
			cfg.Producer.MaxAttempts = 20
			cfg.Producer.DeliveryTimeoutMs = 2000
			ts := startServerConfig(t, cfg, io.Discard)
			sc := openStream(t, ts.url("c", "retry"))
			var sent []string
			var reports []report
			produce := func(v string) report {
				sent = append(sent, v)
				sc.send(`{"value":{"type":"STRING","data":"` + v + `"}}`)
				reports = append(reports, sc.next())
				return reports[len(reports)-1]
			}
			fault := func(n int) *kfake.FaultHandle {
				return b.Cluster().Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: "retry", Err: code, Count: n})
			}
			wantKafkaText := fmt.Sprintf("[%d] ", code.Code)

			if r := produce("before"); r.ErrorCode != 200 {
				t.Fatalf("record before the faults: %v", r)
			}
			f := fault(3)
			if r := produce("retried"); r.ErrorCode != 200 || f.Hits() != 3 {
				t.Errorf("record whose first 3 attempts failed: %v after %d rejections, want 200 after 3", r, f.Hits())
			}
			f = fault(-1)
			r := produce("timed-out")
			if r.ErrorCode != 50003 || r.Message != "record not acknowledged by Kafka within producer.deliveryTimeoutMs" {
				t.Errorf("record rejected past the delivery timeout: %v, want 50003 naming the timeout", r)
			}
			f.Remove() // kafka-go's next attempt stores it, although it was reported 50003
			if r := produce("after"); r.ErrorCode != 200 {
				t.Errorf("record after recovery: %v", r)
			}

			cfg.Producer.MaxAttempts = 2 // attempts run out well before the delivery timeout
			ts2 := startServerConfig(t, cfg, io.Discard)
			sc2 := openStream(t, ts2.url("c", "retry"))
			f = fault(2)
			sent = append(sent, "out-of-attempts")
			sc2.send(`{"value":{"type":"STRING","data":"out-of-attempts"}}`)
			if r := sc2.next(); r.ErrorCode != 50003 || !strings.HasPrefix(r.Message, wantKafkaText) {
				t.Errorf("record whose attempts all failed: %v, want 50003 with Kafka's %q text", r, wantKafkaText)
			} else {
				reports = append(reports, r)
			}
			sc.closeSend()
			sc2.closeSend()
			if rest := append(sc.rest(), sc2.rest()...); len(rest) != 0 {
				t.Errorf("extra reports: %v", rest)
			}
			stored := storedRecords(t, b.Addr(), "retry", 1)
			checkStored(t, sent, reports, stored, 1, true)
			for _, m := range stored[0] {
				if string(m.Value) == "out-of-attempts" {
					t.Errorf("a record the broker rejected on every attempt is stored at offset %d", m.Offset)
				}
			}
			if len(stored[0]) != 4 {
				t.Errorf("%d records stored, want 4: before, retried, timed-out (by kafka-go's later attempt) and after", len(stored[0]))
			}
		})
	}
}

// README "Delivery guarantees": a broker that stores a batch and then
// answers REQUEST_TIMED_OUT (as a real one does when replication to the
// in-sync replicas outlasts request.timeout.ms) makes kafka-go send the
// batch again, and it is stored twice; the client sees one 200. With
// producer.recordIdHeader both copies carry the same id, and every other
// record its own.
func TestFaults_RequestTimedOutAfterAppend_StoredTwiceWithOneID(t *testing.T) {
	t.Parallel()
	b := kafkatest.StartBroker(t, map[string]int32{"dup": 1})
	cfg := testConfig(b.Addr())
	cfg.Producer.RecordIDHeader = true
	ts := startServerConfig(t, cfg, io.Discard)
	sc := openStream(t, ts.url("c", "dup"))
	sent := []string{"first", "twice", "after"}
	var reports []report
	for i, v := range sent {
		if i == 1 {
			b.Cluster().Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: "dup", Err: kerr.RequestTimedOut})
		}
		sc.send(`{"value":{"type":"STRING","data":"` + v + `"}}`)
		reports = append(reports, sc.next())
		if r := reports[i]; r.ErrorCode != 200 {
			t.Fatalf("record %s: %v, want 200", v, r)
		}
	}
	sc.closeSend()
	stored := storedRecords(t, b.Addr(), "dup", 1)
	if dups := checkStored(t, sent, reports, stored, 2, false); dups != 1 {
		t.Errorf("%d records stored twice, want 1", dups)
	}
	want := []string{"first", "twice", "twice", "after"}
	ids := map[string]string{} // id to value
	for off := range int64(len(want)) {
		m := stored[0][off]
		if string(m.Value) != want[off] {
			t.Fatalf("offset %d holds %q, want %q (log %v)", off, m.Value, want[off], want)
		}
		id := recordID(m)
		if v, seen := ids[id]; seen && (v != "twice" || string(m.Value) != "twice") {
			t.Errorf("id %q on both %q and %q", id, v, m.Value)
		}
		ids[id] = string(m.Value)
	}
	if id1, id2 := recordID(stored[0][1]), recordID(stored[0][2]); id1 != id2 || id1 == "" {
		t.Errorf("the two copies of the duplicated record carry ids %q and %q, want one id", id1, id2)
	}
	if reports[1].Offset != 2 {
		t.Errorf("the duplicated record reported at offset %d, want 2 (the copy the retry stored)", reports[1].Offset)
	}
}

// recordID is the value of the record's restproxy-record-id header, "" if
// it has none.
func recordID(m kafka.Message) string {
	for _, h := range m.Headers {
		if h.Key == producer.RecordIDHeader {
			return string(h.Value)
		}
	}
	return ""
}

// README "Delivery guarantees", the duplicate rate: 3000 records streamed
// over 3 partitions, 30 at a time as a client that waits for its reports
// sends them, while the broker answers one produce request in every 20 with
// REQUEST_TIMED_OUT after storing it. Every record is reported 200 and
// stored; the records of each such request are stored twice, and dropping
// copies by restproxy-record-id leaves exactly one of each. The figure is
// logged (go test -run DuplicateRate -v ./proxy).
func TestFaults_DuplicateRate_RequestTimedOutOneIn20(t *testing.T) {
	t.Parallel()
	const n, burst, every = 3000, 30, 20
	b := kafkatest.StartBroker(t, map[string]int32{"rate": 3})
	var requests, faulted atomic.Int64
	b.Cluster().Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: "rate", Err: kerr.RequestTimedOut, Count: -1,
		When: func(kmsg.Request) bool {
			if requests.Add(1)%every != 0 {
				return false
			}
			faulted.Add(1)
			return true
		}})
	cfg := testConfig(b.Addr())
	cfg.Producer.RecordIDHeader = true
	ts := startServerConfig(t, cfg, io.Discard)
	sc := openStream(t, ts.url("c", "rate"))
	sent := make([]string, n)
	reports := make([]report, 0, n)
	for i := range n {
		sent[i] = fmt.Sprintf("r%04d", i)
		sc.send(fmt.Sprintf(`{"partition_id":%d,"value":{"type":"STRING","data":"%s"}}`, i%3, sent[i]))
		if (i+1)%burst == 0 {
			for range burst {
				if r := sc.next(); r.ErrorCode != 200 {
					t.Fatalf("report %d: %v, want 200 (a timed-out request is retried)", len(reports), r)
				} else {
					reports = append(reports, r)
				}
			}
		}
	}
	sc.closeSend()
	stored := storedRecords(t, b.Addr(), "rate", 3)
	dups := checkStored(t, sent, reports, stored, 2, false)
	byID := map[string]string{}
	total := 0
	for _, log := range stored {
		for _, m := range log {
			total++
			id := recordID(m)
			if v, seen := byID[id]; seen && v != string(m.Value) {
				t.Fatalf("id %q on both %q and %q", id, v, m.Value)
			}
			byID[id] = string(m.Value)
		}
	}
	if len(byID) != n || total != n+dups {
		t.Errorf("%d distinct record ids among %d stored records, want %d ids among %d records", len(byID), total, n, n+dups)
	}
	if faulted.Load() == 0 || dups == 0 {
		t.Fatalf("%d requests faulted, %d records duplicated: the fault was not exercised", faulted.Load(), dups)
	}
	t.Logf("%d of %d produce requests (%.1f%%) answered REQUEST_TIMED_OUT after the append: %d of %d records (%.1f%%) stored twice, all reported 200 once",
		faulted.Load(), requests.Load(), 100*float64(faulted.Load())/float64(requests.Load()), dups, n, 100*float64(dups)/n)
}

// README "When things go wrong" (broker restart): a broker that keeps its
// data (kfake.DataDir, as `restproxy dev --data-dir`) stops and comes back
// on the same address while a stream stays open. The stream gets a 200 or
// a clean 50003 for every record, and goes on; every record reported 200
// before the restart is read back from the restarted broker at its offset,
// and the records after it follow them.
func TestFailure_BrokerRestartsWithItsData_200sSurvive(t *testing.T) {
	t.Parallel()
	sb := startStoppableBroker(t, map[string]int32{"persist": 2}, kfake.DataDir(t.TempDir()))
	cfg := testConfig(sb.addr)
	cfg.Producer.DeliveryTimeoutMs = 3000
	ts := startServerConfig(t, cfg, io.Discard)
	sc := openStream(t, ts.url("c", "persist"))
	var sent []string
	var reports []report
	produce := func(phase string, i int) report {
		v := fmt.Sprintf("%s-%d", phase, len(sent))
		sent = append(sent, v)
		sc.send(fmt.Sprintf(`{"partition_id":%d,"value":{"type":"STRING","data":"%s"}}`, i%2, v))
		reports = append(reports, sc.next())
		return reports[len(reports)-1]
	}
	for i := range 20 {
		if r := produce("before", i); r.ErrorCode != 200 {
			t.Fatalf("record %d before the restart: %v", i, r)
		}
	}
	sb.stop()
	for i := range 4 {
		if r := produce("down", i); r.ErrorCode != 50003 {
			t.Errorf("record %d while the broker is down: %v, want 50003", i, r)
		}
	}
	sb.restart()
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; ; i++ {
		r := produce("back", i)
		if r.ErrorCode == 200 {
			break
		}
		if r.ErrorCode != 50003 || time.Now().After(deadline) {
			t.Fatalf("record %d after the restart: %v, want 50003 until the proxy reconnects, then 200", i, r)
		}
	}
	for i := range 20 {
		if r := produce("after", i); r.ErrorCode != 200 {
			t.Errorf("record %d once reconnected: %v", i, r)
		}
	}
	sc.closeSend()
	if rest := sc.rest(); len(rest) != 0 {
		t.Errorf("extra reports: %v", rest)
	}
	stored := storedRecords(t, sb.addr, "persist", 2)
	checkStored(t, sent, reports, stored, 1, true)
	for p := range int32(2) {
		if first := reports[p]; first.Offset != 0 {
			t.Errorf("partition %d: first record at offset %d, want 0", p, first.Offset)
		}
		if after := reports[len(reports)-2+int(p)]; after.Offset < 10 {
			t.Errorf("partition %d: a record after the restart at offset %d, below the 10 stored before it", p, after.Offset)
		}
	}
}
