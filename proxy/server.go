// Package proxy wires the produce server: the Confluent REST Proxy v3
// produce endpoint on one listener (docs/produce-api.md) and the operational
// endpoints (/livez, /readyz, /metrics) on another.
//
// Data flows one way, one package per stage:
//
//	socket → admission → produce (intake: decode with record, check, submit)
//	       → producer → Kafka → produce (ordered reports) → socket
//
// with apierror as the one table of errors, config as the file's schema and
// management as metrics and health.
package proxy

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	kafka "github.com/segmentio/kafka-go"

	"github.com/restproxy-dev/restproxy-operator/proxy/admission"
	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/management"
	"github.com/restproxy-dev/restproxy-operator/proxy/produce"
	"github.com/restproxy-dev/restproxy-operator/proxy/producer"
	"github.com/restproxy-dev/restproxy-operator/proxy/schema"
	"github.com/restproxy-dev/restproxy-operator/proxy/tracing"
)

// Server serves the produce API and the management endpoints of one proxy.
// New binds both listeners, so their addresses are known (port 0 included)
// before Run serves them.
type Server struct {
	cfg      config.Config
	log      *slog.Logger
	producer *producer.Producer
	pipeline *produce.Pipeline
	metrics  *management.Metrics
	admit    admitter
	ready    *management.Readiness

	apiListener, mgmtListener net.Listener
	api, mgmt                 *http.Server
	tracing                   *tracing.Tracing // nil: tracing is off
}

// admitter is the admission stage: who may produce, how fast, and how
// many streams at once.
type admitter struct {
	access  *admission.Access
	tls     *admission.TLSFiles    // nil: plain HTTP
	limiter *admission.RateLimiter // nil: no rate limits
	streams *admission.Streams
	// kafkaTLSLog says why Kafka's TLS refuses the proxy, once a minute
	// rather than once per refused request.
	kafkaTLSLog logEvery
	unusedConns admission.NewConns
}

// New builds a server from cfg: it creates the Kafka producer and binds the
// produce and management listeners.
func New(cfg config.Config, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	// The metrics come first, for the files re-read while running to
	// count their reloads in; the producer they read the Writer's counters
	// of is built next, and /metrics is not served before New returns.
	var prod *producer.Producer
	m := management.NewMetricsLimited(func() kafka.WriterStats { return prod.Stats() },
		func() (records, bytes int64) { return prod.Flow().Held() }, cfg.Metrics.PrincipalLimit)
	m.ExposeInFlightLimits(int64(cfg.HTTP.MaxInFlightTotal), cfg.HTTP.MaxInFlightBytesTotal)
	access, err := admission.NewAccess(cfg.Authentication, cfg.Authorization, log, m)
	if err != nil {
		return nil, err
	}
	tlsFiles, err := admission.NewTLSFiles(cfg.HTTP.TLS, cfg.Authentication.Type, log, m)
	if err != nil {
		return nil, err
	}
	schemas, err := newSchemas(cfg.SchemaRegistry, log, m)
	if err != nil {
		return nil, err
	}
	prod, traces, err := newTracedProducer(cfg, log, m)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:      cfg,
		log:      log,
		producer: prod,
		metrics:  m,
		tracing:  traces,
		pipeline: produce.NewPipeline(pipelineSettings(cfg), prod, m, log).WithSchemas(schemas),
		admit: admitter{
			access:      access,
			tls:         tlsFiles,
			limiter:     admission.NewRateLimiter(cfg.RateLimit, access.HasPrincipalLimits(), m.RateLimitCounters()),
			streams:     admission.NewStreams(cfg.HTTP.MaxStreams),
			kafkaTLSLog: logEvery{period: time.Minute},
		},
	}
	s.ready = management.NewReadiness(prod.Ready, s.admit.streams.IsDraining)
	if err := s.listen(); err != nil {
		_ = prod.Close()
		return nil, err
	}
	return s, nil
}

// pipelineSettings are the limits and time-outs of cfg every stream shares.
func pipelineSettings(cfg config.Config) produce.Settings {
	ms := func(v int64) time.Duration { return time.Duration(v) * time.Millisecond }
	return produce.Settings{
		Idle:              ms(cfg.HTTP.IdleTimeoutMs),
		Grace:             ms(cfg.HTTP.StreamGracePeriodMs),
		Drain:             ms(cfg.HTTP.ShutdownDrainMs),
		MaxAge:            ms(cfg.HTTP.StreamMaxAgeMs),
		MaxRecordBytes:    produce.RecordLimit(cfg.HTTP.MaxRecordBytes, cfg.Producer.MaxMessageBytes),
		MaxRequestBytes:   cfg.HTTP.MaxRequestBytes,
		MaxBatchEntries:   cfg.HTTP.MaxBatchEntries,
		DeliveryTimeout:   ms(int64(cfg.Producer.DeliveryTimeoutMs)),
		CompressResponses: cfg.HTTP.CompressResponses,
		AccessLog:         cfg.Logging.Access,
	}
}

