package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/restproxy-dev/restproxy-operator/hack/internal/loadgen"
)

// The floor is what a single POST costs a Go server that does nothing but
// HTTP: a bare net/http server, in a child process of its own (this same
// binary, started with floorCommand) so its CPU time is read apart from the
// load generator's, that reads the request's body and answers one fixed
// success report, chunked like the proxy's. The single mode's requests/s
// and CPU per request are compared with it.
const floorCommand = "__floor"

// floorReport is the fixed answer: a success report of the proxy's shape.
const floorReport = `{"error_code":200,"cluster_id":"bench","topic_name":"bench","partition_id":0,"offset":0,"timestamp":"2026-01-01T00:00:00Z","key":null,"value":{"type":"BINARY","size":150}}` + "\r\n"

// runFloorChild is the child's main: it serves on a free loopback port,
// prints the address on stdout, and exits when stdin closes.
func runFloorChild() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, err := io.Copy(io.Discard, r.Body); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Transfer-Encoding", "chunked")
			_, _ = io.WriteString(w, floorReport)
		}),
	}
	go func() { _ = srv.Serve(ln) }()
	fmt.Println(ln.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin)
	return srv.Close()
}

// runFloor measures the single mode's load against the floor server.
func (b *bench) runFloor() (Result, error) {
	f, err := startChild("floor", b.o.proxyEnv, floorCommand) // the proxy's runtime settings
	if err != nil {
		return Result{}, err
	}
	defer f.stop()
	b.countStored = false // nothing is produced
	defer func() { b.countStored = true }()
	res := Result{Mode: fmt.Sprintf("floor-%d", b.o.singleClients), Kind: "floor", Streams: b.o.singleClients,
		Note: "a bare net/http server reading each single POST's body and answering a fixed report; the single mode's requests/s as a ratio to it is its 'x floor'"}
	target := loadgen.Target{Addr: f.addr, Topic: benchTopic}
	return b.measure(res, f.pid(), func(deadline time.Time, tl *tally) []time.Duration {
		postSingles(target, b.rs, b.o.singleClients, deadline, tl)
		return nil
	}), nil
}
