package record

// Arena hands out the memory that parsed records keep (their decoded key,
// value and header bytes) from chunks shared by consecutive records, so that
// a stream allocates once per chunk rather than once per record. A chunk
// stays alive while any record in it is referenced; the garbage collector
// frees it after. An Arena is used by one goroutine at a time.
//
// A stream that waits for its client calls Release first, so that an idle
// stream keeps no chunk: a thousand trickling streams must not pin a
// chunk each.
type Arena struct {
	chunk []byte // len: handed out; cap: the chunk's size
	// used counts the bytes handed out since the last Release, and hint
	// what the period before it used: the first chunk after a Release is
	// sized for one period's records.
	used, hint int
	// requests hands out the schema fields of records that name a schema,
	// a slab of them at a time, as chunk hands out bytes.
	requests []SchemaRequest
}

// requestSlab is how many SchemaRequests one allocation holds.
const requestSlab = 32

// request returns a zero SchemaRequest of the arena's; a nil Arena
// allocates.
func (a *Arena) request() *SchemaRequest {
	if a == nil {
		return new(SchemaRequest)
	}
	if len(a.requests) == cap(a.requests) {
		a.requests = make([]SchemaRequest, 0, requestSlab)
	}
	a.requests = a.requests[:len(a.requests)+1]
	return &a.requests[len(a.requests)-1]
}

// arenaChunk is the largest chunk. Chunks start at what the records of the
// last period took (or the first record's size) and double, so that a
// one-record request takes no more than its record; records larger than a
// quarter of a chunk get memory of their own.
const arenaChunk = 32 << 10

// Release lets go of the current chunk: the records in it keep it alive
// only as long as they are referenced.
func (a *Arena) Release() {
	a.chunk, a.hint, a.used, a.requests = nil, a.used, 0, nil
}

// take returns an empty slice with room for n bytes. A nil Arena allocates.
func (a *Arena) take(n int) []byte {
	if a == nil || n > arenaChunk/4 {
		return make([]byte, 0, n)
	}
	if cap(a.chunk)-len(a.chunk) < n {
		a.chunk = make([]byte, 0, min(max(2*cap(a.chunk), a.hint, n), arenaChunk))
	}
	start := len(a.chunk)
	return a.chunk[start : start : start+n]
}

// keep marks the bytes appended to the slice take returned last as used;
// the rest of that slice is handed out again.
func (a *Arena) keep(used []byte) {
	if a == nil || len(used) == 0 || cap(a.chunk) == len(a.chunk) {
		return
	}
	// used is the slice from take only if it starts where the free part
	// of the chunk does.
	if free := a.chunk[len(a.chunk):cap(a.chunk)]; &free[0] == &used[:1][0] {
		a.chunk = a.chunk[:len(a.chunk)+len(used)]
		a.used += len(used)
	}
}
