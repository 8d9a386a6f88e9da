package proxy

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/restproxy-dev/restproxy-operator/proxy/admission"
	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
	"github.com/restproxy-dev/restproxy-operator/proxy/produce"
)

// Paths of the batch endpoint, as producePaths. The colon of "records:batch"
// is escaped for echo: unescaped, echo would read ":batch" as a path
// parameter, and ".../records" would no longer route to the produce
// endpoint. A client may also send the colon percent-encoded, and echo
// routes such a request on its path as sent.
var batchPaths = func() []string {
	var paths []string
	for _, prefix := range []string{"", "/kafka"} {
		for _, colon := range []string{`\:`, "%3A", "%3a"} {
			p := prefix + "/v3/clusters/:cluster_id/topics/:topic_name/records" + colon + "batch"
			paths = append(paths, p, p+"/")
		}
	}
	return paths
}()

// handleBatch serves records:batch (docs/produce-api.md, "Batch produce"):
// the checks of a produce request, in the same order, then the batch.
func (s *Server) handleBatch(c echo.Context) error {
	req := c.Request()
	if req.Method != http.MethodPost {
		return apierror.New(apierror.MethodNotAllowed)
	}
	t, format, err := s.checkRequest(c)
	if err != nil {
		return err
	}
	b := s.pipeline.NewBatch(c.Response().Writer, req, format)
	if err := s.addStream(b); err != nil {
		return err
	}
	defer s.removeStream(b)
	if t.Partitions, err = s.partitions(req.Context(), t.Topic); err != nil {
		return err
	}
	s.admitted(c, &t)
	if err := b.Serve(t); err != nil {
		bodyRead(req, b.BodyRead())
		return err
	}
	return nil
}

// bodyRead tells the refusal that req's body was read to its end, when
// read is set: there is nothing left to stop reading. net/http reads the
// connection in the background once a body ended, and the read deadline
// that stops a body would fire under that read and cancel the context of
// every later request on the connection.
func bodyRead(req *http.Request, read bool) {
	if read {
		req.Body = http.NoBody // net/http closes the body it holds itself
	}
}

// checkRequest runs the checks of a produce or batch request that need
// only its headers and path, in the order of docs/produce-api.md: media
// type and charset, Content-Encoding, path values, the configured cluster
// id, and Content-Length against http.maxRequestBytes. It returns where
// the records go and how the body is written.
func (s *Server) checkRequest(c echo.Context) (produce.Target, produce.BodyFormat, *apierror.Error) {
	req := c.Request()
	cluster, okCluster := admission.PathParam(c, "cluster_id")
	topic, okTopic := admission.PathParam(c, "topic_name")
	t := produce.Target{ClusterID: cluster, Topic: topic, Schemas: s.pipeline.Schemas(topic)}
	var format produce.BodyFormat
	var err *apierror.Error
	if format.Latin1, err = produce.CheckContentType(req.Header.Get(echo.HeaderContentType)); err != nil {
		return t, format, err
	}
	if format.Encoding, err = produce.CheckContentEncoding(req.Header.Values(echo.HeaderContentEncoding)); err != nil {
		return t, format, err
	}
	switch {
	case !okCluster || !okTopic || t.ClusterID == "" || t.Topic == "":
		return t, format, apierror.New(apierror.PathNotFound) // "/topics//records" names no topic
	case s.cfg.ClusterID != "" && t.ClusterID != s.cfg.ClusterID:
		return t, format, apierror.New(apierror.ClusterNotFound, t.ClusterID)
	case s.cfg.HTTP.MaxRequestBytes > 0 && req.ContentLength > s.cfg.HTTP.MaxRequestBytes:
		return t, format, apierror.New(apierror.RequestTooLarge)
	}
	return t, format, nil
}

// admitted completes the target of an admitted request with what checks
// its records as they are read: the client's credentials and the rate
// limits of its principal, whose standing the response's RateLimit
// headers tell.
func (s *Server) admitted(c echo.Context, t *produce.Target) {
	// The principal names the client in the rules, the rate limits, the
	// access log, the request's span and the per-principal counters.
	p := admission.PrincipalFrom(c.Request().Context())
	t.Principal = p.Name
	t.Origin = s.origin(c.Request())
	if client := s.admit.access.Credentials(c); client != nil {
		t.Client = client
	}
	if s.admit.limiter != nil {
		// Keyed by the configured cluster id, never by the path's: a
		// client must not get a budget of its own by naming clusters.
		gate := s.admit.limiter.Gate(s.cfg.ClusterID, p.Name, s.admit.access.GrantOf(c).Limits)
		t.Gate = gate
		if policy, state, ok := gate.Headers(time.Now().Unix()); ok {
			h := c.Response().Header()
			h.Set("RateLimit-Policy", policy)
			h.Set("RateLimit", state)
		}
	}
}
