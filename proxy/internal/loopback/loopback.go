// Package loopback gives tests loopback addresses with known behaviour.
package loopback

import (
	"net"
	"testing"
)

// ClosedAddr is a loopback host:port that nothing listens on: a dial to it
// is refused at once. The port was just free; the OS does not hand it out
// again soon.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}
