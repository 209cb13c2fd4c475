package peer

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/message"
)

// This file holds what a Peer and a Conn share: reading and writing one
// connection's packets, and the checks behind the Expect helpers.

// readRaw reads the next packet's exact bytes from br, the buffered
// reader of conn, within timeout. See [Peer.ReadRaw].
func readRaw(conn net.Conn, br *bufio.Reader, timeout time.Duration) ([]byte, error) {
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

// write writes b to conn within timeout.
func write(conn net.Conn, b []byte, timeout time.Duration) error {
	conn.SetWriteDeadline(time.Now().Add(timeout))
	if _, err := conn.Write(b); err != nil {
		return fmt.Errorf("peer: write: %w", err)
	}
	return nil
}

// decode decodes one packet read by readRaw. The packet is newly
// allocated.
func decode(raw []byte, v message.Version) (message.Packet, error) {
	pkt, _, err := message.Decode(raw, v, 0)
	if err != nil {
		return nil, fmt.Errorf("peer: decode % x: %w", head(raw), err)
	}
	return pkt, nil
}

// encode encodes pkt for protocol version v.
func encode(pkt message.Packet, v message.Version) ([]byte, error) {
	b, err := pkt.Append(nil, v)
	if err != nil {
		return nil, fmt.Errorf("peer: encode %v: %w", pkt.Type(), err)
	}
	return b, nil
}

// closedResult turns the result of a read into the result of waiting for
// the end of the stream. See [Peer.WaitClosed].
func closedResult(raw []byte, err error) error {
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

// checkType fails t unless the read gave a packet of type typ.
func checkType(t testing.TB, pkt message.Packet, err error, typ message.Type) message.Packet {
	t.Helper()
	require.NoError(t, err, "peer: want %v", typ)
	if pkt.Type() != typ {
		require.FailNow(t, fmt.Sprintf("peer: got %v, want %v", describe(pkt), typ))
	}
	return pkt
}

// checkSilence fails t unless a read that lasted d gave nothing at all,
// not even the start of a packet, and ended on its deadline.
func checkSilence(t testing.TB, raw []byte, err error, v message.Version, d time.Duration) {
	t.Helper()
	switch {
	case err == nil:
		pkt, _, derr := message.Decode(raw, v, 0)
		if derr != nil {
			require.FailNow(t, fmt.Sprintf("peer: got % x, want nothing for %v", head(raw), d))
		}
		require.FailNow(t, fmt.Sprintf("peer: got %v, want nothing for %v", describe(pkt), d))
	case len(raw) > 0:
		require.FailNow(t, fmt.Sprintf("peer: got the start of a packet (% x), want nothing for %v", head(raw), d))
	case !errors.Is(err, os.ErrDeadlineExceeded):
		require.FailNow(t, fmt.Sprintf("peer: want nothing for %v: %v", d, err))
	}
}

// head returns at most the first 32 bytes of b, for error messages.
func head(b []byte) []byte {
	if len(b) > 32 {
		return b[:32]
	}
	return b
}

// PacketID returns the packet identifier of pkt: that of a PUBLISH (0 at
// QoS 0), of an acknowledgement, of a SUBSCRIBE or of an UNSUBSCRIBE; 0
// for a packet that has none.
func PacketID(pkt message.Packet) uint16 {
	switch p := pkt.(type) {
	case *message.Publish:
		return p.PacketID
	case *message.Puback:
		return p.PacketID
	case *message.Pubrec:
		return p.PacketID
	case *message.Pubrel:
		return p.PacketID
	case *message.Pubcomp:
		return p.PacketID
	case *message.Subscribe:
		return p.PacketID
	case *message.Suback:
		return p.PacketID
	case *message.Unsubscribe:
		return p.PacketID
	case *message.Unsuback:
		return p.PacketID
	}
	return 0
}

// describe names a packet with its packet identifier when it has one.
func describe(pkt message.Packet) string {
	switch p := pkt.(type) {
	case *message.Publish:
		return fmt.Sprintf("PUBLISH (topic %q, QoS %d, id %d, dup %v)", p.Topic, p.QoS, p.PacketID, p.Dup)
	case *message.Puback, *message.Pubrec, *message.Pubrel, *message.Pubcomp,
		*message.Subscribe, *message.Suback, *message.Unsubscribe, *message.Unsuback:
		return fmt.Sprintf("%v %d", pkt.Type(), PacketID(pkt))
	}
	return pkt.Type().String()
}
