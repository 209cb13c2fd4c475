package priority

// ring is a FIFO of T in a power-of-two circular buffer. It grows by
// doubling when full and never shrinks, so a queue that has reached its
// working size pushes and pops without allocating. Popped slots are
// zeroed, so the ring keeps no reference to values it has handed out.
type ring[T any] struct {
	buf  []T
	head int // index of the oldest value
	n    int // number of values
}

const minRing = 8

func (r *ring[T]) push(v T) {
	if r.n == len(r.buf) {
		r.grow()
	}
	r.buf[(r.head+r.n)&(len(r.buf)-1)] = v
	r.n++
}

// pop removes and returns the oldest value; the ring must not be empty.
func (r *ring[T]) pop() T {
	var zero T
	v := r.buf[r.head]
	r.buf[r.head] = zero
	r.head = (r.head + 1) & (len(r.buf) - 1)
	r.n--
	return v
}

func (r *ring[T]) grow() {
	size := max(minRing, 2*len(r.buf))
	buf := make([]T, size)
	// Unroll the circle into the front of the new buffer.
	k := copy(buf, r.buf[r.head:])
	copy(buf[k:], r.buf[:r.head])
	r.buf, r.head = buf, 0
}
