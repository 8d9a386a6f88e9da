package proxy

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hamba/avro/v2"
	kafka "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
)

// `restproxy dev` prints ready-to-paste commands; they are run here as
// printed, with real curl, against the running binary: every record is
// stored, the AVRO example's value in the Confluent wire format under the
// schema its report names, and dev stops cleanly on SIGTERM.
func TestDevCommand_PrintedCurlLinesWork(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	d := startDev(t, "--kafka-listen", "127.0.0.1:0", "--topics", "demo:3,other:1")
	c := devCommandsOf(t, d.helpLines)
	dir := t.TempDir()
	for _, line := range c.produce {
		out := runPrinted(t, dir, line)
		if !strings.HasPrefix(line, "curl ") {
			continue
		}
		reports := parseReports(t, out)
		if len(reports) == 0 {
			t.Fatalf("%s\nprinted no report: %q", line, out)
		}
		for _, r := range reports {
			if r.ErrorCode != 200 || r.TopicName != "demo" {
				t.Errorf("%s\nreport %v, want a success on demo", line, r)
			}
		}
		if strings.Contains(line, `"type":"AVRO"`) && reports[0].ErrorCode == 200 {
			checkDevAvroRecord(t, d, line, c.avroReport, reports[0])
		}
	}
	// The GETs, after the records: the registry holds the AVRO example's
	// schema, the topic list names the topics, the document is OpenAPI.
	for i, want := range []string{`"subject":"demo-value"`, `"topic_name":"demo"`, `"openapi": "3.0.3"`} {
		if out := runPrinted(t, dir, c.gets[i]); !strings.Contains(string(out), want) {
			t.Errorf("%s\nprinted %.300s, want it to hold %s", c.gets[i], out, want)
		}
	}
	// The read-back line too, when kcat is installed (Debian package kcat).
	if _, err := exec.LookPath("kcat"); err == nil {
		if got := strings.Count(string(runPrinted(t, dir, c.kcat)), "\n"); got != 4 {
			t.Errorf("%s\nprinted %d records, want the 4 produced", c.kcat, got)
		}
	}
	stopDevCleanly(t, d)
}

// devCommands are the commands of dev's help, by what they do.
type devCommands struct {
	produce    []string // the curls that POST records, and the printf that writes a file of them
	gets       []string // the registry's subject, the topic list, the OpenAPI document
	kcat       string
	avroReport string // the AVRO example's report as the help shows it, after "..."
}

func devCommandsOf(t *testing.T, help []string) devCommands {
	t.Helper()
	var c devCommands
	for _, line := range help {
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "curl ") && strings.Contains(trimmed, "/records"), strings.HasPrefix(trimmed, "printf "):
			c.produce = append(c.produce, trimmed)
		case strings.HasPrefix(trimmed, "curl "):
			c.gets = append(c.gets, trimmed)
		case strings.HasPrefix(trimmed, "kcat "):
			c.kcat = trimmed
		case strings.HasPrefix(trimmed, `..."value":`):
			c.avroReport = strings.TrimPrefix(trimmed, "...")
		}
	}
	if len(c.produce) != 4 || len(c.gets) != 3 || c.kcat == "" || c.avroReport == "" {
		t.Fatalf("want a single-record curl, an AVRO curl and its report, a printf, a streaming curl, three GETs (registry, topics, OpenAPI document) and kcat in the help; got:\n%s", strings.Join(help, "\n"))
	}
	return c
}

// runPrinted runs one printed command line with bash in dir and returns
// its output, failing the test if it fails.
func runPrinted(t *testing.T, dir, line string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sh := exec.CommandContext(ctx, "bash", "-c", line)
	sh.Dir = dir
	out, err := sh.CombinedOutput()
	if err != nil {
		t.Fatalf("%s\nfailed: %v\n%s", line, err, out)
	}
	return out
}

// devOrder is the AVRO example's data, as its JSON and its Avro fields.
type devOrder struct {
	ID     string  `json:"id" avro:"id"`
	Amount float64 `json:"amount" avro:"amount"`
	Paid   bool    `json:"paid" avro:"paid"`
}

// checkDevAvroRecord checks the AVRO example's report against the one the
// help shows, and reads its value back from the broker: magic byte 0 and
// the reported schema id, then the data, which a Confluent-style
// deserializer (franz-go's sr.Serde, with the registry's schema of that
// id) decodes to what the command sent.
func checkDevAvroRecord(t *testing.T, d *devProcess, line, printed string, r report) {
	t.Helper()
	if v := r.Value; v == nil || v.Type != "AVRO" || v.Subject != "demo-value" || v.SchemaID < 1 || v.SchemaVersion != 1 {
		t.Fatalf("AVRO example's report %v, want an AVRO value of subject demo-value, version 1", r)
	}
	if !strings.HasSuffix(r.raw, printed) {
		t.Errorf("AVRO example's report\n%s\ndoes not end as the help shows it:\n%s", r.raw, printed)
	}
	rc := kafka.ReaderConfig{Brokers: []string{d.kafka}, Topic: "demo", Partition: int(r.PartitionID)}
	stored := kafkatest.Read(t, rc, r.Offset, 1)[0].Value
	if len(stored) < 5 || stored[0] != 0 || binary.BigEndian.Uint32(stored[1:5]) != uint32(r.Value.SchemaID) {
		t.Fatalf("stored value % x: want magic byte 0 and schema id %d first", stored, r.Value.SchemaID)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client, err := sr.NewClient(sr.URLs(d.registry))
	if err != nil {
		t.Fatal(err)
	}
	registered, err := client.SchemaByID(ctx, int(r.Value.SchemaID))
	if err != nil {
		t.Fatalf("schema %d from the dev registry: %v", r.Value.SchemaID, err)
	}
	schema := avro.MustParse(registered.Schema)
	var serde sr.Serde
	serde.Register(int(r.Value.SchemaID), devOrder{}, sr.DecodeFn(func(b []byte, v any) error { return avro.Unmarshal(schema, b, v) }))
	var got, sent devOrder
	if err := serde.Decode(stored, &got); err != nil {
		t.Fatalf("decode the stored value % x: %v", stored, err)
	}
	var rec struct {
		Value struct{ Data devOrder }
	}
	payload, _, _ := strings.Cut(strings.SplitN(line, "--data-binary '", 2)[1], "'")
	if err := json.Unmarshal([]byte(payload), &rec); err != nil {
		t.Fatalf("the AVRO example's payload %s: %v", payload, err)
	}
	if sent = rec.Value.Data; got != sent {
		t.Errorf("stored value decodes to %+v, want the %+v sent", got, sent)
	}
}

// stopDevCleanly sends SIGTERM and wants exit 0 within a few seconds.
func stopDevCleanly(t *testing.T, d *devProcess) {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("restproxy dev exited with %v after SIGTERM; want 0\nstderr:\n%s", err, d.stderr.String())
		}
	case <-time.After(15 * time.Second):
		_ = d.cmd.Process.Kill()
		<-done
		t.Fatalf("restproxy dev did not stop within 15s of SIGTERM")
	}
}
