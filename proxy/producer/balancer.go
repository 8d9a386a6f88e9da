package producer

import (
	"errors"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
)

// partitionBalancer picks each record's partition. kafka-go ignores
// Message.Partition, so a requested partition travels in the record's
// delivery and is honoured here. Keyed records are hashed with murmur2 like
// the Java client, so a key lands on the same partition whichever client
// produced it. Keyless records go to one partition for a whole batch's
// worth of records, or one linger time, whichever ends first, before moving
// to the next, like the Java client's sticky partitioner: spreading them one
// by one would cut every batch into partition-sized slivers, and staying
// longer than a batch would leave a slow producer's records on one
// partition for minutes.
type partitionBalancer struct {
	murmur2 kafka.Murmur2Balancer
	chunk   uint64        // keyless records per partition in a row
	linger  time.Duration // how long keyless records stay on one partition
	now     func() time.Duration

	mu     sync.Mutex
	sticks map[string]*stick // by topic
}

// stick is where a topic's keyless records go now.
type stick struct {
	index uint64        // the partition's index, before the modulo
	count uint64        // records sent to it
	since time.Duration // when it was chosen
}

func newPartitionBalancer(batchRecords int, linger time.Duration) *partitionBalancer {
	start := time.Now()
	return &partitionBalancer{
		chunk:  uint64(max(batchRecords, 1)),
		linger: max(linger, time.Millisecond),
		now:    func() time.Duration { return time.Since(start) },
		sticks: map[string]*stick{},
	}
}

// keyless returns the index, before the modulo, of the partition the next
// keyless record of topic goes to.
func (b *partitionBalancer) keyless(topic string) uint64 {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.sticks[topic]
	if st == nil {
		st = &stick{since: now}
		b.sticks[topic] = st
	}
	if st.count >= b.chunk || now-st.since >= b.linger {
		if st.count > 0 {
			st.index++
		}
		st.count, st.since = 0, now
	}
	st.count++
	return st.index
}

// errNoPartitions is what Balance panics with when the metadata lists the
// topic without partitions (being deleted or recreated): kafka-go gives a
// Balancer no way to refuse a record, and any partition returned would be
// written to. Producer.enqueue recovers it as the record's error; kafka-go
// calls Balance before taking any lock of its own.
var errNoPartitions = errors.New("the topic's metadata lists no partitions")

// Balance notes its choice in the record's delivery: kafka-go reports the
// partition of a batch only when it succeeds.
func (b *partitionBalancer) Balance(msg kafka.Message, partitions ...int) int {
	d := msg.WriterData.(*delivery)
	p := int(d.want)
	switch {
	case len(partitions) == 0:
		panic(errNoPartitions)
	case p >= 0:
	case msg.Key == nil:
		p = partitions[b.keyless(msg.Topic)%uint64(len(partitions))]
	default:
		p = b.murmur2.Balance(msg, partitions...)
	}
	d.partition = int32(p)
	return p
}
