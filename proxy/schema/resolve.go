package schema

import (
	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
	"github.com/restproxy-dev/restproxy-operator/proxy/record"
)

// resolve finds the schema a key or value of topic names, by the rules of
// the reference implementation (README "Schemas"): exactly one of
// schema_id, schema_version, schema (with type), or none of them and no
// type for the subject's latest version; the subject given, or derived by
// the subject name strategy.
func (r *Registry) resolve(topic string, q *record.SchemaRequest, isKey bool) (*registered, *apierror.Error) {
	switch {
	case q.HasID:
		if q.Type != "" {
			return nil, badRequest("'type=%s' cannot be used with 'schema_id': the schema's own type is used.", q.Type)
		}
		return r.resolveID(topic, q, isKey)
	case q.HasVersion:
		if q.Type != "" {
			return nil, badRequest("'type=%s' cannot be used with 'schema_version': the schema's own type is used.", q.Type)
		}
		if q.Version < 1 {
			return nil, badRequest("'schema_version' must be 1 or more; got %d. Leave it out for the subject's latest.", q.Version)
		}
		subject, err := subjectWithoutSchema(topic, q, isKey)
		if err != nil {
			return nil, err
		}
		s, ferr := r.byVersion(subject, q.Version)
		if isNotFound(ferr) {
			return nil, badRequest("Schema does not exist for subject: %s, version: %d", subject, q.Version)
		}
		if ferr != nil {
			return nil, failure(ferr, "Error when fetching schema by version. subject = %s, version = %d", subject, q.Version)
		}
		return s, nil
	case q.HasRaw:
		if q.Type == "" {
			return nil, badRequest("'schema' needs 'type': one of \"AVRO\", \"JSONSCHEMA\", \"PROTOBUF\".")
		}
		return r.resolveRaw(topic, q, isKey)
	}
	if q.Type != "" {
		return nil, badRequest("'type=%s' needs 'schema'; leave 'type' out to use a registered schema by 'schema_id', 'schema_version' or the subject's latest.", q.Type)
	}
	subject, err := subjectWithoutSchema(topic, q, isKey)
	if err != nil {
		return nil, err
	}
	s, ferr := r.latest(subject)
	if ferr != nil {
		return nil, failure(ferr, "Error when fetching latest schema version. subject = %s", subject)
	}
	return s, nil
}

func (r *Registry) resolveID(topic string, q *record.SchemaRequest, isKey bool) (*registered, *apierror.Error) {
	c, ferr := r.byID(q.ID)
	if ferr != nil {
		return nil, failure(ferr, "Error when fetching schema by id. schemaId = %d", q.ID)
	}
	subject, err := subjectOf(topic, q, isKey, c)
	if err != nil {
		return nil, err
	}
	s, ferr := r.inSubject(subject, q.ID, c)
	if ferr != nil {
		return nil, failure(ferr, "Error when fetching schema version. subject = %s, schemaId = %d", subject, q.ID)
	}
	return s, nil
}

func (r *Registry) resolveRaw(topic string, q *record.SchemaRequest, isKey bool) (*registered, *apierror.Error) {
	c, ferr := r.parsed(q.Type, q.Schema)
	if ferr != nil { // it does not compile: the registry was not asked
		return nil, apierror.New(apierror.SchemaInvalid, ferr.Error())
	}
	subject, err := subjectOf(topic, q, isKey, c)
	if err != nil {
		return nil, err
	}
	s, ferr := r.raw(subject, c)
	switch {
	case ferr == nil:
		return s, nil
	case isNotFound(ferr) && !r.settings.register:
		return nil, apierror.New(apierror.SchemaNotSerializable,
			"Schema is not registered under subject "+subject+", and this proxy does not register schemas (schemaRegistry.registerSchemas).")
	}
	return nil, failure(ferr, "Error when registering schema. format = %s, subject = %s", q.Type, subject)
}

// subjectOf is the subject of a schema known: given, or by the strategy.
func subjectOf(topic string, q *record.SchemaRequest, isKey bool, c *compiled) (string, *apierror.Error) {
	if q.HasSubject {
		return q.Subject, nil
	}
	if q.Strategy == "" || q.Strategy == record.StrategyTopicName {
		return topicSubject(topic, isKey), nil
	}
	name := c.codec.RecordName()
	if name == "" {
		return "", badRequest("'subject_name_strategy=%s' needs a schema with a name (an Avro named type, a Protobuf message, a JSON Schema \"title\").", q.Strategy)
	}
	if q.Strategy == record.StrategyRecordName {
		return name, nil
	}
	return topic + "-" + name, nil
}

// subjectWithoutSchema is the subject of a schema not known yet, to look
// it up by version or as the latest: the strategies that need the
// schema's name cannot give it.
func subjectWithoutSchema(topic string, q *record.SchemaRequest, isKey bool) (string, *apierror.Error) {
	switch {
	case q.HasSubject:
		return q.Subject, nil
	case q.Strategy == "" || q.Strategy == record.StrategyTopicName:
		return topicSubject(topic, isKey), nil
	}
	return "", badRequest("'subject_name_strategy=%s' cannot be used without 'schema_id' or 'schema': give 'subject' instead.", q.Strategy)
}

func topicSubject(topic string, isKey bool) string {
	if isKey {
		return topic + "-key"
	}
	return topic + "-value"
}
