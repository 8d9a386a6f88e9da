package main

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/restproxy-dev/restproxy-operator/hack/internal/loadgen"
)

// drainLimit bounds how long a mode waits for its last reports after it
// stops sending: far above what a healthy proxy needs, so it only turns a
// hang into an error in the table.
const drainLimit = 90 * time.Second

// pushStreams runs streams concurrent chunked POSTs, each sending the whole
// record set as one chunk again and again as fast as the proxy takes it,
// until deadline; then it ends each body and waits for every report.
func pushStreams(t loadgen.Target, rs *recordSet, streams int, deadline time.Time, tl *tally) {
	var wg sync.WaitGroup
	for range streams {
		wg.Go(func() {
			withStream(t, deadline, tl, tl.report, func(s *loadgen.Stream) {
				// At least one chunk: a stream opened after the deadline must
				// not end as an empty body, which the proxy rightly refuses.
				for first := true; first || time.Now().Before(deadline); first = false {
					if err := s.WriteChunk(rs.stream); err != nil {
						tl.fail(err)
						return
					}
					tl.sent.Add(int64(len(rs.json)))
				}
			})
		})
	}
	wg.Wait()
}

// withStream opens a stream to t and reads its reports with onReport while
// send writes its body; then it ends the body and waits for every report.
// The connection's deadline turns a hang past deadline+drainLimit into an
// error.
func withStream(t loadgen.Target, deadline time.Time, tl *tally, onReport func(ok bool, line []byte), send func(*loadgen.Stream)) {
	withStreamHeaders(t, "", deadline, tl, onReport, send)
}

// withStreamHeaders is withStream with extra request header lines.
func withStreamHeaders(t loadgen.Target, extra string, deadline time.Time, tl *tally, onReport func(ok bool, line []byte), send func(*loadgen.Stream)) {
	s, err := loadgen.OpenStreamHeaders(t, extra)
	if err != nil {
		tl.fail(err)
		return
	}
	defer s.Close()
	_ = s.SetDeadline(deadline.Add(drainLimit))
	read := make(chan error, 1)
	go func() { read <- s.ReadReports(onReport) }()
	send(s)
	_ = s.CloseSend()
	if err := <-read; err != nil {
		tl.fail(err)
	}
}

// paceStreams sends records at a fixed total rate over streams, one chunk
// per due batch, and returns every record's report latency: from the
// write that carried its last byte to the moment its report was read.
func paceStreams(t loadgen.Target, rs *recordSet, streams int, rate float64, deadline time.Time, tl *tally) []time.Duration {
	perStream := rate / float64(streams)
	interval := time.Duration(float64(time.Second) / perStream)
	var mu sync.Mutex
	var all []time.Duration
	var wg sync.WaitGroup
	for i := range streams {
		wg.Go(func() {
			// Times are offsets from base, so they use the monotonic clock.
			base := time.Now()
			sentAt := make(chan time.Duration, 1<<16)
			var lat []time.Duration
			onReport := func(ok bool, line []byte) {
				arrived := time.Since(base)
				tl.report(ok, line)
				lat = append(lat, arrived-<-sentAt)
			}
			withStream(t, deadline, tl, onReport, func(s *loadgen.Stream) {
				// Streams start spread over one interval, so their sends
				// interleave rather than arrive together.
				start := time.Now().Add(time.Duration(i) * interval / time.Duration(streams))
				time.Sleep(time.Until(start))
				var chunk []byte
				next := i * 7919 // a different key sequence per stream
				sent := 0
				for {
					now := time.Now()
					if !now.Before(deadline) {
						return
					}
					due := int(now.Sub(start).Seconds()*perStream) + 1 - sent
					if due > 0 {
						chunk = chunk[:0]
						for range due {
							chunk = append(append(chunk, rs.json[next%len(rs.json)]...), '\n')
							next++
						}
						// Stamped before the write, which returns once the
						// last byte is in the kernel: a stamp after it could
						// come after the report when this goroutine is
						// descheduled, so the latency errs by the write's own
						// few microseconds on the long side.
						at := time.Since(base)
						for range due {
							sentAt <- at
						}
						if err := s.WriteChunk(chunk); err != nil {
							tl.fail(err)
							return
						}
						sent += due
						tl.sent.Add(int64(due))
					}
					time.Sleep(time.Until(start.Add(time.Duration(sent) * interval)))
				}
			})
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return all
}

// trickleStreams holds streams open for the whole mode, each sending one
// record every `every` (at a random phase), as many idle-ish clients do.
func trickleStreams(t loadgen.Target, rs *recordSet, streams int, every time.Duration, deadline time.Time, tl *tally) {
	var wg sync.WaitGroup
	for i := range streams {
		wg.Go(func() {
			withStream(t, deadline, tl, tl.report, func(s *loadgen.Stream) {
				rec := append(bytes.Clone(rs.json[i%len(rs.json)]), '\n')
				time.Sleep(rand.N(every))
				tick := time.NewTicker(every)
				defer tick.Stop()
				for time.Now().Before(deadline) {
					if err := s.WriteChunk(rec); err != nil {
						tl.fail(err)
						return
					}
					tl.sent.Add(1)
					<-tick.C
				}
			})
		})
	}
	wg.Wait()
}

// postSingles runs clients keep-alive connections, each POSTing one record
// per request with a Content-Length and reading the answer before the
// next, until deadline.
func postSingles(t loadgen.Target, rs *recordSet, clients int, deadline time.Time, tl *tally) {
	requests := func(client int) [][]byte {
		var reqs [][]byte
		for j := range 16 {
			rec := rs.json[(client*16+j)%len(rs.json)]
			req := t.RequestLine() + "Content-Length: " + strconv.Itoa(len(rec)) + "\r\n\r\n" + string(rec)
			reqs = append(reqs, []byte(req))
		}
		return reqs
	}
	keepAliveClients(t, clients, deadline, tl, 1, requests, func(status int, body []byte) {
		tl.report(status == http.StatusOK && bytes.HasPrefix(body, loadgen.OKPrefix), body)
	})
}

// keepAliveClients runs clients keep-alive connections to t until
// deadline, each sending in turn the requests reqsOf gives it (records
// records each) and reading the answer, which goes to answer, before the
// next.
func keepAliveClients(t loadgen.Target, clients int, deadline time.Time, tl *tally, records int,
	reqsOf func(client int) [][]byte, answer func(status int, body []byte)) {
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			conn, err := net.Dial("tcp", t.Addr)
			if err != nil {
				tl.fail(err)
				return
			}
			defer conn.Close()
			_ = conn.SetDeadline(deadline.Add(drainLimit))
			reqs := reqsOf(i)
			br := bufio.NewReaderSize(conn, 64<<10)
			var body bytes.Buffer
			for n := i; time.Now().Before(deadline); n++ {
				tl.sent.Add(int64(records))
				status, err := roundTrip(conn, br, reqs[n%len(reqs)], &body)
				if err != nil {
					tl.fail(err)
					return
				}
				answer(status, body.Bytes())
			}
		})
	}
	wg.Wait()
}

// roundTrip writes one request on a keep-alive connection and reads its
// answer into body, returning the status.
func roundTrip(conn net.Conn, br *bufio.Reader, req []byte, body *bytes.Buffer) (int, error) {
	if _, err := conn.Write(req); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return 0, err
	}
	body.Reset()
	_, err = body.ReadFrom(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, err
}
