// Package peer is a scripted MQTT peer for protocol tests: the test reads
// exactly what the client sent and sends exactly the bytes it chooses,
// malformed ones included. It is not a broker; it does nothing on its
// own, not even answer CONNECT.
//
// A Peer either listens on a free loopback port ([Listen]) and takes the
// client's connections one at a time, or wraps a connection the test
// already has ([New], [Pipe]). Every read and write has a deadline
// ([DefaultTimeout] unless changed with [Peer.SetTimeout]), so a test
// that waits for a packet that never comes fails instead of hanging;
// timeouts are errors wrapping [os.ErrDeadlineExceeded].
//
// # Example
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
// # Concurrency
//
// One goroutine reads at a time and one writes at a time; reading and
// writing may happen concurrently. The Expect helpers call t.Fatal and so
// belong on the test's goroutine; elsewhere use [Peer.ReadPacket].
package peer

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/onmqtt/onmqtt/message"
)

// DefaultTimeout bounds each read, write and accept.
const DefaultTimeout = 5 * time.Second

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
	conn.SetReadDeadline(time.Now().Add(timeout))
	first, err := br.ReadByte()
	if err != nil {
		return nil, fmt.Errorf("peer: read: %w", err)
	}
	raw := []byte{first}
	n, shift := 0, 0
	for i := 0; ; i++ {
		if i == 4 {
			return raw, fmt.Errorf("peer: %w: %w", message.ErrMalformed, message.ErrRemainingLength)
		}
		c, err := br.ReadByte()
		if err != nil {
			return raw, fmt.Errorf("peer: read remaining length: %w", eofInside(err))
		}
		raw = append(raw, c)
		n |= int(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			break
		}
	}
	start := len(raw)
	raw = append(raw, make([]byte, n)...)
	if _, err := io.ReadFull(br, raw[start:]); err != nil {
		return raw[:start], fmt.Errorf("peer: read %d-byte body: %w", n, eofInside(err))
	}
	return raw, nil
}

func eofInside(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// ReadPacket reads and decodes the next packet. The packet is newly
// allocated and may be kept. A decoding error wraps the codec's
// sentinels, such as [message.ErrMalformed].
func (p *Peer) ReadPacket() (message.Packet, error) {
	raw, err := p.ReadRaw()
	if err != nil {
		return nil, err
	}
	pkt, _, err := message.Decode(raw, p.versionNow(), 0)
	if err != nil {
		return nil, fmt.Errorf("peer: decode % x: %w", head(raw), err)
	}
	if c, ok := pkt.(*message.Connect); ok {
		p.SetVersion(c.Version)
	}
	return pkt, nil
}

// head returns at most the first 32 bytes of b, for error messages.
func head(b []byte) []byte {
	if len(b) > 32 {
		return b[:32]
	}
	return b
}

// Send writes b as it is.
func (p *Peer) Send(b []byte) error {
	conn, _, timeout, err := p.current()
	if err != nil {
		return err
	}
	conn.SetWriteDeadline(time.Now().Add(timeout))
	if _, err := conn.Write(b); err != nil {
		return fmt.Errorf("peer: write: %w", err)
	}
	return nil
}

// SendPacket encodes pkt for the peer's protocol version and writes it.
func (p *Peer) SendPacket(pkt message.Packet) error {
	b, err := pkt.Append(nil, p.versionNow())
	if err != nil {
		return fmt.Errorf("peer: encode %v: %w", pkt.Type(), err)
	}
	return p.Send(b)
}

// WaitClosed waits for the other side to close the connection. It returns
// nil at end of stream (or a reset), [ErrNotClosed] wrapped with the
// packet type when a packet arrives first, and a timeout error when
// nothing happens.
func (p *Peer) WaitClosed() error {
	raw, err := p.ReadRaw()
	if err == nil {
		return fmt.Errorf("%w: got %v", ErrNotClosed, message.Type(raw[0]>>4))
	}
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, ErrClosed) || errors.Is(err, ErrNoListener) {
		return err
	}
	if len(raw) > 0 {
		return fmt.Errorf("%w: %w", ErrNotClosed, err)
	}
	return nil // EOF, reset or closed pipe
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
	if err != nil {
		t.Fatalf("peer: want %v: %v", typ, err)
	}
	if pkt.Type() != typ {
		t.Fatalf("peer: got %v, want %v", describe(pkt), typ)
	}
	return pkt
}

// ExpectClosed fails the test unless the other side closes the
// connection before anything else.
func (p *Peer) ExpectClosed(t testing.TB) {
	t.Helper()
	if err := p.WaitClosed(); err != nil {
		t.Fatalf("peer: want the connection closed: %v", err)
	}
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
	switch {
	case err == nil:
		pkt, _, derr := message.Decode(raw, p.versionNow(), 0)
		if derr != nil {
			t.Fatalf("peer: got % x, want nothing for %v", head(raw), d)
		}
		t.Fatalf("peer: got %v, want nothing for %v", describe(pkt), d)
	case len(raw) > 0:
		t.Fatalf("peer: got the start of a packet (% x), want nothing for %v", head(raw), d)
	case !errors.Is(err, os.ErrDeadlineExceeded):
		t.Fatalf("peer: want nothing for %v: %v", d, err)
	}
}

func (p *Peer) versionNow() message.Version {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.version
}

// describe names a packet with its packet identifier when it has one.
func describe(pkt message.Packet) string {
	switch p := pkt.(type) {
	case *message.Publish:
		return fmt.Sprintf("PUBLISH (topic %q, QoS %d, id %d, dup %v)", p.Topic, p.QoS, p.PacketID, p.Dup)
	case *message.Puback:
		return fmt.Sprintf("PUBACK %d", p.PacketID)
	case *message.Pubrec:
		return fmt.Sprintf("PUBREC %d", p.PacketID)
	case *message.Pubrel:
		return fmt.Sprintf("PUBREL %d", p.PacketID)
	case *message.Pubcomp:
		return fmt.Sprintf("PUBCOMP %d", p.PacketID)
	case *message.Subscribe:
		return fmt.Sprintf("SUBSCRIBE %d", p.PacketID)
	case *message.Unsubscribe:
		return fmt.Sprintf("UNSUBSCRIBE %d", p.PacketID)
	}
	return pkt.Type().String()
}
