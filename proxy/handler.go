package proxy

import (
	"context"
	"errors"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/restproxy-dev/restproxy-operator/proxy/admission"
	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
	"github.com/restproxy-dev/restproxy-operator/proxy/produce"
	"github.com/restproxy-dev/restproxy-operator/proxy/producer"
)

// Paths of the produce endpoint: the v3 path, the same under /kafka, each
// with and without a trailing slash.
var producePaths = []string{
	"/v3/clusters/:cluster_id/topics/:topic_name/records",
	"/v3/clusters/:cluster_id/topics/:topic_name/records/",
	"/kafka/v3/clusters/:cluster_id/topics/:topic_name/records",
	"/kafka/v3/clusters/:cluster_id/topics/:topic_name/records/",
}

// routes builds the produce API. Every method is routed to the handler so
// that 405 (and 404 for other paths) leave through handleError with the JSON
// error shape, not echo's defaults. Access control runs first, so an
// unauthenticated client learns nothing about topics or clusters.
func (s *Server) routes() http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.Pre(closeChunked)
	if s.tracing != nil {
		e.Use(s.traceRequests)
	}
	e.Use(s.recoverPanic)
	for _, p := range producePaths {
		e.Any(p, s.handleProduce, s.authorize)
	}
	for _, p := range batchPaths {
		e.Any(p, s.handleBatch, s.authorize)
	}
	s.discoveryRoutes(e)
	return e
}

// closeChunked runs before routing: the answer to a chunked request, a
// refusal of any kind included, closes its connection. A chunked request
// that also said Content-Length could smuggle a second request after its
// last chunk; net/http drops the Content-Length before a handler sees it,
// so such a request cannot be told apart. Streams are long, so a new
// connection per chunked request costs little.
func closeChunked(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if req := c.Request(); req.ProtoMajor == 1 && len(req.TransferEncoding) > 0 {
			c.Response().Header().Set("Connection", "close")
		}
		return next(c)
	}
}

// recoverPanic answers a panic while a request is handled (a bug) with the
// JSON 500 of docs/produce-api.md, counted like any refusal under
// reason="internal", and the process goes on serving. A panic after the
// response started only ends that response. A stream's own goroutines
// recover their panics themselves (produce's intake).
func (s *Server) recoverPanic(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			r := recover()
			if r == nil {
				return
			}
			if r == http.ErrAbortHandler {
				panic(r) // net/http's way to abort a response, not a bug
			}
			s.log.Error("panic while handling a request", "panic", r, "stack", string(debug.Stack()))
			err = apierror.New(apierror.Internal)
		}()
		if panicHook != nil {
			panicHook(c.Request())
		}
		return next(c)
	}
}

// panicHook, set only by the tests, runs before each request is handled:
// it injects the bug recoverPanic exists for.
var panicHook func(*http.Request)

// authorize is the access control middleware.
func (s *Server) authorize(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := s.admit.access.Admit(c); err != nil {
			return err
		}
		return next(c)
	}
}

// handleProduce runs the request's checks in the order of
// docs/produce-api.md, each refusal answered with a real HTTP status, then
// serves the stream.
func (s *Server) handleProduce(c echo.Context) error {
	req := c.Request()
	if req.Method != http.MethodPost {
		return apierror.New(apierror.MethodNotAllowed)
	}
	st, target, err := s.openStream(c)
	if err != nil {
		return err
	}
	defer s.removeStream(st)
	st.Serve(target)
	return nil
}

// addStream admits st (a stream or a batch) under the stream bound and
// counts it as active from then on, waiting for its first record
// included; removeStream ends both.
func (s *Server) addStream(st admission.Stream) *apierror.Error {
	if err := s.admit.streams.Add(st); err != nil {
		return err
	}
	s.metrics.StreamStarted()
	return nil
}

func (s *Server) removeStream(st admission.Stream) {
	s.admit.streams.Remove(st)
	s.metrics.StreamEnded()
}

// openStream checks the request and returns its stream, registered, with
// the first byte of data already waiting.
func (s *Server) openStream(c echo.Context) (*produce.Stream, produce.Target, *apierror.Error) {
	req := c.Request()
	t, format, err := s.checkRequest(c)
	switch {
	case err != nil:
		return nil, t, err
	case req.ContentLength == 0:
		return nil, t, apierror.New(apierror.EmptyBody)
	}
	st := s.pipeline.NewStream(c.Response().Writer, req, format)
	if err := s.addStream(st); err != nil {
		return nil, t, err
	}
	if t.Partitions, err = s.partitions(req.Context(), t.Topic); err == nil {
		err = st.AwaitData()
	}
	if err != nil {
		s.removeStream(st)
		bodyRead(req, st.BodyRead())
		return nil, t, err
	}
	s.admitted(c, &t)
	return st, t, nil
}

// partitions asks the producer's metadata for the topic's partition count,
// which waits at most producer.metadataWaitMs for a count it does not have:
// an unknown topic is answered at once instead of failing every record
// later.
func (s *Server) partitions(ctx context.Context, topic string) (int32, *apierror.Error) {
	n, err := s.producer.Partitions(ctx, topic)
	switch {
	case err == nil:
		return int32(n), nil
	case errors.Is(err, producer.ErrUnknownTopic):
		return 0, apierror.New(apierror.TopicNotFound, topic)
	case errors.Is(err, producer.ErrTopicAuthorization):
		return 0, apierror.New(apierror.TopicForbidden, topic)
	default:
		return 0, s.kafkaRefusal(err, "topic", topic)
	}
}

// logEvery bounds a log line that every request could repeat to one per
// period, so a misconfiguration is said clearly without flooding the log.
type logEvery struct {
	period time.Duration

	mu   sync.Mutex
	last time.Time
}

// due reports whether the line may be logged at now, and if so starts a
// new period.
func (l *logEvery) due(now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.last.IsZero() && now.Sub(l.last) < l.period {
		return false
	}
	l.last = now
	return true
}
