package client_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
	"github.com/onmqtt/onmqtt/router"
)

// TestUnheardAcksFinishedByReader checks the acknowledgements of our
// publishes that nothing listens to, which the reader finishes itself:
// each is still counted as unhandled by type in the client's and the
// router's statistics, its flow leaves the session (ids are reused past
// 65 535 publishes only if they are freed), and a handler registered
// later hears the next ones.
func TestUnheardAcksFinishedByReader(t *testing.T) {
	forEachBroker(t, brokerSpec{}, func(t *testing.T, b testBroker) {
		c := newClient(t)
		connect(t, c, b.Addr)
		const n = 200
		publish := func(qos message.QoS) {
			toks := make([]*client.Token, 0, n)
			for range n {
				tok, err := c.Publish(testContext(t), "unheard/t", []byte("x"), qos)
				require.NoError(t, err)
				toks = append(toks, tok)
			}
			for _, tok := range toks {
				waitToken(t, tok)
				require.NoError(t, tok.Err())
			}
		}
		publish(message.QoS1)
		publish(message.QoS2)
		st := c.Stats()
		assert.EqualValues(t, n, st.UnhandledByType[message.PUBACK])
		assert.EqualValues(t, n, st.UnhandledByType[message.PUBREC])
		assert.EqualValues(t, n, st.UnhandledByType[message.PUBCOMP])
		assert.Zero(t, st.Unhandled, "acknowledgements are not unhandled messages")
		rs := c.Router().Stats()
		assert.EqualValues(t, n, rs.UnhandledByType[message.PUBACK])
		assert.EqualValues(t, n, rs.UnhandledByType[message.PUBCOMP])
		require.Eventually(t, func() bool { return c.Stats().Inflight == 0 }, waitLimit, 10*time.Millisecond, "flows left in the session")

		var heard atomic.Int32
		_, err := c.Observe(message.PUBACK, func(e *router.Event) {
			if e.Sent != nil && e.Sent.Topic == "unheard/t" {
				heard.Add(1)
			}
		})
		require.NoError(t, err)
		publish(message.QoS1)
		require.Eventually(t, func() bool { return heard.Load() == n }, waitLimit, 10*time.Millisecond, "PUBACK events seen: %d", heard.Load())
		// An observer does not handle an event: Dispatch counts these too.
		assert.EqualValues(t, 2*n, c.Stats().UnhandledByType[message.PUBACK])
	})
}

// TestUnheardPubrelWaitsForHandler checks, with exact packets, the
// PUBREL that nothing listens to, which the reader handles itself: the
// PUBCOMP of a message whose handler is still running waits until it
// returned, one whose handler returned goes at once, and each PUBREL
// counts as unhandled.
func TestUnheardPubrelWaitsForHandler(t *testing.T) {
	release := make(chan struct{})
	var got atomic.Int32
	c, pc := connectScripted(t)
	_, err := c.On(message.PUBLISH, func(e *router.Event) {
		if got.Add(1) == 1 {
			<-release
		}
	}, nil, priority.Normal)
	require.NoError(t, err)

	pc.Send(&message.Publish{Message: message.Message{Topic: "a", Payload: []byte("1"), QoS: message.QoS2, PacketID: 1}})
	pc.ExpectAck(message.PUBREC, 1)
	pc.Send(&message.Pubrel{PacketID: 1})
	require.Eventually(t, func() bool { return c.Stats().UnhandledByType[message.PUBREL] == 1 }, waitLimit, 10*time.Millisecond)
	pc.ExpectSilence(200 * time.Millisecond) // the handler is still running
	close(release)
	pc.ExpectAck(message.PUBCOMP, 1)

	pc.Send(&message.Publish{Message: message.Message{Topic: "a", Payload: []byte("2"), QoS: message.QoS2, PacketID: 2}})
	pc.ExpectAck(message.PUBREC, 2)
	require.Eventually(t, func() bool { return got.Load() == 2 }, waitLimit, 10*time.Millisecond)
	pc.Send(&message.Pubrel{PacketID: 2})
	pc.ExpectAck(message.PUBCOMP, 2)
	assert.EqualValues(t, 2, c.Stats().UnhandledByType[message.PUBREL])
	assert.EqualValues(t, 2, got.Load())
}
