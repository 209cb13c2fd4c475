package client

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
)

// Start runs dispatch on a goroutine of the client's (with
// [WithWorkers], that goroutine hands events to the workers) and
// returns. Without [WithManualLoop], Connect calls it. Calling it again
// does nothing.
func (c *Client) Start() {
	if !c.loop.CompareAndSwap(0, 1) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.bgWG.Add(1)
	if c.opts.Workers > 1 {
		c.startWorkers()
		return
	}
	go func() {
		defer c.bgWG.Done()
		var acks ackBatch
		defer acks.stop()
		for {
			if c.ctx.Err() != nil {
				return // closed: what is still queued is not dispatched
			}
			if e := c.events.pop(); e != nil {
				c.dispatchHeld(e, &acks)
				continue
			}
			acks.kick()
			select {
			case <-c.events.signal:
			case <-c.ctx.Done():
				return
			}
		}
	}()
}

// Run blocks until ctx ends, the client is closed, or the connection is
// lost with no reconnect under way, and returns why. With
// [WithManualLoop] and no other loop running, Run dispatches events on the
// calling goroutine meanwhile; otherwise it only waits.
func (c *Client) Run(ctx context.Context) error {
	if c.isClosed() {
		return ErrClosed
	}
	own := c.loop.CompareAndSwap(0, 1)
	if own {
		defer c.loop.Store(0)
	}
	for {
		if own && c.ctx.Err() != nil {
			return ErrClosed // what is still queued is not dispatched
		}
		if own {
			if e := c.events.pop(); e != nil {
				c.dispatch(e)
				continue
			}
		}
		changed, err := c.stopped()
		if err != nil {
			return err
		}
		select {
		case <-c.events.signal:
			if !own {
				// Not ours to take: put the token back for the owner.
				select {
				case c.events.signal <- struct{}{}:
				default:
				}
				select {
				case <-changed:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// WaitMsg dispatches the next event, waiting for one: the blocking step
// for applications that own their loop (umqtt's wait_msg). It returns
// ctx's error when ctx ends first, and the connection's error when the
// connection is gone, no reconnect is under way and no event is left.
func (c *Client) WaitMsg(ctx context.Context) error {
	if c.isClosed() {
		return ErrClosed
	}
	if !c.loop.CompareAndSwap(0, 1) {
		return ErrLoopRunning
	}
	defer c.loop.Store(0)
	for {
		if c.ctx.Err() != nil {
			return ErrClosed // what is still queued is not dispatched
		}
		if e := c.events.pop(); e != nil {
			c.dispatch(e)
			return nil
		}
		changed, err := c.stopped()
		if err != nil {
			return err
		}
		select {
		case <-c.events.signal:
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// CheckMsg dispatches one event if one is waiting and reports whether it
// did: the non-blocking step (umqtt's check_msg). It returns the
// connection's error when the connection is gone, no reconnect is under
// way and no event is left.
func (c *Client) CheckMsg() (bool, error) {
	if c.isClosed() {
		return false, ErrClosed
	}
	if !c.loop.CompareAndSwap(0, 1) {
		return false, ErrLoopRunning
	}
	defer c.loop.Store(0)
	if c.ctx.Err() != nil {
		return false, ErrClosed // what is still queued is not dispatched
	}
	if e := c.events.pop(); e != nil {
		c.dispatch(e)
		return true, nil
	}
	_, err := c.stopped()
	return false, err
}

// stopped returns the error that ends a loop, or the channel that closes
// on the next state change.
func (c *Client) stopped() (<-chan struct{}, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return nil, ErrClosed
	case c.state == Disconnected:
		if c.lastErr != nil {
			return nil, lostError(c.lastErr)
		}
		return nil, ErrNotConnected
	}
	return c.changed, nil
}

// maxHeldAcks bounds how many acknowledgements the dispatcher queues
// before it wakes the writer even though more events are waiting.
const maxHeldAcks = 16

// ackHold is the longest the dispatcher holds an acknowledgement whose
// handler returned before it wakes the writer: long enough to batch the
// acknowledgements of a run of quick handlers, short enough that a slow
// handler after them does not hold them back.
const ackHold = 500 * time.Microsecond

// ackBatch is the acknowledgements the dispatcher queued on cn without
// waking its writer: it wakes it once the event queue is empty, after
// maxHeldAcks of them, before queueing on another connection, or ackHold
// after the first, so the writer sends them in one write instead of
// waking for each, and none waits for an unrelated handler.
type ackBatch struct {
	cn    *conn
	n     int
	timer *time.Timer
	due   atomic.Pointer[conn] // what the timer wakes; nil once kicked
}

// add queues an acknowledgement on cn; on a nil batch it wakes the
// writer at once.
func (b *ackBatch) add(cn *conn, t message.Type, id uint16) {
	if b == nil {
		cn.queueAck(t, id)
		return
	}
	if b.cn != cn {
		b.kick()
	}
	_ = cn.sendq.PushQuiet(priority.Control, 0, outItem{t: t, id: id})
	b.cn = cn
	if b.n++; b.n >= maxHeldAcks {
		b.kick()
		return
	}
	if b.n == 1 {
		b.due.Store(cn)
		if b.timer == nil {
			b.timer = time.AfterFunc(ackHold, func() {
				if cn := b.due.Swap(nil); cn != nil {
					cn.sendq.Kick()
				}
			})
		} else {
			b.timer.Reset(ackHold)
		}
	}
}

// kick wakes the writer for the acknowledgements held.
func (b *ackBatch) kick() {
	if b.cn != nil {
		b.due.Store(nil)
		b.cn.sendq.Kick()
		b.cn, b.n = nil, 0
	}
}

// stop ends the batch's timer when the dispatch loop ends.
func (b *ackBatch) stop() {
	if b.timer != nil {
		b.timer.Stop()
	}
}

// dispatch runs the router for one event, then sends what must follow
// it: PUBACK after a QoS 1 PUBLISH, PUBCOMP after PUBREL.
func (c *Client) dispatch(e *inbound) { c.dispatchHeld(e, nil) }

// dispatchHeld is dispatch that, when acks is not nil, adds the
// acknowledgement to acks instead of waking the writer for it.
func (c *Client) dispatchHeld(e *inbound, acks *ackBatch) {
	ent := c.prepareAck(e)
	handled := c.runHandler(e)
	c.finishEvent(e, ent, handled, acks)
}

// runHandler runs the router for e and reports whether a handler took it.
func (c *Client) runHandler(e *inbound) bool {
	c.callbacks.Add(1)
	handled := c.router.Dispatch(&e.ev)
	if !handled {
		c.noteUnhandled(e)
	}
	c.callbacks.Add(-1)
	return handled
}

// noteUnhandled counts e as an event no handler took.
func (c *Client) noteUnhandled(e *inbound) {
	c.stats.unhandled[e.ev.Type&15].Add(1)
	if e.ev.Message != nil {
		c.stats.unhandledMessages.Add(1)
	}
}

// finishEvent does what follows e's handler: its acknowledgement (in
// order through ent when set, else at once), the retirement of the flow
// it completed, and the release of its queue slot. A message no handler
// took is acknowledged even with manual acknowledgement: nobody holds
// its Ack.
func (c *Client) finishEvent(e *inbound, ent *ackEntry, handled bool, acks *ackBatch) {
	switch {
	case ent != nil && ent.byApp && !handled:
		c.appAck(e.conn, ent)
	case ent != nil:
		c.handlerDone(e.conn, ent)
	case e.ack == message.PUBACK:
		acks.add(e.conn, message.PUBACK, e.id)
	}
	if (e.flow.gen != 0 || e.ack == message.PUBCOMP) && (ent == nil || ent.flow.gen == 0) {
		// A QoS 2 flow's step; one delivering its message under manual
		// acknowledgement waits for the Ack (see appAck).
		c.inboundDone(e, acks)
	}
	if e.retire != nil {
		c.retire(e.retire)
	}
	c.events.done(e)
	c.events.put(e)
}
