package producer

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
	metadataAPI "github.com/segmentio/kafka-go/protocol/metadata"
)

// partitionCache stands in front of the Writer's transport and answers the
// metadata request kafka-go's Writer makes for every message it is given
// (to count the topic's partitions before balancing) from a short-lived
// cache of the last answer per topic. kafka-go's own transport caches
// metadata too, but answers each request with a newly filtered copy under
// its locks, which cost more than the rest of queueing a record. Every
// other request goes through untouched.
type partitionCache struct {
	next kafka.RoundTripper
	ttl  time.Duration

	topics sync.Map // topic → *cachedTopic
}

// cachedTopic is one topic's last metadata answer and when it came.
type cachedTopic struct {
	resp *metadataAPI.Response
	at   time.Time
}

// partitionCacheTTL bounds how long a partition count is reused: a topic
// that grows is written to in full within this long, and a failure that
// makes metadata stale forgets the topic at once (forget).
const partitionCacheTTL = time.Second

func newPartitionCache(next kafka.RoundTripper) *partitionCache {
	return &partitionCache{next: next, ttl: partitionCacheTTL}
}

func (c *partitionCache) RoundTrip(ctx context.Context, addr net.Addr, req kafka.Request) (kafka.Response, error) {
	m, ok := req.(*metadataAPI.Request)
	if !ok || len(m.TopicNames) != 1 || m.AllowAutoTopicCreation {
		return c.next.RoundTrip(ctx, addr, req)
	}
	topic := m.TopicNames[0]
	if v, ok := c.topics.Load(topic); ok {
		if e := v.(*cachedTopic); time.Since(e.at) < c.ttl {
			return e.resp, nil
		}
	}
	r, err := c.next.RoundTrip(ctx, addr, req)
	if resp, ok := r.(*metadataAPI.Response); err == nil && ok && healthy(resp, topic) {
		c.topics.Store(topic, &cachedTopic{resp: resp, at: time.Now()})
	}
	return r, err
}

// forget drops a topic's cached answer, after a failure that says it may
// be wrong.
func (c *partitionCache) forget(topic string) { c.topics.Delete(topic) }

// healthy reports an answer worth reusing: the topic is there, without an
// error, with partitions.
func healthy(resp *metadataAPI.Response, topic string) bool {
	for _, t := range resp.Topics {
		if t.Name == topic {
			return t.ErrorCode == 0 && len(t.Partitions) > 0
		}
	}
	return false
}
