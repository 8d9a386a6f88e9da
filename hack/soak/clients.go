package main

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/restproxy-dev/restproxy-operator/hack/internal/loadgen"
)

// sendEvery is how often a stream sends the records it owes: a chunk per
// tick, like a client that buffers briefly.
const sendEvery = 10 * time.Millisecond

// drainLimit bounds how long a stream may take past its life for its last
// reports; only a hang comes near it.
const drainLimit = 2 * time.Minute

// clients is the soak's load: streams that each live a random time and
// are replaced by a new connection, some ended abruptly, and single-record
// POSTs on a new connection each. Together they offer rate records/s.
type clients struct {
	target   loadgen.Target
	codec    *recordCodec
	ledger   *ledger
	acks     *verifier
	load     loadOptions
	rate     float64 // records/s over all streams
	deadline time.Time

	count    clientCounts
	problems problems
}

// clientCounts are what the clients count as they go.
type clientCounts struct {
	streams, aborted, singles atomic.Int64 // opened, ended abruptly, POSTed
	failed, unreported        atomic.Int64 // error reports; records whose stream ended first
	skipped                   atomic.Int64 // offers dropped while the proxy pushed back
	badReports                atomic.Int64 // reports for no record sent, or 200s without a place
}

// run drives the streams and the single POSTs until the deadline, ending
// every stream and waiting for its reports.
func (c *clients) run() {
	var wg sync.WaitGroup
	for range c.load.streams {
		wg.Go(func() {
			pc := &pacer{perSec: c.rate / float64(c.load.streams), start: time.Now()}
			for time.Now().Before(c.deadline) {
				life := c.load.minLife + rand.N(c.load.maxLife-c.load.minLife+1)
				life = min(life, time.Until(c.deadline))
				c.stream(pc, life, rand.Float64() < c.load.abortShare)
			}
		})
	}
	wg.Go(c.postSingles)
	wg.Wait()
}

// drainRetries sends the ids still waiting to be sent again, on streams of
// a few seconds each, until none is left or rounds run out.
func (c *clients) drainRetries(rounds int) {
	c.ledger.noNew.Store(true)
	for i := 0; i < rounds && c.ledger.waiting() > 0; i++ {
		c.stream(&pacer{perSec: 1e6, start: time.Now()}, 2*time.Second, false)
	}
}

// stream sends on one chunked POST for life, then ends its body (or, when
// abort, drops the connection) and gives every record without a 200 back to
// the ledger.
func (c *clients) stream(pc *pacer, life time.Duration, abort bool) {
	s, err := loadgen.OpenStream(c.target)
	if err != nil {
		c.problems.note("open stream", err)
		time.Sleep(100 * time.Millisecond)
		return
	}
	defer s.Close()
	c.count.streams.Add(1)
	_ = s.SetDeadline(time.Now().Add(life + drainLimit))
	inFlight := make(chan uint64, 1<<14) // ids sent, in order, awaiting reports
	read := make(chan error, 1)
	go func() { read <- s.ReadReports(func(ok bool, line []byte) { c.onReport(inFlight, ok, line) }) }()
	sent := c.send(s, pc, inFlight, time.Now().Add(life))
	if abort || sent == 0 { // an empty body is refused, rightly
		c.count.aborted.Add(1)
		s.Close()
	} else {
		_ = s.CloseSend()
	}
	if err := <-read; err != nil && !abort && sent > 0 {
		c.problems.note("stream", err)
	}
	for len(inFlight) > 0 {
		c.ledger.retry(<-inFlight)
		c.count.unreported.Add(1)
	}
}

// send writes the records pc says are due, one chunk per tick, until the
// stream's life ends or a write fails, and returns how many it sent. It
// returns right after its last write, so a stream dropped then leaves
// records in flight.
func (c *clients) send(s *loadgen.Stream, pc *pacer, inFlight chan<- uint64, until time.Time) int {
	var ids []uint64
	var chunk []byte
	total := 0
	for {
		if n := pc.due(time.Now(), &c.count.skipped); n > 0 {
			ids = c.ledger.take(ids[:0], n)
			chunk = chunk[:0]
			for _, id := range ids {
				inFlight <- id // before the write: its report may come at once
				chunk = append(c.codec.appendJSON(chunk, id), '\n')
			}
			pc.sent += int64(n)
			if len(ids) > 0 {
				if err := s.WriteChunk(chunk); err != nil {
					return total + len(ids)
				}
				total += len(ids)
			}
		}
		if !time.Now().Add(sendEvery).Before(until) {
			return total
		}
		time.Sleep(sendEvery)
	}
}

