package schema

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
	"github.com/restproxy-dev/restproxy-operator/proxy/schema/codec"
)

// compileError is a schema text that does not compile.
type compileError struct{ err error }

func (e *compileError) Error() string { return e.err.Error() }

// newCompileError keeps err's message short: it is cached and reported,
// and a parser's message may quote the schema at length.
func newCompileError(err error) *compileError {
	return &compileError{err: errors.New(codec.Shorten(err.Error()))}
}

func isCompileError(err error) bool {
	var c *compileError
	return errors.As(err, &c)
}

// referenceError is a reference of a schema that could not be had.
type referenceError struct {
	ref sr.SchemaReference
	err error
}

func (e *referenceError) Error() string {
	return fmt.Sprintf("reference %q (subject %s, version %d): %v", e.ref.Name, e.ref.Subject, e.ref.Version, e.err)
}

func (e *referenceError) Unwrap() error { return e.err }

// isNotFound reports whether the registry answered that what was asked
// does not exist.
func isNotFound(err error) bool {
	var answered *sr.ResponseError
	return errors.As(err, &answered) && answered.StatusCode == http.StatusNotFound
}

// failure is what a lookup's error means to the record, the one place
// that maps the registry's errors to the API's (docs/produce-api.md): a
// registry that did not answer is 50003, a schema that does not compile
// 42205, and anything else the registry answered is 42207 with what says
// what was looked up, as the reference implementation words it.
func failure(err error, what string, args ...any) *apierror.Error {
	var unavailable *unavailableError
	var compile *compileError
	var ref *referenceError
	switch {
	case errors.As(err, &unavailable):
		return apierror.New(apierror.SchemaRegistryUnavailable, unavailable.Error())
	case errors.As(err, &compile):
		return apierror.New(apierror.SchemaInvalid, compile.Error())
	case errors.As(err, &ref):
		return apierror.New(apierror.SchemaNotSerializable, fmt.Sprintf(what, args...)+" Its "+ref.Error())
	}
	msg := fmt.Sprintf(what, args...)
	var answered *sr.ResponseError
	if errors.As(err, &answered) && (answered.StatusCode == http.StatusUnauthorized || answered.StatusCode == http.StatusForbidden) {
		msg += fmt.Sprintf(" The registry refused the proxy's credentials (HTTP %d).", answered.StatusCode)
	}
	return apierror.New(apierror.SchemaNotSerializable, msg)
}

// badRequest is a record whose schema fields do not name one schema.
func badRequest(format string, args ...any) *apierror.Error {
	return apierror.Detailf(apierror.SchemaRequestInvalid, format, args...)
}
