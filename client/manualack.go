package client

import (
	"sync"

	"github.com/onmqtt/onmqtt/message"
)

// ackEntry is one acknowledgement waiting for its turn in an ackOrder,
// or, with t zero, the acknowledgement of a QoS 2 message delivered on
// its PUBLISH, which sends nothing but lets that id's PUBCOMP go.
type ackEntry struct {
	t     message.Type // PUBACK or PUBCOMP; 0 for a QoS 2 message delivered on PUBLISH
	id    uint16
	slot  slotClass // the event slot it holds until it leaves the order
	byApp bool      // done when the application calls Ack, not when the handler returns
	wait2 bool      // a PUBCOMP that also waits for its message's Ack (manual, delivered on PUBLISH)
	acked bool      // Ack was called (only the first call counts)
	done  bool      // may be sent once every entry before it was
	gone  bool      // left the order: sent, or dropped with the connection
}

// ackOrder sends one connection's acknowledgements of inbound messages
// in the order their packets arrived [MQTT-4.6.0-2] [MQTT-4.6.0-3], each
// once its handler returned or, with manual acknowledgement, once the
// application acknowledged it: a later acknowledgement waits for the
// earlier ones. Entries are added by the dispatcher in arrival order,
// before the handler runs; they are completed from any goroutine. When
// the connection ends every entry is dropped: an acknowledgement is
// never sent on another connection, where its packet identifier may
// mean another message. Each entry holds its event's queue slot until
// it leaves, so what waits here counts against MaxPending.
type ackOrder struct {
	mu       sync.Mutex
	items    []*ackEntry
	head     int
	flushing bool // one goroutine sends at a time, so sends stay in order
	closed   bool
	out      []*ackEntry // the flusher's batch
	// q2 holds, by id, QoS 2 messages delivered on PUBLISH under manual
	// acknowledgement whose PUBCOMP has not been released.
	q2 map[uint16]*q2wait
}

type q2wait struct {
	msg *ackEntry // the message's acknowledgement
	rel *ackEntry // the PUBCOMP waiting for it, once PUBREL's handler ran
}

// add appends an entry holding slot. On a closed order the entry is
// born gone and the slot freed at once.
func (o *ackOrder) add(q *eventQueue, ent *ackEntry) {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		ent.gone = true
		q.freeSlot(ent.slot)
		ent.slot = slotNone
		return
	}
	if ent.t == 0 {
		if o.q2 == nil {
			o.q2 = make(map[uint16]*q2wait)
		}
		o.q2[ent.id] = &q2wait{msg: ent}
	} else {
		if o.head > 0 && o.head == len(o.items) {
			clear(o.items)
			o.items, o.head = o.items[:0], 0
		}
		o.items = append(o.items, ent)
	}
	o.mu.Unlock()
}

// close drops every entry and frees their slots: the connection ended.
func (o *ackOrder) close(q *eventQueue) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return
	}
	o.closed = true
	n := [3]int{}
	drop := func(ent *ackEntry) {
		if ent != nil && !ent.gone {
			ent.gone = true
			n[ent.slot]++
			ent.slot = slotNone
		}
	}
	for _, ent := range o.items[o.head:] {
		drop(ent)
	}
	for _, w := range o.q2 {
		drop(w.msg)
		drop(w.rel)
	}
	o.items, o.head, o.q2 = nil, 0, nil
	q.mu.Lock()
	q.free(slotMsg, n[slotMsg])
	q.free(slotOther, n[slotOther])
	q.mu.Unlock()
}

// prepareAck sets up, in arrival order and before the handler runs, how
// e's acknowledgement will leave: it returns the entry of the ordered
// path, or nil when the dispatcher sends it right after the handler (one
// dispatcher, no manual acknowledgement). With manual acknowledgement it
// sets e.ev.Ack on every event that delivers a message.
func (c *Client) prepareAck(e *inbound) *ackEntry {
	manual := c.opts.ManualAck
	if !manual && !c.orderedAcks() {
		return nil
	}
	msg := e.ev.Message != nil
	cn := e.conn
	switch {
	case cn != nil && (e.ack == message.PUBACK || e.ack == message.PUBCOMP):
		ent := &ackEntry{t: e.ack, id: e.id, slot: e.slot}
		e.slot = slotNone
		ent.byApp = manual && msg
		// A PUBREL's PUBCOMP also waits for the message delivered on
		// its PUBLISH: for its Ack, or for its handler, which may run
		// on another worker.
		ent.wait2 = !msg && e.ack == message.PUBCOMP && !c.opts.DeliverOnPubrel
		cn.acks.add(c.events, ent)
		if ent.byApp {
			e.ev.Ack = c.ackFunc(cn, ent)
		}
		return ent
	case msg && cn != nil && e.ev.Message.QoS == message.QoS2:
		// Delivered on PUBLISH: PUBREC went out on receipt; the Ack
		// (or the handler's return) lets the PUBCOMP go once the
		// broker's PUBREL came.
		ent := &ackEntry{id: e.ev.ID, slot: e.slot, byApp: manual}
		e.slot = slotNone
		cn.acks.add(c.events, ent)
		if manual {
			e.ev.Ack = c.ackFunc(cn, ent)
		}
		return ent
	case manual && msg:
		e.ev.Ack = noAck // QoS 0: nothing to send
	}
	return nil
}

