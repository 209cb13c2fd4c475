// Package peer is a scripted MQTT peer for protocol tests: the test reads
// exactly what the client sent and sends exactly the bytes it chooses,
// malformed ones included. It is not a broker; it does nothing on its
// own, not even answer CONNECT.
//
// A Peer either listens on a free loopback port ([Listen], [Open]) or
// wraps a connection the test already has ([New], [Pipe]). A listening
// Peer is used in one of two ways, not both:
//
//   - as one connection at a time: its own reads and writes accept the
//     client's first connection, and [Peer.Accept] or [Peer.CloseConn]
//     move to the next one;
//   - as a source of connections: [Peer.Next] accepts the client's next
//     connection and returns it as a [Conn], bound to the test, which
//     stays open until the test ends or it is closed, so a test can hold
//     several connections at once.
//
// Every read and write has a deadline ([DefaultTimeout] unless changed
// with SetTimeout), so a test that waits for a packet that never comes
// fails instead of hanging; timeouts are errors wrapping
// [os.ErrDeadlineExceeded].
//
// # Examples
//
// One connection at a time:
//
//	p, err := peer.Listen()
//	...
//	defer p.Close()
//	// start the client on p.Addr()
//	cn := p.Expect(t, message.CONNECT).(*message.Connect)
//	p.SendPacket(&message.Connack{})
//	p.Send([]byte{0x30, 0x03, 0x00, 0x01, 'a'}) // PUBLISH "a", QoS 0, by hand
//	p.Expect(t, message.PINGREQ)
//
// A connection per [Conn], the second one after a reconnection, with a
// 5.0 client:
//
//	p := peer.Open(t) // closed when the test ends
//	// start the client on p.Addr()
//	first := p.Next(t)
//	first.Handshake5(nil) // CONNACK without properties
//	pub := first.ExpectPublish()
//	first.Close() // the connection drops before the PUBACK
//	second := p.Next(t)
//	second.Handshake5(&message.Properties{ReceiveMaximum: message.Some[uint16](1)})
//	second.ExpectAck(message.PUBLISH, pub.PacketID) // resent
//	second.Send(&message.Puback{PacketID: pub.PacketID})
//
// # Concurrency
//
// One goroutine reads at a time and one writes at a time; reading and
// writing may happen concurrently. The Expect helpers, and a Conn's Send
// and Handshake helpers, stop the test when they fail (testify's require)
// and so belong on the test's goroutine; elsewhere use the methods that
// return an error, such as [Peer.ReadPacket] and [Conn.ReadPacket].
package peer

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/message"
)

// DefaultTimeout bounds each read, write and accept. It is generous so
// that a loaded machine does not fail a test that waits for a packet
// which does come.
const DefaultTimeout = 10 * time.Second

// Errors returned by a Peer besides those of the network and the codec.
var (
	// ErrNoListener reports Accept on a Peer that wraps a connection.
	ErrNoListener = errors.New("peer: not listening")
	// ErrClosed reports a use after Close.
	ErrClosed = errors.New("peer: closed")
	// ErrNotClosed reports data where WaitClosed expected end of stream.
	ErrNotClosed = errors.New("peer: connection still sending")
)

// Peer is one side of an MQTT connection, driven by a test.
type Peer struct {
	ln       net.Listener // nil when wrapping a connection
	acceptMu sync.Mutex   // one accept at a time

	mu      sync.Mutex
	conn    net.Conn
	br      *bufio.Reader
	timeout time.Duration
	version message.Version
	closed  bool
}

// Listen returns a Peer listening on a free port of 127.0.0.1. The client
// is pointed at [Peer.Addr]; the first read accepts its connection.
func Listen() (*Peer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("peer: %w", err)
	}
	return &Peer{ln: ln, timeout: DefaultTimeout, version: message.V311}, nil
}

// Open is [Listen] for a test: it fails the test if it cannot listen and
// closes the Peer when the test ends.
func Open(t testing.TB) *Peer {
	t.Helper()
	p, err := Listen()
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return p
}

// New returns a Peer speaking over conn, which it closes on Close.
func New(conn net.Conn) *Peer {
	p := &Peer{timeout: DefaultTimeout, version: message.V311}
	p.setConn(conn)
	return p
}

// Pipe returns a Peer on one end of a [net.Pipe] and the other end, for
// the client under test. A pipe has no buffer: each write waits for the
// other side to read it, within the write deadline.
func Pipe() (*Peer, net.Conn) {
	a, b := net.Pipe()
	return New(a), b
}

func (p *Peer) setConn(c net.Conn) {
	p.conn, p.br = c, bufio.NewReader(c)
}

// Addr returns the URL to dial, "tcp://127.0.0.1:port", or "" for a Peer
// that wraps a connection.
func (p *Peer) Addr() string {
	if p.ln == nil {
		return ""
	}
	return "tcp://" + p.ln.Addr().String()
}

// SetTimeout changes the deadline of later reads, writes and accepts.
func (p *Peer) SetTimeout(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.timeout = d
}

// SetVersion sets the protocol version used to decode packets whose form
// depends on it. Reading a CONNECT sets it to the CONNECT's version.
func (p *Peer) SetVersion(v message.Version) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.version = v
}

