package client_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"sync"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
)

// streamWitness watches the packets a subscriber reads and writes on
// each of its connections, to tell a QoS 2 duplicate the client could
// not avoid from one it should have: Mosquitto 2.0.11 sometimes sends a
// QoS 2 PUBLISH again after its PUBREL, when two connections drop in a
// row (see README, "Sessions and faults"). The client absorbs that
// re-send while it has not written its PUBCOMP; once the PUBCOMP was
// written, the broker may have reused the identifier, and the re-send is
// delivered like a new message. The witness names those messages.
type streamWitness struct {
	v  message.Version
	mu sync.Mutex
	// key is the message each packet identifier last carried to the
	// client; released, the messages whose PUBREL the client read;
	// completed, the messages it then answered with PUBCOMP.
	key       map[uint16]string
	released  map[string]bool
	completed map[string]bool
	// resentAfterPubcomp are the messages the broker sent again as a
	// PUBLISH, on a later connection, after the client's PUBCOMP.
	resentAfterPubcomp map[string]bool
}

func newStreamWitness(v message.Version) *streamWitness {
	return &streamWitness{
		v:                  v,
		key:                make(map[uint16]string),
		released:           make(map[string]bool),
		completed:          make(map[string]bool),
		resentAfterPubcomp: make(map[string]bool),
	}
}

// dial is a client.DialFunc: a TCP connection to u's host, watched.
func (w *streamWitness) dial(ctx context.Context, u *url.URL) (net.Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, err
	}
	return &watchedConn{Conn: nc, w: w}, nil
}

// brokerResent reports whether the broker sent the message again after
// the client's PUBCOMP for it.
func (w *streamWitness) brokerResent(key string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.resentAfterPubcomp[key]
}

func (w *streamWitness) read(p message.Packet) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch p := p.(type) {
	case *message.Publish:
		if p.QoS != message.QoS2 {
			return
		}
		key := witnessKey(p.Topic, p.Payload)
		if p.Dup && w.completed[key] {
			w.resentAfterPubcomp[key] = true
		}
		w.key[p.PacketID] = key
	case *message.Pubrel:
		if key, ok := w.key[p.PacketID]; ok {
			w.released[key] = true
		}
	}
}

func (w *streamWitness) wrote(p message.Packet) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if p, ok := p.(*message.Pubcomp); ok {
		if key, ok := w.key[p.PacketID]; ok && w.released[key] {
			w.completed[key] = true
		}
	}
}

// watchedConn decodes what passes through it for its witness.
type watchedConn struct {
	net.Conn
	w         *streamWitness
	mu        sync.Mutex // guards in and out, fed by the reader and the writer
	in, out   []byte
	badIn     bool
	badOutput bool
}

func (c *watchedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.mu.Lock()
	c.in, c.badIn = feed(c.in, b[:n], c.badIn, c.w.v, c.w.read)
	c.mu.Unlock()
	return n, err
}

func (c *watchedConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.mu.Lock()
	c.out, c.badOutput = feed(c.out, b[:n], c.badOutput, c.w.v, c.w.wrote)
	c.mu.Unlock()
	return n, err
}

// feed appends b to the stream buf and hands on every whole packet in
// it; a stream that does not decode is no longer watched.
func feed(buf, b []byte, bad bool, v message.Version, f func(message.Packet)) ([]byte, bool) {
	if bad {
		return nil, true
	}
	buf = append(buf, b...)
	for {
		p, n, err := message.Decode(buf, v, 0)
		switch {
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			return buf, false
		case err != nil:
			return nil, true
		}
		f(p)
		buf = buf[n:]
	}
}

// runVersion returns the protocol version a run's options select.
func runVersion(opts []client.Option) message.Version {
	var o client.Options
	for _, opt := range opts {
		_ = opt(&o)
	}
	if o.Version == 0 {
		return message.V311
	}
	return o.Version
}
