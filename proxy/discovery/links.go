package discovery

import (
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// links builds the absolute URLs and resource names of one answer. Every
// URL is base, then /v3 and the escaped path segments.
type links struct {
	base string // scheme://host, and /kafka when the request used it
}

// baseURL is what every URL of the answer to req starts with: the scheme
// and host the client used, and the /kafka prefix when route, the echo
// route that matched, has it. With trustForwarded, X-Forwarded-Proto and
// X-Forwarded-Host replace the scheme and host: the ones a load balancer or
// ingress in front of the proxy was reached with.
func baseURL(req *http.Request, route string, trustForwarded bool) string {
	scheme := "http"
	if req.TLS != nil {
		scheme = "https"
	}
	host := req.Host
	if host == "" { // HTTP/1.0 without Host: the address the client reached
		if a, ok := req.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
			host = a.String()
		}
	}
	if trustForwarded {
		if p := forwardedProto(req.Header); p != "" {
			scheme = p
		}
		if h := forwardedHost(req.Header); h != "" {
			host = h
		}
	}
	prefix := ""
	if strings.HasPrefix(route, "/kafka/") {
		prefix = "/kafka"
	}
	return scheme + "://" + host + prefix
}

// forwardedProto is the first X-Forwarded-Proto value when it is http or
// https (in any case), else "". A chain of proxies appends to the list, so
// the first value is the one the client used.
func forwardedProto(h http.Header) string {
	switch v := strings.ToLower(firstValue(h, "X-Forwarded-Proto")); v {
	case "http", "https":
		return v
	}
	return ""
}

// forwardedHost is the first X-Forwarded-Host value when it is a valid
// Host header value, else "".
func forwardedHost(h http.Header) string {
	v := firstValue(h, "X-Forwarded-Host")
	if v == "" || !httpguts.ValidHostHeader(v) {
		return ""
	}
	return v
}

// firstValue is the first element of the comma-separated list in the
// header's first line, trimmed.
func firstValue(h http.Header, name string) string {
	v, _, _ := strings.Cut(h.Get(name), ",")
	return strings.TrimSpace(v)
}

// url is base + /v3 + one escaped segment per element of path.
func (l links) url(path ...string) string {
	var b strings.Builder
	b.WriteString(l.base)
	b.WriteString("/v3")
	for _, s := range path {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

func (l links) clusters() string { return l.url("clusters") }

func (l links) cluster(c string, path ...string) string {
	return l.url(append([]string{"clusters", c}, path...)...)
}

func (l links) topic(c, t string, path ...string) string {
	return l.cluster(c, append([]string{"topics", t}, path...)...)
}

func (l links) partition(c, t string, p int32, path ...string) string {
	return l.topic(c, t, append([]string{"partitions", itoa(p)}, path...)...)
}

// Resource names, as the reference builds them with no CRN authority
// configured: crn:///kafka=<cluster>/topic=<topic>/partition=<id>.
func clusterCRN(c string) string               { return "crn:///kafka=" + c }
func topicCRN(c, t string) string              { return clusterCRN(c) + "/topic=" + t }
func partitionCRN(c, t string, p int32) string { return topicCRN(c, t) + "/partition=" + itoa(p) }

func itoa(n int32) string { return strconv.FormatInt(int64(n), 10) }
