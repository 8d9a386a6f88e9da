package main

import (
	"net"
	"sync"
	"sync/atomic"
)

// relay forwards TCP connections to a target and can stop forwarding
// without closing anything: a paused relay is a broker that has stopped
// answering, exactly as the proxy would see a stalled or partitioned
// broker, with no cooperation from the broker itself.
type relay struct {
	ln     net.Listener
	target string

	forwarded atomic.Int64 // bytes written to either side

	mu      sync.Mutex
	paused  bool
	writing int        // pipes between their paused check and the end of their write
	changed *sync.Cond // paused or writing changed
	conns   []net.Conn
}

func newRelay() (*relay, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &relay{ln: ln}
	r.changed = sync.NewCond(&r.mu)
	return r, nil
}

func (r *relay) addr() string { return r.ln.Addr().String() }

// serve forwards every accepted connection to target until close.
func (r *relay) serve(target string) {
	r.target = target
	go func() {
		for {
			client, err := r.ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			r.mu.Lock()
			r.conns = append(r.conns, client, server)
			r.mu.Unlock()
			go r.pipe(server, client)
			go r.pipe(client, server)
		}
	}()
}

// pipe copies src to dst, holding each read while the relay is paused.
func (r *relay) pipe(dst, src net.Conn) {
	defer dst.Close()
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			r.mu.Lock()
			for r.paused {
				r.changed.Wait()
			}
			r.writing++
			r.mu.Unlock()
			w, werr := dst.Write(buf[:n])
			r.forwarded.Add(int64(w))
			r.mu.Lock()
			r.writing--
			r.mu.Unlock()
			r.changed.Broadcast()
			if werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// setPaused stops or resumes forwarding. Pausing returns once no write is
// under way, so nothing is forwarded after it returns until the resume.
func (r *relay) setPaused(p bool) {
	r.mu.Lock()
	r.paused = p
	for p && r.writing > 0 {
		r.changed.Wait()
	}
	r.mu.Unlock()
	r.changed.Broadcast()
}

// close stops accepting, resumes, and closes every relayed connection.
func (r *relay) close() {
	r.ln.Close()
	r.setPaused(false)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.conns {
		c.Close()
	}
}
