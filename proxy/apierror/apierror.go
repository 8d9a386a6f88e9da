// Package apierror is the one table of the produce API's errors: every
// refusal before a stream starts and every failure of one record, each with
// its HTTP status, error_code, message and the label that metrics and logs
// use. The wire shape of all of them is {"error_code":N,"message":"..."};
// docs/produce-api.md lists them for users, and the metrics, the log lines and
// the tests derive theirs from this table.
package apierror

import (
	"fmt"
	"strings"
)

// Kind is one entry of the table.
type Kind uint8

// Refusals before streaming: the request is answered with Status and one
// error body.
const (
	_ Kind = iota
	MethodNotAllowed
	UnsupportedMediaType
	UnsupportedCharset
	UnsupportedEncoding
	EmptyBody
	MalformedBody
	IdleBeforeData
	PathNotFound
	ClusterNotFound
	TopicNotFound
	InvalidBatch // a records:batch body that is refused whole
	Unauthenticated
	InvalidToken // a JWT bearer token that does not verify
	AmbiguousCredentials
	TooManyAuthAttempts
	KafkaCredentialsRefused
	KafkaTLSRefused
	TopicForbidden
	RequestTooLarge
	TooManyStreams
	KafkaUnavailable
	IssuerUnavailable // the JWT issuer's keys cannot be had: fail closed
	ShuttingDown
	Internal
	HTTPStatus // another 4xx of the HTTP layer; Status and Code are the request's

	firstRecordKind
)

// Failures of one record: its report in the stream, which goes on unless
// the entry is Fatal.
const (
	InvalidRecord             Kind = iota + firstRecordKind // the record is not a valid record object
	InvalidData                                             // key or value data does not decode as its type
	SchemaUnsupported                                       // a schema type, or no type: no Schema Registry
	RecordTooLarge                                          // above http.maxRecordBytes: fatal
	MalformedStream                                         // the body cannot be cut into records: fatal
	RateLimited                                             // a rate limit refused the record
	PartitionNotFound                                       // partition_id outside the topic
	StreamMaxAge                                            // read after the stream's maximum age: fatal
	CredentialsRevoked                                      // the stream's credentials left the credentials file: fatal
	Unconfirmed                                             // the stream closed before Kafka answered
	RecordInternal                                          // a bug while handling the record
	MessageTooLarge                                         // above producer.maxMessageBytes or the broker's limit
	KafkaUnauthenticated                                    // Kafka refused the proxy's identity
	KafkaTopicForbidden                                     // Kafka's ACLs refused the topic
	KafkaPartitionGone                                      // Kafka no longer knows the topic or partition
	KafkaInvalidRecord                                      // Kafka refused the record as invalid
	KafkaRetriable                                          // Kafka did not acknowledge in time, or is away
	KafkaError                                              // another Kafka error
	BodyTooLarge                                            // the decompressed body passed http.maxRequestBytes: fatal
	SchemaRequestInvalid                                    // the schema fields do not name one schema
	SchemaInvalid                                           // the schema text does not parse: 42205
	SchemaNotSerializable                                   // no such schema, or it cannot be registered: 42207
	SchemaRegistryUnavailable                               // the registry did not answer and no cached schema serves

	numKinds
)

// Success is the zero Kind: a record stored, reported 200. It is no error,
// but counts and logs index reports by Kind.
const Success Kind = 0

// NumKinds is the number of kinds, Success included, for arrays indexed by
// Kind.
const NumKinds = int(numKinds)

// Entry is one row of the table.
type Entry struct {
	// Status is the HTTP status of a refusal; 0 for a record's failure,
	// whose stream was already answered 200.
	Status int
	// Code is the error_code.
	Code int
	// Message is the fixed message, or a fmt template filled by New's
	// arguments. Empty where the message is the detail of the failure
	// (the parser's description, Kafka's error text), given to Detail.
	Message string
	// Label names the entry in metrics (restproxy_streams_rejected_total's
	// reason, restproxy_record_errors_total's reason) and log lines.
	Label string
	// Limit is the configured limit the entry reports, the limit label of
	// restproxy_limit_exceeded_total; empty for none.
	Limit string
	// RetryAfter is the Retry-After header of a refusal, in seconds.
	RetryAfter string
	// Fatal marks a record failure that also ends the stream's input.
	Fatal bool
}

// Retry-After values: a busy server can be retried after a short pause;
// an unreachable Kafka needs longer to come back.
const (
	retryBusy        = "1"
	retryUnavailable = "5"
)

// Messages shared by more than one place of the contract.
const (
	fatalPrefix = "Bad Request: Error processing message: "
	// FatalPrefix starts the message of a body that cannot be cut into
	// records; MalformedStream's detail follows it.
	FatalPrefix = fatalPrefix
)

