package discovery

import (
	"encoding/json"
	"testing"

	"github.com/restproxy-dev/restproxy-operator/proxy/producer"
)

// docs/discovery.md, "Resources": the exact JSON of each resource, fields
// in the v3 API's order; optional relationships left out when unknown.
func TestShapes(t *testing.T) {
	l := links{base: "http://h"}
	topic := &producer.Topic{Name: "orders", Partitions: []producer.Partition{
		{ID: 0, Leader: 2, Replicas: []int32{2, 1, 3}, ISR: []int32{2, 1}},
		{ID: 1, Leader: -1, Replicas: []int32{1, 3}},
	}}
	for _, tc := range []struct {
		name string
		v    any
		want string
	}{
		{"cluster", newCluster(l, "c1", 2), `{"kind":"KafkaCluster",` +
			`"metadata":{"self":"http://h/v3/clusters/c1","resource_name":"crn:///kafka=c1"},"cluster_id":"c1",` +
			`"controller":{"related":"http://h/v3/clusters/c1/brokers/2"},` +
			`"acls":{"related":"http://h/v3/clusters/c1/acls"},` +
			`"brokers":{"related":"http://h/v3/clusters/c1/brokers"},` +
			`"broker_configs":{"related":"http://h/v3/clusters/c1/broker-configs"},` +
			`"consumer_groups":{"related":"http://h/v3/clusters/c1/consumer-groups"},` +
			`"topics":{"related":"http://h/v3/clusters/c1/topics"},` +
			`"partition_reassignments":{"related":"http://h/v3/clusters/c1/topics/-/partitions/-/reassignment"}}`},
		{"cluster without a known controller", newCluster(l, "c1", -1), `{"kind":"KafkaCluster",` +
			`"metadata":{"self":"http://h/v3/clusters/c1","resource_name":"crn:///kafka=c1"},"cluster_id":"c1",` +
			`"acls":{"related":"http://h/v3/clusters/c1/acls"},` +
			`"brokers":{"related":"http://h/v3/clusters/c1/brokers"},` +
			`"broker_configs":{"related":"http://h/v3/clusters/c1/broker-configs"},` +
			`"consumer_groups":{"related":"http://h/v3/clusters/c1/consumer-groups"},` +
			`"topics":{"related":"http://h/v3/clusters/c1/topics"},` +
			`"partition_reassignments":{"related":"http://h/v3/clusters/c1/topics/-/partitions/-/reassignment"}}`},
		{"topic: the first partition's replicas make the replication factor", newTopic(l, "c1", topic), `{"kind":"KafkaTopic",` +
			`"metadata":{"self":"http://h/v3/clusters/c1/topics/orders","resource_name":"crn:///kafka=c1/topic=orders"},` +
			`"cluster_id":"c1","topic_name":"orders","is_internal":false,"replication_factor":3,"partitions_count":2,` +
			`"partitions":{"related":"http://h/v3/clusters/c1/topics/orders/partitions"},` +
			`"configs":{"related":"http://h/v3/clusters/c1/topics/orders/configs"},` +
			`"partition_reassignments":{"related":"http://h/v3/clusters/c1/topics/orders/partitions/-/reassignment"}}`},
		{"topic without partitions", newTopic(l, "c1", &producer.Topic{Name: "t"}), `{"kind":"KafkaTopic",` +
			`"metadata":{"self":"http://h/v3/clusters/c1/topics/t","resource_name":"crn:///kafka=c1/topic=t"},` +
			`"cluster_id":"c1","topic_name":"t","is_internal":false,"replication_factor":0,"partitions_count":0,` +
			`"partitions":{"related":"http://h/v3/clusters/c1/topics/t/partitions"},` +
			`"configs":{"related":"http://h/v3/clusters/c1/topics/t/configs"},` +
			`"partition_reassignments":{"related":"http://h/v3/clusters/c1/topics/t/partitions/-/reassignment"}}`},
		{"partition with a leader", newPartition(l, "c1", "orders", &topic.Partitions[0]), `{"kind":"KafkaPartition",` +
			`"metadata":{"self":"http://h/v3/clusters/c1/topics/orders/partitions/0","resource_name":"crn:///kafka=c1/topic=orders/partition=0"},` +
			`"cluster_id":"c1","topic_name":"orders","partition_id":0,` +
			`"leader":{"related":"http://h/v3/clusters/c1/topics/orders/partitions/0/replicas/2"},` +
			`"replicas":{"related":"http://h/v3/clusters/c1/topics/orders/partitions/0/replicas"},` +
			`"reassignment":{"related":"http://h/v3/clusters/c1/topics/orders/partitions/0/reassignment"}}`},
		{"partition without a leader", newPartition(l, "c1", "orders", &topic.Partitions[1]), `{"kind":"KafkaPartition",` +
			`"metadata":{"self":"http://h/v3/clusters/c1/topics/orders/partitions/1","resource_name":"crn:///kafka=c1/topic=orders/partition=1"},` +
			`"cluster_id":"c1","topic_name":"orders","partition_id":1,` +
			`"replicas":{"related":"http://h/v3/clusters/c1/topics/orders/partitions/1/replicas"},` +
			`"reassignment":{"related":"http://h/v3/clusters/c1/topics/orders/partitions/1/reassignment"}}`},
		{"empty list", newList[topicData](kindTopicList, "http://h/v3/clusters/c1/topics", nil),
			`{"kind":"KafkaTopicList","metadata":{"self":"http://h/v3/clusters/c1/topics","next":null},"data":[]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := json.Marshal(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// docs/discovery.md: internal topics are those the brokers mark internal
// and those named __...
func TestInternal(t *testing.T) {
	for _, tc := range []struct {
		topic producer.Topic
		want  bool
	}{
		{producer.Topic{Name: "orders"}, false},
		{producer.Topic{Name: "_schemas"}, false},
		{producer.Topic{Name: "__consumer_offsets"}, true},
		{producer.Topic{Name: "__anything"}, true},
		{producer.Topic{Name: "marked", Internal: true}, true},
	} {
		if got := isInternal(&tc.topic); got != tc.want {
			t.Errorf("isInternal(%+v) = %v, want %v", tc.topic, got, tc.want)
		}
	}
}
