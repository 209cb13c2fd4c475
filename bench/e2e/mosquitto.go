package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/onmqtt/onmqtt/internal/broker"
)

// ErrNoMosquitto means no mosquitto binary was found.
var ErrNoMosquitto = broker.ErrNoMosquitto

// FindMosquitto returns the path of the mosquitto binary.
func FindMosquitto() (string, error) { return broker.FindMosquitto() }

// Broker is the mosquitto a run goes through.
type Broker struct {
	Addr    string // 127.0.0.1:port
	Version string // as mosquitto -h reports it

	m *broker.Mosquitto // nil for an external broker
}

// StartMosquitto starts mosquitto on a free loopback port, configured for
// the benchmark: one anonymous listener, an in-flight window of window
// messages per client, queues long enough that no QoS 1 or 2 message is
// dropped, no persistence, and TCP_NODELAY so that the broker's own small
// writes are not held back by Nagle's algorithm. It returns once the
// broker accepts connections; stop it with [Broker.Stop].
func StartMosquitto(ctx context.Context, window int) (*Broker, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	bin, err := FindMosquitto()
	if err != nil {
		return nil, err
	}
	m, err := broker.StartMosquitto(broker.MosquittoOptions{
		Binary:              bin,
		MaxInflightMessages: window,
		MaxQueuedMessages:   1_000_000,
		ExtraConfig:         "max_queued_bytes 0\nset_tcp_nodelay true\n",
	})
	if err != nil {
		return nil, fmt.Errorf("e2e: %w", err)
	}
	return &Broker{Addr: strings.TrimPrefix(m.Addr(), "tcp://"), Version: mosquittoVersion(bin), m: m}, nil
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

// External describes a broker this package did not start, at addr.
// Stop and CPU do nothing for it.
func External(addr string) *Broker {
	return &Broker{Addr: addr, Version: "external"}
}

// Alive reports an error when the broker process has exited.
func (b *Broker) Alive() error {
	if b.m == nil || b.m.Running() {
		return nil
	}
	return fmt.Errorf("e2e: mosquitto exited: %s", b.m.Log())
}

// Stop terminates the broker and removes its files.
func (b *Broker) Stop() {
	if b.m != nil {
		_ = b.m.Close()
	}
}

// CPU returns the user and system CPU time the broker process has used,
// from /proc (Linux; 0 elsewhere). Its resolution is the kernel's clock
// tick, usually 10 ms.
func (b *Broker) CPU() time.Duration {
	if b.m == nil {
		return 0
	}
	pid := b.m.Pid()
	if pid == 0 {
		return 0
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
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
