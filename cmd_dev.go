package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/restproxy-dev/restproxy-operator/proxy"
	"github.com/restproxy-dev/restproxy-operator/proxy/devbroker"
)

// devClusterID is the Kafka cluster id of restproxy dev's broker.
const devClusterID = "dev"

// runDev runs an in-process Kafka broker and a proxy in front of it, and
// prints how to use them, until ctx is done.
func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("dev", "[flags]", stderr)
	configPath := fs.String("config", "", "YAML proxy config `file`; absent: defaults with text logs. The listen addresses and kafka.bootstrapServers always come from the flags")
	o := overrides{}
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8082", "`address` of the produce API")
	fs.StringVar(&o.managementListen, "management-listen", "127.0.0.1:8081", "`address` of /livez, /readyz and /metrics")
	kafkaListen := fs.String("kafka-listen", "127.0.0.1:9092", "`address` of the in-process Kafka broker")
	topicsFlag := fs.String("topics", "demo:3", "topics to create, as `NAME:PARTITIONS,...` (no others can be produced to); with --data-dir, only when DIR holds no broker yet")
	dataDir := fs.String("data-dir", "", "keep the broker's records and topics in `DIR` across restarts; absent: in memory, lost when it stops")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	topics, err := devbroker.ParseTopics(*topicsFlag)
	if err != nil {
		return fmt.Errorf("--topics: %w", err)
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	if *configPath == "" {
		cfg.Logging.Format = "text"
	}
	// The cluster id the discovery endpoints answer for is the one the
	// examples use for produce too.
	opts := []kfake.Opt{kfake.ClusterID(devClusterID)}
	if *dataDir != "" {
		opts = append(opts, kfake.DataDir(*dataDir))
	}
	broker, err := devbroker.Start(*kafkaListen, topics, opts...)
	if err != nil {
		return err
	}
	defer broker.Close()
	o.bootstrapServers = broker.Addr()
	if err := o.apply(&cfg); err != nil {
		return err
	}
	return serveProxy(ctx, cfg, stderr, func(srv *proxy.Server) {
		printDevHelp(stdout, srv.Addr().String(), srv.ManagementAddr().String(), broker.Addr(), storage(*dataDir), firstTopic(*topicsFlag))
	})
}

// firstTopic is the topic the examples use: the first one named in the
// --topics flag, which ParseTopics has already validated.
func firstTopic(flag string) string {
	first, _, _ := strings.Cut(flag, ",")
	name, _, _ := strings.Cut(first, ":")
	return strings.TrimSpace(name)
}

// storage says where the broker keeps its records, for the help text.
func storage(dataDir string) string {
	if dataDir == "" {
		return "in memory; records are lost when it stops"
	}
	return "records kept in " + dataDir + " across restarts"
}

func printDevHelp(w io.Writer, api, mgmt, kafka, storage, topic string) {
	url := fmt.Sprintf("http://%s/v3/clusters/%s/topics/%s/records", api, devClusterID, topic)
	fmt.Fprintf(w, `restproxy dev is running. Ctrl-C stops it.

  produce API:  http://%[1]s  (POST /v3/clusters/{any}/topics/{topic}/records)
  management:   http://%[2]s  (/livez /readyz /metrics)
  Kafka broker: %[3]s  (%[6]s)

Produce one record:

  curl -sS -H 'Content-Type: application/json' --data-binary '{"key":{"type":"STRING","data":"k1"},"value":{"type":"JSON","data":{"hello":"world"}}}' %[4]s

Stream a file of records (one JSON object per record; reports come back as they are acknowledged):

  printf '%%s\n' '{"value":{"type":"STRING","data":"one"}}' '{"partition_id":1,"value":{"type":"STRING","data":"two"}}' > records.json
  curl -sS -N -X POST -T records.json -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/json' %[4]s

List the topics of the cluster (its id is %[7]s), or get the API's OpenAPI document:

  curl -sS http://%[1]s/v3/clusters/%[7]s/topics
  curl -sS http://%[1]s/v3/openapi.json

Read the records back with any Kafka client, for example:

  kcat -b %[3]s -t %[5]s -C -e -f '%%p/%%o key=%%k value=%%s\n'

`, api, mgmt, kafka, url, topic, storage, devClusterID)
}
