// Package devbroker runs an in-process Kafka broker (franz-go's kfake) that
// speaks the real wire protocol over TCP. `restproxy dev` serves it to local
// clients, and tests of the Kafka side produce to it and read back with a
// separate client, so the proxy is exercised against a real protocol peer
// rather than a mock.
package devbroker

import (
	"fmt"
	"net"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Broker is one running single-node kfake cluster.
type Broker struct {
	cluster *kfake.Cluster
	addr    string
}

// Start listens on listen ("127.0.0.1:9092", or port 0 for any free port) and
// creates topics (name to partition count) before the first client connects.
// Topics are never created on demand: a produce to an unknown topic fails as
// it does against a broker with auto.create.topics.enable=false, which is the
// behaviour the proxy's 404 answers rely on. opts go to kfake after ours, so a
// test can add SASL users, broker configs or the like.
func Start(listen string, topics map[string]int32, opts ...kfake.Opt) (*Broker, error) {
	all := []kfake.Opt{
		kfake.NumBrokers(1),
		// kfake binds 127.0.0.1 on the port it is given; listening ourselves
		// honours the host of listen too, and kfake advertises whatever
		// address the listener reports.
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			return net.Listen(network, listen)
		}),
	}
	for name, partitions := range topics {
		if partitions < 1 {
			return nil, fmt.Errorf("start dev broker: topic %q: partitions must be at least 1, got %d", name, partitions)
		}
		all = append(all, kfake.SeedTopics(partitions, name))
	}
	all = append(all, opts...)
	cluster, err := kfake.NewCluster(all...)
	if err != nil {
		return nil, fmt.Errorf("start dev broker on %s: %w", listen, err)
	}
	return &Broker{cluster: cluster, addr: cluster.ListenAddrs()[0]}, nil
}

// Addr is the host:port clients bootstrap from, with the real port when
// Start was given port 0.
func (b *Broker) Addr() string { return b.addr }

// Cluster exposes kfake for tests that inject faults (ControlKey, Fault) or
// move partitions.
func (b *Broker) Cluster() *kfake.Cluster { return b.cluster }

// Close stops the broker and drops its connections. Stored records are lost,
// unless Start was given kfake.DataDir: then a broker started again on the
// same directory has them.
func (b *Broker) Close() { b.cluster.Close() }
