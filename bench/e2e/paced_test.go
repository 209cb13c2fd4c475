package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPacedRunDeliversEverything runs every adapter in paced mode and
// checks that everything arrives, that the publishers kept to the rate
// (the last message cannot be published before its slot) and that the
// latency percentiles are positive and ordered.
func TestPacedRunDeliversEverything(t *testing.T) {
	const window = 16
	b := startBroker(t, window)
	tests := []struct {
		name       string
		qos        byte
		pubs, subs int
	}{
		{"qos1-1pub1sub", 1, 1, 1},
		{"qos2-2pub2sub", 2, 2, 2},
	}
	const rate, perPub = 500.0, 60
	for _, a := range Adapters() {
		for _, tt := range tests {
			t.Run(a.Name()+"/"+tt.name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				n := perPub * tt.pubs
				res, err := Run(ctx, Config{
					Adapter: a, Addr: b.Addr, QoS: tt.qos, Size: 64, N: n,
					Pubs: tt.pubs, Subs: tt.subs, Window: window, Rate: rate,
					Timeout: 20 * time.Second, Run: t.Name(),
				})
				require.NoError(t, err)
				assert.True(t, res.Complete, "complete")
				assert.Equal(t, n*tt.subs, res.Delivered, "delivered (per subscriber %v)", res.PerSub)
				assert.Zero(t, res.Duplicates, "duplicates")
				// Message perPub-1 of each publisher is due (perPub-1)/rate
				// after the start, and is delivered later still.
				slot := time.Duration(float64(perPub-1) / rate * float64(time.Second))
				assert.GreaterOrEqual(t, res.Elapsed, slot, "a paced run lasts at least its schedule")
				assert.Positive(t, res.P50, "p50")
				assert.LessOrEqual(t, res.P50, res.P99, "p50 ≤ p99")
				assert.LessOrEqual(t, res.P99, res.Max, "p99 ≤ max")
				assert.Positive(t, res.CPUPerMsg, "CPU per message")
			})
		}
	}
}

// TestPacerSchedule checks the pacer's slots without a broker: a flood
// has none, and a paced publisher that is on time waits for its slot.
func TestPacerSchedule(t *testing.T) {
	base := time.Now()
	assert.Zero(t, newPacer(0, time.Second).interval, "a rate of 0 is a flood, with no schedule")
	assert.Equal(t, 500*time.Microsecond, time.Duration(newPacer(2000, 0).interval), "2000/s is a slot every 500 µs")

	p := newPacer(1000, time.Since(base)) // 1 ms a message
	began := time.Now()
	for j := range 21 {
		p.wait(base, j)
	}
	assert.GreaterOrEqual(t, time.Since(began), 20*time.Millisecond, "message 20 is due 20 ms after the start")
}
