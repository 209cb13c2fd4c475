package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/mqtttest"
)

// TestBenchJSON runs a counted benchmark at each QoS and checks the
// accounting: every completed publish reaches every subscriber, and the
// latency percentiles are ordered.
func TestBenchJSON(t *testing.T) {
	srv := mqtttest.NewServer(t)
	for _, q := range []string{"0", "1", "2"} {
		t.Run("QoS"+q, func(t *testing.T) {
			r := ok(t, nil, at(srv, "bench", "--publishers", "2", "--subscribers", "3", "-q", q,
				"--count", "200", "--size", "100", "--json")...)
			var res benchResult
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &res), r.stdout)
			assert.Equal(t, 2, res.Publishers)
			assert.Equal(t, 3, res.Subscribers)
			assert.Equal(t, int64(400), res.Sent)
			assert.Equal(t, int64(400), res.Completed)
			assert.Equal(t, int64(1200), res.Expected)
			assert.Equal(t, res.Expected-res.Received, res.Lost)
			if q == "0" {
				// A broker may drop QoS 0 messages for a subscriber that
				// falls behind: bench counts them, it does not fail.
				assert.LessOrEqual(t, res.Received, res.Expected)
				assert.Positive(t, res.Received)
			} else {
				assert.Equal(t, int64(1200), res.Received, "deliveries")
			}
			assert.Zero(t, res.Failed)
			l := res.Latency
			assert.Positive(t, l.P50)
			assert.True(t, l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.Max, "percentiles out of order: %+v", l)
			assert.Positive(t, res.RecvPerSecond)
			assert.Empty(t, r.stderr, "no progress line when stderr is not a terminal")
		})
	}
}

// TestBenchRateAndDuration paces one publisher at 50 messages per second
// for a second: at most 51 messages (one at the start, one every 20 ms),
// not the thousands a flood would send; fewer when the machine is too
// busy to keep the pace.
func TestBenchRateAndDuration(t *testing.T) {
	srv := mqtttest.NewServer(t)
	start := time.Now()
	r := ok(t, nil, at(srv, "bench", "--rate", "50", "--duration", "1s", "--json", "-q", "1")...)
	elapsed := time.Since(start)
	var res benchResult
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res), r.stdout)
	assert.LessOrEqual(t, res.Completed, int64(51), "messages at 50/s for 1 s")
	assert.Positive(t, res.Completed, "messages at 50/s for 1 s")
	assert.Equal(t, res.Completed, res.Received)
	assert.GreaterOrEqual(t, elapsed, time.Second, "the run lasts the duration")
}

// TestBenchTable checks the human-readable report's rows.
func TestBenchTable(t *testing.T) {
	srv := mqtttest.NewServer(t)
	r := ok(t, nil, at(srv, "bench", "--count", "100", "-q", "1")...)
	out := r.stdout
	assert.Contains(t, out, "1 publisher(s), 1 subscriber(s), QoS 1, 64-byte payloads, as fast as possible")
	assert.Regexp(t, regexp.MustCompile(`(?m)^\s+sent\s+100\s`), out)
	assert.Regexp(t, regexp.MustCompile(`(?m)^\s+received\s+100\s`), out)
	assert.Contains(t, out, "expected 100, lost 0, failed publishes 0")
	assert.Regexp(t, regexp.MustCompile(`(?m)^\s*latency\s+p50\s+p90\s+p99\s+max$`), strings.TrimRight(out, "\n"))
	t.Logf("onmqtt bench --count 100 -q 1:\n%s", out)
}

// TestBenchProgress checks that the progress line is drawn when stderr is
// a terminal, and cleared at the end. The terminal is simulated: the
// test calls the subcommand in-process with stderrTerminal set.
func TestBenchProgress(t *testing.T) {
	srv := mqtttest.NewServer(t)
	var stdout, stderr strings.Builder
	e := &env{stdout: &stdout, stderr: &stderr, stderrTerminal: true}
	code := run(t.Context(), at(srv, "bench", "--rate", "100", "--duration", "2500ms"), e)
	require.Equal(t, exitOK, code, stderr.String())
	assert.Regexp(t, `\r\x1b\[K\s+\d+\.\ds  sent \d+ \(\d+/s\)  received \d+ \(\d+/s\)`, stderr.String())
	assert.True(t, strings.HasSuffix(stderr.String(), "\r\x1b[K"), "the line is cleared at the end: %q", stderr.String())
	assert.Contains(t, stdout.String(), "latency")
}

// TestBenchClientIDs gives -i: every client gets its own identifier
// derived from it, so that none takes another over.
func TestBenchClientIDs(t *testing.T) {
	srv := mqtttest.NewServer(t)
	r := ok(t, nil, at(srv, "bench", "-i", "load", "--publishers", "2", "--subscribers", "2", "--count", "50", "-q", "1", "--json")...)
	var res benchResult
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res), r.stdout)
	assert.Equal(t, int64(200), res.Received, "2 publishers × 50 messages × 2 subscribers")
}

func TestPercentiles(t *testing.T) {
	ds := make([]time.Duration, 0, 100)
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Microsecond)
	}
	assert.Equal(t, latencyStats{P50: 50, P90: 90, P99: 99, Max: 100}, percentiles(ds))
	assert.Equal(t, latencyStats{P50: 7, P90: 7, P99: 7, Max: 7}, percentiles([]time.Duration{7 * time.Microsecond}))
	assert.Equal(t, latencyStats{}, percentiles(nil))
}

// TestLatencySample checks that the sample stays bounded and the maximum
// exact past maxSamples latencies.
func TestLatencySample(t *testing.T) {
	var s benchSub
	for i := range maxSamples + 1000 {
		s.record(time.Duration(i))
	}
	s.record(time.Hour)
	assert.Len(t, s.latencies, maxSamples)
	assert.Equal(t, time.Hour, s.max)
	assert.Equal(t, maxSamples+1001, s.seen)
}
