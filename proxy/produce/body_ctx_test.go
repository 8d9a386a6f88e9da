package produce

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Once a body has ended, net/http runs a background read on the connection;
// a read deadline that fires under it cancels the connection's context, and
// every later request on that keep-alive connection starts with a dead
// context. Neither stopping an ended body nor reading it again may set one.
func TestBodyReader_AfterEOFKeepsConnectionContext(t *testing.T) {
	const idle = 50 * time.Millisecond
	for name, afterEOF := range map[string]func(*body){
		"stop":       func(b *body) { b.stop() },
		"read again": func(b *body) { _, _ = b.Read(make([]byte, 1)) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			second := make(chan error, 1)
			requests := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests++ // one connection: its requests are served one after another
				if requests == 2 {
					second <- r.Context().Err()
					return
				}
				b := &body{r: r.Body, rc: http.NewResponseController(w), idle: idle}
				if _, err := io.ReadAll(b); err != nil {
					t.Errorf("read body: %v", err)
				}
				afterEOF(b)
				// A deadline set by afterEOF fires within idle and cancels
				// the context; waiting a few idles shows whether one was set.
				select {
				case <-r.Context().Done():
				case <-time.After(4 * idle):
				}
			}))
			defer srv.Close()
			for range 2 {
				resp, err := srv.Client().Post(srv.URL, "application/json", strings.NewReader(`{"value":1}`))
				if err != nil {
					t.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			if err := <-second; err != nil {
				t.Errorf("the second request on the keep-alive connection started with context error %v, want a live context", err)
			}
		})
	}
}
