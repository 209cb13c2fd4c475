package client

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
)

// handle updates the session for one inbound packet and queues its event.
// It runs on the connection's reader goroutine and never waits for a
// handler, so acknowledgements keep flowing while handlers block.
func (c *Client) handle(cn *conn, p message.Packet) error {
	if cn.v == message.V5 && !c.opts.RequestProblemInfo.Or(true) {
		if err := checkProblemInfo(p); err != nil {
			return err
		}
	}
	switch p := p.(type) {
	case *message.Publish:
		if cn.v == message.V5 {
			if err := cn.resolveAlias(p); err != nil {
				return err
			}
		}
		return c.handlePublish(cn, p)
	case *message.Pubrel:
		c.handlePubrel(cn, p)
		if p.ReasonCode.IsError() {
			c.log.Warn("PUBREL with a failure code", "id", p.PacketID, "code", p.ReasonCode)
		}
	case *message.Puback:
		e := c.newEvent(message.PUBACK, p.PacketID)
		e.puback = *p
		e.ev.Packet = &e.puback
		e.ev.ReasonCode, e.ev.Properties = p.ReasonCode, p.Properties
		return c.ackPublish(e, message.QoS1)
	case *message.Pubrec:
		e := c.newEvent(message.PUBREC, p.PacketID)
		e.pubrec = *p
		e.ev.Packet = &e.pubrec
		e.ev.ReasonCode, e.ev.Properties = p.ReasonCode, p.Properties
		return c.handlePubrec(cn, e)
	case *message.Pubcomp:
		e := c.newEvent(message.PUBCOMP, p.PacketID)
		e.pubcomp = *p
		e.ev.Packet = &e.pubcomp
		e.ev.ReasonCode, e.ev.Properties = p.ReasonCode, p.Properties
		return c.ackPublish(e, message.QoS2)
	case *message.Suback:
		c.handleSuback(p)
	case *message.Unsuback:
		c.handleUnsuback(p)
	case *message.Pingresp:
		cn.pingSent.Store(0)
		e := c.newEvent(message.PINGRESP, 0)
		e.ev.Packet = &e.pingresp
		c.events.push(e)
	case *message.Disconnect:
		return c.serverDisconnect(cn, p)
	case *message.Auth:
		return c.handleAuth(cn, p)
	default:
		// CONNECT, a second CONNACK, SUBSCRIBE, UNSUBSCRIBE and PINGREQ
		// only ever travel from client to server.
		return &ProtocolError{Type: p.Type(), Reason: "only a client sends it"}
	}
	return nil
}

func (c *Client) newEvent(t message.Type, id uint16) *inbound {
	e := c.events.get()
	e.ev = router.Event{Type: t, ID: id}
	return e
}