// Accept waits for the client's next connection and makes it the current
// one, closing the previous connection if any: a test of reconnection
// calls it once per connection. Reads and writes accept the first
// connection by themselves.
func (p *Peer) Accept() error { return p.accept(true) }

// accept takes a connection from the listener. Unless next is set, it
// does nothing when there is a current connection, so that a reader and a
// writer starting together accept only one.
func (p *Peer) accept(next bool) error {
	if p.ln == nil {
		return ErrNoListener
	}
	p.acceptMu.Lock()
	defer p.acceptMu.Unlock()
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	if !next && p.conn != nil {
		p.mu.Unlock()
		return nil
	}
	old, timeout := p.conn, p.timeout
	p.conn, p.br = nil, nil
	p.mu.Unlock()
	if old != nil {
		old.Close()
	}

	if tl, ok := p.ln.(*net.TCPListener); ok {
		tl.SetDeadline(time.Now().Add(timeout))
	}
	c, err := p.ln.Accept()
	if err != nil {
		return fmt.Errorf("peer: accept: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return ErrClosed
	}
	p.setConn(c)
	return nil
}

// current returns the connection, accepting the first one if needed.
func (p *Peer) current() (net.Conn, *bufio.Reader, time.Duration, error) {
	p.mu.Lock()
	closed, conn := p.closed, p.conn
	p.mu.Unlock()
	if closed {
		return nil, nil, 0, ErrClosed
	}
	if conn == nil {
		if err := p.accept(false); err != nil {
			return nil, nil, 0, err
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == nil {
		return nil, nil, 0, ErrClosed // closed meanwhile
	}
	return p.conn, p.br, p.timeout, nil
}

// Conn returns the current connection, accepting it first if needed.
func (p *Peer) Conn() (net.Conn, error) {
	c, _, _, err := p.current()
	return c, err
}

// ReadRaw reads the next packet's exact bytes, fixed header included,
// without decoding the body. The remaining length must take at most four
// bytes. After an error other than a timeout before the first byte, the
// stream position is lost and the connection should be dropped.
func (p *Peer) ReadRaw() ([]byte, error) {
	conn, br, timeout, err := p.current()
	if err != nil {
		return nil, err
	}
	return readRaw(conn, br, timeout)
}

// ReadPacket reads and decodes the next packet. The packet is newly
// allocated and may be kept. A decoding error wraps the codec's
// sentinels, such as [message.ErrMalformed].
func (p *Peer) ReadPacket() (message.Packet, error) {
	raw, err := p.ReadRaw()
	if err != nil {
		return nil, err
	}
	pkt, err := decode(raw, p.versionNow())
	if err != nil {
		return nil, err
	}
	if c, ok := pkt.(*message.Connect); ok {
		p.SetVersion(c.Version)
	}
	return pkt, nil
}

// Send writes b as it is.
func (p *Peer) Send(b []byte) error {
	conn, _, timeout, err := p.current()
	if err != nil {
		return err
	}
	return write(conn, b, timeout)
}

// SendPacket encodes pkt for the peer's protocol version and writes it.
func (p *Peer) SendPacket(pkt message.Packet) error {
	b, err := encode(pkt, p.versionNow())
	if err != nil {
		return err
	}
	return p.Send(b)
}

// WaitClosed waits for the other side to close the connection. It returns
// nil at end of stream (or a reset), [ErrNotClosed] wrapped with the
// packet type when a packet arrives first, and a timeout error when
// nothing happens.
func (p *Peer) WaitClosed() error {
	return closedResult(p.ReadRaw())
}

// CloseConn closes the current connection, as a network failure would,
// and keeps listening: the client's next connection can be accepted.
func (p *Peer) CloseConn() error {
	p.mu.Lock()
	c := p.conn
	p.conn, p.br = nil, nil
	p.mu.Unlock()
	if c == nil {
		return nil
	}
	return c.Close()
}

// Close closes the connection and the listener.
func (p *Peer) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	c := p.conn
	p.conn, p.br = nil, nil
	p.mu.Unlock()
	var err error
	if c != nil {
		err = c.Close()
	}
	if p.ln != nil {
		if lerr := p.ln.Close(); err == nil {
			err = lerr
		}
	}
	return err
}

// Expect reads the next packet and fails the test unless it is of type
// typ. It returns the packet.
func (p *Peer) Expect(t testing.TB, typ message.Type) message.Packet {
	t.Helper()
	pkt, err := p.ReadPacket()
	return checkType(t, pkt, err, typ)
}

// ExpectClosed fails the test unless the other side closes the
// connection before anything else.
func (p *Peer) ExpectClosed(t testing.TB) {
	t.Helper()
	require.NoError(t, p.WaitClosed(), "peer: want the connection closed")
}

// ExpectSilence fails the test if a packet starts to arrive within d,
// or if the connection ends; otherwise the connection stays usable.
func (p *Peer) ExpectSilence(t testing.TB, d time.Duration) {
	t.Helper()
	p.mu.Lock()
	saved := p.timeout
	p.timeout = d
	p.mu.Unlock()
	raw, err := p.ReadRaw()
	p.SetTimeout(saved)
	checkSilence(t, raw, err, p.versionNow(), d)
}

func (p *Peer) versionNow() message.Version {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.version
}
