// Package brokertest starts the brokers of package broker for one test
// and stops them when the test ends.
//
// These helpers live in a package of their own because package broker
// already uses the names Embedded and Mosquitto for its types.
//
// # Example
//
//	func TestSomething(t *testing.T) {
//		b := brokertest.Embedded(t, broker.EmbeddedOptions{WebSocket: true})
//		m := brokertest.Mosquitto(t, broker.MosquittoOptions{}) // skips without mosquitto
//		... dial b.Addr(), b.WSAddr(), m.Addr() ...
//	}
package brokertest

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/internal/broker"
	"github.com/onmqtt/onmqtt/internal/certs"
)

// Embedded starts an in-process broker and closes it when the test ends.
// It fails the test when the broker cannot start.
func Embedded(t testing.TB, opts broker.EmbeddedOptions) *broker.Embedded {
	t.Helper()
	e, err := broker.StartEmbedded(opts)
	require.NoError(t, err, "start embedded broker")
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("close embedded broker: %v", err)
		}
	})
	return e
}

// Mosquitto starts a mosquitto broker and stops it when the test ends,
// logging mosquitto's log if the test failed. Without a mosquitto binary
// the test is skipped, or fails when the environment variable
// ONMQTT_REQUIRE_MOSQUITTO is 1.
func Mosquitto(t testing.TB, opts broker.MosquittoOptions) *broker.Mosquitto {
	t.Helper()
	m, err := broker.StartMosquitto(opts)
	if errors.Is(err, broker.ErrNoMosquitto) || errors.Is(err, broker.ErrNoDynsec) {
		if broker.MosquittoRequired() {
			require.Failf(t, err.Error(), "%s=1", broker.RequireMosquittoEnv)
		}
		t.Skip(err)
	}
	require.NoError(t, err, "start mosquitto")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("mosquitto log:\n%s", m.Log())
		}
		if err := m.Close(); err != nil {
			t.Errorf("stop mosquitto: %v", err)
		}
	})
	return m
}

// Certs generates a certificate set for the test, failing it on error.
func Certs(t testing.TB) *certs.Set {
	t.Helper()
	set, err := certs.New()
	require.NoError(t, err, "generate certificates")
	return set
}

// NATS starts a NATS server or cluster with MQTT enabled on every node
// and stops it when the test ends, logging each node's log if the test
// failed. Without a nats-server binary the test is skipped, or fails
// when the environment variable ONMQTT_REQUIRE_MOSQUITTO is 1 (CI
// installs both broker binaries).
func NATS(t testing.TB, opts broker.NATSOptions) *broker.NATS {
	t.Helper()
	n, err := broker.StartNATS(opts)
	if errors.Is(err, broker.ErrNoNATS) {
		if broker.MosquittoRequired() {
			require.Failf(t, err.Error(), "%s=1", broker.RequireMosquittoEnv)
		}
		t.Skip(err)
	}
	require.NoError(t, err, "start nats")
	t.Cleanup(func() {
		if t.Failed() {
			for i := 0; i < n.Nodes(); i++ {
				t.Logf("nats node %d log:\n%s", i, n.NodeLog(i))
			}
		}
		if err := n.Close(); err != nil {
			t.Errorf("stop nats: %v", err)
		}
	})
	return n
}
