package client

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/onmqtt/onmqtt/message"
)

// DropPolicy says what happens to a QoS 0 message that arrives while
// MaxPending messages are waiting for their handlers (see
// [WithQoS0Policy]). QoS 1 and 2 messages are never dropped: the client
// stops reading the socket until there is room.
type DropPolicy int

const (
	// DropNewest drops the message that arrives; the waiting ones stay.
	// The default.
	DropNewest DropPolicy = iota
	// DropOldest drops the oldest QoS 0 message still waiting, and the
	// new one when no QoS 0 message is waiting.
	DropOldest
	// DropNever treats QoS 0 like QoS 1 and 2: the client stops reading
	// the socket until there is room, and the broker applies its own
	// policy to what it cannot send.
	DropNever
)

// String returns the policy's name.
func (p DropPolicy) String() string {
	switch p {
	case DropNewest:
		return "DropNewest"
	case DropOldest:
		return "DropOldest"
	case DropNever:
		return "DropNever"
	}
	return "DropPolicy(" + strconv.Itoa(int(p)) + ")"
}

// slotClass is what an event counts against in the eventQueue.
type slotClass uint8

const (
	slotNone  slotClass = iota // not queued (or pushed past the bound by the supervisor)
	slotMsg                    // a message, or a PUBLISH packet with its payload
	slotOther                  // a small event without payload
)

// eventQueue is the FIFO between the socket reader and the dispatcher,
// and the bound on inbound memory.
//
// Two counts are bounded by max. msgs counts messages: events carrying
// one or a PUBLISH packet (a duplicate's, a held message's), from the
// reader until their handler returned (and, with manual
// acknowledgement, until acknowledged), and QoS 2 messages held for
// their PUBREL. other counts the small events, which carry no payload
// (acknowledgements, PINGRESP, SUBACK...). The reader pushes without
// waiting, one packet's events at a time, and before it reads the next
// packet waits until both counts are at most max (see
// [eventQueue.room]): each count exceeds max by at most the one packet
// just read. A QoS 0 message that finds max messages
// waiting is dropped by the drop policy instead, unless the policy is
// DropNever.
//
// While a handler waits for an acknowledgement or a window slot (see
// [eventQueue.waitStart]), the bound is doubled: the reader must go on to
// read what the handler waits for.
type eventQueue struct {
	mu      sync.Mutex
	items   []*inbound
	head    int
	scan    int // no unskipped QoS 0 message before this index (DropOldest)
	qos0    int // queued QoS 0 messages not dropped
	max     int
	policy  DropPolicy
	waiters int           // handlers waiting for an acknowledgement
	wake    chan struct{} // closed and replaced when a count falls or waiters rises, if asked
	signal  chan struct{} // holds a token while items are waiting
	pool    sync.Pool
	// The counts and woken are atomic, so that the reader's check and
	// the release after each handler take no lock unless the reader
	// waits: a count is lowered before woken is read, and woken set
	// (under mu) before the reader checks the counts again.
	msgs  atomic.Int64
	other atomic.Int64
	woken atomic.Bool // someone waits on wake
}

func newEventQueue(max int, policy DropPolicy) *eventQueue {
	q := &eventQueue{max: max, policy: policy, signal: make(chan struct{}, 1), wake: make(chan struct{})}
	q.pool.New = func() any { return new(inbound) }
	return q
}

func (q *eventQueue) get() *inbound { return q.pool.Get().(*inbound) }

func (q *eventQueue) put(e *inbound) {
	*e = inbound{}
	q.pool.Put(e)
}

// push appends e and reports false when a QoS 0 message was dropped by
// the drop policy to make room: e, or with DropOldest the oldest queued
// one. It never waits; see [eventQueue.room].
func (q *eventQueue) push(e *inbound) bool {
	kept := true
	q.mu.Lock()
	if e.qos0 && q.msgs.Load() >= int64(q.max) {
		switch {
		case q.policy == DropNever:
		case q.policy == DropOldest && q.dropOldest():
			kept = false
		default:
			q.mu.Unlock()
			q.put(e)
			return false
		}
	}
	q.add(e)
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
	return kept
}

