package proxy

import (
	"context"
	"errors"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
	"github.com/restproxy-dev/restproxy-operator/proxy/discovery"
	"github.com/restproxy-dev/restproxy-operator/proxy/producer"
)

// discoveryRoutes registers the read-only discovery endpoints and the
// OpenAPI document (package discovery) on e.
func (s *Server) discoveryRoutes(e *echo.Echo) {
	discovery.New(s.producer, s.admit.access, discovery.Settings{
		ClusterID:             s.cfg.ClusterID,
		TrustForwardedHeaders: s.cfg.HTTP.TrustForwardedHeaders,
	}, func(err error) *apierror.Error { return s.kafkaRefusal(err) }).Routes(e)
}

// kafkaRefusal is the refusal of a request whose metadata could not be
// had, for the produce and the discovery endpoints alike: Kafka refuses the
// proxy's own SASL credentials or TLS identity (401: the proxy's
// configuration must be fixed), or no metadata arrived within the wait
// (503). logArgs name what was asked for, in the log line of an unexpected
// error.
func (s *Server) kafkaRefusal(err error, logArgs ...any) *apierror.Error {
	switch {
	case errors.Is(err, producer.ErrCredentialsRefused):
		return apierror.New(apierror.KafkaCredentialsRefused)
	case producer.TLSRefused(err):
		if s.admit.kafkaTLSLog.due(time.Now()) {
			s.log.Error("TLS handshake with Kafka failed: requests are refused 401/40101 until kafka.tls is fixed", "error", err)
		}
		return apierror.New(apierror.KafkaTLSRefused)
	default:
		if !errors.Is(err, producer.ErrUnavailable) && !errors.Is(err, context.DeadlineExceeded) {
			s.log.Warn("Kafka metadata", append(logArgs, "error", err)...)
		}
		return apierror.New(apierror.KafkaUnavailable)
	}
}
