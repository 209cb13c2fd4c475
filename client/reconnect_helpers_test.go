package client_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/peer"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
	"github.com/stretchr/testify/require"
)

// peerConnect connects c to p, which answers CONNECT with CONNACK and
// the given session-present flag.
func peerConnect(t *testing.T, p *peer.Peer, c *client.Client, present bool) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := c.Connect(testContext(t), p.Addr())
		done <- err
	}()
	peerHandshake(t, p, present)
	require.NoError(t, <-done, "Connect")
}

// peerHandshake reads CONNECT on the current connection and answers
// with CONNACK.
func peerHandshake(t *testing.T, p *peer.Peer, present bool) *message.Connect {
	t.Helper()
	cn := p.Expect(t, message.CONNECT).(*message.Connect)
	require.NoError(t, p.SendPacket(&message.Connack{SessionPresent: present}))
	return cn
}

// peerReconnect cuts the client's connection and takes its next one,
// answering CONNACK with the given session-present flag.
func peerReconnect(t *testing.T, p *peer.Peer, present bool) {
	t.Helper()
	require.NoError(t, p.CloseConn())
	require.NoError(t, p.Accept())
	peerHandshake(t, p, present)
}

// peerSend sends pkt, failing the test on error.
func peerSend(t *testing.T, p *peer.Peer, pkt message.Packet) {
	t.Helper()
	require.NoError(t, p.SendPacket(pkt))
}

// peerSync makes sure the client has read and dispatched everything the
// peer sent before: the peer sends a QoS 1 PUBLISH on a topic of its own
// and waits for the PUBACK, which the client sends only after the
// message's handler ran, in arrival order.
func peerSync(t *testing.T, p *peer.Peer) {
	t.Helper()
	const id = 65000
	peerSend(t, p, &message.Publish{Message: message.Message{Topic: "sync", QoS: message.QoS1, PacketID: id}})
	for {
		if peer.PacketID(p.Expect(t, message.PUBACK)) == id {
			return
		}
	}
}

// hookLog records the connection hooks of a client.
type hookLog struct {
	mu       sync.Mutex
	attempts []int       // OnReconnecting
	at       []time.Time // when each attempt began
	connects []bool      // OnConnect's session-present flags
	lost     []error     // OnConnectionLost
	changed  chan struct{}
}

func newHookLog() *hookLog { return &hookLog{changed: make(chan struct{}, 1)} }

// options returns the three hook options.
func (h *hookLog) options() []client.Option {
	note := func() {
		select {
		case h.changed <- struct{}{}:
		default:
		}
	}
	return []client.Option{
		client.WithOnReconnecting(func(_ *client.Client, attempt int) {
			h.mu.Lock()
			h.attempts = append(h.attempts, attempt)
			h.at = append(h.at, time.Now())
			h.mu.Unlock()
			note()
		}),
		client.WithOnConnect(func(_ *client.Client, present bool) {
			h.mu.Lock()
			h.connects = append(h.connects, present)
			h.mu.Unlock()
			note()
		}),
		client.WithOnConnectionLost(func(_ *client.Client, err error) {
			h.mu.Lock()
			h.lost = append(h.lost, err)
			h.mu.Unlock()
			note()
		}),
	}
}

// await waits until cond, called under the log's lock, holds.
func (h *hookLog) await(t *testing.T, what string, cond func(h *hookLog) bool) {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		h.mu.Lock()
		ok := cond(h)
		h.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-h.changed:
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			require.Failf(t, what, "not within %v", waitLimit)
		}
	}
}

// snapshot returns copies of the recorded hooks.
func (h *hookLog) snapshot() (attempts []int, at []time.Time, connects []bool, lost []error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]int(nil), h.attempts...), append([]time.Time(nil), h.at...),
		append([]bool(nil), h.connects...), append([]error(nil), h.lost...)
}

// ackCounter counts the acknowledgements an OnAck handler sees.
type ackCounter struct {
	mu sync.Mutex
	n  map[message.Type]int
}

func (a *ackCounter) handler(typ message.Type) client.PublishOption {
	return client.OnAck(typ, func(e *router.Event) {
		a.mu.Lock()
		if a.n == nil {
			a.n = make(map[message.Type]int)
		}
		a.n[e.Type]++
		a.mu.Unlock()
	})
}

func (a *ackCounter) count(typ message.Type) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n[typ]
}

// shortContext returns a context that ends after d.
func shortContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// stallConn wraps the first connection a client dials so that a test can
// hold data the client has already read from the network, as if its
// reader were slow, and make its writes fail, as on a broken network.
type stallConn struct {
	net.Conn
	hold    atomic.Bool
	held    chan struct{} // receives when a read holds data
	release chan struct{} // closed to let held reads return
	broken  atomic.Bool
}

func (s *stallConn) Read(b []byte) (int, error) {
	n, err := s.Conn.Read(b)
	if n > 0 && s.hold.Load() {
		s.held <- struct{}{}
		<-s.release
	}
	return n, err
}

func (s *stallConn) Write(b []byte) (int, error) {
	if s.broken.Load() {
		return 0, errors.New("network down")
	}
	return s.Conn.Write(b)
}

// stallDialer returns a dialer whose first connection is a stallConn.
func stallDialer() (client.DialFunc, *stallConn) {
	first := &stallConn{held: make(chan struct{}, 1), release: make(chan struct{})}
	var dialed atomic.Int32
	return func(ctx context.Context, u *url.URL) (net.Conn, error) {
		var d net.Dialer
		nc, err := d.DialContext(ctx, "tcp", u.Host)
		if err != nil || dialed.Add(1) > 1 {
			return nc, err
		}
		first.Conn = nc
		return first, nil
	}, first
}
