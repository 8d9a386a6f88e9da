package proxy

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/devbroker"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
)

// discoveryBroker is a broker of three nodes holding two ordinary topics,
// __consumer_offsets (internal by its name) and sys (marked internal by the
// broker).
func discoveryBroker(t *testing.T, opts ...kfake.Opt) *devbroker.Broker {
	t.Helper()
	b := kafkatest.StartBroker(t, map[string]int32{"orders": 3, "audit": 1, "__consumer_offsets": 2},
		append([]kfake.Opt{kfake.NumBrokers(3)}, opts...)...)
	kafkatest.CreateInternalTopic(t, b.Addr(), "sys", 1)
	return b
}

// getJSON GETs url with the header pairs, wants 200, and decodes the body.
func getJSON(t *testing.T, url string, headers ...string) map[string]any {
	t.Helper()
	resp, body := getWith(t, url, headers...)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s: status %d, Content-Type %q, body %s", url, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("GET %s: %v in %s", url, err, body)
	}
	return v
}

func getWith(t *testing.T, url string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if strings.EqualFold(headers[i], "Host") {
			req.Host = headers[i+1]
			continue
		}
		req.Header.Add(headers[i], headers[i+1])
	}
	return do(t, req)
}

// at follows a path of object keys and array indexes through v.
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

// names is the topic_name of each resource of a topic list.
func names(list map[string]any) []string {
	out := []string{}
	for _, d := range at(list, "data").([]any) {
		out = append(out, at(d, "topic_name").(string))
	}
	return out
}

// docs/discovery.md: every resource from the cluster down to a partition,
// built from the brokers' metadata, with the Kafka cluster's own id when
// none is configured; internal topics are hidden.
func TestDiscovery_Resources(t *testing.T) {
	t.Parallel()
	b := discoveryBroker(t)
	ts := startServerConfig(t, testConfig(b.Addr()), &syncBuffer{})
	base := ts.base + "/v3/clusters"

	clusters := getJSON(t, base)
	if at(clusters, "kind") != "KafkaClusterList" || at(clusters, "metadata", "self") != base || len(at(clusters, "data").([]any)) != 1 {
		t.Errorf("cluster list: %v", clusters)
	}
	cluster := getJSON(t, base+"/kfake")
	if !reflect.DeepEqual(at(clusters, "data", 0), any(cluster)) {
		t.Errorf("the list's cluster %v differs from the cluster %v", at(clusters, "data", 0), cluster)
	}
	if at(cluster, "cluster_id") != "kfake" || at(cluster, "metadata", "resource_name") != "crn:///kafka=kfake" ||
		!strings.HasPrefix(at(cluster, "controller", "related").(string), base+"/kfake/brokers/") {
		t.Errorf("cluster: %v", cluster)
	}

	topics := getJSON(t, base+"/kfake/topics")
	if got, want := names(topics), []string{"audit", "orders"}; !reflect.DeepEqual(got, want) {
		t.Errorf("topics %v, want %v: sorted, internal ones hidden", got, want)
	}
	orders := getJSON(t, base+"/kfake/topics/orders")
	if !reflect.DeepEqual(at(topics, "data", 1), any(orders)) {
		t.Errorf("the list's orders %v differs from orders %v", at(topics, "data", 1), orders)
	}
	if at(orders, "partitions_count") != 3.0 || at(orders, "replication_factor") != 3.0 || at(orders, "is_internal") != false ||
		at(orders, "partitions", "related") != base+"/kfake/topics/orders/partitions" {
		t.Errorf("orders: %v", orders)
	}

	partitions := getJSON(t, base+"/kfake/topics/orders/partitions")
	if n := len(at(partitions, "data").([]any)); n != 3 || at(partitions, "kind") != "KafkaPartitionList" {
		t.Fatalf("partitions: %v", partitions)
	}
	for i := range 3 {
		p := getJSON(t, base+"/kfake/topics/orders/partitions/"+strconv.Itoa(i))
		leader := b.Cluster().LeaderFor("orders", int32(i))
		if !reflect.DeepEqual(at(partitions, "data", i), any(p)) || at(p, "partition_id") != float64(i) ||
			at(p, "leader", "related") != base+"/kfake/topics/orders/partitions/"+strconv.Itoa(i)+"/replicas/"+strconv.Itoa(int(leader)) {
			t.Errorf("partition %d (leader %d): %v", i, leader, p)
		}
	}

	for _, path := range []string{
		"/kfake/topics/__consumer_offsets", "/kfake/topics/sys", "/kfake/topics/sys/partitions",
		"/kfake/topics/nope", "/kfake/topics/orders/partitions/3", "/kfake/topics/orders/partitions/-1",
		"/kfake/topics/orders/partitions/x", "/kfake/topics/orders/partitions/99999999999",
	} {
		resp, body := get(t, base+path)
		wantError(t, resp, body, 404, 404, "HTTP 404 Not Found")
	}
	resp, body := get(t, base+"/other/topics")
	wantError(t, resp, body, 404, 404, "Cluster other cannot be found.")
}