// pushControl appends e without counting it: the supervisor's CONNACK
// event, one per connection, which must not wait for the reader's bound.
func (q *eventQueue) pushControl(e *inbound) {
	q.mu.Lock()
	if q.head > 0 && q.head == len(q.items) {
		q.items, q.head, q.scan = q.items[:0], 0, 0
	}
	q.items = append(q.items, e)
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// add appends e and takes its slot. The caller holds q.mu.
func (q *eventQueue) add(e *inbound) {
	if e.ev.Message != nil || e.ev.Type == message.PUBLISH {
		// Every PUBLISH event keeps its payload (in e.Packet), also a
		// duplicate's or a held message's, which deliver nothing.
		e.slot = slotMsg
		q.msgs.Add(1)
	} else {
		e.slot = slotOther
		q.other.Add(1)
	}
	if e.qos0 {
		q.qos0++
	}
	if q.head > 0 && q.head == len(q.items) {
		q.items, q.head, q.scan = q.items[:0], 0, 0
	}
	q.items = append(q.items, e)
}

// dropOldest marks the oldest queued QoS 0 message dropped and frees its
// slot; false when none is queued. The caller holds q.mu.
func (q *eventQueue) dropOldest() bool {
	if q.qos0 == 0 {
		return false
	}
	for i := max(q.head, q.scan); i < len(q.items); i++ {
		e := q.items[i]
		if e.qos0 && !e.skip {
			e.skip = true
			q.qos0--
			q.msgs.Add(-1) // the reader's own room: nobody to wake
			e.slot = slotNone
			q.scan = i + 1
			return true
		}
	}
	return false
}

// pop removes the oldest event, or returns nil. A QoS 0 message dropped
// while queued is recycled here. The event keeps its slot until
// [eventQueue.done].
func (q *eventQueue) pop() *inbound {
	q.mu.Lock()
	defer q.mu.Unlock()
	var e *inbound
	for {
		if q.head == len(q.items) {
			return nil
		}
		e = q.items[q.head]
		q.items[q.head] = nil
		q.head++
		if !e.skip {
			break
		}
		*e = inbound{}
		q.pool.Put(e)
	}
	if e.qos0 {
		q.qos0--
	}
	if q.head < len(q.items) {
		select {
		case q.signal <- struct{}{}:
		default:
		}
	}
	if q.head > 1024 && q.head*2 > len(q.items) {
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.scan = max(0, q.scan-q.head)
		q.items, q.head = q.items[:n], 0
	}
	return e
}

// done frees e's slot: its handler returned (and it was acknowledged).
func (q *eventQueue) done(e *inbound) {
	q.freeSlot(e.slot)
	e.slot = slotNone
}

// free returns n slots of class k and wakes the reader if it waits.
func (q *eventQueue) free(k slotClass, n int) {
	switch k {
	case slotMsg:
		q.msgs.Add(-int64(n))
	case slotOther:
		q.other.Add(-int64(n))
	default:
		return
	}
	if q.woken.Load() {
		q.mu.Lock()
		q.wakeUp()
		q.mu.Unlock()
	}
}

// wakeUp wakes whoever waits on wake. The caller holds q.mu.
func (q *eventQueue) wakeUp() {
	if q.woken.Load() {
		close(q.wake)
		q.wake = make(chan struct{})
		q.woken.Store(false)
	}
}

// hold counts n QoS 2 messages held for their PUBREL; release gives
// their slots back when they are delivered or discarded.
func (q *eventQueue) hold(n int) { q.msgs.Add(int64(n)) }

func (q *eventQueue) release(n int) {
	if n > 0 {
		q.free(slotMsg, n)
	}
}

// freeSlot frees one slot of class k (nothing for slotNone).
func (q *eventQueue) freeSlot(k slotClass) { q.free(k, 1) }

// freeSlots frees n[k] slots of each class k.
func (q *eventQueue) freeSlots(n [3]int) {
	if n[slotMsg] > 0 {
		q.free(slotMsg, n[slotMsg])
	}
	if n[slotOther] > 0 {
		q.free(slotOther, n[slotOther])
	}
}

// room reports whether the reader may read the next packet: both counts
// at most the bound (doubled while a handler waits for an
// acknowledgement, when handlers is set). When not, it returns a channel
// closed at the next change worth checking again.
func (q *eventQueue) room(handlers bool) (bool, <-chan struct{}) {
	limit := int64(q.max)
	if q.msgs.Load() <= limit && q.other.Load() <= limit {
		return true, nil
	}
	q.mu.Lock()
	q.woken.Store(true)
	wake := q.wake
	if handlers && q.waiters > 0 {
		limit *= 2
	}
	q.mu.Unlock()
	// Checked again after woken is set: a slot freed before it was is
	// seen here, one freed after wakes the channel.
	if q.msgs.Load() <= limit && q.other.Load() <= limit {
		return true, nil
	}
	return false, wake
}

// waitStart and waitEnd bracket a wait that needs the reader to go on
// (a token's completion, a window slot): while one is under way the
// bound is doubled, so that a handler waiting for an acknowledgement
// while the queue is full does not wait forever.
func (q *eventQueue) waitStart() {
	q.mu.Lock()
	q.waiters++
	q.wakeUp()
	q.mu.Unlock()
}

func (q *eventQueue) waitEnd() {
	q.mu.Lock()
	q.waiters--
	q.mu.Unlock()
}

// messages returns the count of messages against the bound.
func (q *eventQueue) messages() int { return int(q.msgs.Load()) }

func (q *eventQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) - q.head
}

// awaitRoom waits until the event queue lets the reader read the next
// packet, and reports false when the connection ended first. While it
// waits the socket is not read: TCP applies backpressure to the broker,
// and the pinger does not count the wait against the keepalive.
func (cn *conn) awaitRoom() bool {
	q := cn.c.events
	for {
		ok, wake := q.room(cn.c.callbacks.Load() > 0)
		if ok {
			if cn.stalled.Swap(false) {
				// Time an unanswered PINGREQ from now: its PINGRESP
				// may be waiting in the socket.
				if s := cn.pingSent.Load(); s != 0 {
					cn.pingSent.CompareAndSwap(s, time.Now().UnixNano())
				}
			}
			return true
		}
		cn.stalled.Store(true)
		cn.clock.release() // nothing waits for the handlers
		select {
		case <-wake:
		case <-cn.ctx.Done():
			cn.stalled.Store(false)
			return false
		}
	}
}

// holding returns the inbound QoS 2 messages held for their PUBREL
// (with DeliverOnPubrel): kept, and no delivery queued. The caller
// holds c.mu or owns the session alone.
func (s *session) holding() int {
	n := 0
	for _, f := range s.in {
		if f.msg != nil && !f.queued {
			n++
		}
	}
	return n
}

// awaitWindow takes a slot of the in-flight window, waiting for one
// within ctx; the reader goes on meanwhile (see [eventQueue.waitStart]).
func (c *Client) awaitWindow(ctx context.Context) error {
	if c.sess.quota.tryTake() {
		return nil
	}
	c.events.waitStart()
	defer c.events.waitEnd()
	return c.sess.quota.take(ctx, c.ctx.Done())
}
