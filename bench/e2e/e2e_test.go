package e2e

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"
	"time"
)

// startBroker starts mosquitto for a test, or skips it when mosquitto is
// missing and ONMQTT_REQUIRE_MOSQUITTO is not 1.
func startBroker(t *testing.T, window int) *Broker {
	t.Helper()
	if _, err := FindMosquitto(); errors.Is(err, ErrNoMosquitto) {
		if os.Getenv("ONMQTT_REQUIRE_MOSQUITTO") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	b, err := StartMosquitto(context.Background(), window)
	if err != nil {
		t.Fatal(err)
	}
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
				if err != nil {
					t.Fatal(err)
				}
				if !res.Complete || res.Delivered != 300*tt.subs {
					t.Errorf("delivered %d (per subscriber %v), want %d", res.Delivered, res.PerSub, 300*tt.subs)
				}
				if res.Duplicates != 0 {
					t.Errorf("got %d duplicates, want 0", res.Duplicates)
				}
				if res.MsgsPerSec <= 0 || res.P50 <= 0 || res.P99 < res.P50 || res.Max < res.P99 {
					t.Errorf("got rate %v, p50 %v, p99 %v, max %v: want a positive rate and max ≥ p99 ≥ p50 > 0", res.MsgsPerSec, res.P50, res.P99, res.Max)
				}
				if res.CPUPerMsg <= 0 {
					t.Errorf("got CPU per message %v, want it positive", res.CPUPerMsg)
				}
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
		if got := Rotate(in, tt.k); !slices.Equal(got, tt.want) {
			t.Errorf("Rotate(%v, %d) = %v, want %v", in, tt.k, got, tt.want)
		}
	}
}
