package producer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"
)

// metadata answers partition counts from kafka-go's Transport, the cache the
// Writer itself routes by, so the server's partition checks and the Writer
// never disagree about a topic. Counts are kept in a map for the hot path
// (Partitions runs per stream and per record with partition_id) and expire
// with the transport's own TTL.
type metadata struct {
	client *kafka.Client
	wait   time.Duration

	mu     sync.RWMutex
	counts map[string]cachedCount

	refreshMu sync.Mutex // one forced refresh at a time; waiters reuse its result
	refreshed time.Time

	invalidating atomic.Bool // a background refresh is under way
}

type cachedCount struct {
	n  int
	at time.Time
}

func newMetadata(client *kafka.Client, wait time.Duration) *metadata {
	return &metadata{client: client, wait: wait, counts: map[string]cachedCount{}}
}

// partitions implements Producer.Partitions.
func (m *metadata) partitions(ctx context.Context, topic string) (int, error) {
	m.mu.RLock()
	c, ok := m.counts[topic]
	m.mu.RUnlock()
	if ok && time.Since(c.at) < metadataTTL {
		return c.n, nil
	}

	ctx, cancel := context.WithTimeout(ctx, m.wait)
	defer cancel()
	asked := time.Now()
	n, err := m.lookup(ctx, topic)
	if errors.Is(err, ErrUnknownTopic) {
		// The transport's layout may predate the topic: ask the broker.
		if rerr := m.refresh(ctx, asked); rerr != nil {
			return 0, fmt.Errorf("%w: refresh metadata for topic %q: %w", ErrUnavailable, topic, rerr)
		}
		n, err = m.lookup(ctx, topic)
	}
	if err != nil {
		return 0, err
	}
	// kafka-go serves the layout above from its cache however long no
	// broker has answered: without a live round trip, a stream opened while
	// Kafka is down would get a 200 and a 50003 for every record instead of
	// a 503 the client can retry. Once per topic and metadataTTL (or after
	// a connection failure), so the hot path stays on the cached count.
	if err := m.ready(ctx); err != nil {
		return 0, fmt.Errorf("topic %q: %w", topic, err)
	}
	m.mu.Lock()
	m.counts[topic] = cachedCount{n: n, at: time.Now()}
	m.mu.Unlock()
	return n, nil
}

// lookup reads topic from the transport's cached layout, waiting for the
// first metadata answer if there has been none yet.
func (m *metadata) lookup(ctx context.Context, topic string) (int, error) {
	res, err := m.client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return 0, fmt.Errorf("%w: metadata for topic %q: %w", ErrUnavailable, topic, err)
	}
	for _, t := range res.Topics {
		if t.Name != topic {
			continue
		}
		switch {
		case errors.Is(t.Error, kafka.UnknownTopicOrPartition):
			return 0, fmt.Errorf("%w: %s", ErrUnknownTopic, topic)
		case isKafka(t.Error, kafka.TopicAuthorizationFailed):
			return 0, fmt.Errorf("%w: %s", ErrTopicAuthorization, topic)
		case t.Error != nil:
			return 0, fmt.Errorf("%w: metadata for topic %q: %w", ErrUnavailable, topic, t.Error)
		case len(t.Partitions) == 0:
			return 0, fmt.Errorf("%w: topic %q has no partitions yet", ErrUnavailable, topic)
		}
		return len(t.Partitions), nil
	}
	return 0, fmt.Errorf("%w: %s", ErrUnknownTopic, topic)
}

// minRefreshInterval spaces forced refreshes, so clients asking for unknown
// topics in a loop cannot turn each request into a request to the cluster's
// controller.
const minRefreshInterval = 100 * time.Millisecond

// refresh makes the transport fetch fresh metadata from the broker, unless
// another caller did so since asked or very recently. kafka-go has no public
// call for that; its Transport refreshes after every CreateTopics answer, so
// we send one that creates nothing (no topics, validate only).
func (m *metadata) refresh(ctx context.Context, asked time.Time) error {
	m.refreshMu.Lock()
	defer m.refreshMu.Unlock()
	if m.refreshed.After(asked) || time.Since(m.refreshed) < minRefreshInterval {
		return nil
	}
	if _, err := m.client.CreateTopics(ctx, &kafka.CreateTopicsRequest{ValidateOnly: true}); err != nil {
		return err
	}
	m.refreshed = time.Now()
	return nil
}

// invalidate forgets topic after an error suggesting its layout changed, and
// refreshes the transport in the background so the Writer's next batches
// route by the new layout.
func (m *metadata) invalidate(topic string) {
	m.mu.Lock()
	delete(m.counts, topic)
	m.mu.Unlock()
	if !m.invalidating.CompareAndSwap(false, true) {
		return
	}
	asked := time.Now()
	go func() {
		defer m.invalidating.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), m.wait)
		defer cancel()
		_ = m.refresh(ctx, asked) // best effort: the transport's TTL refresh follows anyway
	}()
}

// ready is a live round trip to the cluster, for readiness probes: cached
// metadata would keep answering while the cluster is gone.
func (m *metadata) ready(ctx context.Context) error {
	if _, err := m.client.ApiVersions(ctx, &kafka.ApiVersionsRequest{}); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil
}
