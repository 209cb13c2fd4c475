package e2e

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSamplesRoundTrip(t *testing.T) {
	sc := Scenario{QoS: 2, Size: 64, Pubs: 4, Subs: 4, N: 4000, Window: 1000, Rate: 2000}
	in := []Sample{
		{Scenario: sc, Rep: 0, Result: Result{
			Client: "onmqtt", Published: 4000, Expected: 16000, Delivered: 16000, PerSub: []int{4000, 4000, 4000, 4000},
			Elapsed: 2 * time.Second, MsgsPerSec: 8000, P50: 300 * time.Microsecond, P99: 4 * time.Millisecond,
			Max: 9 * time.Millisecond, CPUPerMsg: 20 * time.Microsecond, AllocsPer: 0.35, Complete: true,
		}},
		{Scenario: sc, Rep: 1, Result: Result{Client: PahoName}, Err: errors.New("e2e: paho.mqtt.golang publisher 0: EOF")},
	}
	var b bytes.Buffer
	for _, s := range in {
		require.NoError(t, WriteSample(&b, s))
	}
	assert.Equal(t, 2, strings.Count(b.String(), "\n"), "one line per sample")
	out, err := ReadSamples(&b)
	require.NoError(t, err)
	require.Len(t, out, 2)
	assert.Equal(t, in[0], out[0])
	assert.Equal(t, in[1].Scenario, out[1].Scenario)
	require.Error(t, out[1].Err)
	assert.Equal(t, in[1].Err.Error(), out[1].Err.Error())
}

func TestReadSamplesRejectsGarbage(t *testing.T) {
	_, err := ReadSamples(strings.NewReader("{\"rep\":0}\nnot json\n"))
	require.ErrorIs(t, err, ErrBadSample)
	assert.Contains(t, err.Error(), "line 2")
}
