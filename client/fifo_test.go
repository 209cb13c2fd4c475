package client

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFifoOrder checks first-in first-out order across restarts and
// compactions.
func TestFifoOrder(t *testing.T) {
	var f fifo[int]
	next, want := 0, 0
	for round := range 50 {
		for range 100 + round {
			f.push(next)
			next++
		}
		for range 60 {
			require.Equal(t, want, f.pop())
			want++
		}
	}
	assert.Equal(t, next-want, f.len())
	assert.Equal(t, want, f.peek())
	assert.Len(t, f.all(), f.len())
	for f.len() > 0 {
		require.Equal(t, want, f.pop())
		want++
	}
	assert.Equal(t, next, want)
}

// TestFifoNeverEmptyStaysSmall pins unbounded growth: a queue that holds a
// few entries under steady load but is never empty (a busy key's run of
// events, an acknowledgement order with one message still unacknowledged)
// kept every entry it ever held in its slice.
func TestFifoNeverEmptyStaysSmall(t *testing.T) {
	var f fifo[*int]
	f.push(new(int))
	for range 1_000_000 {
		f.push(new(int))
		f.pop()
	}
	assert.Equal(t, 1, f.len())
	assert.Less(t, cap(f.items), 4*fifoCompactMin, "the slice keeps what was consumed")
}
