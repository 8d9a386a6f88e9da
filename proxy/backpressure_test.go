package proxy

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/restproxy-dev/restproxy-operator/proxy/devbroker"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
)

// heldBroker starts a broker of its own whose produce requests are held
// until release is called (kfake control of API key 0, Produce).
func heldBroker(t *testing.T, topics map[string]int32) (b *devbroker.Broker, release func()) {
	t.Helper()
	b = kafkatest.StartBroker(t, topics)
	released := make(chan struct{})
	var once sync.Once
	c := b.Cluster()
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		c.SleepControl(func() { <-released })
		return nil, nil, false // then handle it normally
	})
	return b, func() { once.Do(func() { close(released) }) }
}

// docs/produce-api.md, "Delivery guarantees and back-pressure"
// (Back-pressure): with Kafka not acknowledging, clients pushing as fast as
// they can do not make the proxy hold more than http.maxInFlightTotal
// records, and its heap does not grow with what the clients try to send: the
// server stops reading the sockets. The bound checked: 2 streams try to send
// 2 x 12 MiB; while Kafka is held, the in-use heap grows by less than 12 MiB
// after GC, and the in-flight gauge never exceeds 64. Once Kafka answers,
// every record gets its success report.
func TestBackPressure_InFlightBoundedWhileKafkaHeld(t *testing.T) {
	const (
		maxInFlight = 64
		streams     = 2
		perStream   = 1500
		valueSize   = 8 << 10
		heapBound   = 12 << 20
	)
	broker, release := heldBroker(t, map[string]int32{"bp": 3})
	defer release()
	cfg := testConfig(broker.Addr())
	cfg.HTTP.MaxInFlightTotal = maxInFlight
	cfg.HTTP.MaxInFlightPerStream = 1024
	cfg.Producer.DeliveryTimeoutMs = 60000
	ts := startServerConfig(t, cfg, io.Discard)

	var maxSeen atomic.Int64
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if v := int64(ts.metric(t, "restproxy_in_flight_records")); v > maxSeen.Load() {
				maxSeen.Store(v)
			}
			select {
			case <-stopSampling:
				return
			case <-time.After(200 * time.Microsecond):
			}
		}
	}()

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	value := strings.Repeat("x", valueSize)
	var sent [streams]atomic.Int64
	var wg sync.WaitGroup
	results := make([][]report, streams)
	for s := range streams {
		sc := openStream(t, ts.url("c", "bp"))
		wg.Go(func() {
			for i := range perStream {
				if _, err := fmt.Fprintf(sc.w, `{"partition_id":%d,"value":{"type":"STRING","data":"%s"}}`, i%3, value); err != nil {
					t.Errorf("stream %d: send record %d: %v", s, i, err)
					return
				}
				sent[s].Add(1)
			}
			sc.closeSend()
		})
		wg.Go(func() { results[s] = sc.rest() })
	}

	// Wait until the proxy holds its maximum and the clients are stuck.
	waitFor(t, "the in-flight bound to be reached", func() bool { return ts.inFlight() == maxInFlight })
	stable := 0
	last := int64(-1)
	for stable < 30 { // 300 ms without progress
		time.Sleep(10 * time.Millisecond)
		n := sent[0].Load() + sent[1].Load()
		if n == last {
			stable++
		} else {
			stable, last = 0, n
		}
	}
	runtime.GC()
	var held runtime.MemStats
	runtime.ReadMemStats(&held)
	growth := int64(held.HeapInuse) - int64(before.HeapInuse)
	t.Logf("while held: clients sent %d of %d records, heap in use grew by %d KiB, in flight %d",
		last, streams*perStream, growth>>10, ts.inFlight())
	if last >= streams*perStream {
		t.Fatalf("clients sent everything while Kafka was held: the server did not stop reading")
	}
	if growth > heapBound {
		t.Errorf("heap in use grew by %d bytes while Kafka was held; bound %d", growth, heapBound)
	}

	release()
	wg.Wait()
	close(stopSampling)
	<-sampled
	for s, reports := range results {
		if len(reports) != perStream {
			t.Fatalf("stream %d: %d reports, want %d", s, len(reports), perStream)
		}
		for i, r := range reports {
			if r.ErrorCode != 200 || r.PartitionID != int32(i%3) {
				t.Fatalf("stream %d report %d: %v", s, i, r)
			}
		}
	}
	if m := maxSeen.Load(); m > maxInFlight || ts.inFlightPeak() > maxInFlight {
		t.Errorf("in flight reached %d (gauge) / %d (peak); bound %d", m, ts.inFlightPeak(), maxInFlight)
	}
	if g := ts.metric(t, "restproxy_in_flight_records"); g != 0 {
		t.Errorf("in-flight gauge %v after everything was acknowledged, want 0", g)
	}
}

