package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/restproxy-dev/restproxy-operator/proxy/devbroker"
)

// The broker runs as a child process of the benchmark (this same binary,
// started with brokerCommand): kfake in the load generator's process would
// share its garbage collector and scheduler, which costs the direct
// kafka-go writer about a third of its rate (performance-anchors.md §3.2)
// and so would flatter every ratio to direct. It blackholes produced
// records, so ten million records do not become gigabytes of broker memory;
// offsets still advance and acks are still real.
const brokerCommand = "__broker"

// runBrokerChild is the child's main: it serves one topic on a free
// loopback port, prints the address on stdout, and exits when stdin closes,
// which happens when the parent exits however it exits.
func runBrokerChild(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: %s TOPIC:PARTITIONS LISTEN", brokerCommand)
	}
	topics, err := devbroker.ParseTopics(args[0])
	if err != nil {
		return err
	}
	b, err := devbroker.Start(args[1], topics, kfake.BlackholeProduce())
	if err != nil {
		return err
	}
	defer b.Close()
	fmt.Println(b.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin)
	return nil
}

// childProcess is a child of the benchmark (this same binary, started
// with a command such as brokerCommand) as the parent sees it: it prints
// the address it serves on its first line and exits when its stdin closes.
type childProcess struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	addr  string
}

// brokerProcess is the child broker.
type brokerProcess = childProcess

func startBrokerProcess(topic string, partitions int) (*brokerProcess, error) {
	return startChild("broker", nil, brokerCommand, fmt.Sprintf("%s:%d", topic, partitions), "127.0.0.1:0")
}

// startChild starts this binary with args, env added to its environment,
// and waits for the address it prints.
func startChild(what string, env []string, args ...string) (*childProcess, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("start %s: find own executable: %w", what, err)
	}
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", what, err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("start %s: read its address: %w", what, err)
	}
	return &childProcess{cmd: cmd, stdin: stdin, addr: strings.TrimSpace(line)}, nil
}

func (b *childProcess) pid() int { return b.cmd.Process.Pid }

// stop closes the child's stdin, its signal to exit, and waits for it.
func (b *childProcess) stop() {
	_ = b.stdin.Close()
	_ = b.cmd.Wait()
}

// startAdvertisingBroker starts an in-process broker that tells clients, in
// its metadata, to connect to advertise instead of its own listener: with a
// relay listening there, every connection of the proxy, bootstrap and
// produce alike, goes through the relay, which can then stall the broker.
// It returns the broker and the address it really listens on.
func startAdvertisingBroker(topic string, partitions int, advertise string) (*devbroker.Broker, string, error) {
	var real string
	b, err := devbroker.Start("127.0.0.1:0", map[string]int32{topic: int32(partitions)},
		kfake.BlackholeProduce(),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			ln, err := net.Listen(network, "127.0.0.1:0")
			if err != nil {
				return nil, err
			}
			real = ln.Addr().String()
			return advertisedListener{Listener: ln, advertise: advertise}, nil
		}))
	if err != nil {
		return nil, "", err
	}
	return b, real, nil
}

// advertisedListener reports another address than its own, which kfake
// puts in its metadata answers.
type advertisedListener struct {
	net.Listener
	advertise string
}

func (l advertisedListener) Addr() net.Addr { return advertisedAddr(l.advertise) }

type advertisedAddr string

func (a advertisedAddr) Network() string { return "tcp" }
func (a advertisedAddr) String() string  { return string(a) }
