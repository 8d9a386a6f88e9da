package main

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/restproxy-dev/restproxy-operator/proxy/devbroker"
)

// The soak's broker is kfake in this process: faults are injected through
// its controls, which a broker in another process would not offer. It
// stores records (the verifier reads them back), and trim deletes what the
// verifier has read, so its memory stays that of a few seconds of records.

// faultKinds alternate: the broker refuses produce requests with a
// retriable error, or leaves them unanswered.
var faultKinds = []string{"error", "stall"}

// injectFault makes the broker misbehave for length and returns when it
// behaves again.
func injectFault(b *devbroker.Broker, kind string, length time.Duration) {
	c := b.Cluster()
	switch kind {
	case "error":
		// NOT_LEADER_OR_FOLLOWER to every produce request: kafka-go
		// refreshes its metadata and retries until producer.maxAttempts,
		// then the proxy reports an error and the client sends again.
		h := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Err: kerr.NotLeaderForPartition, Count: -1})
		time.Sleep(length)
		h.Remove()
	case "stall":
		// Produce requests wait, unanswered, until the stall ends.
		until := time.Now().Add(length)
		c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
			if !time.Now().Before(until) {
				c.DropControl()
				return nil, nil, false
			}
			c.SleepControl(func() { time.Sleep(time.Until(until)) })
			return nil, nil, false
		})
		time.Sleep(length)
	}
}

// adminClient is the soak's own client for offsets and deletions.
type adminClient struct {
	cl         *kgo.Client
	topic      string
	partitions int
}

// trim deletes, every second until ctx ends, the records the verifier has
// read back.
func (a *adminClient) trim(ctx context.Context, v *verifier) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		rt := kmsg.NewDeleteRecordsRequestTopic()
		rt.Topic = a.topic
		for p := range a.partitions {
			rp := kmsg.NewDeleteRecordsRequestTopicPartition()
			rp.Partition, rp.Offset = int32(p), v.readUpTo(p)
			rt.Partitions = append(rt.Partitions, rp)
		}
		req := kmsg.NewPtrDeleteRecordsRequest()
		req.Topics, req.TimeoutMillis = []kmsg.DeleteRecordsRequestTopic{rt}, 5000
		if _, err := req.RequestWith(ctx, a.cl); err != nil && ctx.Err() == nil {
			v.problems.note("trim", err)
		}
	}
}

// endOffsets is each partition's end offset: how many records it was
// ever given.
func (a *adminClient) endOffsets(ctx context.Context) ([]int64, error) {
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = a.topic
	for p := range a.partitions {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition, rp.Timestamp = int32(p), -1 // -1: the end
		rt.Partitions = append(rt.Partitions, rp)
	}
	req := kmsg.NewPtrListOffsetsRequest()
	req.Topics = []kmsg.ListOffsetsRequestTopic{rt}
	resp, err := req.RequestWith(ctx, a.cl)
	if err != nil {
		return nil, fmt.Errorf("list offsets: %w", err)
	}
	ends := make([]int64, a.partitions)
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return nil, fmt.Errorf("list offsets of %s/%d: %w", a.topic, p.Partition, err)
			}
			ends[p.Partition] = p.Offset
		}
	}
	return ends, nil
}
