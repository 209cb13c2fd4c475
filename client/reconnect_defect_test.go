package client_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/broker"
	"github.com/onmqtt/onmqtt/internal/broker/brokertest"
)

// Two clients with the same identifier take the session from each other
// on every connect: the broker drops the older one each time. Each
// reconnect waits for the backoff, which does not restart after a
// connection that lasted only a moment, so the count of connections is
// bounded by the schedule (50, 100, 200, 400, 400 ... ms) instead of
// thousands.
func TestDefectReconnectStorm(t *testing.T) {
	m := brokertest.Mosquitto(t, broker.MosquittoOptions{})
	const run = 3 * time.Second
	opts := []client.Option{
		client.WithClientID("same-id"),
		client.WithAutoReconnect(50*time.Millisecond, 400*time.Millisecond),
	}
	a := newClient(t, opts...)
	b := newClient(t, opts...)
	connect(t, a, m.Addr())
	connect(t, b, m.Addr())
	time.Sleep(run)
	na, nb := a.Stats().Connects, b.Stats().Connects
	require.NoError(t, a.Close())
	require.NoError(t, b.Close())
	t.Logf("connections in %v: %d and %d", run, na, nb)
	// At least ReconnectMin (jittered down to half the delay, never
	// below ReconnectMin) before each attempt: 50 + 50 + 100 + 200 × n ms
	// fit at most 17 attempts in 3 s.
	assert.LessOrEqual(t, na, uint64(20))
	assert.LessOrEqual(t, nb, uint64(20))
	assert.GreaterOrEqual(t, na+nb, uint64(4), "the clients stopped taking the session from each other")
}
