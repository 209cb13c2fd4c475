package broker

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// NATS defaults.
const (
	// NATSStartTimeout bounds how long StartNATS and RestartNode wait for
	// every node to answer an MQTT CONNECT with CONNACK 0: a JetStream
	// cluster must elect its leaders first, which takes a few seconds.
	NATSStartTimeout = 30 * time.Second
)

// ErrNoNATS reports that no nats-server binary was found.
var ErrNoNATS = errors.New("broker: nats-server binary not found")

// natsPaths are tried, in order, after PATH.
var natsPaths = []string{"/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"}

// NATSOptions configures [StartNATS].
type NATSOptions struct {
	// Binary is the nats-server executable; empty looks for
	// "nats-server" on PATH, then in /usr/sbin, /usr/bin and
	// /usr/local/bin.
	Binary string
	// Nodes is the number of servers; 0 means 1. With more than one they
	// form a cluster whose MQTT state (sessions, retained messages,
	// queued messages) lives in JetStream streams replicated to every
	// node.
	Nodes int
	// AckWait is how long the server waits for a subscriber's PUBACK
	// before it delivers a QoS 1 message again (mqtt.ack_wait); 0 keeps
	// the server's default of 30 s. A message the server sent on a
	// connection that then died is sent again only when it expires:
	// nats-server 2.9 does not resend it when the session resumes.
	AckWait time.Duration
}

// NATS is a NATS server or cluster of servers, each with JetStream and
// an MQTT listener on loopback, in a private temporary directory.
type NATS struct {
	bin     string
	dir     string
	ackWait time.Duration
	nodes   []*natsNode

	mu     sync.Mutex
	closed bool
}

type natsNode struct {
	name                            string
	port, clusterPort, mqttP, httpP int
	cmd                             *exec.Cmd
	done                            chan struct{}
}

// FindNATS returns the nats-server binary that StartNATS would run, or an
// error wrapping [ErrNoNATS].
func FindNATS() (string, error) {
	return findBinary("nats-server", natsPaths, ErrNoNATS)
}

// StartNATS starts opts.Nodes servers on free loopback ports and returns
// once every node accepts an MQTT connection. When a node does not come
// up, the error includes its log.
func StartNATS(opts NATSOptions) (*NATS, error) {
	n := &NATS{ackWait: opts.AckWait}
	var err error
	if n.bin = opts.Binary; n.bin == "" {
		if n.bin, err = FindNATS(); err != nil {
			return nil, err
		}
	} else if _, err := exec.LookPath(n.bin); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoNATS, err)
	}
	count := opts.Nodes
	if count <= 0 {
		count = 1
	}
	if n.dir, err = os.MkdirTemp("", "onmqtt-nats-"); err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	// A free port can be taken between FreePort and the server's bind:
	// start the whole cluster again on new ports when that happens.
	for attempt := 1; ; attempt++ {
		err = n.startAll(count)
		if err == nil {
			return n, nil
		}
		n.stopAll()
		if attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			os.RemoveAll(n.dir)
			return nil, err
		}
		for i := range n.nodes {
			os.RemoveAll(filepath.Join(n.dir, "js-"+n.nodes[i].name))
			os.Remove(n.logPath(i))
		}
	}
}

// startAll picks ports for count nodes, writes their configurations,
// starts them and waits until every one accepts MQTT clients.
func (n *NATS) startAll(count int) error {
	n.nodes = n.nodes[:0]
	var err error
	for i := 0; i < count; i++ {
		nd := &natsNode{name: "n" + strconv.Itoa(i+1)}
		for _, p := range []*int{&nd.port, &nd.clusterPort, &nd.mqttP, &nd.httpP} {
			if *p, err = FreePort(); err != nil {
				return err
			}
		}
		n.nodes = append(n.nodes, nd)
	}
	for i := range n.nodes {
		if err := os.WriteFile(n.confPath(i), []byte(n.config(i)), 0o600); err != nil {
			return fmt.Errorf("broker: %w", err)
		}
		if err := n.startNode(i); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(NATSStartTimeout)
	for i := range n.nodes {
		if err := n.waitReady(i, deadline); err != nil {
			return err
		}
	}
	return nil
}

// stopAll kills every node that runs; n is not yet shared.
func (n *NATS) stopAll() {
	for i := range n.nodes {
		n.stopNode(i, syscall.SIGKILL)
	}
}

func (n *NATS) confPath(i int) string { return filepath.Join(n.dir, n.nodes[i].name+".conf") }
func (n *NATS) logPath(i int) string  { return filepath.Join(n.dir, n.nodes[i].name+".log") }

// config is node i's configuration: its client port, JetStream storage
// of its own, and with more than one node a cluster block routing to
// every node and MQTT streams replicated to all of them.
func (n *NATS) config(i int) string {
	nd := n.nodes[i]
	var b strings.Builder
	fmt.Fprintf(&b, "server_name: %s\n", nd.name)
	fmt.Fprintf(&b, "listen: 127.0.0.1:%d\n", nd.port)
	if nd.httpP != 0 {
		fmt.Fprintf(&b, "http: 127.0.0.1:%d\n", nd.httpP)
	}
	fmt.Fprintf(&b, "jetstream { store_dir: %q }\n", filepath.Join(n.dir, "js-"+nd.name))
	replicas := 1
	if len(n.nodes) > 1 {
		replicas = len(n.nodes)
		var routes []string
		for _, o := range n.nodes {
			routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", o.clusterPort))
		}
		fmt.Fprintf(&b, "cluster { name: onmqtt, listen: 127.0.0.1:%d, routes: [%s] }\n",
			nd.clusterPort, strings.Join(routes, ", "))
	}
	fmt.Fprintf(&b, "mqtt { listen: 127.0.0.1:%d, stream_replicas: %d", nd.mqttP, replicas)
	if n.ackWait > 0 {
		fmt.Fprintf(&b, ", ack_wait: %q", n.ackWait.String())
	}
	b.WriteString(" }\n")
	return b.String()
}

// startNode runs node i's process. n.mu is held or n is not yet shared.
func (n *NATS) startNode(i int) error {
	nd := n.nodes[i]
	out, err := os.OpenFile(n.logPath(i), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	defer out.Close() // the child has its own descriptor
	cmd, done, err := startProcess(n.bin, n.confPath(i), n.dir, out)
	if err != nil {
		return err
	}
	nd.cmd, nd.done = cmd, done
	return nil
}

// waitReady connects to node i's MQTT listener until it answers CONNACK
// 0, the node exits, or the deadline passes.
func (n *NATS) waitReady(i int, deadline time.Time) error {
	nd := n.nodes[i]
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(nd.mqttP))
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-nd.done:
			return fmt.Errorf("%w: nats node %s exited\n%s", ErrNotReady, nd.name, n.NodeLog(i))
		default:
		}
		if last = mqttProbe(addr); last == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%w: nats node %s: %v\n%s", ErrNotReady, nd.name, last, n.NodeLog(i))
}

