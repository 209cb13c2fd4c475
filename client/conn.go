package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
)

// conn is one network connection and the goroutines that serve it: a
// reader that decodes packets and updates session state, a writer that
// drains the send queue in batches, and a pinger for keepalive.
type conn struct {
	c      *Client
	nc     net.Conn
	r      *message.Reader
	sendq  *priority.SendQueue[outItem]
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	lastWrite atomic.Int64 // unix nanoseconds of the last write
	pingSent  atomic.Int64 // unix nanoseconds of the unanswered PINGREQ, 0 if none
	byUser    atomic.Bool  // ended by Disconnect or Close

	failOnce sync.Once
	err      atomic.Pointer[error] // why the connection ended, set once by fail
	dead     chan struct{}         // closed by fail
}

// outItem is one packet waiting in the send queue.
type outItem struct {
	t   message.Type
	id  uint16          // acknowledgements and PUBREL
	p   *pending        // QoS 1/2 PUBLISH, SUBSCRIBE, UNSUBSCRIBE
	dup bool            // PUBLISH re-sent
	msg message.Message // QoS 0 PUBLISH
	tok *Token          // QoS 0 PUBLISH, DISCONNECT: completed on write
}

// start launches the connection's goroutines.
func (cn *conn) start() {
	n := 2
	if cn.c.opts.KeepAlive > 0 {
		n++
	}
	cn.wg.Add(n)
	cn.c.netWG.Add(n)
	go cn.readLoop()
	go cn.writeLoop()
	if cn.c.opts.KeepAlive > 0 {
		go cn.pingLoop()
	}
}

// done is deferred by each of the connection's goroutines.
func (cn *conn) done() {
	cn.wg.Done()
	cn.c.netWG.Done()
}

// wait blocks until the connection's goroutines have stopped.
func (cn *conn) wait() { cn.wg.Wait() }

// fail ends the connection with err; only the first call counts. The
// supervisor, woken by dead, handles the loss.
func (cn *conn) fail(err error) {
	cn.failOnce.Do(func() {
		cn.err.Store(&err)
		cn.cancel()
		cn.sendq.Close()
		cn.nc.Close()
		close(cn.dead)
	})
}

// cause returns the error the connection ended with, nil while it is up.
func (cn *conn) cause() error {
	if p := cn.err.Load(); p != nil {
		return *p
	}
	return nil
}

// queueAck queues an acknowledgement, PUBREL or PINGREQ.
func (cn *conn) queueAck(t message.Type, id uint16) {
	_ = cn.sendq.Push(priority.Control, 0, outItem{t: t, id: id})
}

// queuePublish queues a QoS 1 or 2 flow's PUBLISH.
func (cn *conn) queuePublish(p *pending, dup bool) {
	_ = cn.sendq.Push(priority.Publish, p.level, outItem{t: message.PUBLISH, p: p, dup: dup})
}

// queueResend queues what a resumed flow sends again: PUBREL once PUBREC
// came, else the PUBLISH, with DUP set when it was written before. It
// uses the control class so resends leave in their original order and
// before any new publish.
func (cn *conn) queueResend(p *pending) {
	if p.released {
		cn.queueAck(message.PUBREL, p.msg.PacketID)
		return
	}
	_ = cn.sendq.Push(priority.Control, 0, outItem{t: message.PUBLISH, p: p, dup: p.written.Load()})
}

// queueControl queues a SUBSCRIBE or UNSUBSCRIBE flow's packet.
func (cn *conn) queueControl(p *pending) error {
	return cn.sendq.Push(priority.Control, 0, outItem{t: p.kind, p: p})
}

// queueDisconnect queues DISCONNECT and returns a token completed once it
// is written.
func (cn *conn) queueDisconnect() *Token {
	t := newToken(0)
	// Behind every packet queued so far, publishes included: a graceful
	// disconnect sends what the application asked for first.
	if err := cn.sendq.Push(priority.Publish, priority.Min, outItem{t: message.DISCONNECT, tok: t}); err != nil {
		t.complete(lostError(cn.cause()))
	}
	return t
}

