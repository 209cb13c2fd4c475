package client

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBackoffSchedule checks the reconnect schedule without a clock:
// each wait lies between half the delay and the delay and never below
// min, the delay doubles up to max, and reset starts again from min.
func TestBackoffSchedule(t *testing.T) {
	const lo, hi = 100 * time.Millisecond, 1600 * time.Millisecond
	for range 200 {
		b := backoff{min: lo, max: hi}
		want := []time.Duration{lo, 2 * lo, 4 * lo, 8 * lo, hi, hi, hi}
		for i, d := range want {
			got := b.next()
			assert.GreaterOrEqual(t, got, max(d/2, lo), "wait %d", i)
			require.LessOrEqual(t, got, d, "wait %d", i)
		}
		b.reset()
		assert.LessOrEqual(t, b.next(), lo, "after reset")
	}
	// The waits are spread, not one fixed value: over many draws at the
	// cap both halves of [max/2, max] occur.
	b := backoff{min: lo, max: hi, delay: hi}
	var low, high int
	for range 1000 {
		if b.next() < hi*3/4 {
			low++
		} else {
			high++
		}
	}
	assert.Positive(t, low, "no wait in the lower half of the jitter range")
	assert.Positive(t, high, "no wait in the upper half of the jitter range")
}