// handlePublish delivers an inbound PUBLISH. QoS 1 is acknowledged after
// its handler ran. QoS 2 is acknowledged with PUBREC at once; a duplicate
// of an id still awaiting PUBREL is acknowledged again but not delivered
// again [MQTT-4.3.3-2]. At 5.0 a new QoS 1 or 2 publish beyond our
// Receive Maximum fails the connection [MQTT-3.3.4-9].
func (c *Client) handlePublish(cn *conn, p *message.Publish) error {
	if p.QoS == message.QoS1 && cn.v == message.V5 {
		if err := cn.receivedIn(p.PacketID); err != nil {
			return err
		}
	}
	e := c.newEvent(message.PUBLISH, p.PacketID)
	e.pub = *p
	e.ev.Packet = &e.pub
	e.ev.Properties = p.Properties
	switch p.QoS {
	case message.QoS0:
		e.ev.Message = cn.keep(&p.Message)
		e.qos0 = true
	case message.QoS1:
		e.ev.Message = cn.keep(&p.Message)
		e.ack, e.id, e.conn = message.PUBACK, p.PacketID, cn
	case message.QoS2:
		m := cn.keep(&p.Message)
		c.mu.Lock()
		if !c.live(cn) {
			// The connection failed meanwhile; see readLoop.
			c.mu.Unlock()
			c.events.put(e)
			return nil
		}
		if cn.v == message.V5 && !c.sess.resend(p.PacketID, cn) {
			// A re-sent PUBLISH is not counted again.
			if err := cn.receivedIn(p.PacketID); err != nil {
				c.mu.Unlock()
				c.events.put(e)
				return err
			}
		}
		f := c.sess.received(m, cn, time.Now())
		if f.gen != 0 && c.opts.DeliverOnPubrel {
			c.events.hold(1) // until its PUBREL event delivers it
		}
		c.mu.Unlock()
		// The whole message is in the store before PUBREC is written:
		// acknowledged means kept until its handler returned.
		if !c.flushStore() {
			c.events.put(e) // closed: the broker sends it again
			return nil
		}
		cn.queueReaderAck(message.PUBREC, p.PacketID)
		switch {
		case f.gen == 0:
			c.stats.duplicates.Add(1)
		case !c.opts.DeliverOnPubrel:
			e.ev.Message, e.flow, e.deliver = m, f, true
		}
	}
	if !c.events.push(e) {
		c.stats.dropped.Add(1)
		c.drops.note(c, p.Topic)
	}
	return nil
}

// handlePubrel queues the PUBREL event; PUBCOMP goes out after it ran
// and after the handler of the flow's message returned. With
// DeliverOnPubrel the held message is delivered on this event, once: a
// PUBREL re-sent after a reconnect finds it delivered or being
// delivered.
func (c *Client) handlePubrel(cn *conn, p *message.Pubrel) {
	id := p.PacketID
	e := c.newEvent(message.PUBREL, id)
	e.pubrel = *p
	e.ev.Packet = &e.pubrel
	e.ev.ReasonCode, e.ev.Properties = p.ReasonCode, p.Properties
	c.mu.Lock()
	m, f := c.sess.pubrel(id)
	c.mu.Unlock()
	// With DeliverOnPubrel the store keeps the message as received: the
	// broker sends PUBREL again until it gets PUBCOMP, so a process
	// that dies before the handler returned gets it again.
	e.ev.Message, e.flow, e.deliver = m, f, m != nil
	if m != nil {
		c.events.release(1) // no longer held: the event's own slot counts it
	}
	e.ack, e.id, e.conn = message.PUBCOMP, id, cn
	if m == nil && !c.opts.ManualAck && c.unheard(e) {
		// Nothing hears the PUBREL and it delivers nothing: the reader
		// ends the flow itself. The session still holds the PUBCOMP of a
		// message whose handler has not returned until it has.
		switch comp, id := c.endFlow(f, false, true, cn, id); comp {
		case nil:
		case cn:
			cn.queueReaderAck(message.PUBCOMP, id)
		default:
			comp.queueAck(message.PUBCOMP, id)
		}
		c.events.put(e)
		return
	}
	c.events.push(e)
}

// redeliver queues the delivery of messages the client acknowledged but
// whose handler did not return: on the PUBLISH event, or with
// DeliverOnPubrel on a PUBREL event (the broker's session is gone, so
// no PUBREL will come for them). PUBCOMP follows when the broker's own
// PUBREL event ran; a flow of a lost session ends after its handler.
// It runs on the supervisor before cn's reader starts.
func (c *Client) redeliver(due []redelivery) {
	if c.opts.DeliverOnPubrel {
		// They were held for their PUBREL; the events count them now.
		c.events.release(len(due))
	}
	for _, r := range due {
		m, f := r.msg, r.flow
		t := message.PUBLISH
		if c.opts.DeliverOnPubrel {
			t = message.PUBREL
		}
		e := c.newEvent(t, f.id)
		if t == message.PUBLISH {
			e.pub = message.Publish{Message: *m}
			e.ev.Packet = &e.pub
		} else {
			e.pubrel = message.Pubrel{PacketID: f.id}
			e.ev.Packet = &e.pubrel
		}
		e.ev.Message, e.flow, e.deliver = m, f, true
		c.events.push(e)
	}
}

