package producer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
)

func TestMapError(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		code    int
		message string // "" skips the message check
	}{
		{"nil", nil, 0, ""},
		{"too large, ours", fmt.Errorf("%w: 2000 bytes, limit 1000", errTooLarge), 413, "record is larger than producer.maxMessageBytes: 2000 bytes, limit 1000"},
		{"too large, kafka-go", kafka.MessageTooLargeError{}, 413, ""},
		{"too large, broker", kafka.MessageSizeTooLarge, 413, kafka.MessageSizeTooLarge.Error()},
		{"batch too large, broker", kafka.RecordListTooLarge, 413, ""},
		{"SASL failed", kafka.SASLAuthenticationFailed, 40101, kafka.SASLAuthenticationFailed.Error()},
		{"SASL failed with broker text", fmt.Errorf("%w: Authentication failed: Invalid username or password", kafka.SASLAuthenticationFailed), 40101, ""},
		{"SASL mechanism unsupported", kafka.UnsupportedSASLMechanism, 40101, ""},
		{"credentials refused after EOF", errors.Join(errCredentialsRefused, io.ErrUnexpectedEOF), 40101, "Kafka refused the proxy's SASL credentials"},
		{"broker certificate not trusted", fmt.Errorf("kafka.(*Client).Metadata: %w", &tls.CertificateVerificationError{Err: errors.New("x509: certificate signed by unknown authority")}), 40101, ""},
		{"broker refuses the client certificate", &net.OpError{Op: "remote error", Err: errors.New("tls: certificate required")}, 40101, ""},
		{"read error is no TLS refusal", &net.OpError{Op: "read", Err: syscall.ECONNRESET}, 50003, ""},
		{"topic authorization", kafka.TopicAuthorizationFailed, 40301, ""},
		{"cluster authorization", kafka.ClusterAuthorizationFailed, 40301, ""},
		{"unknown topic", kafka.UnknownTopicOrPartition, 40403, ""},
		{"not leader is retriable", kafka.NotLeaderForPartition, 50003, ""},
		{"topic gone from layout", fmt.Errorf("produce: %w", protocol.NewErrNoTopic("orders")), 40403, ""},
		{"partition gone from layout", protocol.NewErrNoPartition("orders", 7), 40403, ""},
		{"invalid topic", kafka.InvalidTopic, 40002, ""},
		{"invalid record", kafka.InvalidRecord, 40002, ""},
		{"corrupt message", kafka.InvalidMessage, 40002, ""},
		{"invalid request", kafka.InvalidRequest, 40002, ""},
		{"retriable code", kafka.NotEnoughReplicas, 50003, ""},
		{"leader not available", kafka.LeaderNotAvailable, 50003, ""},
		{"request timed out", kafka.RequestTimedOut, 50003, ""},
		{"no leader in layout", protocol.NewErrNoLeader("orders", 0), 50003, ""},
		{"delivery timeout", errDeliveryTimeout, 50003, errDeliveryTimeout.Error()},
		{"closing", errClosed, 50003, ""},
		{"writer closed", io.ErrClosedPipe, 50003, ""},
		{"context deadline", fmt.Errorf("kafka.(*Client).Produce: %w", context.DeadlineExceeded), 50003, ""},
		{"unavailable", fmt.Errorf("%w: metadata for topic %q", ErrUnavailable, "orders"), 50003, ""},
		{"unexpected EOF", io.ErrUnexpectedEOF, 50003, "unexpected EOF"},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, 50003, ""},
		{"connection reset", fmt.Errorf("write: %w", syscall.ECONNRESET), 50003, ""},
		{"other Kafka error", kafka.PolicyViolation, 50002, kafka.PolicyViolation.Error()},
		{"unknown server error", kafka.Unknown, 50002, ""},
		{"anything else", errors.New("something odd"), 500, "Internal Server Error"},
		{"multi-line broker text", fmt.Errorf("%w: line one\nline two", kafka.PolicyViolation), 50002, kafka.PolicyViolation.Error() + ": line one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mapError(tt.err)
			if tt.err == nil {
				if got != nil {
					t.Fatalf("mapError(nil) = %+v, want nil", got)
				}
				return
			}
			if got == nil || got.Code() != tt.code {
				t.Fatalf("mapError(%v) = %+v, want code %d", tt.err, got, tt.code)
			}
			if tt.message != "" && got.Message != tt.message {
				t.Errorf("mapError(%v) message = %q, want %q", tt.err, got.Message, tt.message)
			}
		})
	}
}
