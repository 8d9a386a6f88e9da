package discovery

import (
	"github.com/restproxy-dev/restproxy-operator/proxy/producer"
)

// The resources, in the Confluent REST Proxy v3 shapes: every field the v3
// API marks required, in its order. docs/openapi.json is their schema,
// docs/discovery.md their contract.

// Kinds of the resources and of their lists.
const (
	kindCluster       = "KafkaCluster"
	kindClusterList   = "KafkaClusterList"
	kindTopic         = "KafkaTopic"
	kindTopicList     = "KafkaTopicList"
	kindPartition     = "KafkaPartition"
	kindPartitionList = "KafkaPartitionList"
)

type resourceMetadata struct {
	Self         string `json:"self"`
	ResourceName string `json:"resource_name"`
}

type listMetadata struct {
	Self string  `json:"self"`
	Next *string `json:"next"` // always null: lists come in one page
}

// relationship links a resource to another; some of them are resources
// this server does not serve (they answer 404), as in the reference.
type relationship struct {
	Related string `json:"related"`
}

type list[T any] struct {
	Kind     string       `json:"kind"`
	Metadata listMetadata `json:"metadata"`
	Data     []T          `json:"data"`
}

func newList[T any](kind, self string, data []T) list[T] {
	if data == nil {
		data = []T{} // an empty list is [], not null
	}
	return list[T]{Kind: kind, Metadata: listMetadata{Self: self}, Data: data}
}

type clusterData struct {
	Kind                   string           `json:"kind"`
	Metadata               resourceMetadata `json:"metadata"`
	ClusterID              string           `json:"cluster_id"`
	Controller             *relationship    `json:"controller,omitempty"`
	ACLs                   relationship     `json:"acls"`
	Brokers                relationship     `json:"brokers"`
	BrokerConfigs          relationship     `json:"broker_configs"`
	ConsumerGroups         relationship     `json:"consumer_groups"`
	Topics                 relationship     `json:"topics"`
	PartitionReassignments relationship     `json:"partition_reassignments"`
}

// newCluster is the cluster resource of id; controller is the controller's
// broker id, -1 when unknown (the relationship is then left out).
func newCluster(l links, id string, controller int32) clusterData {
	d := clusterData{
		Kind:                   kindCluster,
		Metadata:               resourceMetadata{Self: l.cluster(id), ResourceName: clusterCRN(id)},
		ClusterID:              id,
		ACLs:                   relationship{l.cluster(id, "acls")},
		Brokers:                relationship{l.cluster(id, "brokers")},
		BrokerConfigs:          relationship{l.cluster(id, "broker-configs")},
		ConsumerGroups:         relationship{l.cluster(id, "consumer-groups")},
		Topics:                 relationship{l.cluster(id, "topics")},
		PartitionReassignments: relationship{l.cluster(id, "topics", "-", "partitions", "-", "reassignment")},
	}
	if controller >= 0 {
		d.Controller = &relationship{l.cluster(id, "brokers", itoa(controller))}
	}
	return d
}

type topicData struct {
	Kind                   string           `json:"kind"`
	Metadata               resourceMetadata `json:"metadata"`
	ClusterID              string           `json:"cluster_id"`
	TopicName              string           `json:"topic_name"`
	IsInternal             bool             `json:"is_internal"`
	ReplicationFactor      int              `json:"replication_factor"`
	PartitionsCount        int              `json:"partitions_count"`
	Partitions             relationship     `json:"partitions"`
	Configs                relationship     `json:"configs"`
	PartitionReassignments relationship     `json:"partition_reassignments"`
}

// newTopic is the resource of topic t of cluster id. Its replication
// factor is the replica count of its first partition, as the reference
// reports it.
func newTopic(l links, id string, t *producer.Topic) topicData {
	rf := 0
	if len(t.Partitions) > 0 {
		rf = len(t.Partitions[0].Replicas)
	}
	return topicData{
		Kind:                   kindTopic,
		Metadata:               resourceMetadata{Self: l.topic(id, t.Name), ResourceName: topicCRN(id, t.Name)},
		ClusterID:              id,
		TopicName:              t.Name,
		IsInternal:             t.Internal,
		ReplicationFactor:      rf,
		PartitionsCount:        len(t.Partitions),
		Partitions:             relationship{l.topic(id, t.Name, "partitions")},
		Configs:                relationship{l.topic(id, t.Name, "configs")},
		PartitionReassignments: relationship{l.topic(id, t.Name, "partitions", "-", "reassignment")},
	}
}

type partitionData struct {
	Kind         string           `json:"kind"`
	Metadata     resourceMetadata `json:"metadata"`
	ClusterID    string           `json:"cluster_id"`
	TopicName    string           `json:"topic_name"`
	PartitionID  int32            `json:"partition_id"`
	Leader       *relationship    `json:"leader,omitempty"`
	Replicas     relationship     `json:"replicas"`
	Reassignment relationship     `json:"reassignment"`
}

// newPartition is the resource of partition p of topic t of cluster id. A
// partition without a leader has no leader relationship.
func newPartition(l links, id, t string, p *producer.Partition) partitionData {
	d := partitionData{
		Kind:         kindPartition,
		Metadata:     resourceMetadata{Self: l.partition(id, t, p.ID), ResourceName: partitionCRN(id, t, p.ID)},
		ClusterID:    id,
		TopicName:    t,
		PartitionID:  p.ID,
		Replicas:     relationship{l.partition(id, t, p.ID, "replicas")},
		Reassignment: relationship{l.partition(id, t, p.ID, "reassignment")},
	}
	if p.Leader >= 0 {
		d.Leader = &relationship{l.partition(id, t, p.ID, "replicas", itoa(p.Leader))}
	}
	return d
}
