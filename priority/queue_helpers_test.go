package priority

import "context"

// The tests take one value at a time; the client only takes batches.

// pop removes and returns the next value, waiting like PopBatch.
func (q *SendQueue[T]) pop(ctx context.Context) (T, error) {
	var v T
	err := q.wait(ctx, func() { v = q.take() })
	return v, err
}

// tryPop removes and returns the next value without waiting; ok is false
// when the queue is empty.
func (q *SendQueue[T]) tryPop() (v T, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n == 0 {
		return v, false
	}
	return q.take(), true
}

// size returns the number of values in the queue.
func (q *SendQueue[T]) size() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}
