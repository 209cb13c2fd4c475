package client

import (
	"sync"
	"sync/atomic"

	"github.com/onmqtt/onmqtt/message"
)

// ackEntry is what follows one message's handler on the ordered path:
// a QoS 1 message's PUBACK, waiting for its turn in the connection's
// ackOrder, or, with flow set, the step of a QoS 2 flow that its manual
// acknowledgement takes (not in the order: see prepareAck).
type ackEntry struct {
	id    uint16
	slot  slotClass   // the event slot it holds until it leaves
	byApp bool        // done when the application calls Ack, not when the handler returns
	acked atomic.Bool // Ack was called (only the first call counts)
	// QoS 2 under manual acknowledgement: the flow whose message the
	// event delivered, and whether it came with a PUBREL.
	flow   flowRef
	pubrel bool
	// Under ackOrder.mu:
	done bool // may be sent once every entry before it was
	gone bool // left the order: sent, or dropped with the connection
}

// ackOrder sends one connection's PUBACKs in the order the PUBLISHes
// arrived [MQTT-4.6.0-2], each once its handler returned or, with manual
// acknowledgement, once the application acknowledged it: a later PUBACK
// waits for the earlier ones. Entries are added by the dispatching
// goroutine in arrival order, before the handler runs, and completed
// from any goroutine. When the connection ends every entry is dropped:
// a PUBACK is never sent on another connection, where its packet
// identifier may mean another message (the broker sends the message
// again instead). Each entry holds its event's queue slot until it
// leaves, so what waits here counts against MaxPending.
//
// PUBREC leaves on receipt, in arrival order, from the reader; PUBCOMP,
// for which MQTT sets no order, leaves when the session's flow allows it
// (see [Client.flowDone]).
type ackOrder struct {
	mu       sync.Mutex
	entries  fifo[*ackEntry]
	flushing bool // one goroutine sends at a time, so sends stay in order
	closed   bool
	out      []*ackEntry // the flusher's batch
}

// add appends ent. On a closed order the entry is born gone and its
// slot freed at once.
func (o *ackOrder) add(q *eventQueue, ent *ackEntry) {
	o.mu.Lock()
	if o.closed {
		ent.gone = true
		slot := ent.slot
		ent.slot = slotNone
		o.mu.Unlock()
		q.freeSlot(slot)
		return
	}
	o.entries.push(ent)
	o.mu.Unlock()
}

// close drops every entry and frees their slots: the connection ended.
func (o *ackOrder) close(q *eventQueue) {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return
	}
	o.closed = true
	var n [3]int
	for _, ent := range o.entries.all() {
		if !ent.gone {
			ent.gone = true
			n[ent.slot]++
			ent.slot = slotNone
		}
	}
	o.entries = fifo[*ackEntry]{}
	o.mu.Unlock()
	q.freeSlots(n)
}

// prepareAck sets up, in arrival order and before the handler runs, how
// e's acknowledgement will leave. It returns nil when the dispatcher
// sends it right after the handler (one dispatch goroutine, no manual
// acknowledgement). With manual acknowledgement it sets e.ev.Ack on
// every event that delivers a message.
func (c *Client) prepareAck(e *inbound) *ackEntry {
	manual := c.opts.ManualAck
	if !manual && !c.orderedAcks() {
		return nil
	}
	switch {
	case e.ack == message.PUBACK && e.conn != nil:
		ent := &ackEntry{id: e.id, slot: e.slot, byApp: manual}
		e.slot = slotNone
		e.conn.acks.add(c.events, ent)
		if manual {
			e.ev.Ack = c.ackFunc(e.conn, ent)
		}
		return ent
	case manual && e.deliver:
		// QoS 2: PUBREC went out on receipt. The Ack ends the delivery
		// of the session's flow, which then lets the PUBCOMP go once
		// the broker's PUBREL came; until then the message stays in
		// the store and holds its slot. The flow outlives connections,
		// so its Ack counts on any.
		ent := &ackEntry{id: e.ev.ID, slot: e.slot, byApp: true, flow: e.flow, pubrel: e.ack == message.PUBCOMP}
		e.slot = slotNone
		e.ev.Ack = c.ackFunc(e.conn, ent)
		return ent
	case manual && e.ev.Message != nil:
		e.ev.Ack = noAck // QoS 0: nothing to send
	}
	return nil
}

// orderedAcks reports whether PUBACKs take the ordered path without
// manual acknowledgement: when handlers run in parallel.
func (c *Client) orderedAcks() bool { return c.opts.Workers > 1 }

// noAck is the Ack of a QoS 0 message.
func noAck() {}

// handlerDone completes ent, prepared by prepareAck, once its handler
// returned, unless the application completes it.
func (c *Client) handlerDone(cn *conn, ent *ackEntry) {
	if ent == nil || ent.byApp {
		return
	}
	c.completeAck(cn, ent)
}

// ackFunc returns the Ack of an event: safe from any goroutine, any
// number of times.
func (c *Client) ackFunc(cn *conn, ent *ackEntry) func() {
	return func() { c.appAck(cn, ent) }
}

// appAck is the application's acknowledgement of ent (or the client's,
// for a message no handler took).
func (c *Client) appAck(cn *conn, ent *ackEntry) {
	if ent.acked.Swap(true) {
		return
	}
	if ent.flow.gen == 0 {
		c.completeAck(cn, ent)
		return
	}
	c.flowDone(ent.flow, true, ent.pubrel, cn, ent.id, nil)
	c.events.freeSlot(ent.slot)
}

// completeAck marks ent done and sends, in order, every PUBACK at the
// head of the order that is done.
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
		for o.entries.len() > 0 && o.entries.peek().done {
			a := o.entries.pop()
			a.gone = true
			out = append(out, a)
		}
		o.out = out
		if len(out) == 0 {
			o.flushing = false
			o.mu.Unlock()
			return
		}
		o.mu.Unlock()
		var n [3]int
		for _, a := range out {
			cn.queueAck(message.PUBACK, a.id)
			n[a.slot]++
			a.slot = slotNone
		}
		c.events.freeSlots(n)
		clear(out)
		o.mu.Lock()
	}
}
