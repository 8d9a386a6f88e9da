package produce

import (
	"bufio"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
	"github.com/restproxy-dev/restproxy-operator/proxy/management"
	"github.com/restproxy-dev/restproxy-operator/proxy/producer"
)

// panicGate panics on the record of size panicSize: a bug inside the
// per-record checks.
type panicGate struct{ panicSize int }

func (g panicGate) Allow(_ int64, size int) bool {
	if size == g.panicSize {
		panic("injected")
	}
	return true
}

// A panic while one record is checked is that record's 500 report, counted
// under error_code 500; the stream goes on with the next record, and the
// process keeps serving.
func TestStream_PanicInARecordIsItsReport(t *testing.T) {
	b := kafkatest.StartBroker(t, map[string]int32{"t": 1})
	cfg := config.Default()
	cfg.Kafka.BootstrapServers = []string{b.Addr()}
	cfg.Producer.LingerMs = 1
	p, err := producer.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	m := management.NewMetrics(nil, nil)
	pl := NewPipeline(Settings{Idle: 5 * time.Second, Grace: time.Second, Drain: time.Second, MaxAge: time.Hour,
		MaxRecordBytes: RecordLimit(0, cfg.Producer.MaxMessageBytes)}, p, m, slog.New(slog.DiscardHandler))
	good := `{"value":{"type":"STRING","data":"ok"}}`
	bad := `{"value":{"type":"STRING","data":"boom!"}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := pl.NewStream(w, r, BodyFormat{})
		if err := st.AwaitData(); err != nil {
			t.Errorf("AwaitData: %v", err)
			return
		}
		st.Serve(Target{ClusterID: "c", Topic: "t", Partitions: 1, Gate: panicGate{len(bad)}})
	}))
	defer srv.Close()
	for range 2 { // the second request shows the process still serving
		resp, err := http.Post(srv.URL, "application/json", strings.NewReader(good+bad+good))
		if err != nil {
			t.Fatal(err)
		}
		var codes []string
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			codes = append(codes, strings.SplitN(strings.TrimPrefix(sc.Text(), `{"error_code":`), ",", 2)[0])
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if got := strings.Join(codes, " "); got != "200 500 200" {
			t.Fatalf("report codes %q, want \"200 500 200\"", got)
		}
	}
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	internal := -1.0
	for _, f := range families {
		for _, s := range f.GetMetric() {
			if f.GetName() == "restproxy_records_total" && s.GetLabel()[0].GetValue() == "500" {
				internal = s.GetCounter().GetValue()
			}
		}
	}
	if internal != 2 {
		t.Errorf("restproxy_records_total{error_code=\"500\"} = %v, want 2", internal)
	}
}