var probeSeq atomic.Int64

// mqttProbe sends an MQTT 3.1.1 CONNECT with a clean session and reports
// whether CONNACK 0 came back.
func mqttProbe(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	// A fresh id each time: NATS rejects a client id whose previous
	// session is still being taken down.
	id := fmt.Sprintf("onmqtt-probe-%d", probeSeq.Add(1))
	pkt := []byte{0x10, byte(12 + len(id)), 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 10, 0, byte(len(id))}
	pkt = append(pkt, id...)
	if _, err := c.Write(pkt); err != nil {
		return err
	}
	var ack [4]byte
	if _, err := io.ReadFull(c, ack[:]); err != nil {
		return err
	}
	if ack[0] != 0x20 || ack[3] != 0 {
		return fmt.Errorf("CONNACK % x", ack)
	}
	c.Write([]byte{0xe0, 0})
	return nil
}

// Nodes returns the number of servers.
func (n *NATS) Nodes() int { return len(n.nodes) }

// Addr returns node i's MQTT URL, "tcp://127.0.0.1:port".
func (n *NATS) Addr(i int) string { return hostPortURL("tcp://", n.nodes[i].mqttP, "") }

// Addrs returns every node's MQTT URL, in node order.
func (n *NATS) Addrs() []string {
	urls := make([]string, len(n.nodes))
	for i := range n.nodes {
		urls[i] = n.Addr(i)
	}
	return urls
}

// NodeOf returns the index of the node whose MQTT URL or host:port is
// addr, or -1.
func (n *NATS) NodeOf(addr string) int {
	for i := range n.nodes {
		u := n.Addr(i)
		if addr == u || "tcp://"+addr == u {
			return i
		}
	}
	return -1
}

// NodeLog returns node i's log, for failure messages.
func (n *NATS) NodeLog(i int) string {
	b, _ := os.ReadFile(n.logPath(i))
	return string(b)
}

// Running reports whether node i's process is up.
func (n *NATS) Running(i int) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.nodes[i].running()
}

func (nd *natsNode) running() bool {
	if nd.cmd == nil {
		return false
	}
	select {
	case <-nd.done:
		return false
	default:
		return true
	}
}

// KillNode ends node i with SIGKILL, as a crash would, and waits for it
// to exit. The other nodes keep the replicated state.
func (n *NATS) KillNode(i int) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.stopNode(i, syscall.SIGKILL)
}

func (n *NATS) stopNode(i int, sig syscall.Signal) error {
	nd := n.nodes[i]
	if !nd.running() {
		nd.cmd = nil
		return nil
	}
	if err := stopProcess(nd.cmd, nd.done, sig); err != nil {
		return fmt.Errorf("broker: signal nats node %s: %w", nd.name, err)
	}
	nd.cmd = nil
	return nil
}

// RestartNode starts node i again, with the same configuration and
// storage on the same ports, and waits until it accepts MQTT
// connections.
func (n *NATS) RestartNode(i int) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return ErrClosed
	}
	if err := n.stopNode(i, syscall.SIGTERM); err != nil {
		return err
	}
	if err := n.startNode(i); err != nil {
		return err
	}
	return n.waitReady(i, time.Now().Add(NATSStartTimeout))
}

// Close stops every node and removes the directory. Closing twice is a
// no-op.
func (n *NATS) Close() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil
	}
	n.closed = true
	var err error
	for i := range n.nodes {
		if serr := n.stopNode(i, syscall.SIGTERM); err == nil {
			err = serr
		}
	}
	if rerr := os.RemoveAll(n.dir); err == nil {
		err = rerr
	}
	return err
}