// inboundDone runs after the handler of a QoS 2 flow's event returned:
// it ends or advances the flow and queues PUBCOMP once the flow's
// record is out of the store. It runs on the dispatching goroutine.
func (c *Client) inboundDone(e *inbound, acks *ackBatch) {
	c.flowDone(e.flow, e.deliver, e.ack == message.PUBCOMP, e.conn, e.id, acks)
}

// flowDone is inboundDone for the event of flow f that came on cn (with
// a PUBREL when pubrel is set) and delivered its message if deliver is
// set; with manual acknowledgement it runs when the message is
// acknowledged. acks may be nil.
func (c *Client) flowDone(f flowRef, deliver, pubrel bool, cn *conn, id uint16, acks *ackBatch) {
	if comp, id := c.endFlow(f, deliver, pubrel, cn, id); comp != nil {
		acks.add(comp, message.PUBCOMP, id)
	}
}

// endFlow is flowDone without the sending: it returns the connection
// that should get PUBCOMP, and its id, or nil.
func (c *Client) endFlow(f flowRef, deliver, pubrel bool, cn *conn, id uint16) (*conn, uint16) {
	if f.gen != 0 {
		id = f.id // a delivering PUBLISH event carries no acknowledgement id
	}
	c.mu.Lock()
	var comp *conn
	if deliver {
		var on *conn
		if pubrel {
			on = cn
		}
		comp = c.sess.delivered(f, on, c.live)
	} else {
		comp = c.sess.pubrelDone(f, cn, c.live)
	}
	c.mu.Unlock()
	// Out of the store before PUBCOMP is written: after it the broker
	// may reuse the id for a new message.
	if !c.flushStore() {
		return nil, id
	}
	return comp, id
}

// pubcompsWriting notes the inbound flows whose PUBCOMP is among the
// items cn's writer is about to write. It runs on cn's writer.
func (c *Client) pubcompsWriting(cn *conn, items []outItem) {
	c.mu.Lock()
	for i := range items {
		if items[i].t == message.PUBCOMP {
			c.sess.compWriting(items[i].id, cn)
		}
	}
	c.mu.Unlock()
}

// pubcompsWritten ends the inbound flows whose PUBCOMP is among the
// items just written on cn (or handed to a write that failed). It runs
// on cn's writer, for a batch that holds a PUBCOMP.
func (c *Client) pubcompsWritten(cn *conn, items []outItem) {
	c.mu.Lock()
	for i := range items {
		if items[i].t == message.PUBCOMP {
			c.sess.compWritten(items[i].id, cn)
		}
	}
	c.mu.Unlock()
}

// flushStore performs, in the order the session decided them, the store
// writes it has asked for. It is called after c.mu is released, before
// anything that depends on the writes is sent; storeMu keeps the writes
// of several goroutines in decision order and is held for nothing else.
// It reports false after Close: nothing is written then, and nothing
// that depends on a write may be sent.
func (c *Client) flushStore() bool {
	c.storeMu.Lock()
	defer c.storeMu.Unlock()
	c.mu.Lock()
	ops := c.sess.takeOps(c.spareOps)
	closed := c.closed
	c.mu.Unlock()
	defer func() {
		// Two slices take turns, so that flushing allocates nothing.
		clear(ops)
		c.spareOps = ops[:0]
	}()
	if closed {
		// After Close the store belongs to the next process; what a
		// handler still running decides is not written.
		return false
	}
	for _, op := range ops {
		if op.del {
			c.storeErr(c.store.DeleteInbound(op.in.ID))
		} else {
			c.storeErr(c.store.PutInbound(op.in))
		}
	}
	return true
}

