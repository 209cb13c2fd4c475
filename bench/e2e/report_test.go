package e2e

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRatios(t *testing.T) {
	res := func(client string, rate float64, cpu time.Duration, allocs float64, p50 time.Duration) Result {
		return Result{Client: client, MsgsPerSec: rate, CPUPerMsg: cpu, AllocsPer: allocs, P50: p50}
	}
	same := map[string]Result{
		CeilingName:   res(CeilingName, 1000, 2*time.Microsecond, 0, 100*time.Microsecond),
		PahoName:      res(PahoName, 500, 10*time.Microsecond, 40, 400*time.Microsecond),
		"paho.golang": res("paho.golang", 800, 8*time.Microsecond, 50, 200*time.Microsecond),
		"onmqtt":      res("onmqtt", 900, 4*time.Microsecond, 2, 300*time.Microsecond),
	}
	nan := math.NaN()
	tests := []struct {
		name                  string
		same                  map[string]Result
		client                string
		m                     Metric
		ceiling, best, vsPaho float64
	}{
		// The best other for msgs/s is the highest: paho.golang's 800.
		{"rate, best is the fastest other", same, "onmqtt", MsgsPerSec, 0.9, 900.0 / 800, 1.8},
		// For CPU the best other is the lowest: paho.golang's 8 µs.
		{"CPU, best is the cheapest other", same, "onmqtt", CPUPerMsg, 2, 0.5, 0.4},
		{"latency, best is the quickest other", same, "onmqtt", LatencyP50, 3, 1.5, 0.75},
		// The ceiling has no allocations: that ratio is unknown, the
		// others are not.
		{"allocs against a zero ceiling", same, "onmqtt", AllocsPerMsg, nan, 2.0 / 40, 2.0 / 40},
		// The fastest other of paho.golang is onmqtt, not paho.golang
		// itself and not the ceiling.
		{"best other excludes the client itself", same, "paho.golang", MsgsPerSec, 0.8, 800.0 / 900, 1.6},
		{"the ceiling against the libraries", same, CeilingName, MsgsPerSec, 1, 1000.0 / 900, 2},
		{"paho against itself", same, PahoName, CPUPerMsg, 5, 10.0 / 4, 1},
		{"client missing", same, "nobody", MsgsPerSec, nan, nan, nan},
		// The same library at another version is no other library.
		{"own library at 5.0 is no best other", map[string]Result{
			CeilingName: same[CeilingName], "onmqtt": same["onmqtt"], "paho.golang": same["paho.golang"],
			"onmqtt-5.0": res("onmqtt-5.0", 950, 4*time.Microsecond, 2, 300*time.Microsecond),
		}, "onmqtt", MsgsPerSec, 0.9, 900.0 / 800, nan},
		{"alone with the ceiling", map[string]Result{
			CeilingName: same[CeilingName], "onmqtt": same["onmqtt"],
		}, "onmqtt", MsgsPerSec, 0.9, nan, nan},
		// A client whose measure is zero (it delivered nothing) is no
		// reference for the others.
		{"a zero measure is no best", map[string]Result{
			"onmqtt": same["onmqtt"], PahoName: {Client: PahoName}, "paho.golang": same["paho.golang"],
		}, "onmqtt", LatencyP50, nan, 1.5, nan},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, b, p := Ratios(tt.same, tt.client, tt.m)
			assertRatio(t, tt.ceiling, c, "÷ ceiling")
			assertRatio(t, tt.best, b, "÷ best other")
			assertRatio(t, tt.vsPaho, p, "÷ paho.mqtt.golang")
		})
	}
}

func assertRatio(t *testing.T, want, got float64, what string) {
	t.Helper()
	if math.IsNaN(want) {
		assert.True(t, math.IsNaN(got), "%s: got %v, want unknown", what, got)
		return
	}
	assert.InDelta(t, want, got, 1e-9, what)
}