// docs/discovery.md, "Authentication and the allow-list": the same
// credentials as produce; topics off authorization.topics are not listed
// and answer exactly as unknown ones.
func TestDiscovery_AllowListAndAuthentication(t *testing.T) {
	t.Parallel()
	b := discoveryBroker(t)
	creds := filepath.Join(t.TempDir(), "credentials")
	writeCredentials(t, creds, "alice:secret\n")
	cfg := testConfig(b.Addr())
	cfg.Authentication = config.Authentication{Type: config.AuthBasic, CredentialsFile: creds}
	cfg.Authorization.Topics = []config.TopicRule{{Name: "orders"}, {Prefix: "__"}, {Name: "sys"}}
	ts := startServerConfig(t, cfg, &syncBuffer{})
	base := ts.base + "/v3/clusters/kfake"
	alice := basic("alice", "secret")

	for _, path := range []string{"/v3/clusters", "/v3/clusters/kfake", "/v3/clusters/kfake/topics", "/v3/clusters/kfake/topics/orders/partitions/0", "/v3/clusters/other/topics/nope"} {
		resp, body := get(t, ts.base+path)
		wantError(t, resp, body, 401, 40101, "Unauthorized: missing or invalid credentials.")
		if resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", path)
		}
	}
	if got := names(getJSON(t, base+"/topics", "Authorization", alice)); !reflect.DeepEqual(got, []string{"orders"}) {
		t.Errorf("topics %v, want [orders]: audit is off the allow-list, the others internal", got)
	}
	getJSON(t, base+"/topics/orders/partitions/2", "Authorization", alice)
	var hidden []byte
	for _, path := range []string{"/topics/audit", "/topics/audit/partitions", "/topics/audit/partitions/0", "/topics/nope", "/topics/sys", "/topics/__consumer_offsets"} {
		resp, body := getWith(t, base+path, "Authorization", alice)
		wantError(t, resp, body, 404, 404, "HTTP 404 Not Found")
		if hidden != nil && string(body) != string(hidden) {
			t.Errorf("%s: %s differs from the other hidden topics' answer %s", path, body, hidden)
		}
		hidden = body
	}
	// The document needs no credentials.
	if resp, body := get(t, ts.base+"/v3/openapi.json"); resp.StatusCode != 200 || !json.Valid(body) {
		t.Errorf("openapi.json without credentials: %d %.100s", resp.StatusCode, body)
	}
}

