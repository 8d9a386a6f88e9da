package proxy

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
)

// buildRestproxy builds the binary from the repository root once per test.
// A binary that does not build fails the test: these tests are the only
// proof that the commands work as shipped, and a skip would hide that they
// do not.
func buildRestproxy(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin, out, err := restproxyBinary()
	if err != nil {
		t.Fatalf("go build of the restproxy binary failed: %v\n%s", err, out)
	}
	return bin
}

// restproxyBinary builds the binary once for all command tests, into
// binDir, which TestMain removes.
func restproxyBinary() (bin string, out []byte, err error) {
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "restproxy-test-")
		if buildErr != nil {
			return
		}
		builtBin = filepath.Join(binDir, "restproxy")
		buildOut, buildErr = exec.Command("go", "build", "-o", builtBin, "..").CombinedOutput()
	})
	return builtBin, buildOut, buildErr
}

var (
	buildOnce        sync.Once
	binDir, builtBin string
	buildOut         []byte
	buildErr         error
)

// `restproxy proxy`: a bad flag, an unknown config key or a bad value exits
// non-zero and names what is wrong.
func TestProxyCommand_BadInputNamed(t *testing.T) {
	t.Parallel()
	bin := buildRestproxy(t)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"proxy", "--no-such-flag"}, 2, "no-such-flag"},
		{[]string{"proxy", "--config", write("unknown.yaml", "kafka:\n  bootstrap: [x:1]\n")}, 1, `"kafka.bootstrap"`},
		{[]string{"proxy", "--config", write("bad.yaml", "http:\n  maxInFlightTotal: 0\n")}, 1, "http.maxInFlightTotal"},
		{[]string{"proxy", "--config", filepath.Join(dir, "missing.yaml")}, 1, "missing.yaml"},
		{[]string{"proxy", "--bootstrap-servers", "nohostport"}, 1, "--bootstrap-servers"},
		{[]string{"dev", "--topics", "demo:zero"}, 1, "--topics"},
	}
	for _, c := range cases {
		cmd := exec.Command(bin, c.args...)
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != c.code {
			t.Errorf("%v: err %v, want exit code %d\n%s", c.args, err, c.code, out)
			continue
		}
		if !strings.Contains(string(out), c.want) {
			t.Errorf("%v: output does not name %s:\n%s", c.args, c.want, out)
		}
	}
}

