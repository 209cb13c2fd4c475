package peer

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/message"
)

// Conn is one of the client's connections seen from the peer, bound to
// the test that took it: its Expect, Send and Handshake helpers stop that
// test when they fail, and the connection is closed when the test ends.
// A Conn comes from [Peer.Next], or from [NewConn] for a connection the
// test made some other way (a WebSocket, say).
//
// A Conn decodes and encodes packets in its protocol version: 3.1.1 until
// it reads a CONNECT, then the CONNECT's, unless set by [Conn.SetVersion].
// The concurrency rules are those of the package: one reader and one
// writer at a time, failing helpers on the test's goroutine.
type Conn struct {
	t  testing.TB
	nc net.Conn
	br *bufio.Reader // read by one reader at a time

	mu      sync.Mutex // guards the fields below
	timeout time.Duration
	version message.Version
}

// NewConn returns a Conn for t over nc, which it closes when t ends.
func NewConn(t testing.TB, nc net.Conn) *Conn {
	t.Cleanup(func() { nc.Close() })
	return &Conn{t: t, nc: nc, br: bufio.NewReader(nc), timeout: DefaultTimeout, version: message.V311}
}

// Next waits for the client's next connection and returns it as a Conn
// for t, with the Peer's timeout. Connections taken before stay open: a
// test of reconnection calls Next once per connection, and a test with
// two clients holds both. It fails t when no connection comes in time.
//
// A Peer used through Next should not read or write by itself; see the
// package documentation.
func (p *Peer) Next(t testing.TB) *Conn {
	t.Helper()
	nc, err := p.acceptNext(p.timeoutNow())
	require.NoError(t, err, "peer: no connection")
	c := NewConn(t, nc)
	c.SetTimeout(p.timeoutNow())
	return c
}

// ExpectNoConnection fails the test if the client opens a connection
// within d, or if the Peer cannot wait for one. Like
// [Conn.ExpectSilence], it runs to its end.
func (p *Peer) ExpectNoConnection(t testing.TB, d time.Duration) {
	t.Helper()
	nc, err := p.acceptNext(d)
	if err == nil {
		nc.Close()
		require.FailNow(t, fmt.Sprintf("peer: a connection came from %v, want none for %v", nc.RemoteAddr(), d))
	}
	require.ErrorIs(t, err, os.ErrDeadlineExceeded, "peer: want no connection for %v", d)
}

// acceptNext takes a connection from the listener within timeout,
// without touching the Peer's current connection.
func (p *Peer) acceptNext(timeout time.Duration) (net.Conn, error) {
	if p.ln == nil {
		return nil, ErrNoListener
	}
	p.acceptMu.Lock()
	defer p.acceptMu.Unlock()
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	if tl, ok := p.ln.(*net.TCPListener); ok {
		tl.SetDeadline(time.Now().Add(timeout))
	}
	nc, err := p.ln.Accept()
	if err != nil {
		return nil, fmt.Errorf("peer: accept: %w", err)
	}
	return nc, nil
}

func (p *Peer) timeoutNow() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.timeout
}

// NetConn returns the underlying connection.
func (c *Conn) NetConn() net.Conn { return c.nc }

// Close closes the connection, as a network failure would.
func (c *Conn) Close() error { return c.nc.Close() }

// SetTimeout changes the deadline of later reads and writes.
func (c *Conn) SetTimeout(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.timeout = d
}

// SetVersion sets the protocol version packets are decoded and encoded
// in, for a test that skips the CONNECT or changes version on purpose.
func (c *Conn) SetVersion(v message.Version) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.version = v
}

// Version returns the protocol version packets are decoded and encoded
// in.
func (c *Conn) Version() message.Version {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.version
}

func (c *Conn) settings() (time.Duration, message.Version) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.timeout, c.version
}

// ReadRaw reads the next packet's exact bytes, as [Peer.ReadRaw] does.
func (c *Conn) ReadRaw() ([]byte, error) {
	timeout, _ := c.settings()
	return readRaw(c.nc, c.br, timeout)
}

// ReadPacket reads and decodes the next packet within the timeout. The
// packet is newly allocated and may be kept. A CONNECT sets the Conn's
// version to its own.
func (c *Conn) ReadPacket() (message.Packet, error) {
	timeout, _ := c.settings()
	return c.ReadWithin(timeout)
}

// ReadWithin is [Conn.ReadPacket] with its own deadline d, for a test
// that waits for a packet less or more than the timeout.
func (c *Conn) ReadWithin(d time.Duration) (message.Packet, error) {
	raw, err := readRaw(c.nc, c.br, d)
	if err != nil {
		return nil, err
	}
	pkt, err := decode(raw, c.Version())
	if err != nil {
		return nil, err
	}
	if cn, ok := pkt.(*message.Connect); ok {
		c.SetVersion(cn.Version)
	}
	return pkt, nil
}