// ackPublish completes a QoS 1 flow on PUBACK or a QoS 2 flow on PUBCOMP.
// An acknowledgement that does not fit the flow with its id (PUBACK for
// QoS 2, PUBCOMP for QoS 1 or before PUBREC, either for a subscription)
// is a protocol violation; one for no flow at all is dropped, since it
// may finish a flow an earlier connection completed.
func (c *Client) ackPublish(e *inbound, qos message.QoS) error {
	id := e.ev.ID
	c.mu.Lock()
	p, bad := c.sess.acked(id, qos)
	switch {
	case p != nil:
		e.ev.Sent = &p.msg
		e.retire = p
		c.complete(p, ackError(e), true)
	case bad == "":
		c.log.Debug("acknowledgement for no flow", "type", e.ev.Type, "id", id)
	}
	c.mu.Unlock()
	if e.retire != nil {
		// No lock held; the id stays reserved until the event below ran
		// (see Client.retire), so no new flow's record can be hit.
		c.storeErr(c.store.DeleteOutbound(id))
	}
	if bad != "" {
		err := &ProtocolError{Type: e.ev.Type, ID: id, Reason: bad}
		c.events.put(e)
		return err
	}
	if c.unheard(e) {
		c.skip(e)
		return nil
	}
	c.events.push(e)
	return nil
}

// unheard reports whether the acknowledgement event e of one of our
// publishes, or a PUBREL that delivers nothing, would reach nothing, so
// that the reader may finish it itself instead of handing it to the
// dispatch goroutine: no handler, observer or unhandled hook for its
// type (the flow's own OnAck handlers are id handlers of the type), and
// the client's own goroutine dispatches (a manual loop sees every
// event). It counts e as unhandled when so. It runs on the reader.
func (c *Client) unheard(e *inbound) bool {
	if c.opts.ManualLoop || !c.router.Unheard(e.ev.Type) {
		return false
	}
	c.noteUnhandled(e)
	return true
}

// skip does for an unheard event what its dispatch would have done: the
// flow it ended leaves the session, and the event goes back to the
// pool. It runs on the reader.
func (c *Client) skip(e *inbound) {
	if e.retire != nil {
		c.retire(e.retire)
	}
	c.events.put(e)
}

// handlePubrec moves a QoS 2 flow to its PUBREL phase. PUBREL is sent for
// an unknown id too, so the broker can end its side of the flow; a
// PUBREC for a QoS 1 publish or a subscription is a protocol violation.
func (c *Client) handlePubrec(cn *conn, e *inbound) error {
	id := e.ev.ID
	c.mu.Lock()
	p := c.sess.pending[id]
	if p != nil && !p.retiring && (p.kind != message.PUBLISH || p.msg.QoS != message.QoS2) {
		c.mu.Unlock()
		c.events.put(e)
		return &ProtocolError{Type: message.PUBREC, ID: id, Reason: "the identifier is not a QoS 2 publish's"}
	}
	if e.pubrec.ReasonCode.IsError() {
		// The broker refused the message: the flow ends here, without
		// PUBREL [MQTT-4.4.0-2] [MQTT-4.3.3-4].
		if p != nil && !p.retiring && !p.released {
			e.ev.Sent = &p.msg
			e.retire = p
			c.complete(p, ackError(e), true)
		}
		c.mu.Unlock()
		if e.retire != nil {
			c.storeErr(c.store.DeleteOutbound(id))
		}
		c.events.push(e)
		return nil
	}
	p, release, bad := c.sess.pubrec(id)
	if p != nil {
		e.ev.Sent = &p.msg
	}
	c.mu.Unlock()
	if bad != "" {
		c.events.put(e)
		return &ProtocolError{Type: message.PUBREC, ID: id, Reason: bad}
	}
	if release != nil {
		// Only this reader changes the flow until the PUBCOMP that
		// answers the PUBREL queued below.
		c.storeErr(c.store.PutOutbound(*release))
	}
	cn.queueReaderAck(message.PUBREL, id)
	if c.unheard(e) {
		c.skip(e)
		return nil
	}
	c.events.push(e)
	return nil
}

