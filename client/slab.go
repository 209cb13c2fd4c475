package client

// slab hands out values of T carved from blocks of n, allocated on
// demand: one allocation per n values instead of one per value. A value
// handed out is never handed out again, so whoever holds one may keep
// it; but while it is reachable its whole block is, with whatever the
// other values of the block refer to. The caller serialises calls; the
// zero value is ready.
type slab[T any] struct{ free []T }

// next returns a zero T from the current block, starting a block of n
// when it is used up.
func (s *slab[T]) next(n int) *T {
	if len(s.free) == 0 {
		s.free = make([]T, n)
	}
	v := &s.free[0]
	s.free = s.free[1:]
	return v
}

// Block sizes of the client's slabs. Each is small enough that a value
// kept long after its use keeps little else reachable: a QoS 0 token
// nothing but its block (a few KiB); a publish flow the messages of 15
// other publishes, which their tokens never refer to (only an
// acknowledgement event's Sent does); a kept message 15 others received
// next to it, at most 64 KiB of payload (see keep).
const (
	tokenBlock = 32
	flowBlock  = 16
	keptBlock  = 16
)
