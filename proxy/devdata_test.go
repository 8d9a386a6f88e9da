package proxy

import (
	"bufio"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	kafka "github.com/segmentio/kafka-go"

	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
)

// devProcess is a running `restproxy dev` and the addresses it printed.
type devProcess struct {
	cmd       *exec.Cmd
	api       string // host:port of the produce API
	kafka     string // host:port of the broker
	registry  string // base URL of the Schema Registry
	stderr    *syncBuffer
	helpLines []string // up to the read-back line, included
}

// startDev runs `restproxy dev` with args after free loopback ports for the
// proxy and its Schema Registry, and reads its help up to the read-back
// line.
func startDev(t *testing.T, args ...string) *devProcess {
	t.Helper()
	bin := buildRestproxy(t)
	all := append([]string{"dev", "--listen", "127.0.0.1:0", "--management-listen", "127.0.0.1:0", "--registry-listen", "127.0.0.1:0"}, args...)
	d := &devProcess{cmd: exec.Command(bin, all...), stderr: &syncBuffer{}}
	d.cmd.Stderr = d.stderr
	stdout, err := d.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.cmd.Process.Kill(); _ = d.cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		d.helpLines = append(d.helpLines, sc.Text())
		line := strings.Fields(sc.Text())
		if len(line) > 0 && line[0] == "kcat" {
			break
		}
		if len(line) < 3 {
			continue
		}
		switch line[0] + " " + line[1] {
		case "produce API:":
			d.api = strings.TrimPrefix(line[2], "http://")
		case "Kafka broker:":
			d.kafka = line[2]
		case "Schema Registry:":
			d.registry = line[2]
		}
	}
	if d.api == "" || d.kafka == "" || d.registry == "" {
		t.Fatalf("restproxy dev %v printed no addresses:\n%s\nstderr:\n%s", args, strings.Join(d.helpLines, "\n"), d.stderr.String())
	}
	return d
}

// `restproxy dev --data-dir DIR` keeps the broker's records: after the
// process is killed outright (SIGKILL, no clean shutdown) and started again
// on the same directory and Kafka port, the records reported 200 before are
// read back at their offsets, and new records follow them.
func TestDevCommand_DataDirKeepsRecordsAcrossKill(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := startDev(t, "--kafka-listen", "127.0.0.1:0", "--topics", "kept:1", "--data-dir", dir)
	if help := strings.Join(first.helpLines, "\n"); !strings.Contains(help, "records kept in "+dir) {
		t.Errorf("help does not say where records are kept:\n%s", help)
	}
	url := "http://" + first.api + "/v3/clusters/dev/topics/kept/records"
	var body strings.Builder
	for i := range 3 {
		fmt.Fprintf(&body, `{"value":{"type":"STRING","data":"v%d"}}`, i)
	}
	for i, r := range postRecords(t, url, body.String()) {
		if r.ErrorCode != 200 || r.Offset != int64(i) {
			t.Fatalf("report %d before the kill: %v, want 200 at offset %d", i, r, i)
		}
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.cmd.Wait()

	// A new topic list is ignored: the directory already holds a broker.
	second := startDev(t, "--kafka-listen", first.kafka, "--topics", "other:1", "--data-dir", dir)
	rc := kafka.ReaderConfig{Brokers: []string{second.kafka}, Topic: "kept"}
	for i, m := range kafkatest.Read(t, rc, kafka.FirstOffset, 3) {
		if string(m.Value) != fmt.Sprintf("v%d", i) || m.Offset != int64(i) {
			t.Errorf("after the restart, offset %d holds %q, want v%d", m.Offset, m.Value, i)
		}
	}
	url = "http://" + second.api + "/v3/clusters/dev/topics/kept/records"
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, got := post(t, url, "application/json", `{"value":{"type":"STRING","data":"v3"}}`)
		if resp.StatusCode == 200 {
			if r := parseReports(t, got); len(r) != 1 || r[0].ErrorCode != 200 || r[0].Offset != 3 {
				t.Errorf("record after the restart: %v, want 200 at offset 3", r)
			}
			break
		}
		if resp.StatusCode != 503 || time.Now().After(deadline) {
			t.Fatalf("record after the restart: status %d %s", resp.StatusCode, got)
		}
	}
}
