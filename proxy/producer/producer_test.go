package producer

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
	"github.com/restproxy-dev/restproxy-operator/proxy/record"
)

func TestProduceStoresRecordsAsSent(t *testing.T) {
	b := kafkatest.StartBroker(t, map[string]int32{"orders": 1})
	p := newProducer(t, testConfig(b.Addr()))

	ts := time.Date(2024, 5, 16, 18, 20, 51, 844_000_000, time.UTC)
	recs := []*record.Record{
		newRecord(record.AnyPartition, "k1", "first", ts,
			record.Header{Name: "trace", Value: []byte("abc")},
			record.Header{Name: "trace", Value: []byte("second value, same name")},
			record.Header{Name: "empty", Value: []byte{}}),
		newRecord(0, "", `{"json":true}`, ts.Add(time.Millisecond)),
		newRecord(record.AnyPartition, "k3", string([]byte{0, 1, 2, 255}), ts.Add(time.Hour),
			record.Header{Name: "z", Value: []byte("last")}),
	}
	// Produce one at a time so offsets follow input order.
	var results []Result
	for _, rec := range recs {
		results = append(results, produceAll(t, p, "orders", rec)...)
	}

	stored := readBack(t, b.Addr(), "orders", 0, len(recs))
	for i, rec := range recs {
		res, got := results[i], stored[i]
		if res.Err != nil {
			t.Fatalf("record %d: %s", i, describe(res))
		}
		if res.Partition != 0 || res.Offset != int64(i) || !res.Timestamp.Equal(rec.Timestamp) {
			t.Errorf("record %d: result partition %d offset %d time %s, want 0, %d, %s", i, res.Partition, res.Offset, res.Timestamp, i, rec.Timestamp)
		}
		if got.Partition != int(res.Partition) || got.Offset != res.Offset {
			t.Errorf("record %d: stored at %d/%d, result says %d/%d", i, got.Partition, got.Offset, res.Partition, res.Offset)
		}
		if !bytes.Equal(got.Key, rec.Key.Bytes) || (got.Key == nil) != (rec.Key.Bytes == nil) {
			t.Errorf("record %d: stored key %q, want %q", i, got.Key, rec.Key.Bytes)
		}
		if !bytes.Equal(got.Value, rec.Value.Bytes) {
			t.Errorf("record %d: stored value %q, want %q", i, got.Value, rec.Value.Bytes)
		}
		if got.Time.UnixMilli() != rec.Timestamp.UnixMilli() {
			t.Errorf("record %d: stored time %s, want %s", i, got.Time, rec.Timestamp)
		}
		if len(got.Headers) != len(rec.Headers) {
			t.Errorf("record %d: stored %d headers, want %d", i, len(got.Headers), len(rec.Headers))
			continue
		}
		for j, h := range rec.Headers {
			if got.Headers[j].Key != h.Name || !bytes.Equal(got.Headers[j].Value, h.Value) {
				t.Errorf("record %d header %d: stored %s=%q, want %s=%q", i, j, got.Headers[j].Key, got.Headers[j].Value, h.Name, h.Value)
			}
		}
	}
}

func TestPartitionIDIsHonoured(t *testing.T) {
	b := kafkatest.StartBroker(t, map[string]int32{"orders": 3})
	p := newProducer(t, testConfig(b.Addr()))

	want := []int32{2, 0, 1, 2, 2, 0}
	var recs []*record.Record
	for i, partition := range want {
		// The same key everywhere: the explicit partition must win over the hash.
		recs = append(recs, newRecord(partition, "same-key", string(rune('a'+i)), time.Now()))
	}
	results := produceAll(t, p, "orders", recs...)

	perPartition := map[int32][]string{}
	for i, res := range results {
		if res.Err != nil || res.Partition != want[i] {
			t.Errorf("record %d: %s, want partition %d", i, describe(res), want[i])
		}
		perPartition[want[i]] = append(perPartition[want[i]], string(recs[i].Value.Bytes))
	}
	for partition, values := range perPartition {
		stored := readBack(t, b.Addr(), "orders", int(partition), len(values))
		var got []string
		for _, m := range stored {
			got = append(got, string(m.Value))
		}
		if strings.Join(got, ",") != strings.Join(values, ",") {
			t.Errorf("partition %d holds %v, want %v", partition, got, values)
		}
		if n := kafkatest.EndOffset(t, b.Addr(), "orders", int(partition)); n != int64(len(values)) {
			t.Errorf("partition %d holds %d records, want %d", partition, n, len(values))
		}
	}
}

