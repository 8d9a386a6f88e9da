package admission

import (
	"net"
	"sync"
	"time"
)

// bcryptRuns bounds the bcrypt runs one client address may cause per
// second. Valid credentials cost a bcrypt run only the first time (the
// verdict is remembered), so the runs are in practice the failed guesses:
// without a bound, a few guessing clients keep every core busy with bcrypt
// and slow everyone else's requests down.
type bcryptRuns struct {
	perSecond int

	mu      sync.Mutex
	windows map[string]*attemptWindow
}

type attemptWindow struct {
	second int64
	runs   int
}

// maxAttemptWindows bounds the table; windows of past seconds are pruned
// when it is full.
const maxAttemptWindows = 4096

func newBcryptRuns(perSecond int) *bcryptRuns {
	return &bcryptRuns{perSecond: perSecond, windows: map[string]*attemptWindow{}}
}

// allow reports whether addr (a request's RemoteAddr) may cause one more
// bcrypt run now, and counts it if so.
func (b *bcryptRuns) allow(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	now := time.Now().Unix()
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.windows[host]
	if w == nil {
		if len(b.windows) >= maxAttemptWindows {
			for h, old := range b.windows {
				if old.second < now {
					delete(b.windows, h)
				}
			}
		}
		w = &attemptWindow{}
		b.windows[host] = w
	}
	if w.second != now {
		w.second, w.runs = now, 0
	}
	if w.runs >= b.perSecond {
		return false
	}
	w.runs++
	return true
}
