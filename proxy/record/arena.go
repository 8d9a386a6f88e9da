package record

// Arena hands out the memory that parsed records keep (their decoded key,
// value and header bytes) from chunks shared by consecutive records, so that
// a stream allocates once per chunk rather than once per record. A chunk
// stays alive while any record in it is referenced; the garbage collector
// frees it after. An Arena is used by one goroutine at a time.
type Arena struct {
	chunk []byte // len: handed out; cap: the chunk's size
}

// arenaChunk is the size chunks grow to, doubling from the first record's
// size, so that a one-record request takes no more than its record; records
// larger than a quarter of it get memory of their own.
const arenaChunk = 32 << 10

// take returns an empty slice with room for n bytes. A nil Arena allocates.
func (a *Arena) take(n int) []byte {
	if a == nil || n > arenaChunk/4 {
		return make([]byte, 0, n)
	}
	if cap(a.chunk)-len(a.chunk) < n {
		a.chunk = make([]byte, 0, min(max(2*cap(a.chunk), n), arenaChunk))
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
	}
}
