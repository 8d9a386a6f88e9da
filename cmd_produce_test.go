package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/restproxy-dev/restproxy-operator/proxy"
	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/devbroker"
)

// restproxy produce streams stdin to a real proxy in front of a real
// broker, with the token file's content as its bearer key, prints one
// report a record, and fails when a record is refused; the broker holds
// exactly the records reported 200.
func TestProduceCommand(t *testing.T) {
	b, err := devbroker.Start("127.0.0.1:0", map[string]int32{"t": 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	dir := t.TempDir()
	keys, token := filepath.Join(dir, "keys"), filepath.Join(dir, "token")
	for path, content := range map[string]string{keys: "the-key\n", token: "the-key\n"} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := config.Default()
	cfg.Listen, cfg.ManagementListen = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Kafka.BootstrapServers = []string{b.Addr()}
	cfg.Authentication = config.Authentication{Type: config.AuthAPIKey, CredentialsFile: keys}
	srv, err := proxy.New(cfg, proxy.NewLogger(cfg.Logging, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	url := "http://" + srv.Addr().String() + "/v3/clusters/c/topics/t/records"

	var stdout bytes.Buffer
	err = produceFrom(context.Background(), strings.NewReader(`{"value":{"type":"STRING","data":"one"}}{"value":{"type":"STRING","data":"two"}}`),
		[]string{"--url", url, "--token-file", token}, &stdout, io.Discard)
	out := stdout.String()
	if err != nil || strings.Count(out, `"error_code":200`) != 2 {
		t.Fatalf("two records: err %v, reports:\n%s", err, out)
	}
	file := filepath.Join(dir, "records.json")
	if err := os.WriteFile(file, []byte(`{"value":{"type":"STRING","data":"three"}}{"partition_id":7,"value":{"type":"STRING","data":"lost"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	err = produceFrom(context.Background(), strings.NewReader("not read"), []string{"--url", url, "--token-file", token, "--records", file}, &stdout, io.Discard)
	out = stdout.String()
	if err == nil || !strings.Contains(err.Error(), "1 of 2 records were not produced") || !strings.Contains(out, `"error_code":40402`) {
		t.Errorf("--records, with a record to a missing partition: err %v, reports:\n%s", err, out)
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{b.Addr()}, Topic: "t", MaxWait: 100 * time.Millisecond})
	defer r.Close()
	rctx, rcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer rcancel()
	for _, want := range []string{"one", "two", "three"} {
		m, err := r.ReadMessage(rctx)
		if err != nil || string(m.Value) != want {
			t.Fatalf("stored %q (err %v), want %q", m.Value, err, want)
		}
	}
}
