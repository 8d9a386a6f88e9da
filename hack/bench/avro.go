package main

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/restproxy-dev/restproxy-operator/hack/internal/loadgen"
	"github.com/restproxy-dev/restproxy-operator/proxy/devregistry"
)

// avroStreams is the stream count of the avro mode, compared with the
// stream mode of the same count.
const avroStreams = 8

const (
	// maxRegistryRequests is the most a proxy may ask the registry in the
	// avro mode: its schema is one id, looked up once and cached.
	maxRegistryRequests = 10
	// avroBar is the share of stream-8's records/s the avro mode should
	// keep.
	avroBar = 0.8
)

// runAvro measures stream-8-avro: stream-8 with every value an AVRO data
// object naming its schema by id, the schema registered before the run in
// a registry served on loopback by this process, which counts the
// requests the proxy makes of it.
func (b *bench) runAvro() (Result, error) {
	registry, err := devregistry.Start("127.0.0.1:0")
	if err != nil {
		return Result{}, err
	}
	defer registry.Close()
	id, _, err := registry.Fake().RegisterSchema(benchTopic+"-value", sr.Schema{Schema: benchAvroSchema, Type: sr.TypeAvro})
	if err != nil {
		return Result{}, fmt.Errorf("register the avro mode's schema: %w", err)
	}
	rs, err := newAvroRecordSet(recordSetSize, b.o.recordBytes, id)
	if err != nil {
		return Result{}, err
	}
	var asked atomic.Int64
	registry.Fake().Intercept(func(http.ResponseWriter, *http.Request) bool {
		asked.Add(1)
		return false
	})
	cfg := b.o.proxyConfig
	cfg.SchemaRegistry.URLs = []string{registry.URL()}
	res := Result{Mode: fmt.Sprintf("stream-%d-avro", avroStreams), Kind: "throughput", Streams: avroStreams}
	res, err = b.withProxyConfig(b.broker.addr, cfg, res, func(t loadgen.Target, deadline time.Time, tl *tally) []time.Duration {
		pushStreams(t, rs, avroStreams, deadline, tl)
		return nil
	})
	if err != nil {
		return res, err
	}
	res.MBPerSec = res.RecordsPerSec * float64(rs.size) / 1e6
	res.Note, res.FirstFailure = avroVerdict(res, b.result(fmt.Sprintf("stream-%d", avroStreams)), asked.Load(), rs.size, res.FirstFailure)
	return res, nil
}

// avroVerdict is the avro mode's note, with its figures against stream-8
// (base, nil when not measured), and its first failure: the one it had, or
// a proxy that asked the registry more than a cached schema needs.
func avroVerdict(res Result, base *Result, asked int64, recordBytes int, failure string) (note, firstFailure string) {
	note = fmt.Sprintf("stream-%d with AVRO values by schema_id (10 fields: strings, int, long, doubles, boolean, enum, nullable union), %d-byte records; registry asked %d times",
		avroStreams, recordBytes, asked)
	if base != nil && base.RecordsPerSec > 0 && base.CPUMicrosPerRecord > 0 {
		ratio := res.RecordsPerSec / base.RecordsPerSec
		note += fmt.Sprintf("; %.2fx stream-%d's records/s, CPU/record %+.1f%%", ratio, avroStreams, 100*(res.CPUMicrosPerRecord/base.CPUMicrosPerRecord-1))
		if ratio < avroBar {
			note += fmt.Sprintf(" (below the %.1fx bar)", avroBar)
		}
	}
	if failure == "" && asked > maxRegistryRequests {
		failure = fmt.Sprintf("the proxy asked the registry %d times, want at most %d: the schema is not cached", asked, maxRegistryRequests)
	}
	return note, failure
}