// `restproxy proxy` flags override the file: the listen addresses given on
// the command line are the ones served.
func TestProxyCommand_FlagsOverrideFile(t *testing.T) {
	t.Parallel()
	bin := buildRestproxy(t)
	cfg := filepath.Join(t.TempDir(), "proxy.yaml")
	content := "listen: 127.0.0.1:1\nmanagementListen: 127.0.0.1:2\nkafka:\n  bootstrapServers: [127.0.0.1:3]\nlogging:\n  format: text\n"
	if err := os.WriteFile(cfg, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "proxy", "--config", cfg, "--listen", "127.0.0.1:0", "--management-listen", "127.0.0.1:0", "--bootstrap-servers", testBroker.Addr())
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(stderr)
	var serving string
	for sc.Scan() {
		if strings.Contains(sc.Text(), "msg=serving") {
			serving = sc.Text()
			break
		}
	}
	if serving == "" || strings.Contains(serving, "127.0.0.1:1 ") || strings.Contains(serving, "127.0.0.1:2 ") {
		t.Fatalf("serving line %q: want the flag addresses, not the file's", serving)
	}
	var api string
	for _, f := range strings.Fields(serving) {
		if v, ok := strings.CutPrefix(f, "listen="); ok {
			api = v
		}
	}
	reports := postRecords(t, "http://"+api+"/v3/clusters/c/topics/orders/records", oneRecord)
	if len(reports) != 1 || reports[0].ErrorCode != 200 {
		t.Fatalf("produce through the flag-configured proxy and broker: %v", reports)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
}

// docs/produce-api.md, "Delivery guarantees and back-pressure" (Shutdown) and
// "Errors that end the stream" (Shutdown), on the binary as shipped: SIGTERM
// with 50 streams open and sending stops reading, writes the report of every
// record read on each stream, and exits 0 within the drain time; every report
// is a success, and the reported offsets are exactly the records the topic
// gained: nothing stored without a report, no report without a stored record.
//
// Each stream has its first records reported before the signal, so it is
// known to be flowing, and more sent but not awaited, so some are in flight
// when the signal comes. How many of those the server read before it
// stopped is up to the race; its log line says, and each stream's reports
// must match that count exactly.
func TestProxyCommand_SIGTERMWith50Streams_EveryReadRecordReportedExit0(t *testing.T) {
	t.Parallel()
	const streams, awaited, unawaited, drainMs = 50, 20, 5, 10000
	proc, api := startProxyBinary(t, fmt.Sprintf("logging:\n  format: text\nhttp:\n  shutdownDrainMs: %d\n", drainMs))
	before := kafkatest.EndOffset(t, testBroker.Addr(), "sigterm", 0)
	open := make([]*streamClient, streams)
	for s := range open {
		open[s] = openStream(t, "http://"+api+"/v3/clusters/c/topics/sigterm/records")
		for i := range awaited {
			open[s].send(fmt.Sprintf(`{"value":{"type":"STRING","data":"s%d-r%d"}}`, s, i))
		}
	}
	reports := make([][]report, streams)
	for s, sc := range open { // every stream is flowing before the signal
		for range awaited {
			reports[s] = append(reports[s], sc.next())
		}
		for i := range unawaited {
			sc.send(fmt.Sprintf(`{"value":{"type":"STRING","data":"s%d-r%d"}}`, s, awaited+i))
		}
	}

	if err := proc.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	signalled := time.Now()
	var wg sync.WaitGroup
	for s, sc := range open {
		wg.Go(func() { // keep sending: the server must stop reading
			n := sendUntilRefused(sc, `{"value":{"type":"STRING","data":"late"}}`, 100000)
			if n >= 100000 {
				t.Errorf("stream %d: the binary kept reading all %d records sent after SIGTERM", s, n)
			}
		})
		wg.Go(func() {
			reports[s] = append(reports[s], sc.rest()...)
			sc.w.CloseWithError(errors.New("test done"))
		})
	}
	wg.Wait()

	var offsets []int64
	perStream := make([]int, streams)
	for s, rs := range reports {
		perStream[s] = len(rs)
		for i, r := range rs {
			if r.ErrorCode != 200 {
				t.Fatalf("stream %d report %d = %v; want every record read to be stored", s, i, r)
			}
			offsets = append(offsets, r.Offset)
		}
	}
	waitExit0(t, proc, time.Duration(drainMs)*time.Millisecond-time.Since(signalled))
	slices.Sort(offsets)
	for i, o := range offsets {
		if o != before+int64(i) {
			t.Fatalf("reported offsets %d..%d have a gap or a duplicate at %d", offsets[0], offsets[len(offsets)-1], o)
		}
	}
	if got := kafkatest.EndOffset(t, testBroker.Addr(), "sigterm", 0) - before; got != int64(len(offsets)) {
		t.Errorf("topic grew by %d records, %d were reported", got, len(offsets))
	}

	// Streams are not named in the log, so compare the sorted counts: each
	// stream's reports against the records one log line says were read.
	lines := streamLogLines(proc.logs.String())
	if len(lines) != streams {
		t.Fatalf("%d stream log lines, want %d:\n%s", len(lines), streams, proc.logs.String())
	}
	read := make([]int, 0, len(lines))
	for _, l := range lines {
		if l["end"] != "shutdown" || l["unreported"] != "0" {
			t.Errorf("stream log line says end=%s unreported=%s, want end=shutdown unreported=0", l["end"], l["unreported"])
		}
		n, err := strconv.Atoi(l["records"])
		if err != nil {
			t.Fatalf("stream log line records=%q: %v", l["records"], err)
		}
		read = append(read, n)
	}
	slices.Sort(read)
	slices.Sort(perStream)
	t.Logf("records read per stream, sorted: %v", read)
	if !slices.Equal(read, perStream) {
		t.Errorf("records read per stream (log) %v, reports per stream %v: want one report per record read\n%s", read, perStream, proc.logs.String())
	}
}

// streamLogLines returns the attributes of each text-format "stream
// finished" line in logs, by key.
func streamLogLines(logs string) []map[string]string {
	var out []map[string]string
	for _, l := range strings.Split(logs, "\n") {
		if !strings.Contains(l, `msg="stream finished"`) {
			continue
		}
		attrs := map[string]string{}
		for _, f := range strings.Fields(l) {
			if k, v, ok := strings.Cut(f, "="); ok {
				attrs[k] = v
			}
		}
		out = append(out, attrs)
	}
	return out
}

// proxyProcess is a running `restproxy proxy` and its log.
type proxyProcess struct {
	*exec.Cmd
	logs *syncBuffer
}

// startProxyBinary runs `restproxy proxy` with config on free loopback
// ports against testBroker, and returns it with its API address once it
// serves. The process is killed when the test ends if it is still running.
func startProxyBinary(t *testing.T, config string) (*proxyProcess, string) {
	t.Helper()
	bin := buildRestproxy(t)
	cfg := filepath.Join(t.TempDir(), "proxy.yaml")
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "proxy", "--config", cfg, "--listen", "127.0.0.1:0", "--management-listen", "127.0.0.1:0", "--bootstrap-servers", testBroker.Addr())
	proc := &proxyProcess{Cmd: cmd, logs: &syncBuffer{}}
	cmd.Stderr = proc.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	var api string
	waitFor(t, "the serving log line", func() bool {
		for _, f := range strings.Fields(proc.logs.String()) {
			if v, ok := strings.CutPrefix(f, "listen="); ok {
				api = v
				return true
			}
		}
		return false
	})
	return proc, api
}

// waitExit0 waits for proc to exit with status 0, failing if it has not
// within limit (at least a second, so that a loaded machine does not fail a
// process that was already done).
func waitExit0(t *testing.T, proc *proxyProcess, limit time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- proc.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("restproxy proxy exited with %v after SIGTERM, want 0\n%s", err, proc.logs.String())
		}
	case <-time.After(max(limit, time.Second)):
		t.Fatalf("restproxy proxy still running after the drain time\n%s", proc.logs.String())
	}
}
