package priority

import (
	"context"
	"errors"
	"strconv"
	"sync"
)

// ErrClosed is returned by [SendQueue.Push] after [SendQueue.Close], and
// by the popping methods once the queue is closed and empty.
var ErrClosed = errors.New("onmqtt: send queue closed")

// Class says where an outbound packet goes in a [SendQueue].
type Class uint8

// Classes of outbound packets.
const (
	// Control packets — acknowledgements, PUBREL, PINGREQ, SUBSCRIBE,
	// UNSUBSCRIBE, DISCONNECT — leave in the order they were pushed, all
	// before any publish. Their level is ignored: MQTT wants
	// acknowledgements sent in the order the packets were received.
	Control Class = iota
	// Publish packets leave after every control packet, highest level
	// first, in the order they were pushed within a level, so re-sends
	// of one level keep their original order.
	Publish
)

// String returns "Control", "Publish" or "Class(n)".
func (c Class) String() string {
	switch c {
	case Control:
		return "Control"
	case Publish:
		return "Publish"
	}
	return "Class(" + strconv.Itoa(int(c)) + ")"
}

// SendQueue is the outbound queue of a connection: any number of
// goroutines push packets, and a writer goroutine pops them in sending
// order (see [Class]). It is unbounded; the client bounds what it pushes
// with its in-flight window.
//
// Push never blocks (it takes a short internal lock and never waits for a
// consumer). PopBatch blocks until something is ready, the context is
// done or the queue is closed; TryPopBatch never blocks.
// PopBatch lets a writer take everything ready and write it with one
// system call.
//
// Storage is one ring buffer for control packets and one per publish
// level, each growing by doubling and never shrinking; a level's ring is
// created the first time the level is pushed and kept afterwards. Once the
// rings have reached the working size, Push and PopBatch allocate nothing.
//
// A SendQueue must be created with [NewSendQueue].
type SendQueue[T any] struct {
	mu      sync.Mutex
	control ring[T]
	levels  []*levelRing[T] // highest level first
	n       int             // values in all rings
	waiting int             // consumers blocked in PopBatch
	closed  bool
	ready   chan struct{} // holds a token when a waiter should look again
	done    chan struct{} // closed by Close
}

type levelRing[T any] struct {
	level Level
	ring[T]
}

// NewSendQueue returns an empty, open queue.
func NewSendQueue[T any]() *SendQueue[T] {
	return &SendQueue[T]{
		ready: make(chan struct{}, 1),
		done:  make(chan struct{}),
	}
}

// Push appends v to the queue with class c and level l (l matters only
// for [Publish]; a class other than Control counts as Publish). It never
// waits for a consumer. After Close it drops v and returns [ErrClosed].
func (q *SendQueue[T]) Push(c Class, l Level, v T) error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	if c == Control {
		q.control.push(v)
	} else {
		q.level(l).push(v)
	}
	q.n++
	wake := q.waiting > 0
	q.mu.Unlock()
	if wake {
		q.signal()
	}
	return nil
}

// PushQuiet is [SendQueue.Push] without waking a waiting consumer: a
// producer pushing several values in a row calls [SendQueue.Kick] after
// the last, so the consumer takes them in one batch. Until someone
// calls Kick, Push or Close, a consumer blocked in PopBatch does
// not see v.
func (q *SendQueue[T]) PushQuiet(c Class, l Level, v T) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return ErrClosed
	}
	if c == Control {
		q.control.push(v)
	} else {
		q.level(l).push(v)
	}
	q.n++
	return nil
}

// Kick wakes a consumer waiting in PopBatch when values are
// ready, such as those pushed with [SendQueue.PushQuiet].
func (q *SendQueue[T]) Kick() {
	q.mu.Lock()
	wake := q.n > 0 && q.waiting > 0
	q.mu.Unlock()
	if wake {
		q.signal()
	}
}

// level returns the ring of level l, creating it in order if needed.
// q.mu must be held.
func (q *SendQueue[T]) level(l Level) *levelRing[T] {
	i := 0
	for i < len(q.levels) && q.levels[i].level > l {
		i++
	}
	if i < len(q.levels) && q.levels[i].level == l {
		return q.levels[i]
	}
	lr := &levelRing[T]{level: l}
	q.levels = append(q.levels, nil)
	copy(q.levels[i+1:], q.levels[i:])
	q.levels[i] = lr
	return lr
}

// take removes the next value in sending order; q.n must be > 0 and q.mu
// held.
func (q *SendQueue[T]) take() T {
	q.n--
	if q.control.n > 0 {
		return q.control.pop()
	}
	for _, lr := range q.levels {
		if lr.n > 0 {
			return lr.pop()
		}
	}
	panic("priority: SendQueue count out of step with its rings")
}

// signal leaves a wake-up token for a waiting consumer, unless one is
// already there.
func (q *SendQueue[T]) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// TryPopBatch appends to dst, in sending order, up to max values that are
// ready (all of them when max <= 0) and returns the extended slice. It
// never waits.
func (q *SendQueue[T]) TryPopBatch(dst []T, max int) []T {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.takeBatch(dst, max)
}

func (q *SendQueue[T]) takeBatch(dst []T, max int) []T {
	k := q.n
	if max > 0 && max < k {
		k = max
	}
	for range k {
		dst = append(dst, q.take())
	}
	return dst
}

// PopBatch waits until at least one value is ready, then appends to dst
// up to max ready values (all of them when max <= 0) in sending order
// and returns the extended slice. It returns ctx.Err() when ctx is done
// first, and [ErrClosed] when the queue is closed and empty: values
// pushed before Close are still handed out. A writer that reuses dst from one
// call to the next allocates nothing.
func (q *SendQueue[T]) PopBatch(ctx context.Context, dst []T, max int) ([]T, error) {
	err := q.wait(ctx, func() { dst = q.takeBatch(dst, max) })
	return dst, err
}

// wait runs take with q.mu held as soon as the queue is not empty.
func (q *SendQueue[T]) wait(ctx context.Context, take func()) error {
	q.mu.Lock()
	for q.n == 0 {
		if q.closed {
			q.mu.Unlock()
			return ErrClosed
		}
		q.waiting++
		q.mu.Unlock()
		var err error
		select {
		case <-q.ready:
		case <-q.done:
		case <-ctx.Done():
			err = ctx.Err()
		}
		q.mu.Lock()
		q.waiting--
		if err != nil {
			q.mu.Unlock()
			return err
		}
	}
	take()
	// Pass the turn on: another consumer may be waiting for what is left.
	more := q.n > 0 && q.waiting > 0
	q.mu.Unlock()
	if more {
		q.signal()
	}
	return nil
}

// Close closes the queue: later pushes fail with [ErrClosed], and every
// consumer blocked in PopBatch wakes up. Values already in the
// queue can still be popped (or collected with TryPopBatch); once they
// are gone, the popping methods return ErrClosed. Close is idempotent.
func (q *SendQueue[T]) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closed {
		q.closed = true
		close(q.done)
	}
}