var table = [numKinds]Entry{
	Success:                 {Status: 200, Code: 200, Label: "ok"},
	MethodNotAllowed:        {Status: 405, Code: 405, Message: "HTTP 405 Method Not Allowed", Label: "method"},
	UnsupportedMediaType:    {Status: 415, Code: 415, Message: "HTTP 415 Unsupported Media Type", Label: "media_type"},
	UnsupportedCharset:      {Status: 400, Code: 400, Message: `Unsupported charset in Content-Type header. Supports "UTF-8" and "ISO-8859-1".`, Label: "charset"},
	UnsupportedEncoding:     {Status: 415, Code: 415, Message: "Unsupported Content-Encoding: %s.", Label: "content_encoding"},
	EmptyBody:               {Status: 422, Code: 422, Message: "Payload error. Request body is empty. Data is required.", Label: "empty_body"},
	MalformedBody:           {Status: 400, Code: 400, Message: "Malformed request body: %s.", Label: "malformed_body"},
	IdleBeforeData:          {Status: 408, Code: 408, Message: "Request timed out: no data received.", Label: "idle"},
	PathNotFound:            {Status: 404, Code: 404, Message: "HTTP 404 Not Found", Label: "path"},
	ClusterNotFound:         {Status: 404, Code: 404, Message: "Cluster %s cannot be found.", Label: "unknown_cluster"},
	TopicNotFound:           {Status: 404, Code: 40401, Message: "Topic %s cannot be found.", Label: "unknown_topic"},
	InvalidBatch:            {Status: 400, Code: 400, Label: "invalid_batch"},
	Unauthenticated:         {Status: 401, Code: 40101, Message: "Unauthorized: missing or invalid credentials.", Label: "unauthenticated"},
	InvalidToken:            {Status: 401, Code: 40101, Message: "Unauthorized: invalid token: %s.", Label: "invalid_token"},
	AmbiguousCredentials:    {Status: 400, Code: 400, Message: "Bad Request: more than one Authorization header.", Label: "ambiguous_credentials"},
	TooManyAuthAttempts:     {Status: 429, Code: 429, Message: "Too many authentication attempts from this address: try again later.", Label: "auth_attempts", RetryAfter: retryBusy},
	KafkaCredentialsRefused: {Status: 401, Code: 40101, Message: "Kafka refused the proxy's SASL credentials: the proxy's kafka.sasl settings must be fixed.", Label: "kafka_unauthenticated"},
	KafkaTLSRefused:         {Status: 401, Code: 40101, Message: "The TLS handshake with Kafka failed: the proxy's kafka.tls settings must be fixed.", Label: "kafka_tls"},
	TopicForbidden:          {Status: 403, Code: 40301, Message: "Not authorized to access topic %s.", Label: "topic_forbidden"},
	RequestTooLarge:         {Status: 413, Code: 413, Message: "Request body is larger than allowed.", Label: "too_large", Limit: "max_request_bytes"},
	TooManyStreams:          {Status: 429, Code: 429, Message: "Too many concurrent streams: try again later.", Label: "too_many_streams", Limit: "max_streams", RetryAfter: retryBusy},
	KafkaUnavailable:        {Status: 503, Code: 50003, Message: "Kafka is unavailable: no metadata within the wait. Try again later.", Label: "kafka_unavailable", RetryAfter: retryUnavailable},
	IssuerUnavailable:       {Status: 503, Code: 50003, Message: "The token issuer's keys cannot be fetched: try again later.", Label: "issuer_unavailable", RetryAfter: retryUnavailable},
	ShuttingDown:            {Status: 503, Code: 50003, Message: "The server is shutting down: try another instance.", Label: "shutting_down", RetryAfter: retryBusy},
	Internal:                {Status: 500, Code: 500, Message: "Internal Server Error", Label: "internal"},
	HTTPStatus:              {Label: "http"},

	InvalidRecord:        {Code: 400, Label: "invalid_record"},
	InvalidData:          {Code: 400, Label: "invalid_data"},
	SchemaUnsupported:    {Code: 422, Message: "Error: 42206 : Payload error. Schema Registry must be configured when using schemas.", Label: "schema_registry"},
	RecordTooLarge:       {Code: 400, Message: fatalPrefix + "Produce request size is larger than allowed threshold", Label: "record_too_large", Limit: "max_record_bytes", Fatal: true},
	MalformedStream:      {Code: 400, Label: "malformed_stream", Fatal: true},
	RateLimited:          {Code: 429, Message: "Request rate limit exceeded: The rate limit of requests per second has been exceeded.", Label: "rate_limited"},
	PartitionNotFound:    {Code: 40402, Message: "Partition not found.", Label: "partition_not_found"},
	StreamMaxAge:         {Code: 408, Message: "Streaming connection open for longer than allowed: Connection will be closed.", Label: "stream_max_age", Limit: "stream_max_age", Fatal: true},
	CredentialsRevoked:   {Code: 40101, Message: "Unauthorized: the stream's credentials are no longer valid.", Label: "credentials_revoked", Fatal: true},
	Unconfirmed:          {Code: 50003, Message: "Delivery not confirmed before the stream closed: the record may or may not be stored.", Label: "unconfirmed"},
	RecordInternal:       {Code: 500, Message: "Internal Server Error", Label: "internal"},
	MessageTooLarge:      {Code: 413, Label: "message_too_large", Limit: "max_message_bytes"},
	KafkaUnauthenticated: {Code: 40101, Label: "kafka_unauthenticated"},
	KafkaTopicForbidden:  {Code: 40301, Label: "kafka_topic_forbidden"},
	KafkaPartitionGone:   {Code: 40403, Label: "kafka_partition_gone"},
	KafkaInvalidRecord:   {Code: 40002, Label: "kafka_invalid_record"},
	KafkaRetriable:       {Code: 50003, Label: "kafka_retriable"},
	KafkaError:           {Code: 50002, Label: "kafka_error"},
	BodyTooLarge:         {Code: 413, Message: "Request body is larger than allowed.", Label: "request_too_large", Limit: "max_request_bytes", Fatal: true},

	SchemaRequestInvalid:      {Code: 400, Label: "schema_request"},
	SchemaInvalid:             {Code: 422, Message: "Error: 42205 : Invalid schema: %s", Label: "schema_invalid"},
	SchemaNotSerializable:     {Code: 422, Message: "Error: 42207 : Error serializing message. %s", Label: "schema_serialization"},
	SchemaRegistryUnavailable: {Code: 50003, Message: "Schema Registry is unavailable: %s. Try again later.", Label: "schema_registry_unavailable"},
}

