package schema

import (
	"crypto/sha256"
	"errors"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/restproxy-dev/restproxy-operator/proxy/record"
	"github.com/restproxy-dev/restproxy-operator/proxy/schema/codec"
)

// compiled is one schema as the registry holds it, with its codec.
type compiled struct {
	format string // record.TypeAvro, TypeJSONSchema or TypeProtobuf
	codec  codec.Codec
	schema sr.Schema // its text, type and references, to look it up under a subject
}

// registered is a schema as a subject holds it: what a record is encoded
// with, and what its report says.
type registered struct {
	*compiled
	used record.SchemaUsed
}

type subjectVersion struct {
	subject string
	version int32
}

type subjectID struct {
	subject string
	id      int32
}

// textHash stands for a raw schema's text in the caches' keys, so that a
// client sending large schemas cannot make the keys hold them.
type textHash [sha256.Size]byte

type subjectText struct {
	subject, format string
	text            textHash
}

type formatText struct {
	format string
	text   textHash
}

// caches are the registry's answers by what was asked. Entries for schemas
// by id, by subject and version, and for raw schemas never change and are
// kept for good; a subject's latest version and the answers "not found"
// expire. Each map holds at most maxEntries: past that a random entry
// makes room, so that clients sending endless distinct raw schemas cannot
// grow the heap without bound.
type caches struct {
	mu        sync.Mutex
	byID      map[int32]entry[*compiled]
	byVersion map[subjectVersion]entry[*registered]
	idIn      map[subjectID]entry[*registered]
	raw       map[subjectText]entry[*registered]
	parsed    map[formatText]entry[*compiled] // raw schemas compiled, before the registry is asked
	latest    map[string]entry[*registered]
	refs      map[subjectVersion]entry[sr.SubjectSchema]
}

const maxEntries = 4096

// notFoundTTL is how long an answer "no such schema" is kept: a client
// sending records for a schema that does not exist yet does not ask the
// registry once per record.
const notFoundTTL = time.Second

type entry[V any] struct {
	v     V
	err   error
	until time.Time // zero: for good
}

func (c *caches) init() {
	c.byID = map[int32]entry[*compiled]{}
	c.byVersion = map[subjectVersion]entry[*registered]{}
	c.idIn = map[subjectID]entry[*registered]{}
	c.raw = map[subjectText]entry[*registered]{}
	c.parsed = map[formatText]entry[*compiled]{}
	c.latest = map[string]entry[*registered]{}
	c.refs = map[subjectVersion]entry[sr.SubjectSchema]{}
}

// cached returns the answer for key from m, or fetches it: once for all
// the callers that miss at the same time (flight names key among all the
// caches; it is built only on a miss), and kept for ttl when fetched (0:
// for good). An error is kept only when the registry answered it:
// notFoundTTL for a 404, ttl (0: for good) for a schema that does not
// compile; not at all when the registry did not answer, and then an
// expired answer still serves.
func cached[K comparable, V any](r *Registry, m map[K]entry[V], key K, flight func() string, ttl time.Duration, fetch func() (V, error)) (V, error) {
	r.caches.mu.Lock()
	e, ok := m[key]
	r.caches.mu.Unlock()
	if ok && (e.until.IsZero() || r.now().Before(e.until)) {
		return e.v, e.err
	}
	v, err, _ := r.flight.Do(flight(), func() (any, error) {
		v, err := fetch()
		keep, until := keepFor(err, ttl, r.now())
		if !keep && ok && e.err == nil {
			// The registry did not answer: an expired answer (a
			// subject's latest version) serves until it does, asked
			// again at most once per notFoundTTL rather than by every
			// record.
			r.caches.mu.Lock()
			m[key] = entry[V]{v: e.v, until: r.now().Add(notFoundTTL)}
			r.caches.mu.Unlock()
			return e.v, nil
		}
		if keep {
			r.caches.mu.Lock()
			if len(m) >= maxEntries {
				for k := range m {
					delete(m, k)
					break
				}
			}
			m[key] = entry[V]{v: v, err: err, until: until}
			r.caches.mu.Unlock()
		}
		return v, err
	})
	return v.(V), err
}

func keepFor(err error, ttl time.Duration, now time.Time) (bool, time.Time) {
	var unavailable *unavailableError
	switch {
	case err == nil && ttl == 0:
		return true, time.Time{}
	case err == nil:
		return true, now.Add(ttl)
	case errors.As(err, &unavailable):
		return false, time.Time{}
	case isCompileError(err) && ttl == 0:
		return true, time.Time{}
	case isCompileError(err):
		return true, now.Add(ttl)
	default:
		return true, now.Add(notFoundTTL)
	}
}
