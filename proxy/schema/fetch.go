package schema

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/restproxy-dev/restproxy-operator/proxy/record"
	"github.com/restproxy-dev/restproxy-operator/proxy/schema/codec"
)

// The lookups of the registry, each through its cache. Their errors are
// the registry's (*sr.ResponseError), *unavailableError or *compileError;
// resolve.go says what each means to a record.

// byID is the schema with id.
func (r *Registry) byID(id int32) (*compiled, error) {
	return cached(r, r.caches.byID, id, func() string { return "id/" + strconv.Itoa(int(id)) }, 0, func() (*compiled, error) {
		var s sr.Schema
		err := r.ask(func(ctx context.Context) (err error) {
			s, err = r.client.SchemaByID(ctx, int(id))
			return err
		})
		if err != nil {
			return nil, err
		}
		return r.compile(s)
	})
}

// inSubject is the schema with id as subject holds it, for its version.
func (r *Registry) inSubject(subject string, id int32, c *compiled) (*registered, error) {
	key := subjectID{subject, id}
	return cached(r, r.caches.idIn, key, func() string { return fmt.Sprintf("in/%d/%s", id, subject) }, 0, func() (*registered, error) {
		var ss sr.SubjectSchema
		err := r.ask(func(ctx context.Context) (err error) {
			ss, err = r.client.LookupSchema(ctx, subject, c.schema)
			return err
		})
		if err != nil {
			return nil, err
		}
		return &registered{compiled: c, used: record.NewSchemaUsed(subject, id, int32(ss.Version))}, nil
	})
}

// byVersion is subject's schema of version.
func (r *Registry) byVersion(subject string, version int32) (*registered, error) {
	key := subjectVersion{subject, version}
	return cached(r, r.caches.byVersion, key, func() string { return fmt.Sprintf("version/%d/%s", version, subject) }, 0, func() (*registered, error) {
		return r.subjectSchema(subject, int(version))
	})
}

// latest is subject's latest schema, kept for schemaRegistry.latestCacheMs.
func (r *Registry) latest(subject string) (*registered, error) {
	// latestCacheMs 0 asks the registry for every record, and the answer
	// last had still serves while it does not answer.
	ttl := max(r.settings.latestTTL, time.Nanosecond)
	return cached(r, r.caches.latest, subject, func() string { return "latest/" + subject }, ttl, func() (*registered, error) {
		return r.subjectSchema(subject, -1)
	})
}

func (r *Registry) subjectSchema(subject string, version int) (*registered, error) {
	var ss sr.SubjectSchema
	err := r.ask(func(ctx context.Context) (err error) {
		ss, err = r.client.SchemaByVersion(ctx, subject, version)
		return err
	})
	if err != nil {
		return nil, err
	}
	c, err := r.compile(ss.Schema)
	if err != nil {
		return nil, err
	}
	return &registered{compiled: c, used: record.NewSchemaUsed(subject, int32(ss.ID), int32(ss.Version))}, nil
}

// parsed is a raw schema of format compiled, before the registry is asked:
// the RECORD_NAME strategies need its name to know its subject.
func (r *Registry) parsed(format, text string) (*compiled, error) {
	key := formatText{format, sha256.Sum256([]byte(text))}
	return cached(r, r.caches.parsed, key, func() string { return "parse\x00" + format + "\x00" + string(key.text[:]) }, 0, func() (*compiled, error) {
		c, err := compile(format, text, nil)
		if err != nil {
			return nil, newCompileError(err)
		}
		return &compiled{format: format, codec: c, schema: sr.Schema{Schema: text, Type: srType(format)}}, nil
	})
}

// raw is the raw schema c registered under subject: looked up, and
// registered when absent and schemaRegistry.registerSchemas allows.
func (r *Registry) raw(subject string, c *compiled) (*registered, error) {
	key := subjectText{subject, c.format, sha256.Sum256([]byte(c.schema.Schema))}
	return cached(r, r.caches.raw, key, func() string { return "raw\x00" + c.format + "\x00" + string(key.text[:]) + subject }, 0, func() (*registered, error) {
		var ss sr.SubjectSchema
		err := r.ask(func(ctx context.Context) (err error) {
			ss, err = r.client.LookupSchema(ctx, subject, c.schema)
			return err
		})
		if isNotFound(err) && r.settings.register {
			err = r.ask(func(ctx context.Context) (err error) {
				ss, err = r.client.CreateSchema(ctx, subject, c.schema)
				return err
			})
		}
		if err != nil {
			return nil, err
		}
		return &registered{compiled: c, used: record.NewSchemaUsed(subject, int32(ss.ID), int32(ss.Version))}, nil
	})
}

// compile compiles a schema the registry holds, with its references.
func (r *Registry) compile(s sr.Schema) (*compiled, error) {
	refs, err := r.references(s.References, map[string]bool{})
	if err != nil {
		return nil, err
	}
	format := formatOf(s.Type)
	c, err := compile(format, s.Schema, refs)
	if err != nil {
		return nil, newCompileError(err)
	}
	return &compiled{format: format, codec: c, schema: s}, nil
}

// references are the schemas refs name, and theirs, each after the ones it
// references; seen stops a name being fetched twice, or a cycle.
func (r *Registry) references(refs []sr.SchemaReference, seen map[string]bool) ([]codec.Reference, error) {
	var out []codec.Reference
	for _, ref := range refs {
		if seen[ref.Name] {
			continue
		}
		seen[ref.Name] = true
		key := subjectVersion{ref.Subject, int32(ref.Version)}
		ss, err := cached(r, r.caches.refs, key, func() string { return fmt.Sprintf("ref/%d/%s", ref.Version, ref.Subject) }, 0, func() (ss sr.SubjectSchema, err error) {
			err = r.ask(func(ctx context.Context) (err error) {
				ss, err = r.client.SchemaByVersion(ctx, ref.Subject, ref.Version)
				return err
			})
			return ss, err
		})
		if err != nil {
			return nil, &referenceError{ref: ref, err: err}
		}
		deeper, err := r.references(ss.References, seen)
		if err != nil {
			return nil, err
		}
		out = append(append(out, deeper...), codec.Reference{Name: ref.Name, Schema: ss.Schema.Schema})
	}
	return out, nil
}
