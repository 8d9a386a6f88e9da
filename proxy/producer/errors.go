package producer

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
)

// Errors of Partitions. The server turns them into HTTP answers before it
// starts streaming, so they are sentinels to test with errors.Is; the wrapped
// text says why.
var (
	// ErrUnknownTopic: the broker says the topic does not exist (HTTP 404, 40401).
	ErrUnknownTopic = errors.New("topic not found")
	// ErrUnavailable: no metadata arrived within producer.metadataWaitMs
	// (HTTP 503, 50003, with Retry-After).
	ErrUnavailable = errors.New("Kafka is unavailable")
	// ErrTopicAuthorization: the broker refuses the proxy's principal access
	// to the topic's metadata (HTTP 403, 40301).
	ErrTopicAuthorization = errors.New("not authorized to access the topic")
	// ErrCredentialsRefused: the broker refuses the proxy's own SASL
	// credentials (HTTP 401, 40101, as the reference proxy answers a Kafka
	// authentication failure). Partitions wraps it with ErrUnavailable.
	ErrCredentialsRefused = errCredentialsRefused
)

// Errors this package raises itself and reports through mapError.
var (
	errDeliveryTimeout    = errors.New("record not acknowledged by Kafka within producer.deliveryTimeoutMs")
	errClosed             = errors.New("producer is shutting down")
	errCredentialsRefused = errors.New("Kafka refused the proxy's SASL credentials")
	errTooLarge           = errors.New("record is larger than producer.maxMessageBytes")
)

// mapError is the one place a produce failure becomes an API error (the
// kinds of package apierror). Order matters: kafka-go calls some codes that
// we report as client errors "temporary" (CORRUPT_MESSAGE,
// UNKNOWN_TOPIC_OR_PARTITION), so the specific codes are matched before the
// retriable class. NOT_LEADER_FOR_PARTITION that outlived kafka-go's retries
// is a leader election still under way, not a vanished partition: it stays
// retriable (50003), as in the Java client, so clients retry instead of
// giving up.
func mapError(err error) *apierror.Error {
	if err == nil {
		return nil
	}
	var tooLarge kafka.MessageTooLargeError
	switch {
	case errors.Is(err, errCredentialsRefused), errors.Is(err, errNoKafkaUser), TLSRefused(err),
		isKafka(err, kafka.SASLAuthenticationFailed, kafka.UnsupportedSASLMechanism, kafka.IllegalSASLState):
		return apierror.Detail(apierror.KafkaUnauthenticated, err.Error())
	case errors.Is(err, errTooLarge), errors.As(err, &tooLarge),
		isKafka(err, kafka.MessageSizeTooLarge, kafka.RecordListTooLarge):
		return apierror.Detail(apierror.MessageTooLarge, err.Error())
	case isKafka(err, kafka.TopicAuthorizationFailed, kafka.ClusterAuthorizationFailed):
		return apierror.Detail(apierror.KafkaTopicForbidden, err.Error())
	case isKafka(err, kafka.UnknownTopicOrPartition),
		errors.Is(err, protocol.ErrNoTopic), errors.Is(err, protocol.ErrNoPartition):
		return apierror.Detail(apierror.KafkaPartitionGone, err.Error())
	case isKafka(err, kafka.InvalidTopic, kafka.InvalidRecord, kafka.InvalidMessage, kafka.InvalidRequest):
		return apierror.Detail(apierror.KafkaInvalidRecord, err.Error())
	case isRetriable(err):
		return apierror.Detail(apierror.KafkaRetriable, err.Error())
	case isKafka(err):
		return apierror.Detail(apierror.KafkaError, err.Error())
	default:
		return apierror.New(apierror.RecordInternal)
	}
}

// TLSRefused reports a TLS handshake with a broker that failed on
// identity: the broker's certificate is not one kafka.tls.caFile trusts, or
// the broker answered the handshake with an alert (it refuses the proxy's
// client certificate, or wants one). Like refused SASL credentials, it is an
// authentication failure (40101) that only fixing the proxy's settings
// cures, not a broker being away. Alerts reach us as net.OpError "remote
// error" wrapping an unexported type, so the Op is what identifies them.
func TLSRefused(err error) bool {
	var verify *tls.CertificateVerificationError
	if errors.As(err, &verify) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "remote error"
}

// isKafka reports whether err carries a Kafka error code, one of codes when
// any are given.
func isKafka(err error, codes ...kafka.Error) bool {
	var code kafka.Error
	if !errors.As(err, &code) {
		return false
	}
	if len(codes) == 0 {
		return true
	}
	for _, c := range codes {
		if code == c {
			return true
		}
	}
	return false
}

// isRetriable is the class a client should simply try again: Kafka's own
// retriable codes, timeouts (ours included), a closing producer and network
// failures.
func isRetriable(err error) bool {
	var code kafka.Error
	if errors.As(err, &code) {
		return code.Temporary()
	}
	var netErr net.Error
	return errors.Is(err, errDeliveryTimeout) || errors.Is(err, errClosed) ||
		errors.Is(err, io.ErrClosedPipe) || // the kafka-go Writer is closing
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrUnavailable) ||
		errors.As(err, &netErr) || isConnectionLevel(err) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, protocol.ErrNoLeader)
}

// isConnectionLevel reports the failures a broker causes by closing the
// connection. A broker that rejects SASL credentials may do just that, so
// these are the errors worth a credentials check when SASL is on.
func isConnectionLevel(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// isMetadataStale reports errors after which cached partition counts and
// leaders may be wrong. A broker that refuses or drops connections may be
// gone: forgetting the counts makes the next stream ask the cluster, and
// get a 503 if it is down, rather than stream into it.
func isMetadataStale(err error) bool {
	return isKafka(err, kafka.UnknownTopicOrPartition, kafka.NotLeaderForPartition, kafka.LeaderNotAvailable) ||
		errors.Is(err, protocol.ErrNoTopic) || errors.Is(err, protocol.ErrNoPartition) || errors.Is(err, protocol.ErrNoLeader) ||
		errors.Is(err, syscall.ECONNREFUSED) || isConnectionLevel(err)
}
