package producer

import (
	"context"
	"errors"
	"testing"
)

// Callers of one key share the call under way; a caller that gives up gets
// ErrUnavailable without failing the others; a call after the first ends
// runs anew.
func TestFlightGroupSharesOneCallPerKey(t *testing.T) {
	var g flightGroup
	release := make(chan struct{})
	runs := 0
	first := g.start("k", func() (int, error) { runs++; <-release; return 7, nil })
	second := g.start("k", func() (int, error) { runs++; return 0, errors.New("second call ran") })
	if first != second {
		t.Fatal("a second caller of the same key started its own call")
	}
	other := g.start("other", func() (int, error) { return 1, nil })
	if n, err := other.wait(t.Context()); n != 1 || err != nil {
		t.Errorf("other key = %d, %v; want 1 from a call of its own", n, err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := second.wait(ctx); !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Errorf("caller that gave up: %v, want ErrUnavailable wrapping context.Canceled", err)
	}
	close(release)
	if n, err := first.wait(t.Context()); n != 7 || err != nil {
		t.Errorf("shared call = %d, %v; want 7", n, err)
	}
	if runs != 1 {
		t.Errorf("fn ran %d times, want 1", runs)
	}

	again := g.start("k", func() (int, error) { return 8, nil })
	if n, err := again.wait(t.Context()); n != 8 || err != nil {
		t.Errorf("call after the first ended = %d, %v; want 8 from a new call", n, err)
	}
}