// readLoop decodes packets and hands them to the client until the
// connection fails.
func (cn *conn) readLoop() {
	defer cn.done()
	for {
		p, err := cn.r.ReadPacket()
		if err != nil {
			cn.fail(cn.readErr(err))
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
			cn.fail(err)
			return
		}
	}
}

func (cn *conn) readErr(err error) error {
	if cn.ctx.Err() != nil {
		return ErrConnectionLost
	}
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("onmqtt: broker closed the connection: %w", err)
	}
	return fmt.Errorf("onmqtt: reading from broker: %w", err)
}

// maxBatchBytes is the size past which the writer flushes a batch early:
// the most the write buffer holds, unless one packet is larger, and the
// most it keeps between batches.
const maxBatchBytes = 256 << 10

// writeLoop writes everything ready in the send queue with one write
// call per batch.
func (cn *conn) writeLoop() {
	defer cn.done()
	var batch []outItem
	buf := make([]byte, 0, 16<<10)
	v := cn.c.opts.Version
	disconnected := false // DISCONNECT written: nothing may follow [MQTT-3.14.4-2]
	for {
		var err error
		batch, err = cn.sendq.PopBatch(cn.ctx, batch[:0], 0)
		if err != nil {
			cn.drain()
			return
		}
		if disconnected {
			cn.failItems(batch)
			clear(batch)
			continue
		}
		start, end := 0, len(batch)
		for i := range batch {
			if i == end {
				break
			}
			it := &batch[i]
			n := encodedSize(it)
			if len(buf) > 0 && len(buf)+n > maxBatchBytes {
				if !cn.flush(buf, batch[start:i]) {
					cn.failItems(batch[i:])
					cn.drain()
					return
				}
				buf, start = buf[:0], i
			}
			buf = room(buf, n)
			before := len(buf)
			buf, err = cn.encode(buf, it, v)
			if err != nil {
				buf = buf[:before]
				cn.c.log.Error("dropping unencodable packet", "type", it.t, "err", err)
				if it.tok != nil {
					it.tok.complete(err)
				}
				it.t = 0
			} else if it.p != nil && it.t == message.PUBLISH {
				// Any later attempt is a re-delivery, DUP set, even if
				// this write fails: mark the flow before the write, so a
				// reconnect that races the end of it cannot miss it.
				it.p.written.Store(true)
			}
			if it.t == message.DISCONNECT {
				disconnected, end = true, i+1
			}
		}
		if len(buf) > 0 && !cn.flush(buf, batch[start:end]) {
			cn.drain()
			return
		}
		cn.failItems(batch[end:])
		if cap(buf) > maxBatchBytes {
			buf = make([]byte, 0, 16<<10)
		}
		buf = buf[:0]
		clear(batch)
	}
}

// encodedSize returns at most how many bytes encoding it takes, or 0
// when that is not known ahead (SUBSCRIBE, UNSUBSCRIBE).
func encodedSize(it *outItem) int {
	switch it.t {
	case message.PUBLISH:
		m := &it.msg
		if it.p != nil {
			m = &it.p.msg
		}
		// First byte, up to 4 bytes of remaining length, topic length,
		// packet identifier.
		return 1 + 4 + 2 + len(m.Topic) + 2 + len(m.Payload)
	case message.SUBSCRIBE, message.UNSUBSCRIBE:
		return 0
	}
	return 4
}

// room returns buf with room for n more bytes. It grows buf by doubling,
// up to maxBatchBytes unless n alone needs more, so that a batch of many
// packets is copied O(log n) times, not once per packet.
func room(buf []byte, n int) []byte {
	if cap(buf)-len(buf) >= n {
		return buf
	}
	c := max(2*cap(buf), len(buf)+n)
	if c > maxBatchBytes {
		c = max(maxBatchBytes, len(buf)+n)
	}
	nb := make([]byte, len(buf), c)
	copy(nb, buf)
	return nb
}

