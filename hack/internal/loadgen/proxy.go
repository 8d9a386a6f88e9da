// Package loadgen is what the load programs under hack/ (bench, soak) share
// to drive the real restproxy binary from outside: the proxy as a child
// process, its /proc figures and metrics, and a chunked produce stream
// spoken over a plain TCP connection.
package loadgen

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// Proxy is the real restproxy binary, started with a config file the load
// program writes, so its CPU time and memory are read from /proc as an
// operator would see them, apart from the load generator's.
type Proxy struct {
	cmd    *exec.Cmd
	Addr   string // produce API host:port
	Mgmt   string // management host:port (/readyz, /metrics)
	Log    string // the file its stdout and stderr go to
	exited chan error
}

// StartProxy writes a config into dir (base, with loopback listeners, the
// given bootstrap server and warnings-only logs) and runs bin proxy
// --config on it with env added to the environment, returning once /readyz
// answers 200.
func StartProxy(bin string, env []string, base config.Config, dir, name, bootstrap string) (*Proxy, error) {
	listen, err := freePort()
	if err != nil {
		return nil, err
	}
	mgmt, err := freePort()
	if err != nil {
		return nil, err
	}
	cfg := base
	cfg.Listen, cfg.ManagementListen = listen, mgmt
	cfg.Kafka.BootstrapServers = []string{bootstrap}
	// Warnings only: a log line per stream would be part of what is measured.
	cfg.Logging.Level = "warn"
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("proxy config for %s: %w", name, err)
	}
	data, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("proxy config for %s: %w", name, err)
	}
	cfgPath := filepath.Join(dir, name+".yaml")
	if err := os.WriteFile(cfgPath, data, 0o600); err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()

	cmd := exec.Command(bin, "proxy", "--config", cfgPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &Proxy{cmd: cmd, Addr: listen, Mgmt: mgmt, Log: logPath, exited: make(chan error, 1)}
	go func() { p.exited <- cmd.Wait() }()
	if err := p.waitReady("http://"+mgmt+"/readyz", 30*time.Second); err != nil {
		p.Kill()
		return nil, fmt.Errorf("proxy %s (log %s): %w", name, logPath, err)
	}
	return p, nil
}

// PID is the proxy process's id, for /proc.
func (p *Proxy) PID() int { return p.cmd.Process.Pid }

func (p *Proxy) waitReady(url string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-p.exited:
			p.exited <- err
			return fmt.Errorf("exited before ready: %v", err)
		case <-ctx.Done():
			return fmt.Errorf("not ready within %s", limit)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Metric reads one unlabelled sample from the proxy's /metrics.
func (p *Proxy) Metric(name string) (float64, error) {
	resp, err := http.Get("http://" + p.Mgmt + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	text, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	return ParseMetric(string(text), name)
}

// ParseMetric finds "name value" in Prometheus text exposition.
func ParseMetric(text, name string) (float64, error) {
	for line := range strings.Lines(text) {
		fields := strings.Fields(line)
		if len(fields) == 2 && fields[0] == name {
			v, err := strconv.ParseFloat(fields[1], 64)
			if err != nil {
				return 0, fmt.Errorf("metric %s: %w", name, err)
			}
			return v, nil
		}
	}
	return 0, fmt.Errorf("metric %s: not exposed", name)
}

// Stop sends SIGTERM and waits for a clean exit, killing it after limit.
func (p *Proxy) Stop(limit time.Duration) error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		p.exited <- err // for a later Stop or Kill, which then return at once
		return err
	case <-time.After(limit):
		p.Kill()
		return fmt.Errorf("proxy did not exit within %s of SIGTERM; killed", limit)
	}
}

// Kill ends the proxy at once and waits for it.
func (p *Proxy) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.exited
	p.exited <- nil
}

// freePort returns a loopback address nothing listens on right now.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