// docs/produce-api.md, "Delivery guarantees and back-pressure" (Shutdown):
// readiness fails as soon as shutdown starts, new streams are refused, and
// the reports of records already read are still written once Kafka answers;
// then Run returns nil.
func TestShutdown_ReadinessFailsAtOnceAndReportsDrain(t *testing.T) {
	broker, release := heldBroker(t, map[string]int32{"drain": 1})
	defer release()
	cfg := testConfig(broker.Addr())
	ts := startServerConfig(t, cfg, io.Discard)
	if resp, _ := get(t, ts.mgmt+"/readyz"); resp.StatusCode != 200 {
		t.Fatalf("readyz before shutdown: %d", resp.StatusCode)
	}
	sc := openStream(t, ts.url("c", "drain"))
	for range 10 {
		sc.send(oneRecord)
	}
	waitFor(t, "10 records in flight", func() bool { return ts.inFlight() == 10 })
	ts.stop()
	waitFor(t, "readiness to fail", func() bool {
		resp, err := http.Get(ts.mgmt + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusServiceUnavailable
	})
	release()
	reports := sc.rest()
	if len(reports) != 10 {
		t.Fatalf("%d reports, want 10", len(reports))
	}
	for i, r := range reports {
		if r.ErrorCode != 200 {
			t.Errorf("report %d: %v", i, r)
		}
	}
	select {
	case err := <-ts.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
		ts.done <- nil
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
}

// docs/produce-api.md, "Delivery guarantees and back-pressure" (Shutdown):
// records Kafka does not confirm within http.shutdownDrainMs get a 50003
// report rather than none.
func TestShutdown_DrainTimeoutReportsUnconfirmed(t *testing.T) {
	broker, release := heldBroker(t, map[string]int32{"drain": 1})
	defer release()
	cfg := testConfig(broker.Addr())
	cfg.HTTP.ShutdownDrainMs = 300
	ts := startServerConfig(t, cfg, io.Discard)
	sc := openStream(t, ts.url("c", "drain"))
	for range 5 {
		sc.send(oneRecord)
	}
	waitFor(t, "5 records in flight", func() bool { return ts.inFlight() == 5 })
	ts.stop()
	reports := sc.rest()
	if len(reports) != 5 {
		t.Fatalf("%d reports, want 5", len(reports))
	}
	for i, r := range reports {
		if r.ErrorCode != 50003 {
			t.Errorf("report %d: %v, want 50003", i, r)
		}
	}
	release()
}

func get(t testing.TB, url string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

// Shutdown does not wait for connections that never sent a request (which
// http.Server.Shutdown alone treats as active for five seconds).
func TestShutdown_UnusedConnectionDoesNotDelay(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	conn, err := net.Dial("tcp", ts.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	waitFor(t, "the connection to be tracked", func() bool {
		return ts.admit.unusedConns.Len() == 1
	})
	start := time.Now()
	ts.stop()
	select {
	case err := <-ts.done:
		ts.done <- err
	case <-time.After(4 * time.Second):
		t.Fatalf("Run still running %v after shutdown began, held by an unused connection", time.Since(start))
	}
}

// docs/produce-api.md, "Errors that end the stream" (the maximum age, with
// its grace period) and "Time-outs": a record arriving after the stream's
// maximum age gets 408 and is not produced; records still in Kafka's hands
// then have the grace period to be confirmed, after which they are reported
// 50003 (in input order, before the 408) and the stream closes, although
// Kafka never answered.
func TestProduce_StreamMaxAge_GracePeriodEndsStream(t *testing.T) {
	broker, release := heldBroker(t, map[string]int32{"grace": 1})
	defer release()
	cfg := testConfig(broker.Addr())
	cfg.HTTP.StreamMaxAgeMs = 300
	cfg.HTTP.StreamGracePeriodMs = 200
	ts := startServerConfig(t, cfg, io.Discard)
	sc := openStreamFirstInFlight(t, ts, "grace")
	time.Sleep(400 * time.Millisecond) // past the maximum age: the condition under test is time itself
	sc.send(oneRecord)
	reports := sc.rest() // the client never closes its body: only the grace period ends this
	if len(reports) != 2 || reports[0].ErrorCode != 50003 || reports[1].ErrorCode != 408 {
		t.Fatalf("reports %v, want 50003 (unconfirmed within the grace period) then 408", reports)
	}
}

// openStreamFirstInFlight opens a stream to topic and sends one record
// that is in Kafka's hands, held there, before the server's maximum age.
// On a loaded machine the server may read the record only after the
// maximum age, answer it 408 and end the stream; then it tries a new
// stream, a few times.
func openStreamFirstInFlight(t *testing.T, ts *testServer, topic string) *streamClient {
	t.Helper()
	const attempts = 5
	for range attempts {
		refusedBefore := scrape(t, ts.mgmt)[limitSeries("stream_max_age")]
		sc := openStream(t, ts.url("c", topic))
		sc.send(oneRecord)
		waitFor(t, "the first record in flight or refused 408", func() bool {
			return ts.inFlight() == 1 || scrape(t, ts.mgmt)[limitSeries("stream_max_age")] > refusedBefore
		})
		if ts.inFlight() == 1 {
			return sc
		}
		if reports := sc.rest(); len(reports) != 1 || reports[0].ErrorCode != 408 {
			t.Fatalf("first record not in flight: reports %v, want one 408", reports)
		}
	}
	t.Fatalf("in %d streams the server never read the first record within the maximum age", attempts)
	return nil
}

// docs/produce-api.md, "Delivery guarantees and back-pressure"
// (Back-pressure, per stream): with Kafka not acknowledging, one stream never
// has more than http.maxInFlightPerStream records read and unreported,
// however far below the process bound that is; it stops reading its socket
// there, and every record gets its success once Kafka answers. The bound
// checked: 32 records in flight, of 1000 sent.
func TestBackPressure_PerStreamBound(t *testing.T) {
	const perStream, sent = 32, 1000
	broker, release := heldBroker(t, map[string]int32{"bp1": 1})
	defer release()
	cfg := testConfig(broker.Addr())
	cfg.HTTP.MaxInFlightPerStream = perStream
	cfg.Producer.DeliveryTimeoutMs = 60000
	ts := startServerConfig(t, cfg, io.Discard)
	sc := openStream(t, ts.url("c", "bp1"))
	var written atomic.Int64
	go func() {
		for range sent {
			if _, err := io.WriteString(sc.w, oneRecord); err != nil {
				return
			}
			written.Add(1)
		}
		sc.closeSend()
	}()
	waitFor(t, "the per-stream bound to be reached", func() bool { return ts.inFlight() == perStream })
	// The client may still fill socket buffers; the server reads no more.
	time.Sleep(100 * time.Millisecond)
	if n, peak := ts.inFlight(), ts.inFlightPeak(); n != perStream || peak != perStream {
		t.Errorf("in flight %d (peak %d) while Kafka is held, want exactly the bound %d", n, peak, perStream)
	}
	release()
	reports := sc.rest()
	if len(reports) != sent || written.Load() != sent {
		t.Fatalf("%d reports for %d records written, want %d", len(reports), written.Load(), sent)
	}
	for i, r := range reports {
		if r.ErrorCode != 200 {
			t.Fatalf("report %d: %v", i, r)
		}
	}
	if peak := ts.inFlightPeak(); peak > perStream {
		t.Errorf("in flight peaked at %d, bound %d", peak, perStream)
	}
}
