package proxy

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

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
// error shape, not echo's defaults. Access control runs first.
func (s *Server) routes() http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = handleError
	for _, p := range producePaths {
		e.Any(p, s.handleProduce, s.admit)
	}
	return e
}

// admit is the access control middleware: it runs after routing and before
// any other check of the request, so an unauthenticated client learns
// nothing about topics or clusters.
func (s *Server) admit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if rerr := s.access.admit(c); rerr != nil {
			s.metrics.countRefusal(rerr)
			return rerr
		}
		return next(c)
	}
}

// handleProduce runs the checks of spec 4.1 in order, each answered with a
// real HTTP status, then streams.
func (s *Server) handleProduce(c echo.Context) error {
	req := c.Request()
	if req.Method != http.MethodPost {
		return errMethodNotAllowed
	}
	st, input, rerr := s.openStream(c)
	if rerr != nil {
		s.metrics.countRefusal(rerr)
		return rerr
	}
	defer s.streams.remove(st)
	s.metrics.activeStreams.Inc()
	defer s.metrics.activeStreams.Dec()
	st.serve(input)
	return nil
}

// openStream checks the request and returns the stream, registered, and
// its body, with leading whitespace consumed.
func (s *Server) openStream(c echo.Context) (*stream, io.Reader, *requestError) {
	req := c.Request()
	latin1, rerr := checkContentType(req.Header.Get(echo.HeaderContentType))
	if rerr != nil {
		return nil, nil, rerr
	}
	clusterID, topic := c.Param("cluster_id"), c.Param("topic_name")
	if clusterID == "" || topic == "" {
		return nil, nil, errPathNotFound() // "/topics//records" names no topic
	}
	if s.cfg.ClusterID != "" && clusterID != s.cfg.ClusterID {
		return nil, nil, errClusterNotFound(clusterID)
	}
	if max := s.cfg.HTTP.MaxRequestBytes; max > 0 && req.ContentLength > max {
		return nil, nil, errRequestTooLarge()
	}
	if req.ContentLength == 0 {
		return nil, nil, errEmptyBody()
	}
	st := s.newStream(c.Response().Writer, req, clusterID, topic)
	if rerr := s.streams.add(st); rerr != nil {
		return nil, nil, rerr
	}
	partitions, rerr := s.partitions(req.Context(), topic)
	if rerr != nil {
		s.streams.remove(st)
		return nil, nil, rerr
	}
	st.partitions = partitions

	var r io.Reader = st.body
	if latin1 {
		r = newLatin1Reader(r)
	}
	// Small on purpose: it only holds the first read, for awaitData; the
	// decoder's larger reads bypass it.
	input := bufio.NewReaderSize(r, 512)
	if rerr := s.awaitData(st, input); rerr != nil {
		s.streams.remove(st)
		return nil, nil, rerr
	}
	return st, input, nil
}

func (s *Server) newStream(w http.ResponseWriter, req *http.Request, clusterID, topic string) *stream {
	rc := http.NewResponseController(w)
	now := time.Now()
	st := &stream{
		srv:       s,
		clusterID: clusterID,
		topic:     topic,
		w:         w,
		req:       req,
		rc:        rc,
		body:      &bodyReader{r: req.Body, rc: rc, idle: s.idle},
		q:         newReportQueue(s.cfg.HTTP.MaxInFlightPerStream, s.onProduced),
		start:     now,
		maxAgeAt:  now.Add(s.maxAge),
		stopping:  make(chan struct{}),
		abort:     make(chan struct{}),
	}
	if s.limiter != nil {
		st.window = s.limiter.cluster(clusterID)
	}
	return st
}

// onProduced is every slot's producer callback: it runs on the producer's
// goroutine and must not block.
func (s *Server) onProduced(sl *slot, r producer.Result) {
	s.inFlight.release()
	sl.q.finish(sl, r)
}

// partitions asks the producer's metadata for the topic's partition count,
// waiting at most producer.metadataWaitMs: an unknown topic is answered at
// once instead of failing every record later.
func (s *Server) partitions(ctx context.Context, topic string) (int32, *requestError) {
	ctx, cancel := context.WithTimeout(ctx, s.metadataWait)
	defer cancel()
	n, err := s.producer.Partitions(ctx, topic)
	switch {
	case err == nil:
		return int32(n), nil
	case errors.Is(err, producer.ErrUnknownTopic):
		return 0, errTopicNotFound(topic)
	case errors.Is(err, producer.ErrTopicAuthorization):
		return 0, errTopicForbidden(topic)
	case errors.Is(err, producer.ErrCredentialsRefused):
		return 0, errKafkaCredentialsRefused()
	case producer.TLSRefused(err):
		if s.kafkaTLSLog.due(time.Now()) {
			s.log.Error("TLS handshake with Kafka failed: requests are refused 401/40101 until kafka.tls is fixed", "error", err)
		}
		return 0, errKafkaTLSRefused()
	default:
		if !errors.Is(err, producer.ErrUnavailable) && !errors.Is(err, context.DeadlineExceeded) {
			s.log.Warn("topic metadata", "topic", topic, "error", err)
		}
		return 0, errKafkaUnavailable()
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

// awaitData reads up to the first byte of the first record, so that an
// empty or whitespace-only body is answered 422 before the 200 of a stream.
func (s *Server) awaitData(st *stream, input *bufio.Reader) *requestError {
	for {
		b, err := input.ReadByte()
		switch {
		case err == nil && isSpace(b):
			continue
		case err == nil:
			_ = input.UnreadByte()
			return nil
		case errors.Is(err, io.EOF):
			return errEmptyBody()
		case errors.Is(err, errStopped):
			return errShuttingDown()
		case errors.Is(err, os.ErrDeadlineExceeded):
			return errIdleBeforeData()
		default:
			return errEmptyBody()
		}
	}
}
