package e2e

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startBroker starts mosquitto for a test, or skips it when mosquitto is
// missing and ONMQTT_REQUIRE_MOSQUITTO is not 1.
func startBroker(t *testing.T, window int) *Broker {
	t.Helper()
	if _, err := FindMosquitto(); errors.Is(err, ErrNoMosquitto) {
		if os.Getenv("ONMQTT_REQUIRE_MOSQUITTO") == "1" {
			require.NoError(t, err, "ONMQTT_REQUIRE_MOSQUITTO=1")
		}
		t.Skip(err)
	}
	b, err := StartMosquitto(context.Background(), window)
	require.NoError(t, err)
	t.Cleanup(b.Stop)
	return b
}

// TestAdaptersDeliverEverything runs the driver for every adapter at QoS
// 1 with a few hundred messages and checks that every subscriber got
// every message once.
func TestAdaptersDeliverEverything(t *testing.T) {
	const window = 16
	b := startBroker(t, window)
	tests := []struct {
		name       string
		pubs, subs int
	}{
		{"1pub1sub", 1, 1},
		{"2pub2sub", 2, 2},
	}
	for _, a := range Adapters() {
		for _, tt := range tests {
			t.Run(a.Name()+"/"+tt.name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				res, err := Run(ctx, Config{
					Adapter: a, Addr: b.Addr, QoS: 1, Size: 64, N: 300,
					Pubs: tt.pubs, Subs: tt.subs, Window: window,
					Timeout: 20 * time.Second, Run: t.Name(),
				})
				require.NoError(t, err)
				assert.Truef(t, res.Complete, "run not complete: delivered %d (per subscriber %v), want %d", res.Delivered, res.PerSub, 300*tt.subs)
				assert.Equalf(t, 300*tt.subs, res.Delivered, "delivered (per subscriber %v)", res.PerSub)
				assert.Zero(t, res.Duplicates, "duplicates")
				latencies := []any{res.MsgsPerSec, res.P50, res.P99, res.Max}
				assert.Positivef(t, res.MsgsPerSec, "rate (rate, p50, p99, max: %v)", latencies)
				assert.Positivef(t, res.P50, "p50 (rate, p50, p99, max: %v)", latencies)
				assert.GreaterOrEqualf(t, res.P99, res.P50, "p99 ≥ p50 (rate, p50, p99, max: %v)", latencies)
				assert.GreaterOrEqualf(t, res.Max, res.P99, "max ≥ p99 (rate, p50, p99, max: %v)", latencies)
				assert.Positive(t, res.CPUPerMsg, "CPU per message")
			})
		}
	}
}

func TestRotate(t *testing.T) {
	in := []string{"a", "b", "c"}
	tests := []struct {
		k    int
		want []string
	}{
		{0, []string{"a", "b", "c"}},
		{1, []string{"b", "c", "a"}},
		{2, []string{"c", "a", "b"}},
		{4, []string{"b", "c", "a"}},
	}
	for _, tt := range tests {
		assert.Equalf(t, tt.want, Rotate(in, tt.k), "Rotate(%v, %d)", in, tt.k)
	}
}
