package main

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

// proxyProcess is the real restproxy binary, started with a config file the
// benchmark writes, so its CPU time and memory are read from /proc as an
// operator would see them, apart from the load generator's.
type proxyProcess struct {
	cmd    *exec.Cmd
	addr   string // produce API host:port
	mgmt   string // management host:port (/readyz, /metrics)
	exited chan error
	log    string
}

// startProxy writes a config into dir (base, with loopback listeners, the
// given bootstrap server and warnings-only logs) and runs bin proxy
// --config on it with env added to the environment, returning once /readyz
// answers 200.
func startProxy(bin string, env []string, base config.Config, dir, name, bootstrap string) (*proxyProcess, error) {
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
	p := &proxyProcess{cmd: cmd, addr: listen, mgmt: mgmt, exited: make(chan error, 1), log: logPath}
	go func() { p.exited <- cmd.Wait() }()
	if err := p.waitReady("http://"+mgmt+"/readyz", 30*time.Second); err != nil {
		p.kill()
		return nil, fmt.Errorf("proxy %s (log %s): %w", name, logPath, err)
	}
	return p, nil
}

func (p *proxyProcess) pid() int { return p.cmd.Process.Pid }

func (p *proxyProcess) waitReady(url string, limit time.Duration) error {
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

// metric reads one unlabelled sample from the proxy's /metrics.
func (p *proxyProcess) metric(name string) (float64, error) {
	resp, err := http.Get("http://" + p.mgmt + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	text, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	return parseMetric(string(text), name)
}

// parseMetric finds "name value" in Prometheus text exposition.
func parseMetric(text, name string) (float64, error) {
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

// stop sends SIGTERM and waits for a clean exit, killing it after limit.
func (p *proxyProcess) stop(limit time.Duration) error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		return err
	case <-time.After(limit):
		p.kill()
		return fmt.Errorf("proxy did not exit within %s of SIGTERM; killed", limit)
	}
}

func (p *proxyProcess) kill() {
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
