package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/restproxy-dev/restproxy-operator/proxy"
	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/devbroker"
	"github.com/restproxy-dev/restproxy-operator/proxy/devregistry"
)

// devClusterID is the Kafka cluster id of restproxy dev's broker.
const devClusterID = "dev"

// devFlags are restproxy dev's own flags, beside the listeners it shares
// with restproxy proxy.
type devFlags struct {
	configPath, kafkaListen, registryListen, topics, dataDir string
}

// runDev runs an in-process Kafka broker, an in-process Schema Registry
// and a proxy in front of them, and prints how to use them, until ctx is
// done.
func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("dev", "[flags]", stderr)
	var f devFlags
	fs.StringVar(&f.configPath, "config", "", "YAML proxy config `file`; absent: defaults with text logs. The listen addresses, kafka.bootstrapServers and schemaRegistry.urls always come from the flags")
	o := overrides{}
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8082", "`address` of the produce API")
	fs.StringVar(&o.managementListen, "management-listen", "127.0.0.1:8081", "`address` of /livez, /readyz and /metrics")
	fs.StringVar(&f.kafkaListen, "kafka-listen", "127.0.0.1:9092", "`address` of the in-process Kafka broker")
	fs.StringVar(&f.registryListen, "registry-listen", "127.0.0.1:8085", "`address` of the in-process Schema Registry (in memory, even with --data-dir); empty: none, and schemaRegistry comes from --config")
	fs.StringVar(&f.topics, "topics", "demo:3", "topics to create, as `NAME:PARTITIONS,...` (no others can be produced to); with --data-dir, only when DIR holds no broker yet")
	fs.StringVar(&f.dataDir, "data-dir", "", "keep the broker's records and topics in `DIR` across restarts; absent: in memory, lost when it stops")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(f.configPath)
	if err != nil {
		return err
	}
	if f.configPath == "" {
		cfg.Logging.Format = "text"
	}
	broker, err := startDevBroker(f)
	if err != nil {
		return err
	}
	defer broker.Close()
	o.bootstrapServers = broker.Addr()
	registry, err := startDevRegistry(f.registryListen, &cfg)
	if err != nil {
		return err
	}
	if registry != nil {
		defer registry.Close()
	}
	if err := o.apply(&cfg); err != nil {
		return err
	}
	return serveProxy(ctx, cfg, stderr, func(srv *proxy.Server) {
		h := devHelp{API: srv.Addr().String(), Management: srv.ManagementAddr().String(), Kafka: broker.Addr(),
			Storage: storage(f.dataDir), Topic: firstTopic(f.topics), ClusterID: devClusterID, Registries: cfg.SchemaRegistry.URLs, InProcess: registry != nil}
		h.print(stdout)
	})
}

// startDevBroker starts the in-process broker with the flags' topics,
// kept in the flags' data directory if any.
func startDevBroker(f devFlags) (*devbroker.Broker, error) {
	topics, err := devbroker.ParseTopics(f.topics)
	if err != nil {
		return nil, fmt.Errorf("--topics: %w", err)
	}
	// The cluster id the discovery endpoints answer for is the one the
	// examples use for produce too.
	opts := []kfake.Opt{kfake.ClusterID(devClusterID)}
	if f.dataDir != "" {
		opts = append(opts, kfake.DataDir(f.dataDir))
	}
	return devbroker.Start(f.kafkaListen, topics, opts...)
}

// startDevRegistry starts the in-process Schema Registry on listen and
// points cfg's schemaRegistry.urls at it; with listen empty it starts
// none, returns nil and leaves cfg as --config set it.
func startDevRegistry(listen string, cfg *config.Config) (*devregistry.Registry, error) {
	if listen == "" {
		return nil, nil
	}
	registry, err := devregistry.Start(listen)
	if err != nil {
		return nil, fmt.Errorf("--registry-listen: %w", err)
	}
	cfg.SchemaRegistry.URLs = []string{registry.URL()}
	return registry, nil
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
