package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kgo"
)

// ringSize is how many offsets per partition the verifier remembers after
// reading them back: 32 MiB a partition, some 30 s of the soak's records,
// far more than the time between Kafka storing a record and its 200
// reaching the client.
const ringSize = 1 << 22

// verifier checks every 200 against Kafka. A separate client reads every
// partition back as it grows and remembers, for each offset in a window,
// which record Kafka holds there (checked against its own key). Each 200
// (partition, offset, id) is checked against that: Kafka must hold that
// very record at that offset. A 200 for an offset not read back yet waits
// until it is. Memory is bounded by the window, not by the soak's length.
type verifier struct {
	codec *recordCodec
	parts []*partitionLog

	readBack, verified  atomic.Int64 // records read from Kafka; 200s found there
	badContent          atomic.Int64 // records in Kafka that are no soak record
	mismatched, tooLate atomic.Int64 // 200s whose offset holds another record; 200s older than the window
	missing             atomic.Int64 // 200s for offsets Kafka never reached, set by finish
	problems            problems
}

// partitionLog is what the verifier knows of one partition.
type partitionLog struct {
	mu        sync.Mutex
	base, end int64      // offsets [base, end) are read back and remembered
	ids       []uint64   // ids[o%ringSize]: 1 + the id of the record at o, or 0
	pending   []ackCheck // 200s for offsets at or past end
}

type ackCheck struct {
	offset int64
	id     uint64
}

func newVerifier(codec *recordCodec, partitions int) *verifier {
	v := &verifier{codec: codec}
	for range partitions {
		v.parts = append(v.parts, &partitionLog{ids: make([]uint64, ringSize)})
	}
	return v
}

// ack checks one 200 report of record id at partition p, offset o.
func (v *verifier) ack(p int32, o int64, id uint64) {
	if p < 0 || int(p) >= len(v.parts) || o < 0 {
		v.mismatched.Add(1)
		v.problems.note("200", fmt.Errorf("record %d: reported at partition %d offset %d, which does not exist", id, p, o))
		return
	}
	pl := v.parts[p]
	pl.mu.Lock()
	defer pl.mu.Unlock()
	switch {
	case o >= pl.end:
		pl.pending = append(pl.pending, ackCheck{o, id})
	case o < pl.base:
		v.tooLate.Add(1)
		v.problems.note("200", fmt.Errorf("record %d at %d/%d: reported after the verifier's window passed it", id, p, o))
	default:
		v.match(p, pl, ackCheck{o, id})
	}
}

// match compares a 200 with what Kafka holds at its offset; pl is locked.
func (v *verifier) match(p int32, pl *partitionLog, a ackCheck) {
	if got := pl.ids[a.offset%ringSize]; got != a.id+1 {
		v.mismatched.Add(1)
		v.problems.note("200", fmt.Errorf("record %d reported at %d/%d, where Kafka holds record %d (0: none or not a soak record)", a.id, p, a.offset, int64(got)-1))
		return
	}
	v.verified.Add(1)
}

// remember records what Kafka holds at the offsets of records, read back
// from partition p in order, and checks the 200s that waited for them.
func (v *verifier) remember(p int32, records []*kgo.Record) {
	pl := v.parts[p]
	pl.mu.Lock()
	defer pl.mu.Unlock()
	for _, r := range records {
		var slot uint64
		if id, err := v.codec.check(r.Key, r.Value); err != nil {
			v.badContent.Add(1)
			v.problems.note("read back", fmt.Errorf("%d/%d: %w", p, r.Offset, err))
		} else {
			slot = id + 1
		}
		if r.Offset < pl.end {
			continue // read already
		}
		for pl.end <= r.Offset { // offsets without a record hold 0
			if pl.end-pl.base == ringSize {
				pl.base++ // its slot is pl.end's
			}
			pl.ids[pl.end%ringSize] = 0
			pl.end++
		}
		pl.ids[r.Offset%ringSize] = slot
	}
	v.readBack.Add(int64(len(records)))
	kept := pl.pending[:0]
	for _, a := range pl.pending {
		if a.offset < pl.end {
			v.match(p, pl, a)
		} else {
			kept = append(kept, a)
		}
	}
	pl.pending = kept
}

// readUpTo is the offset below which partition p has been read back.
func (v *verifier) readUpTo(p int) int64 {
	pl := v.parts[p]
	pl.mu.Lock()
	defer pl.mu.Unlock()
	return pl.end
}

// consume reads every partition back from offset 0 until ctx ends.
func (v *verifier) consume(ctx context.Context, broker, topic string) error {
	offsets := map[int32]kgo.Offset{}
	for p := range v.parts {
		offsets[int32(p)] = kgo.NewOffset().At(0)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offsets}),
		kgo.FetchMaxBytes(32<<20), kgo.FetchMaxPartitionBytes(16<<20))
	if err != nil {
		return fmt.Errorf("verifier's client: %w", err)
	}
	defer cl.Close()
	for ctx.Err() == nil {
		fetches := cl.PollFetches(ctx)
		fetches.EachError(func(t string, p int32, err error) {
			if ctx.Err() == nil {
				v.problems.note("fetch", fmt.Errorf("%s/%d: %w", t, p, err))
			}
		})
		fetches.EachPartition(func(ftp kgo.FetchTopicPartition) {
			if len(ftp.Records) > 0 {
				v.remember(ftp.Partition, ftp.Records)
			}
		})
	}
	return nil
}

// finish counts the 200s still waiting once every partition has been read
// back up to its end offset in ends: Kafka never stored those records.
func (v *verifier) finish(ends []int64) {
	for p, pl := range v.parts {
		pl.mu.Lock()
		for _, a := range pl.pending {
			v.missing.Add(1)
			v.problems.note("200", fmt.Errorf("record %d reported at %d/%d, past the partition's end offset %d", a.id, p, a.offset, ends[p]))
		}
		pl.pending = nil
		pl.mu.Unlock()
	}
}

// lost is every 200 that Kafka does not back.
func (v *verifier) lost() int64 {
	return v.mismatched.Load() + v.tooLate.Load() + v.missing.Load()
}