// Expect reads the next packet and fails the test unless it is of type
// typ. It returns the packet.
func (c *Conn) Expect(typ message.Type) message.Packet {
	c.t.Helper()
	pkt, err := c.ReadPacket()
	return checkType(c.t, pkt, err, typ)
}

// ExpectAny reads the next packet, whatever its type, and fails the test
// if none comes.
func (c *Conn) ExpectAny() message.Packet {
	c.t.Helper()
	pkt, err := c.ReadPacket()
	require.NoError(c.t, err, "peer: want a packet")
	return pkt
}

// ExpectAck reads the next packet and fails the test unless it is of
// type typ with packet identifier id (see [PacketID]): an
// acknowledgement, or a SUBSCRIBE, UNSUBSCRIBE or PUBLISH. It returns the
// packet.
func (c *Conn) ExpectAck(typ message.Type, id uint16) message.Packet {
	c.t.Helper()
	pkt := c.Expect(typ)
	require.Equal(c.t, id, PacketID(pkt), "peer: packet identifier of %v", typ)
	return pkt
}

// ExpectPublish reads the next packet and fails the test unless it is a
// PUBLISH, which it returns.
func (c *Conn) ExpectPublish() *message.Publish {
	c.t.Helper()
	return c.Expect(message.PUBLISH).(*message.Publish)
}

// ExpectSilence fails the test if a packet starts to arrive within d, or
// if the connection ends; otherwise the connection stays usable. It is
// the one kind of wait that runs to its end: it proves an absence.
func (c *Conn) ExpectSilence(d time.Duration) {
	c.t.Helper()
	raw, err := readRaw(c.nc, c.br, d)
	checkSilence(c.t, raw, err, c.Version(), d)
}

// ExpectClosed fails the test unless the client closes the connection
// before sending anything else.
func (c *Conn) ExpectClosed() {
	c.t.Helper()
	require.NoError(c.t, closedResult(c.ReadRaw()), "peer: want the connection closed")
}

// SkipToClose reads what the client still sends until it closes the
// connection, and returns those packets; it fails the test if the
// connection is still open after the timeout. Unlike [Conn.ExpectClosed]
// it accepts packets before the end, for a test that checks only that
// the connection ends.
func (c *Conn) SkipToClose() []message.Packet {
	c.t.Helper()
	var before []message.Packet
	for {
		raw, err := c.ReadRaw()
		if err == nil {
			if pkt, derr := decode(raw, c.Version()); derr == nil {
				c.t.Logf("peer: %v before close", describe(pkt))
				before = append(before, pkt)
				continue
			}
			return before // undecodable: the stream is lost, as at its end
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			require.FailNow(c.t, "peer: connection still open", "after %v and %d packets", c.timeoutOnly(), len(before))
		}
		return before
	}
}

func (c *Conn) timeoutOnly() time.Duration {
	d, _ := c.settings()
	return d
}

// Send encodes pkt in the Conn's version and writes it, failing the test
// on error.
func (c *Conn) Send(pkt message.Packet) {
	c.t.Helper()
	timeout, v := c.settings()
	b, err := encode(pkt, v)
	require.NoError(c.t, err)
	require.NoError(c.t, write(c.nc, b, timeout))
}

// SendRaw writes b as it is, failing the test on error.
func (c *Conn) SendRaw(b ...byte) {
	c.t.Helper()
	timeout, _ := c.settings()
	require.NoError(c.t, write(c.nc, b, timeout))
}

// Handshake reads the CONNECT and answers with a CONNACK carrying code
// (a 3.1.1 return code, or a 5.0 reason code in a 5.0 connection). It
// returns the CONNECT.
func (c *Conn) Handshake(code message.ConnackCode) *message.Connect {
	c.t.Helper()
	return c.HandshakeWith(&message.Connack{ReturnCode: code})
}

// HandshakeWith reads the CONNECT and answers with ack, encoded in the
// CONNECT's version. It returns the CONNECT.
func (c *Conn) HandshakeWith(ack *message.Connack) *message.Connect {
	c.t.Helper()
	cn := c.Expect(message.CONNECT).(*message.Connect)
	c.Send(ack)
	return cn
}

// Handshake5 reads a CONNECT, fails the test unless it asks for MQTT 5.0,
// and accepts it with a CONNACK carrying props (which may be nil). It
// returns the CONNECT.
func (c *Conn) Handshake5(props *message.Properties) *message.Connect {
	c.t.Helper()
	cn := c.Expect(message.CONNECT).(*message.Connect)
	require.Equal(c.t, message.V5, cn.Version, "peer: CONNECT version")
	c.Send(&message.Connack{Properties: props})
	return cn
}