func (c *Client) handleSuback(s *message.Suback) {
	e := c.newEvent(message.SUBACK, s.PacketID)
	e.suback = *s
	e.ev.Packet = &e.suback
	e.ev.ReturnCodes = s.ReturnCodes
	e.ev.Properties = s.Properties
	c.mu.Lock()
	if p := c.sess.pending[s.PacketID]; p != nil && p.kind == message.SUBSCRIBE && !p.retiring {
		e.retire = p
		c.complete(p, c.subscribed(p, s.ReturnCodes), true)
	}
	c.mu.Unlock()
	c.events.push(e)
}

// subscribed records the granted subscriptions and returns the outcome
// for the flow's token. The caller holds c.mu.
func (c *Client) subscribed(p *pending, codes []message.SubackCode) error {
	if len(codes) != len(p.subs) {
		return fmt.Errorf("%w: SUBACK has %d return codes for %d filters", ErrProtocolViolation, len(codes), len(p.subs))
	}
	p.token.setCodes(codes)
	var refused []string
	for i, s := range p.subs {
		if _, ok := codes[i].Granted(); !ok {
			refused = append(refused, s.Filter)
			continue
		}
		c.sess.addSub(s)
		c.noteSubscriptionID(s.Filter, p.subProps)
	}
	if refused != nil {
		return &SubscribeError{Filters: refused, Codes: codes}
	}
	return nil
}

func (c *Client) handleUnsuback(u *message.Unsuback) {
	e := c.newEvent(message.UNSUBACK, u.PacketID)
	e.unsuback = *u
	e.ev.Packet = &e.unsuback
	e.ev.ReasonCodes, e.ev.Properties = u.ReasonCodes, u.Properties
	c.mu.Lock()
	if p := c.sess.pending[u.PacketID]; p != nil && p.kind == message.UNSUBSCRIBE && !p.retiring {
		for i, f := range p.filters {
			if i < len(u.ReasonCodes) && u.ReasonCodes[i].IsError() {
				continue // still subscribed
			}
			c.sess.dropSubs([]string{f})
			delete(c.v5.subIDs, f)
		}
		e.retire = p
		c.complete(p, unsubscribed(p, u.ReasonCodes), true)
	}
	c.mu.Unlock()
	c.events.push(e)
}

// dropLog aggregates the log of dropped QoS 0 messages: one line for the
// first drop, then at most one a second with the count since the last.
type dropLog struct {
	last  atomic.Int64  // unix nanoseconds of the last line
	since atomic.Uint64 // drops not logged yet
}

// dropLogEvery is the least time between two lines of a dropLog.
const dropLogEvery = time.Second

func (d *dropLog) note(c *Client, topic string) {
	d.since.Add(1)
	now := time.Now().UnixNano()
	last := d.last.Load()
	if last != 0 && now-last < int64(dropLogEvery) || !d.last.CompareAndSwap(last, now) {
		return
	}
	c.log.Warn("QoS 0 messages dropped: handlers are behind", "dropped", d.since.Swap(0), "last_topic", topic, "pending", c.opts.MaxPending)
}

// keptAlone is the payload size above which a kept message gets an
// allocation of its own rather than a place in the connection's slab,
// so that keeping one message never keeps more than keptBlock-1 others'
// payloads of at most this size reachable.
const keptAlone = 4 << 10

// keep returns a copy of m for an event: the decoder's topic and payload
// are never written again, and the copy is never reused, so a handler
// may keep *Event.Message, and everything it refers to, after it
// returned. Copies are carved from the connection's slab (one
// allocation per keptBlock messages), except those of large payloads.
// It runs on the reader, which owns the slab.
func (cn *conn) keep(m *message.Message) *message.Message {
	var k *message.Message
	if len(m.Payload) > keptAlone {
		k = new(message.Message)
	} else {
		k = cn.kept.next(keptBlock)
	}
	*k = *m
	return k
}
