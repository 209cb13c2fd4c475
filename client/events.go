package client

import (
	"sync"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
)

// inbound is one event waiting for dispatch, with what must happen after
// its handler ran.
type inbound struct {
	ev router.Event
	// Storage for ev.Packet and ev.Message: the reader reuses its packet
	// values, so each event keeps a copy of its own.
	pub      message.Publish
	puback   message.Puback
	pubrec   message.Pubrec
	pubrel   message.Pubrel
	pubcomp  message.Pubcomp
	suback   message.Suback
	unsuback message.Unsuback
	pingresp message.Pingresp
	connack  message.Connack
	// retire is the completed flow whose id is freed after dispatch.
	retire *pending
	// ack, when non-zero, is sent on conn once the handler returned:
	// PUBACK for a QoS 1 PUBLISH, PUBCOMP for a PUBREL.
	ack  message.Type
	id   uint16
	conn *conn
	qos0 bool
	// flow is the inbound QoS 2 flow of a PUBLISH or PUBREL event;
	// deliver is set when the event delivers its message.
	flow    flowRef
	deliver bool
}

// eventQueue is the FIFO between the socket reader and the dispatcher.
// Push never blocks: QoS 1 and 2 messages are bounded by the broker's
// in-flight window (the client acknowledges only after dispatch), acks by
// the client's own window, and QoS 0 messages by max, beyond which they
// are dropped.
type eventQueue struct {
	mu     sync.Mutex
	items  []*inbound
	head   int
	qos0   int
	max    int
	signal chan struct{} // holds a token while items are waiting
	pool   sync.Pool
}

func newEventQueue(max int) *eventQueue {
	q := &eventQueue{max: max, signal: make(chan struct{}, 1)}
	q.pool.New = func() any { return new(inbound) }
	return q
}

func (q *eventQueue) get() *inbound { return q.pool.Get().(*inbound) }

func (q *eventQueue) put(e *inbound) {
	*e = inbound{}
	q.pool.Put(e)
}

// push appends e and reports false when a QoS 0 message was dropped.
func (q *eventQueue) push(e *inbound) bool {
	q.mu.Lock()
	if e.qos0 {
		if q.qos0 >= q.max {
			q.mu.Unlock()
			q.put(e)
			return false
		}
		q.qos0++
	}
	if q.head > 0 && q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	}
	q.items = append(q.items, e)
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
	return true
}

// pop removes the oldest event, or returns nil.
func (q *eventQueue) pop() *inbound {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.head == len(q.items) {
		return nil
	}
	e := q.items[q.head]
	q.items[q.head] = nil
	q.head++
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
		q.items, q.head = q.items[:n], 0
	}
	return e
}

func (q *eventQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) - q.head
}
