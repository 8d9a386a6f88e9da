package main

import (
	"context"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// storedRecords sums the topic's end offsets. The broker blackholes record
// bytes but still advances offsets, so the difference across a mode is how
// many records the broker acknowledged: a check, from a separate client,
// that the proxy's 200 reports stand for records Kafka accepted.
func storedRecords(addr, topic string, partitions int) (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reqs := make([]kafka.OffsetRequest, partitions)
	for p := range reqs {
		reqs[p] = kafka.LastOffsetOf(p)
	}
	client := &kafka.Client{Addr: kafka.TCP(addr)}
	resp, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		return 0, fmt.Errorf("list offsets of %s: %w", topic, err)
	}
	got := resp.Topics[topic]
	if len(got) != partitions {
		return 0, fmt.Errorf("list offsets of %s: %d partitions answered, want %d", topic, len(got), partitions)
	}
	var sum int64
	for _, p := range got {
		if p.Error != nil {
			return 0, fmt.Errorf("list offsets of %s/%d: %w", topic, p.Partition, p.Error)
		}
		sum += p.LastOffset
	}
	return sum, nil
}
