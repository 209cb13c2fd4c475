package client_test

import (
	"context"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/peer"
	"github.com/onmqtt/onmqtt/message"
)

// This file connects clients to internal/peer's scripted peer, and holds
// the dial gate that stalls a client's writes.

// connectScripted makes a client with opts, connects it to a new
// scripted peer and returns both ends once CONNACK was accepted.
func connectScripted(t testing.TB, opts ...client.Option) (*client.Client, *peer.Conn) {
	t.Helper()
	p := peer.Open(t)
	c := newClient(t, opts...)
	return c, connectScriptedTo(t, c, p)
}

// connectScriptedTo connects c to p, which takes the connection and
// accepts the CONNECT, and returns the peer's end.
func connectScriptedTo(t testing.TB, c *client.Client, p *peer.Peer) *peer.Conn {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		_, err := c.Connect(testContext(t), p.Addr())
		errc <- err
	}()
	pc := p.Next(t)
	pc.Handshake(message.Accepted)
	require.NoError(t, <-errc, "Connect")
	return pc
}

// gate is a dialer whose connections' writes can be held, to stall the
// client's writer while packets queue up behind it.
type gate struct {
	mu      sync.Mutex
	open    chan struct{} // nil while writes pass
	blocked chan struct{} // receives when a write starts waiting
	closed  chan struct{} // receives when the client closes a connection
	conns   []net.Conn
}

func newGate() *gate { return &gate{blocked: make(chan struct{}, 1), closed: make(chan struct{}, 8)} }

// dial opens a TCP connection to u's host whose writes pass the gate.
func (g *gate) dial(ctx context.Context, u *url.URL) (net.Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	g.conns = append(g.conns, nc)
	g.mu.Unlock()
	return &gatedConn{Conn: nc, g: g}, nil
}

// hold makes the next writes wait until release.
func (g *gate) hold() {
	g.mu.Lock()
	g.open = make(chan struct{})
	g.mu.Unlock()
}

// release lets every write through again.
func (g *gate) release() {
	g.mu.Lock()
	if g.open != nil {
		close(g.open)
		g.open = nil
	}
	g.mu.Unlock()
}

// waitBlocked waits until a write is held at the gate.
func (g *gate) waitBlocked(t testing.TB) {
	t.Helper()
	select {
	case <-g.blocked:
	case <-time.After(waitLimit):
		require.FailNow(t, "no write reached the gate")
	}
}

// waitClosed waits until the client closed a connection it dialled.
func (g *gate) waitClosed(t testing.TB) {
	t.Helper()
	select {
	case <-g.closed:
	case <-time.After(waitLimit):
		require.FailNow(t, "the client did not close the connection")
	}
}

// last returns the most recently dialled connection.
func (g *gate) last() net.Conn {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.conns) == 0 {
		return nil
	}
	return g.conns[len(g.conns)-1]
}

type gatedConn struct {
	net.Conn
	g *gate
}

func (c *gatedConn) Write(b []byte) (int, error) {
	c.g.mu.Lock()
	open := c.g.open
	c.g.mu.Unlock()
	if open != nil {
		select {
		case c.g.blocked <- struct{}{}:
		default:
		}
		<-open
	}
	return c.Conn.Write(b)
}

func (c *gatedConn) Close() error {
	err := c.Conn.Close()
	select {
	case c.g.closed <- struct{}{}:
	default:
	}
	return err
}