// onReport matches a report to the oldest id awaiting one.
func (c *clients) onReport(inFlight <-chan uint64, ok bool, line []byte) {
	var id uint64
	select {
	case id = <-inFlight:
	default:
		c.count.badReports.Add(1)
		c.problems.note("report", fmt.Errorf("a report for no record sent: %q", bytes.TrimSpace(line)))
		return
	}
	c.onResult(id, ok, line)
}

// onResult counts one record's report: a 200 goes to the verifier, anything
// else back to the ledger.
func (c *clients) onResult(id uint64, ok bool, line []byte) {
	if !ok {
		c.count.failed.Add(1)
		c.problems.noteFailure(line)
		c.ledger.retry(id)
		return
	}
	p, o, err := parseReport(line)
	if err != nil {
		c.count.badReports.Add(1)
		c.problems.note("report", err)
		c.ledger.retry(id)
		return
	}
	c.ledger.acked.Add(1)
	c.acks.ack(p, o, id)
}

// postSingles POSTs one record at a time, each on a connection of its own,
// load.singleRate times a second until the deadline.
func (c *clients) postSingles() {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: drainLimit}
	url := "http://" + c.target.Addr + "/v3/clusters/soak/topics/" + c.target.Topic + "/records"
	tick := time.NewTicker(time.Duration(float64(time.Second) / c.load.singleRate))
	defer tick.Stop()
	for time.Now().Before(c.deadline) {
		<-tick.C
		ids := c.ledger.take(nil, 1)
		if len(ids) == 0 {
			continue
		}
		c.count.singles.Add(1)
		body := c.codec.appendJSON(nil, ids[0])
		resp, err := client.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			c.problems.note("single POST", err)
			c.ledger.retry(ids[0])
			continue
		}
		report, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		ok := err == nil && resp.StatusCode == http.StatusOK && bytes.HasPrefix(report, loadgen.OKPrefix)
		c.onResult(ids[0], ok, report)
	}
}

// pacer spreads one stream slot's share of the rate over time, across the
// slot's successive streams.
type pacer struct {
	perSec float64
	start  time.Time
	sent   int64 // records owed so far that were sent or skipped
}

// due is how many records are owed now, at most a tenth of a second's
// worth: what a stall or a reconnection left owed beyond that is skipped
// (counted in skipped), so the offered rate never bursts to catch up.
func (p *pacer) due(now time.Time, skipped *atomic.Int64) int {
	owed := int64(now.Sub(p.start).Seconds()*p.perSec) - p.sent
	if most := max(int64(p.perSec/10), 1); owed > most {
		skipped.Add(owed - most)
		p.sent += owed - most
		owed = most
	}
	return int(owed)
}

// problems keeps counts and the first few texts of what went wrong on the
// client side, which ends in a record sent again rather than a failure.
type problems struct {
	mu    sync.Mutex
	count map[string]int
	first []string
}

func (p *problems) note(what string, err error) {
	p.add(what, what+": "+err.Error())
}

func (p *problems) noteFailure(line []byte) {
	text := string(bytes.TrimSpace(line))
	code, _, _ := strings.Cut(strings.TrimPrefix(text, `{"error_code":`), ",")
	p.add("error report "+code, "error report: "+text)
}

func (p *problems) add(kind, text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.count == nil {
		p.count = map[string]int{}
	}
	if p.count[kind] == 0 && len(p.first) < 10 {
		p.first = append(p.first, text)
	}
	p.count[kind]++
}

// summary is one line per kind of problem, with its count.
func (p *problems) summary() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var lines []string
	for kind, n := range p.count {
		lines = append(lines, fmt.Sprintf("%s: %d", kind, n))
	}
	sort.Strings(lines)
	return append(lines, p.first...)
}
