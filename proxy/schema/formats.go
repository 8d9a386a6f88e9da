package schema

import (
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/restproxy-dev/restproxy-operator/proxy/record"
	"github.com/restproxy-dev/restproxy-operator/proxy/schema/avro"
	"github.com/restproxy-dev/restproxy-operator/proxy/schema/codec"
	"github.com/restproxy-dev/restproxy-operator/proxy/schema/jsonschema"
	"github.com/restproxy-dev/restproxy-operator/proxy/schema/protobuf"
)

// compile compiles text in format with its references.
func compile(format, text string, refs []codec.Reference) (codec.Codec, error) {
	switch format {
	case record.TypeAvro:
		c, err := avro.Compile(text, refs)
		if err != nil {
			return nil, err
		}
		return c, nil
	case record.TypeJSONSchema:
		c, err := jsonschema.Compile(text, refs)
		if err != nil {
			return nil, err
		}
		return c, nil
	default:
		c, err := protobuf.Compile(text, refs)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}

// formatOf is the record type of a registry schema type.
func formatOf(t sr.SchemaType) string {
	switch t {
	case sr.TypeProtobuf:
		return record.TypeProtobuf
	case sr.TypeJSON:
		return record.TypeJSONSchema
	default:
		return record.TypeAvro
	}
}

// srType is the registry schema type of a record type.
func srType(format string) sr.SchemaType {
	switch format {
	case record.TypeProtobuf:
		return sr.TypeProtobuf
	case record.TypeJSONSchema:
		return sr.TypeJSON
	default:
		return sr.TypeAvro
	}
}