// encode appends one queued packet to buf.
func (cn *conn) encode(buf []byte, it *outItem, v message.Version) ([]byte, error) {
	switch it.t {
	case message.PUBACK, message.PUBREC, message.PUBREL, message.PUBCOMP:
		return message.AppendAck(buf, it.t, it.id)
	case message.PINGREQ:
		return (&message.Pingreq{}).Append(buf, v)
	case message.DISCONNECT:
		return (&message.Disconnect{}).Append(buf, v)
	case message.PUBLISH:
		var pub message.Publish
		if it.p != nil {
			pub.Message = it.p.msg
			pub.Dup = it.dup
			if !it.p.checked {
				// Loaded from the store: not checked by Publish.
				return pub.Append(buf, v)
			}
		} else {
			pub.Message = it.msg
		}
		// checkPublish validated the topic before the packet was queued.
		return pub.AppendTrusted(buf, v)
	case message.SUBSCRIBE:
		return (&message.Subscribe{PacketID: it.p.msg.PacketID, Subscriptions: it.p.subs}).Append(buf, v)
	case message.UNSUBSCRIBE:
		return (&message.Unsubscribe{PacketID: it.p.msg.PacketID, Filters: it.p.filters}).Append(buf, v)
	}
	return buf, fmt.Errorf("onmqtt: nothing to encode for %v", it.t)
}

// flush writes buf and completes what was written. It reports false after
// failing the connection.
func (cn *conn) flush(buf []byte, items []outItem) bool {
	if _, err := cn.nc.Write(buf); err != nil {
		err = fmt.Errorf("onmqtt: writing to broker: %w", err)
		if cn.ctx.Err() != nil {
			err = ErrConnectionLost
		}
		cn.fail(err)
		cn.failItems(items)
		return false
	}
	cn.lastWrite.Store(time.Now().UnixNano())
	for i := range items {
		it := &items[i]
		if it.t == 0 {
			continue
		}
		cn.c.stats.out(it.t)
		if it.p != nil {
			it.p.written.Store(true)
		}
		if it.tok != nil {
			it.tok.complete(nil)
		}
	}
	return true
}

// failItems completes the tokens of packets that will never be written.
func (cn *conn) failItems(items []outItem) {
	for i := range items {
		if t := items[i].tok; t != nil {
			t.complete(lostError(cn.cause()))
		}
	}
}

// drain fails what is left in the closed send queue.
func (cn *conn) drain() {
	cn.failItems(cn.sendq.TryPopBatch(nil, 0))
}

// pingLoop sends PINGREQ when nothing was written for three quarters of
// the keepalive interval and fails the connection when PINGRESP does not
// come within PingTimeout [MQTT-3.1.2-23].
func (cn *conn) pingLoop() {
	defer cn.done()
	keep := cn.c.opts.KeepAlive
	timeout := cn.c.opts.PingTimeout
	// A PINGREQ leaves at most one tick after the idle time is reached:
	// with ticks of keep/8 the gap between packets stays within 7/8 of
	// the keepalive, so brokers that enforce exactly the keepalive (mochi
	// rounds 1.5 × 1 s down to 1 s) still see a packet in time.
	tick := min(keep/8, timeout/2)
	tick = max(tick, 5*time.Millisecond)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-cn.ctx.Done():
			return
		case now := <-t.C:
			if sent := cn.pingSent.Load(); sent != 0 {
				if now.Sub(time.Unix(0, sent)) > timeout {
					cn.fail(fmt.Errorf("%w (waited %v)", ErrKeepAliveTimeout, timeout))
					return
				}
				continue
			}
			if now.Sub(time.Unix(0, cn.lastWrite.Load())) >= keep*3/4 {
				cn.pingSent.Store(now.UnixNano())
				cn.queueAck(message.PINGREQ, 0)
			}
		}
	}
}
