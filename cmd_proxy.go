package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/restproxy-dev/restproxy-operator/proxy"
	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// runProxy serves the produce API from a config file until ctx is done.
func runProxy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("proxy", "[--config FILE] [flags]", stderr)
	configPath := fs.String("config", "", "YAML config `file` (docs/configuration.md); absent: every key takes its default")
	var o overrides
	fs.StringVar(&o.listen, "listen", "", "`address` of the produce API (overrides listen)")
	fs.StringVar(&o.managementListen, "management-listen", "", "`address` of /livez, /readyz and /metrics (overrides managementListen)")
	fs.StringVar(&o.bootstrapServers, "bootstrap-servers", "", "comma-separated Kafka `host:port` list (overrides kafka.bootstrapServers)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	if err := o.apply(&cfg); err != nil {
		return err
	}
	return serveProxy(ctx, cfg, stderr, nil)
}

// loadConfig reads path, or returns the defaults when path is empty.
func loadConfig(path string) (config.Config, error) {
	if path == "" {
		return config.Default(), nil
	}
	return config.Load(path)
}

// overrides are the flags that replace config file keys; empty means not
// given.
type overrides struct {
	listen, managementListen, bootstrapServers string
}

// apply sets the given flags into cfg and validates the result, naming the
// flag when its value is what is wrong.
func (o overrides) apply(cfg *config.Config) error {
	if o.listen != "" {
		cfg.Listen = o.listen
	}
	if o.managementListen != "" {
		cfg.ManagementListen = o.managementListen
	}
	if o.bootstrapServers != "" {
		cfg.Kafka.BootstrapServers = strings.Split(o.bootstrapServers, ",")
		for _, s := range cfg.Kafka.BootstrapServers {
			if host, port, ok := strings.Cut(s, ":"); !ok || host == "" || port == "" {
				return fmt.Errorf("--bootstrap-servers: %q is not host:port", s)
			}
		}
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid configuration: %w", err)
	}
	return nil
}

// serveProxy runs a proxy from cfg until ctx is done; started, if not nil,
// is called once the server listens.
func serveProxy(ctx context.Context, cfg config.Config, logOut io.Writer, started func(*proxy.Server)) error {
	srv, err := proxy.New(cfg, proxy.NewLogger(cfg.Logging, logOut))
	if err != nil {
		return err
	}
	if started != nil {
		started(srv)
	}
	return srv.Run(ctx)
}
