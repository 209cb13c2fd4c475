package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/onmqtt/onmqtt/priority"
)

// readLoop decodes packets and hands them to the client until the
// connection fails. Before each packet it waits for room in the event
// queue (see [eventQueue]), so a broker sending faster than the handlers
// run meets TCP backpressure instead of growing the client's memory.
func (cn *conn) readLoop() {
	defer cn.done()
	cn.clock.limit = cn.c.opts.PacketTimeout
	for {
		if !cn.awaitRoom() {
			return
		}
		cn.clock.between(cn.r.Buffered() > 0)
		p, err := cn.r.ReadPacket()
		if err != nil {
			cn.abort(cn.readErr(err)) // at 5.0, DISCONNECT 0x95 or 0x81 first
			return
		}
		if cn.ctx.Err() != nil {
			// The connection failed with packets still buffered: the
			// session has moved on, and the broker sends again what
			// needs it.
			return
		}
		cn.c.stats.in(p.Type())
		if err := cn.c.handle(cn, p); err != nil {
			cn.abort(err) // at 5.0, DISCONNECT with the reason code first
			return
		}
	}
}

func (cn *conn) readErr(err error) error {
	if cn.ctx.Err() != nil {
		return ErrConnectionLost
	}
	if cn.clock.expired(err) {
		return fmt.Errorf("%w: %v after its first byte: %w", ErrPacketTimeout, cn.clock.limit, err)
	}
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("onmqtt: broker closed the connection: %w", err)
	}
	return fmt.Errorf("onmqtt: reading from broker: %w", err)
}

// packetClock sits between the connection and the reader's buffer and
// bounds the time a packet may take to arrive once its first byte has:
// it sets a read deadline only while a packet is in progress, never
// while the reader waits for the next one, so an idle connection
// without keepalive stays up. Until limit is set (by the reader, after
// the handshake, which has deadlines of its own) it only passes reads
// through. Only the reader goroutine uses it.
type packetClock struct {
	nc    net.Conn
	limit time.Duration // 0: no limit
	start time.Time     // first byte of the packet in progress; zero between packets
	begun bool          // the packet in progress began in the buffer; start is set at the next read
	dl    time.Time     // the read deadline set on nc
	// held is set when the reader queued acknowledgements without
	// waking the writer (see conn.queueReaderAck); the next read from
	// the connection, or a wait for room, wakes it first.
	held  bool
	sendq *priority.SendQueue[outItem] // the connection's, set once it exists
}

// release wakes the writer for the acknowledgements the reader queued
// while it decoded what was already buffered.
func (pc *packetClock) release() {
	if pc.held {
		pc.held = false
		pc.sendq.Kick()
	}
}

// Read reads from the connection under the deadline of the packet in
// progress, if any.
func (pc *packetClock) Read(b []byte) (int, error) {
	pc.release()
	if pc.limit > 0 {
		if pc.begun {
			pc.start, pc.begun = time.Now(), false
		}
		var want time.Time
		if !pc.start.IsZero() {
			want = pc.start.Add(pc.limit)
		}
		if !want.Equal(pc.dl) {
			if err := pc.nc.SetReadDeadline(want); err != nil {
				pc.limit = 0 // a connection without deadlines: no limit
			} else {
				pc.dl = want
			}
		}
	}
	n, err := pc.nc.Read(b)
	if n > 0 && pc.start.IsZero() && pc.limit > 0 {
		pc.start = time.Now()
	}
	return n, err
}

// between is called before each packet: pending reports whether bytes
// of it have already arrived. Its clock then starts at the first read
// it needs (a packet complete in the buffer costs no clock reading),
// else when its first byte arrives.
func (pc *packetClock) between(pending bool) {
	pc.start, pc.begun = time.Time{}, pending
}

// expired reports whether err is the packet deadline firing: a
// deadline error, or any error once the deadline has passed (a
// WebSocket connection reports it as a context error).
func (pc *packetClock) expired(err error) bool {
	if pc.limit <= 0 || pc.start.IsZero() || pc.dl.IsZero() {
		return false
	}
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) || !time.Now().Before(pc.dl)
}
