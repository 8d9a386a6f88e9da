package proxy

import (
	"bytes"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
	"github.com/restproxy-dev/restproxy-operator/proxy/record"
)

// handleError is echo's error handler: every refusal, echo's own 404 and
// 405 included, leaves as {"error_code":N,"message":"..."} with the status
// and headers of its entry in package apierror, and is counted here, the
// one place every refusal passes.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var ae *apierror.Error
	var he *echo.HTTPError
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &he) && he.Code == http.StatusNotFound:
		ae = apierror.New(apierror.PathNotFound)
	case errors.As(err, &he) && he.Code == http.StatusMethodNotAllowed:
		ae = apierror.New(apierror.MethodNotAllowed)
	case errors.As(err, &he) && he.Code < 500:
		ae = apierror.HTTP(he.Code, http.StatusText(he.Code))
	default:
		ae = apierror.New(apierror.Internal)
	}
	s.metrics.Refused(ae)
	s.logRefusal(c, ae)
	stopReadingBody(c)
	writeRefusal(c.Response(), ae)
}

// stopReadingBody makes further reads of a refused request's body fail at
// once. Before writing an answer, net/http reads up to 256 KiB of a body the
// handler left unread, so that the connection can be reused; a streaming
// client that sent its first record and waits for its report would wait for
// ever. With the deadline, a body already received is still consumed and
// the connection kept; otherwise the answer is written at once and the
// connection closed after it.
func stopReadingBody(c echo.Context) {
	if req := c.Request(); req.Body == nil || req.Body == http.NoBody {
		return
	}
	_ = http.NewResponseController(c.Response().Writer).SetReadDeadline(time.Now())
}

func writeRefusal(w http.ResponseWriter, e *apierror.Error) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if v := e.RetryAfter(); v != "" {
		h.Set("Retry-After", v)
	}
	if v := e.WWWAuthenticate(); v != "" {
		h.Set("WWW-Authenticate", v)
	}
	if e.Kind == apierror.MethodNotAllowed && h.Get("Allow") == "" { // the discovery endpoints set GET
		h.Set("Allow", http.MethodPost)
	}
	w.WriteHeader(e.Status())
	_, _ = w.Write(bytes.TrimSuffix(record.AppendError(nil, e), []byte("\r\n")))
}
