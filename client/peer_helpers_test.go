package client_test

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/peer"
	"github.com/onmqtt/onmqtt/message"
)

// scripted is a scripted broker on a loopback port: the test reads every
// packet the client sends and writes exact bytes back.
type scripted struct {
	t     testing.TB
	ln    net.Listener
	conns chan net.Conn
	done  chan struct{}
}

func newPeer(t testing.TB) *scripted {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("peer listen: %v", err)
	}
	p := &scripted{t: t, ln: ln, conns: make(chan net.Conn, 8), done: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			select {
			case p.conns <- nc:
			case <-p.done:
				nc.Close()
				return
			}
		}
	}()
	t.Cleanup(func() {
		close(p.done)
		ln.Close()
		wg.Wait()
		for {
			select {
			case nc := <-p.conns:
				nc.Close()
			default:
				return
			}
		}
	})
	return p
}

// url returns the address for Client.Connect.
func (p *scripted) url() string { return "tcp://" + p.ln.Addr().String() }

// accept returns the client's next connection.
func (p *scripted) accept() *peerConn {
	p.t.Helper()
	select {
	case nc := <-p.conns:
		pc := &peerConn{t: p.t, nc: nc}
		pc.r = message.NewReader(bufio.NewReader(nc), message.V311, 0)
		p.t.Cleanup(func() { nc.Close() })
		return pc
	case <-time.After(waitLimit):
		p.t.Fatalf("peer: no connection within %v", waitLimit)
		return nil
	}
}

// peerConn is one client connection seen from the scripted broker.
type peerConn struct {
	t  testing.TB
	nc net.Conn
	r  *message.Reader
	v  message.Version
}

// read returns the next packet from the client, or the error after d.
// The packet is valid until the next read.
func (pc *peerConn) read(d time.Duration) (message.Packet, error) {
	pc.nc.SetReadDeadline(time.Now().Add(d))
	defer pc.nc.SetReadDeadline(time.Time{})
	return pc.r.ReadPacket()
}

// expect reads the next packet and fails the test unless it has type typ.
func (pc *peerConn) expect(typ message.Type) message.Packet {
	pc.t.Helper()
	p, err := pc.read(waitLimit)
	if err != nil {
		pc.t.Fatalf("peer: waiting for %v: %v", typ, err)
	}
	if p.Type() != typ {
		pc.t.Fatalf("peer: got %v, want %v", p.Type(), typ)
	}
	return p
}

// expectAck reads the next packet and fails the test unless it is the
// acknowledgement typ for id.
func (pc *peerConn) expectAck(typ message.Type, id uint16) {
	pc.t.Helper()
	p := pc.expect(typ)
	if got := ackID(p); got != id {
		pc.t.Fatalf("peer: got %v for id %d, want id %d", typ, got, id)
	}
}

// expectPublish reads the next packet and returns it as a PUBLISH.
func (pc *peerConn) expectPublish() message.Publish {
	pc.t.Helper()
	return *pc.expect(message.PUBLISH).(*message.Publish)
}

// expectNone fails the test when a packet arrives within d. It is the
// one kind of wait that must run to its end: proving an absence.
func (pc *peerConn) expectNone(d time.Duration) {
	pc.t.Helper()
	p, err := pc.read(d)
	if err == nil {
		pc.t.Fatalf("peer: got %v, want nothing within %v", p.Type(), d)
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		pc.t.Fatalf("peer: waiting for silence: %v", err)
	}
}

// expectClosed fails the test unless the client closes the connection.
func (pc *peerConn) expectClosed() {
	pc.t.Helper()
	for {
		p, err := pc.read(waitLimit)
		if err == nil {
			pc.t.Logf("peer: %v before close", p.Type())
			continue
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			pc.t.Fatalf("peer: connection still open after %v", waitLimit)
		}
		return
	}
}

// send writes p in the connection's protocol version.
func (pc *peerConn) send(p message.Packet) {
	pc.t.Helper()
	v := pc.v
	if v == 0 {
		v = message.V311
	}
	b, err := p.Append(nil, v)
	if err != nil {
		pc.t.Fatalf("peer: encoding %v: %v", p.Type(), err)
	}
	pc.sendRaw(b...)
}

// sendRaw writes exact bytes.
func (pc *peerConn) sendRaw(b ...byte) {
	pc.t.Helper()
	pc.nc.SetWriteDeadline(time.Now().Add(waitLimit))
	if _, err := pc.nc.Write(b); err != nil {
		pc.t.Fatalf("peer: write: %v", err)
	}
}

// handshake reads CONNECT and answers with return code code.
func (pc *peerConn) handshake(code message.ConnackCode) *message.Connect {
	pc.t.Helper()
	cp := *pc.expect(message.CONNECT).(*message.Connect)
	pc.v = cp.Version
	pc.r.SetVersion(cp.Version)
	pc.send(&message.Connack{ReturnCode: code})
	return &cp
}

// ackID returns the packet identifier of an acknowledgement.
func ackID(p message.Packet) uint16 {
	switch p := p.(type) {
	case *message.Puback:
		return p.PacketID
	case *message.Pubrec:
		return p.PacketID
	case *message.Pubrel:
		return p.PacketID
	case *message.Pubcomp:
		return p.PacketID
	case *message.Unsuback:
		return p.PacketID
	case *message.Suback:
		return p.PacketID
	case *message.Subscribe:
		return p.PacketID
	case *message.Unsubscribe:
		return p.PacketID
	}
	return 0
}

// connectPeer makes a client with opts, connects it to a new peer and
// returns both ends once CONNACK was accepted.
func connectPeer(t testing.TB, opts ...client.Option) (*client.Client, *peerConn) {
	t.Helper()
	p := newPeer(t)
	c := newClient(t, opts...)
	return c, connectTo(t, c, p)
}

// connectTo connects c to the peer p, which accepts the connection and
// answers CONNACK, and returns the peer's end.
func connectTo(t testing.TB, c *client.Client, p *scripted) *peerConn {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		_, err := c.Connect(testContext(t), p.url())
		errc <- err
	}()
	pc := p.accept()
	pc.handshake(message.Accepted)
	if err := <-errc; err != nil {
		t.Fatalf("Connect: %v", err)
	}
	return pc
}

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
	conns   []net.Conn
}

func newGate() *gate { return &gate{blocked: make(chan struct{}, 1)} }

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
		t.Fatal("no write reached the gate")
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
