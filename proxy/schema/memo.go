package schema

import (
	"sync"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
	"github.com/restproxy-dev/restproxy-operator/proxy/record"
)

// memo remembers, for the schema fields of records, the schema they
// resolved to, when that can never change: by schema_id or by
// schema_version, under a topic. A record whose fields
// were seen before is then resolved by one map lookup under a read lock,
// rather than by the two or three lookups of the caches behind it. A
// subject's latest version expires, so it is not remembered here.
type memo struct {
	mu sync.RWMutex
	m  map[memoKey]*registered
}

// memoKey is everything resolve reads of a record's schema fields.
type memoKey struct {
	topic, subject, strategy, typ, raw string
	id, version                        int32
	flags                              uint8
}

const (
	memoKeyIsKey = 1 << iota
	memoHasID
	memoHasVersion
	memoHasSubject
	memoHasRaw
)

// memoized reports whether what q resolves to can be remembered: not a
// subject's latest version, which expires.
func memoized(q *record.SchemaRequest) bool { return q.HasID || q.HasVersion || q.HasRaw }

// sharedMemo reports whether the registry's memo keeps q's answer: not for
// a raw schema, whose text would be held by the key (the caches behind
// the memo key raw schemas by their hash).
func sharedMemo(q *record.SchemaRequest) bool { return q.HasID || q.HasVersion }

func memoKeyOf(topic string, q *record.SchemaRequest, isKey bool) memoKey {
	k := memoKey{topic: topic, subject: q.Subject, strategy: q.Strategy, typ: q.Type, raw: q.Schema, id: q.ID, version: q.Version}
	for _, f := range [...]struct {
		set  bool
		flag uint8
	}{{isKey, memoKeyIsKey}, {q.HasID, memoHasID}, {q.HasVersion, memoHasVersion}, {q.HasSubject, memoHasSubject}, {q.HasRaw, memoHasRaw}} {
		if f.set {
			k.flags |= f.flag
		}
	}
	return k
}

// resolveMemo is resolve through the memo.
func (r *Registry) resolveMemo(topic string, q *record.SchemaRequest, isKey bool) (*registered, *apierror.Error) {
	if !sharedMemo(q) {
		return r.resolve(topic, q, isKey)
	}
	k := memoKeyOf(topic, q, isKey)
	r.memo.mu.RLock()
	s := r.memo.m[k]
	r.memo.mu.RUnlock()
	if s != nil {
		return s, nil
	}
	s, err := r.resolve(topic, q, isKey)
	if err != nil {
		return nil, err
	}
	r.memo.mu.Lock()
	if len(r.memo.m) >= maxEntries {
		for k := range r.memo.m {
			delete(r.memo.m, k)
			break
		}
	}
	r.memo.m[k] = s
	r.memo.mu.Unlock()
	return s, nil
}