// docs/discovery.md, "The cluster id": a configured clusterId is the
// cluster's id; Kafka's own is then another cluster's.
func TestDiscovery_ConfiguredClusterID(t *testing.T) {
	t.Parallel()
	b := discoveryBroker(t, kfake.ClusterID("lkc-kafka"))
	cfg := testConfig(b.Addr())
	cfg.ClusterID = "prod"
	ts := startServerConfig(t, cfg, &syncBuffer{})

	clusters := getJSON(t, ts.base+"/v3/clusters")
	if at(clusters, "data", 0, "cluster_id") != "prod" || at(clusters, "data", 0, "metadata", "self") != ts.base+"/v3/clusters/prod" {
		t.Errorf("cluster list: %v", clusters)
	}
	if got := at(getJSON(t, ts.base+"/v3/clusters/prod/topics/orders"), "metadata", "resource_name"); got != "crn:///kafka=prod/topic=orders" {
		t.Errorf("orders resource_name %v", got)
	}
	resp, body := get(t, ts.base+"/v3/clusters/lkc-kafka/topics")
	wantError(t, resp, body, 404, 404, "Cluster lkc-kafka cannot be found.")
	// The same answer as produce gives a wrong cluster.
	resp, body = post(t, ts.url("lkc-kafka", "orders"), "application/json", oneRecord)
	wantError(t, resp, body, 404, 404, "Cluster lkc-kafka cannot be found.")
}

// docs/discovery.md, "URLs": the request's scheme and host; the /kafka
// prefix kept; X-Forwarded-Proto and X-Forwarded-Host only when
// http.trustForwardedHeaders is set.
func TestDiscovery_URLs(t *testing.T) {
	t.Parallel()
	b := discoveryBroker(t)
	forwarded := []string{"Host", "pod-1:8082", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "kafka.example.com"}
	for _, tc := range []struct {
		trust bool
		path  string
		want  string
	}{
		{false, "/v3/clusters/kfake/topics/orders", "http://pod-1:8082/v3/clusters/kfake/topics/orders"},
		{false, "/kafka/v3/clusters/kfake/topics/orders", "http://pod-1:8082/kafka/v3/clusters/kfake/topics/orders"},
		{true, "/v3/clusters/kfake/topics/orders/", "https://kafka.example.com/v3/clusters/kfake/topics/orders"},
		{true, "/kafka/v3/clusters/kfake/topics/orders", "https://kafka.example.com/kafka/v3/clusters/kfake/topics/orders"},
	} {
		cfg := testConfig(b.Addr())
		cfg.HTTP.TrustForwardedHeaders = tc.trust
		ts := startServerConfig(t, cfg, &syncBuffer{})
		topic := getJSON(t, ts.base+tc.path, forwarded...)
		if got := at(topic, "metadata", "self"); got != tc.want {
			t.Errorf("trust %v, GET %s: self %v, want %s", tc.trust, tc.path, got, tc.want)
		}
		if got, want := at(topic, "configs", "related"), tc.want+"/configs"; got != want {
			t.Errorf("trust %v, GET %s: configs %v, want %s", tc.trust, tc.path, got, want)
		}
	}
}

// docs/discovery.md: other methods get 405 with Allow: GET, after
// authentication as on the produce path; Kafka unreachable is 503 with
// Retry-After within the metadata wait.
func TestDiscovery_MethodAndKafkaDown(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	resp, body := post(t, ts.base+"/v3/clusters", "application/json", "{}")
	wantError(t, resp, body, 405, 405, "HTTP 405 Method Not Allowed")
	if got := resp.Header.Get("Allow"); got != "GET" {
		t.Errorf("Allow %q, want GET", got)
	}
	req, _ := http.NewRequest(http.MethodGet, ts.url("c", "orders"), nil)
	resp, _ = do(t, req)
	if got := resp.Header.Get("Allow"); resp.StatusCode != 405 || got != "POST" {
		t.Errorf("GET on records: %d, Allow %q; want 405, POST", resp.StatusCode, got)
	}

	b := kafkatest.StartBroker(t, nil)
	b.Close()
	cfg := testConfig(b.Addr())
	cfg.Producer.MetadataWaitMs = 300
	down := startServerConfig(t, cfg, &syncBuffer{})
	for _, path := range []string{"/v3/clusters", "/v3/clusters/x/topics/orders"} {
		start := time.Now()
		resp, body := get(t, down.base+path)
		wantError(t, resp, body, 503, 50003, "Kafka is unavailable: no metadata within the wait. Try again later.")
		if resp.Header.Get("Retry-After") != "5" || time.Since(start) > 3*time.Second {
			t.Errorf("%s: Retry-After %q after %s; want 5, within the metadata wait", path, resp.Header.Get("Retry-After"), time.Since(start))
		}
	}
}
