package jsonschema

import (
	"cmp"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/restproxy-dev/restproxy-operator/proxy/schema/codec"
)

// english formats the validator's messages; a Printer is safe for
// concurrent use.
var english = message.NewPrinter(language.English)

// dataError turns a validation failure into the one problem a client is
// told about: the most specific error, at the field it concerns.
func dataError(err error, instance any) *codec.DataError {
	var failure *jsonschema.ValidationError
	if !errors.As(err, &failure) {
		return &codec.DataError{Problem: codec.Shorten(oneLine(err.Error()))}
	}
	leaf := mostSpecific(failure)
	location := leaf.InstanceLocation
	if name, ok := singleNamedProperty(leaf.ErrorKind); ok {
		location = append(slices.Clip(location), name)
	}
	return &codec.DataError{
		Path:    instancePath(instance, location),
		Problem: problemText(leaf.ErrorKind),
	}
}

// problemText is the validator's message, except for a value a "false"
// schema refuses (unevaluatedProperties: false and the like), whose message
// "false schema" would puzzle a client.
func problemText(problem jsonschema.ErrorKind) string {
	if _, ok := problem.(*kind.FalseSchema); ok {
		return "not allowed by the schema"
	}
	return codec.Shorten(oneLine(recordLocationNamed.Replace(problem.LocalizedString(english))))
}

func findReferenceCycle(failure *jsonschema.ValidationError) *jsonschema.ValidationError {
	if _, ok := failure.ErrorKind.(*kind.RefCycle); ok {
		return failure
	}
	for _, cause := range failure.Causes {
		if cycle := findReferenceCycle(cause); cycle != nil {
			return cycle
		}
	}
	return nil
}

// mostSpecific follows the error tree down to a leaf. Where several causes
// failed it takes the one at the smallest instance location, so the answer
// does not depend on the validator's map iteration order. It stops at
// anyOf and oneOf: their causes are alternatives, none of which is "the"
// problem.
func mostSpecific(failure *jsonschema.ValidationError) *jsonschema.ValidationError {
	for len(failure.Causes) > 0 {
		switch failure.ErrorKind.(type) {
		case *kind.AnyOf, *kind.OneOf:
			return failure
		}
		failure = slices.MinFunc(failure.Causes, compareErrors)
	}
	return failure
}

func compareErrors(a, b *jsonschema.ValidationError) int {
	if order := compareLocations(a.InstanceLocation, b.InstanceLocation); order != 0 {
		return order
	}
	return strings.Compare(a.ErrorKind.LocalizedString(english), b.ErrorKind.LocalizedString(english))
}

// compareLocations orders instance locations token by token, array indexes
// by number so that items[2] comes before items[10].
func compareLocations(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		ai, aErr := strconv.Atoi(a[i])
		bi, bErr := strconv.Atoi(b[i])
		if aErr == nil && bErr == nil && ai != bi {
			return cmp.Compare(ai, bi)
		}
		if order := strings.Compare(a[i], b[i]); order != 0 {
			return order
		}
	}
	return len(a) - len(b)
}

// singleNamedProperty names the one property a "required" or
// "additionalProperties" error is about, so that the path names that field
// rather than the object holding it.
func singleNamedProperty(problem jsonschema.ErrorKind) (string, bool) {
	switch problem := problem.(type) {
	case *kind.Required:
		if len(problem.Missing) == 1 {
			return problem.Missing[0], true
		}
	case *kind.AdditionalProperties:
		if len(problem.Properties) == 1 {
			return problem.Properties[0], true
		}
	}
	return "", false
}

// instancePath writes a JSON pointer's tokens as the record's JSON reaches
// the value: "customer.id", "items[2]". The instance tells an array index
// from a property whose name is digits.
func instancePath(instance any, tokens []string) string {
	var path strings.Builder
	value := instance
	for _, token := range tokens {
		switch container := value.(type) {
		case []any:
			path.WriteString("[" + token + "]")
			value = nil
			if index, err := strconv.Atoi(token); err == nil && index >= 0 && index < len(container) {
				value = container[index]
			}
		case map[string]any:
			codec.WriteMember(&path, token)
			value = container[token]
		default:
			codec.WriteMember(&path, token)
			value = nil
		}
	}
	return path.String()
}
