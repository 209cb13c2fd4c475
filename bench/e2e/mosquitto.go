package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrNoMosquitto means no mosquitto binary was found.
var ErrNoMosquitto = errors.New("e2e: mosquitto not found on PATH or in /usr/sbin")

// FindMosquitto returns the path of the mosquitto binary.
func FindMosquitto() (string, error) {
	if p, err := exec.LookPath("mosquitto"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"} {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", ErrNoMosquitto
}

// Broker is a mosquitto process listening on a loopback port.
type Broker struct {
	Addr    string // 127.0.0.1:port
	Version string // as mosquitto -h reports it

	cmd    *exec.Cmd
	dir    string
	stderr *lockedBuffer
	exited chan struct{}
	err    error // set when exited is closed
}

// MosquittoConfig returns the configuration the benchmark runs the broker
// with: one anonymous listener, an in-flight window of window messages
// per client, queues long enough that no QoS 1 or 2 message is dropped,
// no persistence, and TCP_NODELAY so that the broker's own small writes
// are not held back by Nagle's algorithm.
func MosquittoConfig(port, window int) string {
	return strings.Join([]string{
		"listener " + strconv.Itoa(port) + " 127.0.0.1",
		"allow_anonymous true",
		"max_inflight_messages " + strconv.Itoa(window),
		"max_queued_messages 1000000",
		"max_queued_bytes 0",
		"persistence false",
		"set_tcp_nodelay true",
		"log_dest stderr",
		"log_type error",
		"log_type warning",
		"",
	}, "\n")
}

// StartMosquitto starts mosquitto on a free loopback port with
// [MosquittoConfig] and waits until it accepts connections. Stop it with
// [Broker.Stop].
func StartMosquitto(ctx context.Context, window int) (*Broker, error) {
	bin, err := FindMosquitto()
	if err != nil {
		return nil, err
	}
	version := mosquittoVersion(bin)
	var last error
	for range 5 { // another process may take the port between probe and bind
		b, err := startOnce(ctx, bin, window)
		if err == nil {
			b.Version = version
			return b, nil
		}
		last = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, last
}

func mosquittoVersion(bin string) string {
	out, _ := exec.Command(bin, "-h").CombinedOutput()
	for line := range strings.SplitSeq(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "mosquitto version "); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startOnce(ctx context.Context, bin string, window int) (*Broker, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "onmqtt-e2e-mosquitto-")
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "mosquitto.conf")
	if err := os.WriteFile(conf, []byte(MosquittoConfig(port, window)), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	b := &Broker{
		Addr:   net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		cmd:    exec.Command(bin, "-c", conf),
		dir:    dir,
		stderr: &lockedBuffer{},
		exited: make(chan struct{}),
	}
	b.cmd.Stderr = b.stderr
	b.cmd.Stdout = b.stderr
	if err := b.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("e2e: starting mosquitto: %w", err)
	}
	go func() {
		b.err = b.cmd.Wait()
		close(b.exited)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		select {
		case <-b.exited:
			os.RemoveAll(dir)
			return nil, fmt.Errorf("e2e: mosquitto exited at start (%v): %s", b.err, b.stderr.String())
		default:
		}
		c, err := net.DialTimeout("tcp", b.Addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return b, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			b.Stop()
			return nil, fmt.Errorf("e2e: mosquitto did not accept connections on %s: %w", b.Addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// External describes a broker this package did not start, at addr.
// Stop and CPU do nothing for it.
func External(addr string) *Broker {
	return &Broker{Addr: addr, Version: "external"}
}

// Alive reports an error when the broker process has exited.
func (b *Broker) Alive() error {
	if b.cmd == nil {
		return nil
	}
	select {
	case <-b.exited:
		return fmt.Errorf("e2e: mosquitto exited (%v): %s", b.err, b.stderr.String())
	default:
		return nil
	}
}

// Stop terminates the broker and removes its files.
func (b *Broker) Stop() {
	if b.cmd == nil {
		return
	}
	select {
	case <-b.exited:
	default:
		_ = b.cmd.Process.Signal(os.Interrupt)
		select {
		case <-b.exited:
		case <-time.After(3 * time.Second):
			_ = b.cmd.Process.Kill()
			<-b.exited
		}
	}
	os.RemoveAll(b.dir)
}

// lockedBuffer collects the broker's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 64<<10 {
		return len(p), nil
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// CPU returns the user and system CPU time the broker process has used,
// from /proc (Linux; 0 elsewhere). Its resolution is the kernel's clock
// tick, usually 10 ms.
func (b *Broker) CPU() time.Duration {
	if b.cmd == nil {
		return 0
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(b.cmd.Process.Pid) + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses: state is
	// the first, utime the 12th and stime the 13th.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	const tick = 10 * time.Millisecond // USER_HZ is 100 on Linux
	return time.Duration(u+s) * tick
}
