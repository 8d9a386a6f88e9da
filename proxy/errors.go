package proxy

import (
	"bytes"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/restproxy-dev/restproxy-operator/proxy/record"
)

// requestError is a refusal before streaming starts: a real HTTP status with
// the JSON error body every client of the v3 API knows. All of them are
// built here, so the status, error_code and message of each stay together.
type requestError struct {
	status     int
	code       int
	message    string
	retryAfter string // seconds; empty for none
	reason     string // label of restproxy_streams_rejected_total
	challenge  string // WWW-Authenticate of a 401; empty for none
}

func (e *requestError) Error() string { return e.message }

// Retry-After values, in seconds: a rejected stream may retry at once after a
// short pause; an unreachable Kafka needs longer to come back.
const (
	retryAfterBusy        = "1"
	retryAfterUnavailable = "5"
)

var errMethodNotAllowed = &requestError{http.StatusMethodNotAllowed, 405, "HTTP 405 Method Not Allowed", "", "method", ""}

func errUnsupportedMediaType() *requestError {
	return &requestError{http.StatusUnsupportedMediaType, 415, "HTTP 415 Unsupported Media Type", "", "media_type", ""}
}

func errUnsupportedCharset() *requestError {
	return &requestError{http.StatusBadRequest, 400, `Unsupported charset in Content-Type header. Supports "UTF-8" and "ISO-8859-1".`, "", "charset", ""}
}

func errEmptyBody() *requestError {
	return &requestError{http.StatusUnprocessableEntity, 422, "Payload error. Request body is empty. Data is required.", "", "empty_body", ""}
}

func errIdleBeforeData() *requestError {
	return &requestError{http.StatusRequestTimeout, 408, "Request timed out: no data received.", "", "idle", ""}
}

func errPathNotFound() *requestError {
	return &requestError{http.StatusNotFound, 404, "HTTP 404 Not Found", "", "path", ""}
}

func errClusterNotFound(id string) *requestError {
	return &requestError{http.StatusNotFound, 404, "Cluster " + id + " cannot be found.", "", "unknown_cluster", ""}
}

func errTopicNotFound(topic string) *requestError {
	return &requestError{http.StatusNotFound, 40401, "Topic " + topic + " cannot be found.", "", "unknown_topic", ""}
}

func errUnauthenticated(challenge string) *requestError {
	return &requestError{http.StatusUnauthorized, 40101, "Unauthorized: missing or invalid credentials.", "", "unauthenticated", challenge}
}

// errKafkaCredentialsRefused answers a request when Kafka refuses the
// proxy's own credentials, as the reference proxy does (401, 40101); the
// message says whose credentials are wrong, and no challenge is sent, since
// the client's would not help.
func errKafkaCredentialsRefused() *requestError {
	return &requestError{http.StatusUnauthorized, 40101, "Kafka refused the proxy's SASL credentials: the proxy's kafka.sasl settings must be fixed.", "", "kafka_unauthenticated", ""}
}

// errKafkaTLSRefused answers a request when the TLS handshake with Kafka
// fails on identity (a broker certificate the proxy does not trust, or a
// broker refusing the proxy's certificate): like refused SASL credentials,
// only the proxy's settings can fix it.
func errKafkaTLSRefused() *requestError {
	return &requestError{http.StatusUnauthorized, 40101, "The TLS handshake with Kafka failed: the proxy's kafka.tls settings must be fixed.", "", "kafka_tls", ""}
}

func errTopicForbidden(topic string) *requestError {
	return &requestError{http.StatusForbidden, 40301, "Not authorized to access topic " + topic + ".", "", "topic_forbidden", ""}
}

func errRequestTooLarge() *requestError {
	return &requestError{http.StatusRequestEntityTooLarge, 413, "Request body is larger than allowed.", "", "too_large", ""}
}

func errTooManyStreams() *requestError {
	return &requestError{http.StatusTooManyRequests, 429, "Too many concurrent streams: try again later.", retryAfterBusy, "too_many_streams", ""}
}

func errKafkaUnavailable() *requestError {
	return &requestError{http.StatusServiceUnavailable, 50003, "Kafka is unavailable: no metadata within the wait. Try again later.", retryAfterUnavailable, "kafka_unavailable", ""}
}

func errShuttingDown() *requestError {
	return &requestError{http.StatusServiceUnavailable, 50003, "The server is shutting down: try another instance.", retryAfterBusy, "shutting_down", ""}
}

func errInternal() *requestError {
	return &requestError{http.StatusInternalServerError, 500, "Internal Server Error", "", "internal", ""}
}

// In-stream reports that the server itself decides, as opposed to those of
// the record parser and the producer.
func reportRateLimited() *record.Error {
	return record.NewError(429, "Request rate limit exceeded: The rate limit of requests per second has been exceeded.")
}

func reportPartitionNotFound() *record.Error {
	return record.NewError(40402, "Partition not found.")
}

func reportMaxAge() *record.Error {
	return record.NewError(408, "Streaming connection open for longer than allowed: Connection will be closed.")
}

func reportUnconfirmed() *record.Error {
	return record.NewError(50003, "Delivery not confirmed before the stream closed: the record may or may not be stored.")
}

// handleError is echo's error handler: every error, echo's own 404 and 405
// included, leaves as {"error_code":N,"message":"..."}.
func handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var re *requestError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &re):
	case errors.As(err, &he) && he.Code == http.StatusNotFound:
		re = errPathNotFound()
	case errors.As(err, &he) && he.Code == http.StatusMethodNotAllowed:
		re = errMethodNotAllowed
	case errors.As(err, &he) && he.Code < 500:
		re = &requestError{he.Code, he.Code, http.StatusText(he.Code), "", "http", ""}
	default:
		re = errInternal()
	}
	stopReadingBody(c)
	writeRequestError(c.Response(), re)
}

// stopReadingBody makes further reads of a refused request's body fail at
// once. Before writing an answer, net/http reads up to 256 KiB of a body the
// handler left unread, so that the connection can be reused; a streaming
// client that sent its first record and waits for its report would wait for
// ever. With the deadline, a body already received is still consumed and
// the connection kept; otherwise the answer is written at once and the
// connection closed after it.
func stopReadingBody(c echo.Context) {
	if req := c.Request(); req.Body == nil || req.Body == http.NoBody {
		return
	}
	_ = http.NewResponseController(c.Response().Writer).SetReadDeadline(time.Now())
}

func writeRequestError(w http.ResponseWriter, re *requestError) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if re.retryAfter != "" {
		h.Set("Retry-After", re.retryAfter)
	}
	if re.challenge != "" {
		h.Set("WWW-Authenticate", re.challenge)
	}
	if re.status == http.StatusMethodNotAllowed {
		h.Set("Allow", http.MethodPost)
	}
	body := bytes.TrimSuffix(record.AppendError(nil, record.NewError(re.code, "%s", re.message)), []byte("\r\n"))
	w.WriteHeader(re.status)
	_, _ = w.Write(body)
}