// javaMurmur2 are murmur2 hashes computed by the Java client, from Apache
// Kafka's UtilsTest.testMurmur2.
var javaMurmur2 = map[string]int32{
	"21":                         -973932308,
	"foobar":                     -790332482,
	"a-little-bit-long-string":   -985981536,
	"a-little-bit-longer-string": -1486304829,
	"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
	"abc": 479470107,
}

// javaPartition is the Java client's default partitioner for a keyed record.
func javaPartition(hash int32, partitions int) int {
	return int(uint32(hash)&0x7fffffff) % partitions
}

func TestKeyedRecordsLandWhereJavaWouldPutThem(t *testing.T) {
	b := kafkatest.StartBroker(t, map[string]int32{"orders": 3})
	p := newProducer(t, testConfig(b.Addr()))

	var recs []*record.Record
	var keys []string
	for key := range javaMurmur2 {
		keys = append(keys, key)
		recs = append(recs, newRecord(record.AnyPartition, key, "v-"+key, time.Now()))
	}
	results := produceAll(t, p, "orders", recs...)

	stored := map[int]map[string]bool{}
	for partition := range 3 {
		stored[partition] = map[string]bool{}
		n := int(kafkatest.EndOffset(t, b.Addr(), "orders", partition))
		for _, m := range readBack(t, b.Addr(), "orders", partition, n) {
			stored[partition][string(m.Key)] = true
		}
	}
	for i, key := range keys {
		want := javaPartition(javaMurmur2[key], 3)
		if results[i].Err != nil || int(results[i].Partition) != want {
			t.Errorf("key %q: %s, want partition %d", key, describe(results[i]), want)
		}
		if !stored[want][key] {
			t.Errorf("key %q: not stored in partition %d", key, want)
		}
	}
}

// The balancer delegates to kafka-go's Murmur2Balancer; check it against the
// Java values over many partition counts, where any hash difference shows.
func TestMurmur2BalancerMatchesJava(t *testing.T) {
	partitions := make([]int, 1000)
	for i := range partitions {
		partitions[i] = i
	}
	balancer := newPartitionBalancer(100, time.Millisecond)
	for key, hash := range javaMurmur2 {
		for _, n := range []int{1, 3, 7, 10, 997, 1000} {
			d := &delivery{want: record.AnyPartition}
			got := balancer.Balance(kafka.Message{Key: []byte(key), WriterData: d}, partitions[:n]...)
			if want := javaPartition(hash, n); got != want || d.partition != int32(want) {
				t.Errorf("key %q over %d partitions: got %d (noted %d), Java gives %d", key, n, got, d.partition, want)
			}
		}
	}
}

func TestKeylessRecordsFillOnePartitionAtATime(t *testing.T) {
	b := kafkatest.StartBroker(t, map[string]int32{"orders": 3})
	cfg := testConfig(b.Addr())
	cfg.Producer.BatchMaxRecords = 2
	cfg.Producer.LingerMs = 60000 // only the batch size moves them here
	p := newProducer(t, cfg)

	var recs []*record.Record
	for i := range 8 {
		recs = append(recs, newRecord(record.AnyPartition, "", string(rune('a'+i)), time.Now()))
	}
	var got []int32
	for _, res := range produceAll(t, p, "orders", recs...) {
		got = append(got, res.Partition)
	}
	want := []int32{0, 0, 1, 1, 2, 2, 0, 0}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("keyless records went to partitions %v, want %v", got, want)
	}
	for partition, n := range []int64{4, 2, 2} {
		if stored := kafkatest.EndOffset(t, b.Addr(), "orders", partition); stored != n {
			t.Errorf("partition %d holds %d records, want %d", partition, stored, n)
		}
	}
}

