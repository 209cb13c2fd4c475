package client

// fifo is a first-in first-out queue on a slice. The consumed front is
// given back: the slice restarts when the queue empties, and once more
// than half of it (and over fifoCompactMin entries) is consumed, what is
// left moves to the start. A queue that is never empty under steady load
// therefore stays the size of what it holds, not of all it ever held.
// It is not safe for concurrent use: its owner's lock guards it.
type fifo[T any] struct {
	items []T
	head  int
}

// fifoCompactMin is how many consumed entries a fifo lets pile up before
// it moves the rest down.
const fifoCompactMin = 1024

// push appends v.
func (f *fifo[T]) push(v T) { f.items = append(f.items, v) }

// len returns how many entries wait.
func (f *fifo[T]) len() int { return len(f.items) - f.head }

// peek returns the first entry; the fifo must not be empty.
func (f *fifo[T]) peek() T { return f.items[f.head] }

// pop removes and returns the first entry; the fifo must not be empty.
func (f *fifo[T]) pop() T {
	var zero T
	v := f.items[f.head]
	f.items[f.head] = zero
	f.head++
	switch {
	case f.head == len(f.items):
		f.items, f.head = f.items[:0], 0
	case f.head > fifoCompactMin && f.head*2 > len(f.items):
		n := copy(f.items, f.items[f.head:])
		clear(f.items[n:])
		f.items, f.head = f.items[:n], 0
	}
	return v
}

// all returns the waiting entries, first first; they stay queued.
func (f *fifo[T]) all() []T { return f.items[f.head:] }
