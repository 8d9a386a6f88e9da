package produce

import (
	"github.com/restproxy-dev/restproxy-operator/proxy/record"
	"github.com/restproxy-dev/restproxy-operator/proxy/schema"
)

// WithSchemas gives the pipeline its schema stage: r encodes the keys and
// values that name a schema. It returns pl.
func (pl *Pipeline) WithSchemas(r *schema.Registry) *Pipeline {
	pl.schemas = r
	return pl
}

// Schemas is the schema stage of topic's records; nil when no Schema
// Registry is configured, and such records get 42206.
func (pl *Pipeline) Schemas(topic string) record.SchemaEncoder {
	if pl.schemas == nil {
		return nil
	}
	return pl.schemas.For(topic)
}
