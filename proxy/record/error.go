package record

import "fmt"

// Error is an API error. It is both the in-stream error report of one record and
// the body of an HTTP-level error: {"error_code":<Code>,"message":"<Message>"}.
// Code is an HTTP status or a Confluent-style extended code such as 40402.
type Error struct {
	Code    int
	Message string
}

// Error returns the message alone, so that an *Error wrapped into a log line
// or into another error reads like the report the client sees.
func (e *Error) Error() string { return e.Message }

// NewError formats an Error; with no args the format is used verbatim.
func NewError(code int, format string, args ...any) *Error {
	if len(args) == 0 {
		return &Error{Code: code, Message: format}
	}
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Codes and fixed messages of the wire contract (spec sections 2.1 and 4.2).
const (
	CodeBadRequest    = 400
	CodeUnprocessable = 422

	// MessageSchemaRegistry answers a data object without a type or with a
	// schema type: this proxy has no Schema Registry.
	MessageSchemaRegistry = "Error: 42206 : Payload error. Schema Registry must be configured when using schemas."
	// MessageTooLarge is the fatal in-stream answer to a record above the
	// per-record size limit.
	MessageTooLarge = "Bad Request: Error processing message: Produce request size is larger than allowed threshold"

	fatalPrefix = "Bad Request: Error processing message: "
)