// Keyless records also move on after one linger time: a slow producer's
// records do not stay on one partition for a whole batch's worth.
func TestKeylessRecordsMoveOnAfterTheLinger(t *testing.T) {
	b := newPartitionBalancer(1000, 5*time.Millisecond)
	var clock time.Duration
	b.now = func() time.Duration { return clock }
	partitions := []int{0, 1, 2}
	next := func() int {
		return b.Balance(kafka.Message{Topic: "t", WriterData: &delivery{want: record.AnyPartition}}, partitions...)
	}
	var got []int
	for _, step := range []time.Duration{0, time.Millisecond, 5 * time.Millisecond, time.Millisecond, 10 * time.Millisecond, 0} {
		clock += step
		got = append(got, next())
	}
	if want := []int{0, 0, 1, 1, 2, 2}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("partitions %v over a 5 ms linger, want %v", got, want)
	}
}

func TestOversizedRecordFailsAloneWith413(t *testing.T) {
	b := kafkatest.StartBroker(t, map[string]int32{"orders": 1})
	cfg := testConfig(b.Addr())
	cfg.Producer.MaxMessageBytes = 1000
	cfg.Producer.LingerMs = 50 // both records would share one batch
	p := newProducer(t, cfg)

	big := newRecord(0, "key", strings.Repeat("x", 1000), time.Now()) // 1003 bytes
	// Header bytes count too: 990 + 4 + 6 = 1000 is still within the limit.
	fits := newRecord(0, "", strings.Repeat("y", 990), time.Now(), record.Header{Name: "name", Value: []byte("valued")})
	results := produceAll(t, p, "orders", big, fits)

	if results[0].Err == nil || results[0].Err.Code() != 413 {
		t.Errorf("oversized record: %s, want error 413", describe(results[0]))
	}
	if results[1].Err != nil || results[1].Offset != 0 {
		t.Errorf("neighbour record: %s, want stored at offset 0", describe(results[1]))
	}
	stored := readBack(t, b.Addr(), "orders", 0, 1)
	if string(stored[0].Value) != string(fits.Value.Bytes) {
		t.Errorf("stored %d-byte value, want the neighbour's", len(stored[0].Value))
	}
	if n := kafkatest.EndOffset(t, b.Addr(), "orders", 0); n != 1 {
		t.Errorf("partition holds %d records, want only the neighbour", n)
	}
}

func TestCloseReportsEveryQueuedRecord(t *testing.T) {
	b := kafkatest.StartBroker(t, map[string]int32{"orders": 2})
	cfg := testConfig(b.Addr())
	cfg.Producer.LingerMs = 60000 // nothing leaves before Close flushes
	p := newProducer(t, cfg)
	if _, err := p.Partitions(t.Context(), "orders"); err != nil {
		t.Fatal(err)
	}

	const n = 50
	var ok, failed atomic.Int32
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		p.Produce("orders", newRecord(int32(i%2), "", "v", time.Now()), func(r Result) {
			if r.Err == nil {
				ok.Add(1)
			} else {
				failed.Add(1)
			}
			wg.Done()
		})
	}
	if got := ok.Load() + failed.Load(); got != 0 {
		t.Fatalf("%d records reported before Close, want none (linger is a minute)", got)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := ok.Load(); got != n {
		t.Fatalf("after Close: %d records acknowledged, %d failed, want all %d acknowledged", got, failed.Load(), n)
	}
	waitGroup(t, &wg, "done callbacks")
	stored := kafkatest.EndOffset(t, b.Addr(), "orders", 0) + kafkatest.EndOffset(t, b.Addr(), "orders", 1)
	if stored != n {
		t.Errorf("broker holds %d records, want %d", stored, n)
	}

	after := produceAll(t, p, "orders", newRecord(0, "", "late", time.Now()))
	if after[0].Err == nil || after[0].Err.Code() != 50003 {
		t.Errorf("produce after Close: %s, want 50003", describe(after[0]))
	}
}
