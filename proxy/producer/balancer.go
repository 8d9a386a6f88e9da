package producer

import (
	"errors"
	"sync/atomic"

	"github.com/segmentio/kafka-go"
)

// partitionBalancer picks each record's partition. kafka-go ignores
// Message.Partition, so a requested partition travels in the record's
// delivery and is honoured here. Keyed records are hashed with murmur2 like
// the Java client, so a key lands on the same partition whichever client
// produced it. Keyless records go to one partition for a whole batch's worth
// of records before moving to the next, like the Java client's sticky
// partitioner: spreading them one by one would cut every batch into
// partition-sized slivers.
type partitionBalancer struct {
	murmur2 kafka.Murmur2Balancer
	chunk   uint64 // keyless records per partition in a row
	keyless atomic.Uint64
}

func newPartitionBalancer(batchRecords int) *partitionBalancer {
	return &partitionBalancer{chunk: uint64(max(batchRecords, 1))}
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
		n := (b.keyless.Add(1) - 1) / b.chunk
		p = partitions[n%uint64(len(partitions))]
	default:
		p = b.murmur2.Balance(msg, partitions...)
	}
	d.partition = int32(p)
	return p
}