func TestSummarizeRatios(t *testing.T) {
	sc := Scenario{QoS: 1, Size: 64, Pubs: 1, Subs: 1, N: 10, Window: 64}
	res := func(client string, rate float64, cpu time.Duration) Result {
		return Result{Client: client, MsgsPerSec: rate, CPUPerMsg: cpu, Complete: true, Expected: 10, Delivered: 10}
	}
	var samples []Sample
	// In repetition 2 onmqtt is relatively slower: the median ratio is
	// taken over the per-repetition ratios, not of the median rates.
	for rep, f := range []float64{1, 2, 3} {
		on := 900 * f
		if rep == 2 {
			on = 600 * f
		}
		samples = append(samples,
			Sample{Scenario: sc, Rep: rep, Result: res(CeilingName, 1000*f, time.Microsecond)},
			Sample{Scenario: sc, Rep: rep, Result: res(PahoName, 500*f, 10*time.Microsecond)},
			Sample{Scenario: sc, Rep: rep, Result: res("onmqtt", on, 2*time.Microsecond)},
		)
	}
	// A failed run of another scenario is counted there only.
	other := sc
	other.Window = 1000
	samples = append(samples, Sample{Scenario: other, Rep: 0, Result: Result{Client: "onmqtt"}, Err: assert.AnError})

	rows := Summarize(samples, []Scenario{sc, other}, []string{"onmqtt", PahoName, CeilingName})
	require.Len(t, rows, 4)
	r := rows[0]
	assert.Equal(t, "onmqtt", r.Client)
	assert.Equal(t, 3, r.Reps)
	assert.InDelta(t, 1800, r.Get(MsgsPerSec).Median, 1e-9) // of 900, 1800, 1800
	assert.InDelta(t, 0.9, r.Get(MsgsPerSec).VsCeiling, 1e-9)
	assert.InDelta(t, 1.8, r.Get(MsgsPerSec).VsBest, 1e-9) // the best other is paho
	assert.InDelta(t, 0.2, r.Get(CPUPerMsg).VsBest, 1e-9)
	assert.InDelta(t, 2, r.Get(CPUPerMsg).VsCeiling, 1e-9)
	assert.True(t, math.IsNaN(r.Get(LatencyP50).VsBest), "no latencies, no latency ratio")

	assert.Equal(t, CeilingName, rows[2].Client)
	assert.InDelta(t, 1, rows[2].Get(MsgsPerSec).VsCeiling, 1e-9)
	assert.InDelta(t, 1000.0/900, rows[2].Get(MsgsPerSec).VsBest, 1e-9) // median of 1000/900, 1000/900, 1000/600 → middle

	f := rows[3]
	assert.Equal(t, other, f.Scenario)
	assert.Equal(t, 1, f.Failed)
	assert.Equal(t, "FAILED", completeness(f))
}

func TestWriteTableSplitsFloodAndPaced(t *testing.T) {
	flood := Scenario{QoS: 2, Size: 64, Pubs: 1, Subs: 1, N: 10, Window: 1000}
	paced := flood
	paced.Rate = 2000
	ok := func(client string, p50 time.Duration) Result {
		return Result{Client: client, MsgsPerSec: 1000, CPUPerMsg: 3 * time.Microsecond, P50: p50, P99: 2 * p50, Max: 3 * p50, IOCalls: 1.25, Switches: 0.5, Complete: true, Expected: 10, Delivered: 10}
	}
	samples := []Sample{
		{Scenario: flood, Result: ok("onmqtt", time.Millisecond)},
		{Scenario: paced, Result: ok("onmqtt", 700*time.Microsecond)},
		{Scenario: paced, Result: ok(PahoName, 350*time.Microsecond)},
	}
	var b bytes.Buffer
	WriteTable(&b, Summarize(samples, []Scenario{flood, paced}, []string{"onmqtt", PahoName}))
	out := b.String()
	assert.Contains(t, out, "Flood:")
	assert.Contains(t, out, "Paced:")
	assert.Contains(t, out, "| 1000 | 2 | 64 B | 1/1 | onmqtt | 2000 | 1.0k | 700µs | 1.40ms | 2.10ms | 2.00 | 2.00 | 2.00 | 2.00 | 3.00 |")
	assert.Contains(t, out, "| 1000 | 2 | 64 B | 1/1 | onmqtt | 1.0k | – | – | 3.00 | – | – | 0.00 | – | 1.25 | 0.50 | yes |")
}

func TestRatioFormat(t *testing.T) {
	tests := []struct {
		v    float64
		want string
	}{
		{math.NaN(), "–"},
		{math.Inf(1), "–"},
		{0, "0.00"},
		{0.0044, "0.0044"},
		{0.09, "0.09"},
		{0.1, "0.10"},
		{1.234, "1.23"},
		{451.81, "451.81"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, ratio(tt.v), "ratio(%v)", tt.v)
	}
}
