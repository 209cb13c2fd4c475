package client

import (
	"context"
	"sync"
)

// quota is the send quota: how many QoS 1 and 2 publishes may await
// acknowledgement at once (MaxInflight, or an MQTT 5.0 CONNACK's Receive
// Maximum). Its limit may change while flows hold slots: slots above a
// lowered limit are given back as their flows end instead of being
// handed on. It has its own lock, taken after c.mu when both are held,
// so that Publish can wait for a slot without c.mu.
type quota struct {
	mu      sync.Mutex
	max     int
	used    int
	waiting int
	wake    chan struct{} // holds a token when a slot may have freed
}

func newQuota(n int) *quota { return &quota{max: n, wake: make(chan struct{}, 1)} }

// tryTake takes a slot if one is free.
func (q *quota) tryTake() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.used >= q.max {
		return false
	}
	q.used++
	return true
}

// take takes a slot, waiting for one until ctx ends (its error) or done
// is closed ([ErrClosed]).
func (q *quota) take(ctx context.Context, done <-chan struct{}) error {
	q.mu.Lock()
	for q.used >= q.max {
		q.waiting++
		q.mu.Unlock()
		var err error
		select {
		case <-q.wake:
		case <-ctx.Done():
			err = ctx.Err()
		case <-done:
			err = ErrClosed
		}
		q.mu.Lock()
		q.waiting--
		if err != nil {
			q.mu.Unlock()
			return err
		}
	}
	q.used++
	// Pass the turn on: more slots may be free for other waiters.
	more := q.used < q.max && q.waiting > 0
	q.mu.Unlock()
	if more {
		q.signal()
	}
	return nil
}

// give frees a slot.
func (q *quota) give() {
	q.mu.Lock()
	q.used--
	more := q.used < q.max && q.waiting > 0
	q.mu.Unlock()
	if more {
		q.signal()
	}
}

// over reports whether more slots are used than the limit allows: an
// ending flow then gives its slot back rather than handing it on.
func (q *quota) over() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.used > q.max
}

// set changes the limit to n (at least 1) and reports whether it grew.
func (q *quota) set(n int) bool {
	n = max(n, 1)
	q.mu.Lock()
	grew := n > q.max
	q.max = n
	more := q.used < q.max && q.waiting > 0
	q.mu.Unlock()
	if more {
		q.signal()
	}
	return grew
}

// inUse returns the slots taken.
func (q *quota) inUse() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.used
}

func (q *quota) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}