// newSchemas is the schema stage's registry; nil when none is configured.
func newSchemas(cfg config.SchemaRegistry, log *slog.Logger, m *management.Metrics) (*schema.Registry, error) {
	if !cfg.Enabled() {
		return nil, nil
	}
	r, err := schema.New(cfg, log, m)
	if err != nil {
		return nil, err
	}
	m.ExposeSchemaRegistry(r.Requests)
	return r, nil
}

func (s *Server) listen() error {
	api, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s (listen): %w", s.cfg.Listen, err)
	}
	mgmt, err := net.Listen("tcp", s.cfg.ManagementListen)
	if err != nil {
		_ = api.Close()
		return fmt.Errorf("listen on %s (managementListen): %w", s.cfg.ManagementListen, err)
	}
	s.apiListener, s.mgmtListener = api, mgmt
	ms := func(v int64) time.Duration { return time.Duration(v) * time.Millisecond }
	s.api = &http.Server{
		Handler: s.routes(),
		// Streams are long: no ReadTimeout or WriteTimeout. Headers must
		// arrive promptly (slowloris); the body is bounded by the per-read
		// idle timeout and reports by a per-flush write deadline.
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       ms(s.cfg.HTTP.IdleTimeoutMs),
		MaxHeaderBytes:    64 << 10,
		ConnState:         s.admit.unusedConns.Track,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	s.mgmt = &http.Server{
		Handler:           management.Handler(s.metrics, s.ready),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	return nil
}

// Addr is the produce API's bound address.
func (s *Server) Addr() net.Addr { return s.apiListener.Addr() }

// ManagementAddr is the management endpoints' bound address.
func (s *Server) ManagementAddr() net.Addr { return s.mgmtListener.Addr() }

// Run serves both listeners until ctx is done, then shuts down: readiness
// fails at once, new streams are refused, active streams stop reading and
// write the reports of every record already read (bounded by
// http.shutdownDrainMs), and the producer is closed last. A nil return means
// a clean shutdown.
func (s *Server) Run(ctx context.Context) error {
	errc := make(chan error, 2)
	go func() {
		if s.admit.tls != nil {
			s.api.TLSConfig = s.admit.tls.ServerConfig()
			errc <- s.api.ServeTLS(s.apiListener, "", "")
			return
		}
		errc <- s.api.Serve(s.apiListener)
	}()
	go func() { errc <- s.mgmt.Serve(s.mgmtListener) }()
	s.log.Info("serving", "listen", s.Addr().String(), "managementListen", s.ManagementAddr().String(), "tls", s.admit.tls != nil)

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
		serveErr = fmt.Errorf("serve: %w", serveErr)
	}
	s.shutdown()
	return serveErr
}

// shutdown drains in the order that loses no report: refuse new streams,
// stop reading, wait for the reports, then close Kafka.
func (s *Server) shutdown() {
	start := time.Now()
	drain := time.Duration(s.cfg.HTTP.ShutdownDrainMs) * time.Millisecond
	active, drained := s.admit.streams.DrainAll()
	s.log.Info("shutting down", "active_streams", active, "drain_ms", drain.Milliseconds())
	// Streams abandon what Kafka has not confirmed after the drain; the
	// server waits a little longer so those last reports can be written.
	ctx, cancel := context.WithTimeout(context.Background(), drain+time.Second)
	defer cancel()
	if err := s.shutdownAPI(ctx); err != nil {
		s.log.Warn("produce listener did not drain in time; closing connections", "error", err)
		_ = s.api.Close()
	}
	// http.Server.Shutdown does not wait for hijacked connections: a stream
	// that ended before its input may still be in lingerClose, giving its
	// client time to read the last reports. Exiting now would reset those
	// connections and lose the reports.
	select {
	case <-drained:
	case <-ctx.Done():
	}
	if err := s.producer.Close(); err != nil {
		s.log.Warn("close producer", "error", err)
	}
	mctx, mcancel := context.WithTimeout(context.Background(), time.Second)
	defer mcancel()
	if err := s.mgmt.Shutdown(mctx); err != nil {
		_ = s.mgmt.Close()
	}
	tctx, tcancel := context.WithTimeout(context.Background(), tracing.ShutdownTimeout)
	defer tcancel()
	if err := s.tracing.Shutdown(tctx); err != nil {
		s.log.Warn("export the last spans", "error", err)
	}
	s.log.Info("shut down", "duration_ms", time.Since(start).Milliseconds())
}

// shutdownAPI runs http.Server.Shutdown and meanwhile closes connections
// that never sent a request, which Shutdown would wait five seconds for.
func (s *Server) shutdownAPI(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- s.api.Shutdown(ctx) }()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		s.admit.unusedConns.CloseAll()
		select {
		case err := <-done:
			return err
		case <-tick.C:
		}
	}
}