// Entry returns k's row of the table.
func (k Kind) Entry() Entry { return table[k] }

// PerRecord reports whether k is a record's failure rather than a refusal.
func (k Kind) PerRecord() bool { return k >= firstRecordKind && k < numKinds }

// Label is the entry's metric and log label.
func (k Kind) Label() string { return table[k].Label }

// Refusals returns every refusal kind, in table order.
func Refusals() []Kind { return kinds(1, firstRecordKind) }

// RecordFailures returns every per-record kind, in table order.
func RecordFailures() []Kind { return kinds(firstRecordKind, numKinds) }

func kinds(from, to Kind) []Kind {
	out := make([]Kind, 0, to-from)
	for k := from; k < to; k++ {
		out = append(out, k)
	}
	return out
}

// Error is one error of the API: the refusal of a request or the failure
// of one record.
type Error struct {
	Kind    Kind
	Message string
	// status overrides the table's for HTTPStatus only.
	status int
	// challenge is the WWW-Authenticate header of a 401, if any.
	challenge string
}

// Challenge returns e with the WWW-Authenticate challenge of a 401.
func Challenge(e *Error, challenge string) *Error {
	c := *e
	c.challenge = challenge
	return &c
}

// WWWAuthenticate is the challenge of a 401; empty for none.
func (e *Error) WWWAuthenticate() string { return e.challenge }

// RetryAfter is the Retry-After header of a refusal, in seconds; empty for
// none.
func (e *Error) RetryAfter() string { return table[e.Kind].RetryAfter }

// Error returns the message alone, so that an *Error wrapped into a log line
// or into another error reads like what the client sees.
func (e *Error) Error() string { return e.Message }

// Code is the error_code the client sees.
func (e *Error) Code() int {
	if e.Kind == HTTPStatus {
		return e.status
	}
	return table[e.Kind].Code
}

// Status is the HTTP status of a refusal.
func (e *Error) Status() int {
	if e.Kind == HTTPStatus {
		return e.status
	}
	return table[e.Kind].Status
}

// Label is the entry's metric and log label.
func (e *Error) Label() string { return table[e.Kind].Label }

// fixed holds one shared, immutable Error per entry with a fixed message, so
// that New(k) allocates nothing. Callers never modify an *Error.
var fixed = func() (out [numKinds]Error) {
	for k, e := range table {
		out[k] = Error{Kind: Kind(k), Message: e.Message}
	}
	return out
}()

// New returns the error of kind k, its message the table's, filled with
// args when the table's message is a template.
func New(k Kind, args ...any) *Error {
	if len(args) == 0 {
		return &fixed[k]
	}
	return &Error{Kind: k, Message: fmt.Sprintf(table[k].Message, args...)}
}

// Detail returns the error of kind k with a message describing this
// failure, for entries whose message is the detail: the record parser's
// description, Kafka's error text. The message is cut to its first line, as
// a report is one line, and to maxMessage bytes, as a broker's text is not
// ours to bound.
func Detail(k Kind, message string) *Error {
	if i := strings.IndexAny(message, "\r\n"); i >= 0 {
		message = message[:i]
	}
	if len(message) > maxMessage {
		message = message[:maxMessage]
	}
	return &Error{Kind: k, Message: message}
}

// Detailf is Detail with a fmt template.
func Detailf(k Kind, format string, args ...any) *Error {
	return Detail(k, fmt.Sprintf(format, args...))
}

// HTTP returns the refusal of another HTTP-layer status (a 4xx echo
// answers itself).
func HTTP(status int, text string) *Error {
	return &Error{Kind: HTTPStatus, Message: text, status: status}
}

const maxMessage = 1 << 10
