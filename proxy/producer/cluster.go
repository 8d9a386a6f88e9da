package producer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	metadataAPI "github.com/segmentio/kafka-go/protocol/metadata"
)

// Cluster is what the brokers' metadata says of the cluster, for the
// read-only discovery endpoints: a snapshot, never modified once made.
type Cluster struct {
	// ID is the Kafka cluster id; empty from a broker too old to say.
	ID string
	// Controller is the controller's broker id; -1 when unknown.
	Controller int32
	// Topics are sorted by name. Topics the metadata answers with an
	// error (being created, not describable) are left out.
	Topics []Topic
}

// Topic is one topic of a Cluster.
type Topic struct {
	Name string
	// Internal is what the broker says; names starting with "__" are not
	// marked here.
	Internal bool
	// Partitions are sorted by ID.
	Partitions []Partition
}

// Partition is one partition of a Topic.
type Partition struct {
	ID int32
	// Leader is the leader's broker id; -1 when the partition has none.
	Leader   int32
	Replicas []int32
	ISR      []int32
}

// Topic returns the topic named name, if the snapshot has it.
func (c *Cluster) Topic(name string) (*Topic, bool) {
	i, ok := slices.BinarySearchFunc(c.Topics, name, func(t Topic, name string) int {
		return strings.Compare(t.Name, name)
	})
	if !ok {
		return nil, false
	}
	return &c.Topics[i], true
}

// Partition returns the partition id of t, if it has one.
func (t *Topic) Partition(id int32) (*Partition, bool) {
	i, ok := slices.BinarySearchFunc(t.Partitions, id, func(p Partition, id int32) int {
		return cmp.Compare(p.ID, id)
	})
	if !ok {
		return nil, false
	}
	return &t.Partitions[i], true
}

// Cluster returns the cluster's metadata. A snapshot younger than the
// transport's metadata TTL is returned as it is; an older one is returned
// while one background fetch, shared by every caller, renews it; without
// one (never fetched, or dropped after a failed fetch) the caller waits for
// the fetch, at most producer.metadataWaitMs, and gets its failure. Errors
// wrap ErrUnavailable, with ErrCredentialsRefused when Kafka refuses the
// proxy's SASL credentials.
func (p *Producer) Cluster(ctx context.Context) (*Cluster, error) {
	c, err := p.meta.cluster(ctx)
	if errors.Is(err, ErrUnavailable) {
		if errors.Is(p.credentials.classify(err, true), errCredentialsRefused) {
			return nil, fmt.Errorf("%w: %w", ErrUnavailable, errCredentialsRefused)
		}
	}
	return c, err
}

// clusterCache is the last Cluster snapshot and when it was made.
type clusterCache struct {
	mu  sync.Mutex
	c   *Cluster
	at  time.Time
	err error // of the last fetch; nil after a success

	fetches flightGroup // one fetch at a time
}

func (m *metadata) cluster(ctx context.Context) (*Cluster, error) {
	cc := &m.clusterCache
	cc.mu.Lock()
	c, at := cc.c, cc.at
	cc.mu.Unlock()
	if c != nil && time.Since(at) < metadataTTL {
		return c, nil
	}
	f := cc.fetches.start("", m.fetchCluster)
	if c != nil {
		return c, nil
	}
	if _, err := f.wait(ctx); err != nil {
		return nil, err
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.c == nil { // a later fetch failed meanwhile
		return nil, cc.err
	}
	return cc.c, nil
}

// fetchCluster renews the transport's cluster layout with a live round
// trip, which also proves the cluster is reachable (the transport keeps
// serving its last layout however long no broker answers), and snapshots
// it. A failure drops the snapshot, so the next caller waits for a fetch of
// its own and gets the failure. It is shared by callers and so bound by the
// metadata wait rather than by any one request.
func (m *metadata) fetchCluster() (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), m.wait)
	defer cancel()
	var c *Cluster
	err := m.refresh(ctx, time.Now())
	if err != nil {
		err = fmt.Errorf("%w: refresh cluster metadata: %w", ErrUnavailable, err)
	} else {
		c, err = m.readCluster(ctx)
	}
	cc := &m.clusterCache
	cc.mu.Lock()
	cc.c, cc.at, cc.err = c, time.Now(), err
	cc.mu.Unlock()
	return 0, err
}

// readCluster snapshots the transport's cached layout: every topic, with
// the broker ids of leaders and replicas as the brokers sent them (kafka-go's
// MetadataResponse resolves ids to brokers and cannot tell broker 0 from a
// broker that is offline).
func (m *metadata) readCluster(ctx context.Context) (*Cluster, error) {
	r, err := m.client.Transport.RoundTrip(ctx, m.client.Addr, &metadataAPI.Request{})
	if err != nil {
		return nil, fmt.Errorf("%w: cluster metadata: %w", ErrUnavailable, err)
	}
	res, ok := r.(*metadataAPI.Response)
	if !ok {
		return nil, fmt.Errorf("%w: cluster metadata: unexpected answer %T", ErrUnavailable, r)
	}
	return snapshot(res), nil
}

// snapshot copies what discovery needs out of res, which the transport
// shares with its other callers and so must not be changed.
func snapshot(res *metadataAPI.Response) *Cluster {
	c := &Cluster{ID: res.ClusterID, Controller: -1, Topics: make([]Topic, 0, len(res.Topics))}
	for _, b := range res.Brokers {
		if b.NodeID == res.ControllerID {
			c.Controller = b.NodeID
		}
	}
	for _, t := range res.Topics {
		if t.ErrorCode != 0 || t.Name == "" {
			continue
		}
		topic := Topic{Name: t.Name, Internal: t.IsInternal, Partitions: make([]Partition, 0, len(t.Partitions))}
		for _, p := range t.Partitions {
			topic.Partitions = append(topic.Partitions, Partition{
				ID:       p.PartitionIndex,
				Leader:   p.LeaderID,
				Replicas: slices.Clone(p.ReplicaNodes),
				ISR:      slices.Clone(p.IsrNodes),
			})
		}
		slices.SortFunc(topic.Partitions, func(a, b Partition) int { return cmp.Compare(a.ID, b.ID) })
		c.Topics = append(c.Topics, topic)
	}
	slices.SortFunc(c.Topics, func(a, b Topic) int { return strings.Compare(a.Name, b.Name) })
	return c
}