// orderedAcks reports whether acknowledgements take the ordered path
// without manual acknowledgement: when handlers run in parallel.
func (c *Client) orderedAcks() bool { return c.opts.Workers > 1 }

// noAck is the Ack of a QoS 0 message.
func noAck() {}

// handlerDone completes ent, prepared by prepareAck, once e's handler
// returned, unless the application completes it.
func (c *Client) handlerDone(cn *conn, ent *ackEntry) {
	if ent == nil || ent.byApp {
		return
	}
	if ent.t == 0 {
		c.appAck(cn, ent) // the handler's return stands for the Ack
		return
	}
	o := &cn.acks
	if ent.wait2 {
		o.mu.Lock()
		w := o.q2[ent.id]
		if w != nil && !w.msg.acked && !o.closed {
			w.rel = ent // sent when the message is acknowledged
			o.mu.Unlock()
			return
		}
		delete(o.q2, ent.id)
		o.mu.Unlock()
	}
	c.completeAck(cn, ent)
}

// ackFunc returns the Ack of an event: safe from any goroutine, any
// number of times.
func (c *Client) ackFunc(cn *conn, ent *ackEntry) func() {
	return func() { c.appAck(cn, ent) }
}

// appAck is the application's acknowledgement of ent.
func (c *Client) appAck(cn *conn, ent *ackEntry) {
	o := &cn.acks
	o.mu.Lock()
	if ent.acked {
		o.mu.Unlock()
		return
	}
	ent.acked = true
	if ent.t != 0 {
		o.mu.Unlock()
		c.completeAck(cn, ent)
		return
	}
	// A QoS 2 message delivered on PUBLISH: its slot goes now, and the
	// PUBCOMP waiting for it, if any, may leave.
	slot := ent.slot
	ent.slot = slotNone
	var rel *ackEntry
	if w := o.q2[ent.id]; w != nil && w.msg == ent && w.rel != nil {
		rel = w.rel
		delete(o.q2, ent.id)
	}
	o.mu.Unlock()
	c.events.freeSlot(slot)
	if rel != nil {
		c.completeAck(cn, rel)
	}
}

// completeAck marks ent done and sends, in order, every acknowledgement
// at the head of the order that is done.
func (c *Client) completeAck(cn *conn, ent *ackEntry) {
	o := &cn.acks
	o.mu.Lock()
	ent.done = true
	if o.flushing || ent.gone {
		o.mu.Unlock()
		return
	}
	o.flushing = true
	for {
		out := o.out[:0]
		for o.head < len(o.items) && o.items[o.head].done {
			a := o.items[o.head]
			a.gone = true
			out = append(out, a)
			o.items[o.head] = nil
			o.head++
		}
		o.out = out
		if len(out) == 0 {
			o.flushing = false
			o.mu.Unlock()
			return
		}
		o.mu.Unlock()
		n := [3]int{}
		for _, a := range out {
			switch a.t {
			case message.PUBACK:
				cn.queueAck(message.PUBACK, a.id)
			case message.PUBCOMP:
				c.pubcomp(cn, a.id, nil)
			}
			n[a.slot]++
			a.slot = slotNone
		}
		c.events.mu.Lock()
		c.events.free(slotMsg, n[slotMsg])
		c.events.free(slotOther, n[slotOther])
		c.events.mu.Unlock()
		clear(out)
		o.mu.Lock()
	}
}

// pubcomp ends an inbound QoS 2 flow: the id leaves the session and the
// store, then PUBCOMP is queued on cn (through acks when not nil). On a
// connection that has ended nothing happens: the broker sends PUBREL
// again on the next one.
func (c *Client) pubcomp(cn *conn, id uint16, acks *ackBatch) {
	c.mu.Lock()
	live := c.live(cn)
	if live {
		delete(c.incoming, id)
	}
	c.mu.Unlock()
	if live {
		// Out of the store before PUBCOMP is written: after it the
		// broker may reuse the id for a new message.
		c.storeErr(c.store.DeleteInbound(id))
		acks.add(cn, message.PUBCOMP, id)
	}
}
