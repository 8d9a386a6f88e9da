package main

import (
	"fmt"
	"time"

	"github.com/restproxy-dev/restproxy-operator/hack/internal/loadgen"
)

// sample is the proxy process as the soak sees it from outside at one
// moment, with the load's progress.
type sample struct {
	at         time.Duration // since the load started
	rssMiB     float64       // VmRSS
	goroutines int           // go_goroutines from /metrics
	fds        int           // entries of /proc/PID/fd
	acked      int64         // 200s read so far
	faults     int           // faults begun so far
	proxyCPU   time.Duration // the proxy's CPU time so far
	selfCPU    time.Duration // the soak's own (clients, broker, verifier)
}

// bounds are how far above the warm-up's baseline a sample may be. They
// are what a leak of one thing per connection or per record breaks within
// a 30-minute soak (some 18,000 connections and hundreds of millions of
// records), and what a healthy proxy's swings under faults stay well below
// (README.md, "Soak").
type bounds struct {
	rssMiB     float64
	goroutines int
	fds        int
}

// watch samples the proxy, keeps the warm-up's baseline (the highest of
// each figure while warming up) and notes every sample beyond the bounds.
type watch struct {
	proxy      *loadgen.Proxy
	warmUp     time.Duration
	bounds     bounds
	base, peak sample // peak: the highest of each figure after the warm-up
	last       sample
	baseSet    bool
	over       []string // the first few breaches
	breaches   int
}

func (w *watch) take(at time.Duration, acked int64, faults int) (sample, error) {
	s := sample{at: at, acked: acked, faults: faults, selfCPU: loadgen.SelfCPU()}
	u, err := loadgen.ReadUsage(w.proxy.PID())
	if err != nil {
		return s, fmt.Errorf("read the proxy's /proc: %w", err)
	}
	s.rssMiB, s.proxyCPU = float64(u.RSSBytes)/(1<<20), u.CPU
	if s.fds, err = loadgen.OpenFDs(w.proxy.PID()); err != nil {
		return s, fmt.Errorf("count the proxy's fds: %w", err)
	}
	g, err := w.proxy.Metric("go_goroutines")
	if err != nil {
		return s, fmt.Errorf("read the proxy's goroutines: %w", err)
	}
	s.goroutines = int(g)
	w.last = s
	return s, nil
}

// judge folds a sample into the baseline while warming up, and checks it
// against the bounds after. It reports when the baseline was just set.
func (w *watch) judge(s sample) (baseJustSet bool) {
	if s.at <= w.warmUp {
		w.base = sample{at: s.at, rssMiB: max(w.base.rssMiB, s.rssMiB),
			goroutines: max(w.base.goroutines, s.goroutines), fds: max(w.base.fds, s.fds)}
		return false
	}
	baseJustSet = !w.baseSet
	w.baseSet = true
	w.peak = sample{at: s.at, rssMiB: max(w.peak.rssMiB, s.rssMiB),
		goroutines: max(w.peak.goroutines, s.goroutines), fds: max(w.peak.fds, s.fds)}
	check := func(what string, got, base, bound float64) {
		if got > base+bound {
			w.breaches++
			if len(w.over) < 10 {
				w.over = append(w.over, fmt.Sprintf("at %s %s %.1f > baseline %.1f + %.0f", s.at.Round(time.Second), what, got, base, bound))
			}
		}
	}
	check("RSS MiB", s.rssMiB, w.base.rssMiB, w.bounds.rssMiB)
	check("goroutines", float64(s.goroutines), float64(w.base.goroutines), float64(w.bounds.goroutines))
	check("fds", float64(s.fds), float64(w.base.fds), float64(w.bounds.fds))
	return baseJustSet
}

// The table's CPU columns are shares of one core since the previous row:
// a rate that drops while both fall means a machine busy with other work.
const tableHeader = "   time  records/s     acked  faults  proxy CPU  soak CPU  RSS MiB  goroutines  fds"

// row is one line of the table; rates and CPU shares are since prev.
func row(s, prev sample) string {
	d := (s.at - prev.at).Seconds()
	if d <= 0 {
		return ""
	}
	return fmt.Sprintf("%7s  %9.0f  %8.2fM  %6d  %8.0f%%  %7.0f%%  %7.1f  %10d  %3d", clock(s.at),
		float64(s.acked-prev.acked)/d, float64(s.acked)/1e6, s.faults,
		(s.proxyCPU-prev.proxyCPU).Seconds()/d*100, (s.selfCPU-prev.selfCPU).Seconds()/d*100,
		s.rssMiB, s.goroutines, s.fds)
}

func clock(d time.Duration) string {
	d = d.Round(time.Second)
	return fmt.Sprintf("%d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}

// boundsText states the baseline and the limits the rest of the soak is
// held to.
func (w *watch) boundsText() string {
	return fmt.Sprintf("warm-up over: baseline (highest while warming up) RSS %.1f MiB, %d goroutines, %d fds; from now on each must stay at or below RSS %.1f MiB, %d goroutines, %d fds",
		w.base.rssMiB, w.base.goroutines, w.base.fds,
		w.base.rssMiB+w.bounds.rssMiB, w.base.goroutines+w.bounds.goroutines, w.base.fds+w.bounds.fds)
}
