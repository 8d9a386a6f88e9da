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

	fetches flightGroup // one count fetch per topic at a time
	checks  flightGroup // one live round trip to the cluster at a time
	// liveChecks counts the round trips made, for tests asserting that
	// callers share them.
	liveChecks atomic.Int64

	refreshMu sync.Mutex // one forced refresh at a time; waiters reuse its result
	refreshed time.Time

	invalidating atomic.Bool // a background refresh is under way

	clusterCache clusterCache // the discovery endpoints' snapshot
}

type cachedCount struct {
	n  int
	at time.Time
}

func newMetadata(client *kafka.Client, wait time.Duration) *metadata {
	return &metadata{client: client, wait: wait, counts: map[string]cachedCount{}}
}

// partitions implements Producer.Partitions.
//
// A count older than metadataTTL is still served while one fetch, shared by
// every caller, renews it in the background: a partition count rarely
// changes, and the live check of a fetch is what a busy proxy's callers
// would otherwise all wait on at once. Only a missing count, never fetched
// or forgotten after an error (see fetch and invalidate), makes callers wait
// for the fetch and get its failure.
func (m *metadata) partitions(ctx context.Context, topic string) (int, error) {
	m.mu.RLock()
	c, ok := m.counts[topic]
	m.mu.RUnlock()
	if ok && time.Since(c.at) < metadataTTL {
		return c.n, nil
	}
	f := m.fetches.start(topic, func() (int, error) { return m.fetch(topic) })
	if ok {
		return c.n, nil
	}
	return f.wait(ctx)
}

// fetch reads topic's count from the transport and checks the cluster is
// live, caching the count if both succeed and forgetting it if not, so the
// next caller waits for a fetch of its own and gets the failure. It is shared
// by callers and so bound by the metadata wait rather than by any one
// request.
func (m *metadata) fetch(topic string) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), m.wait)
	defer cancel()
	n, err := m.count(ctx, topic)
	if err == nil {
		// kafka-go serves the layout count read from its cache however
		// long no broker has answered: without a live round trip, a stream
		// opened while Kafka is down would get a 200 and a 50003 for every
		// record instead of a 503 the client can retry.
		if err = m.check(ctx); err != nil {
			err = fmt.Errorf("topic %q: %w", topic, err)
		}
	}
	m.mu.Lock()
	if err != nil {
		delete(m.counts, topic)
	} else {
		m.counts[topic] = cachedCount{n: n, at: time.Now()}
	}
	m.mu.Unlock()
	return n, err
}

// count reads topic's partition count from the transport's layout, asking the
// broker for a fresh layout if the cached one does not know the topic.
func (m *metadata) count(ctx context.Context, topic string) (int, error) {
	asked := time.Now()
	n, err := m.lookup(ctx, topic)
	if errors.Is(err, ErrUnknownTopic) {
		// The transport's layout may predate the topic: ask the broker.
		if rerr := m.refresh(ctx, asked); rerr != nil {
			return 0, fmt.Errorf("%w: refresh metadata for topic %q: %w", ErrUnavailable, topic, rerr)
		}
		n, err = m.lookup(ctx, topic)
	}
	return n, err
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
	return m.check(ctx)
}

// check makes a live round trip to the cluster, or shares the one under way:
// any answer that arrives after the call is as live as one of our own.
func (m *metadata) check(ctx context.Context) error {
	f := m.checks.start("", func() (int, error) {
		ctx, cancel := context.WithTimeout(context.Background(), m.wait)
		defer cancel()
		m.liveChecks.Add(1)
		if _, err := m.client.ApiVersions(ctx, &kafka.ApiVersionsRequest{}); err != nil {
			return 0, fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return 0, nil
	})
	_, err := f.wait(ctx)
	return err
}
