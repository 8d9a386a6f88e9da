package admission

import (
	"net"
	"net/http"
	"sync"
)

// NewConns tracks the produce listener's connections that have not sent a
// request yet. http.Server.Shutdown waits up to five seconds for such a
// connection before it counts as idle (a client's spare, pre-dialled
// connection looks like this), which would stretch every shutdown; the
// server closes them itself instead: no new streams are accepted anyway.
type NewConns struct {
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func (n *NewConns) Track(c net.Conn, state http.ConnState) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.conns == nil {
		n.conns = map[net.Conn]struct{}{}
	}
	if state == http.StateNew {
		n.conns[c] = struct{}{}
	} else {
		delete(n.conns, c)
	}
}

func (n *NewConns) CloseAll() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for c := range n.conns {
		_ = c.Close()
		delete(n.conns, c)
	}
}

// Len is how many connections have not sent a request yet.
func (n *NewConns) Len() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.conns)
}
