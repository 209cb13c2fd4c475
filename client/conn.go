package client

import (
	"context"
	"net"
	"sync"
	"sync/atomic"

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
	clock  *packetClock // times the packet the reader is in
	sendq  *priority.SendQueue[outItem]
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	server string                // the broker's URL, redacted
	kept   slab[message.Message] // copies of delivered messages; the reader's

	connack message.Connack // the handshake's CONNACK
	conn5                   // the version agreed and the MQTT 5.0 state

	lastWrite atomic.Int64 // unix nanoseconds of the last write
	pingSent  atomic.Int64 // unix nanoseconds of the unanswered PINGREQ, 0 if none
	byUser    atomic.Bool  // ended by Disconnect or Close
	// sessExpiry is the MQTT 5.0 Session Expiry Interval in force, in
	// seconds: the CONNACK's result, then a DISCONNECT's. Only the
	// supervisor uses it.
	sessExpiry uint32
	stalled    atomic.Bool // the reader waits for room in the event queue

	acks ackOrder // acknowledgements of inbound messages, in arrival order

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
	pkt message.Packet  // DISCONNECT, AUTH: the packet, nil for a plain DISCONNECT
	// noAlias: a QoS 0 PUBLISH never sent with a topic alias.
	noAlias bool
}

// start launches the connection's goroutines.
func (cn *conn) start() {
	n := 2
	if cn.res.KeepAlive > 0 {
		n++
	}
	cn.wg.Add(n)
	cn.c.netWG.Add(n)
	go cn.readLoop()
	go cn.writeLoop()
	if cn.res.KeepAlive > 0 {
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
		// The queue closes before the context ends: the writer, woken
		// by either, drains the queue after it closed, so no packet
		// pushed before Close is left with a token nobody completes.
		cn.sendq.Close()
		cn.cancel()
		cn.acks.close(cn.c.events)
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

// queueReaderAck queues an acknowledgement the reader owes for a packet
// it decoded, without waking the writer yet: the packets already in the
// reader's buffer are decoded first, and their acknowledgements leave in
// one write. The reader wakes the writer before it reads from the
// connection again or waits for room (see packetClock.release), so an
// acknowledgement never waits for the network or for a handler. It runs
// on the reader.
func (cn *conn) queueReaderAck(t message.Type, id uint16) {
	_ = cn.sendq.PushQuiet(priority.Control, 0, outItem{t: t, id: id})
	cn.clock.held = true
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
func (cn *conn) queueDisconnect(pkt *message.Disconnect) *Token {
	t := newToken(0)
	it := outItem{t: message.DISCONNECT, tok: t}
	if pkt != nil {
		it.pkt = pkt
	}
	// Behind every packet queued so far, publishes included: a graceful
	// disconnect sends what the application asked for first.
	if err := cn.sendq.Push(priority.Publish, priority.Min, it); err != nil {
		t.complete(lostError(cn.cause()))
	}
	return t
}
