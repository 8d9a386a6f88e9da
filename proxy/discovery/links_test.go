package discovery

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

// docs/discovery.md, "URLs": the scheme and host of the request, the
// /kafka prefix when the route has it, and X-Forwarded-Proto and
// X-Forwarded-Host only when trusted and valid.
func TestBaseURL(t *testing.T) {
	for _, tc := range []struct {
		name    string
		route   string
		tls     bool
		host    string
		headers map[string]string
		trust   bool
		want    string
	}{
		{name: "plain", route: "/v3/clusters", host: "proxy:8082", want: "http://proxy:8082"},
		{name: "TLS", route: "/v3/clusters", tls: true, host: "proxy:8082", want: "https://proxy:8082"},
		{name: "kafka prefix", route: "/kafka/v3/clusters/:cluster_id", host: "proxy", want: "http://proxy/kafka"},
		{name: "IPv6 host", route: "/v3/clusters", host: "[::1]:8082", want: "http://[::1]:8082"},
		{name: "forwarded, not trusted", route: "/v3/clusters", host: "pod:8082",
			headers: map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "api.example.com"},
			want:    "http://pod:8082"},
		{name: "forwarded, trusted", route: "/kafka/v3/clusters", host: "pod:8082", trust: true,
			headers: map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "api.example.com"},
			want:    "https://api.example.com/kafka"},
		{name: "forwarded lists: the first element", route: "/v3/clusters", host: "pod:8082", trust: true,
			headers: map[string]string{"X-Forwarded-Proto": " HTTPS , http", "X-Forwarded-Host": "api.example.com:443, lb.internal"},
			want:    "https://api.example.com:443"},
		{name: "forwarded proto alone", route: "/v3/clusters", host: "pod:8082", trust: true,
			headers: map[string]string{"X-Forwarded-Proto": "https"},
			want:    "https://pod:8082"},
		{name: "forwarded host alone, over TLS", route: "/v3/clusters", tls: true, host: "pod:8082", trust: true,
			headers: map[string]string{"X-Forwarded-Host": "api.example.com"},
			want:    "https://api.example.com"},
		{name: "invalid forwarded values are ignored", route: "/v3/clusters", host: "pod:8082", trust: true,
			headers: map[string]string{"X-Forwarded-Proto": "javascript", "X-Forwarded-Host": "evil.example/path"},
			want:    "http://pod:8082"},
		{name: "forwarded host with a space is ignored", route: "/v3/clusters", host: "pod:8082", trust: true,
			headers: map[string]string{"X-Forwarded-Host": "a b"},
			want:    "http://pod:8082"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "http://ignored/v3/clusters", nil)
			req.Host = tc.host
			if tc.tls {
				req.TLS = &tls.ConnectionState{}
			} else {
				req.TLS = nil
			}
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			if got := baseURL(req, tc.route, tc.trust); got != tc.want {
				t.Errorf("baseURL = %q, want %q", got, tc.want)
			}
		})
	}
}

// An HTTP/1.0 request without Host gets the address the client reached.
func TestBaseURL_NoHost(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "/v3/clusters", nil)
	req.Host = ""
	addr := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 7), Port: 8082}
	req = req.WithContext(context.WithValue(req.Context(), http.LocalAddrContextKey, net.Addr(addr)))
	if got, want := baseURL(req, "/v3/clusters", false), "http://10.0.0.7:8082"; got != want {
		t.Errorf("baseURL = %q, want %q", got, want)
	}
}

// Every path segment is escaped; resource names are not.
func TestLinks(t *testing.T) {
	l := links{base: "http://h/kafka"}
	for _, tc := range []struct{ got, want string }{
		{l.clusters(), "http://h/kafka/v3/clusters"},
		{l.cluster("lkc-1"), "http://h/kafka/v3/clusters/lkc-1"},
		{l.cluster("a b/c"), "http://h/kafka/v3/clusters/a%20b%2Fc"},
		{l.cluster("c", "topics", "-", "partitions", "-", "reassignment"), "http://h/kafka/v3/clusters/c/topics/-/partitions/-/reassignment"},
		{l.topic("c", "orders.v1"), "http://h/kafka/v3/clusters/c/topics/orders.v1"},
		{l.topic("c", "t", "configs"), "http://h/kafka/v3/clusters/c/topics/t/configs"},
		{l.partition("c", "t", 12), "http://h/kafka/v3/clusters/c/topics/t/partitions/12"},
		{l.partition("c", "t", 0, "replicas", "3"), "http://h/kafka/v3/clusters/c/topics/t/partitions/0/replicas/3"},
		{clusterCRN("lkc-1"), "crn:///kafka=lkc-1"},
		{topicCRN("lkc-1", "orders"), "crn:///kafka=lkc-1/topic=orders"},
		{partitionCRN("lkc-1", "orders", 2), "crn:///kafka=lkc-1/topic=orders/partition=2"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
