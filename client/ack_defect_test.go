package client_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/peer"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
)

// OnAck with a type the flow never receives is refused, and the id
// handlers of a flow never outlive it, however it ends.
func TestDefectOnAckOutlivesFlow(t *testing.T) {
	p := peer.Open(t)
	c := newClient(t, client.WithKeepAlive(0), client.WithClientID("acks"), client.WithCleanSession(false),
		client.WithAutoReconnect(0, 0))
	peerConnect(t, p, c, false)
	nop := func(*router.Event) {}

	for _, tt := range []struct {
		qos message.QoS
		t   message.Type
	}{
		{message.QoS0, message.PUBACK},
		{message.QoS1, message.PUBREC},
		{message.QoS1, message.PUBCOMP},
		{message.QoS2, message.PUBACK},
	} {
		_, err := c.Publish(testContext(t), "t", nil, tt.qos, client.OnAck(tt.t, nop))
		assert.ErrorIs(t, err, client.ErrAckType, "QoS %d with OnAck(%v)", tt.qos, tt.t)
	}
	require.Empty(t, c.Router().Routes(), "a refused publish left handlers")

	// A QoS 2 flow that the broker released and then forgot (session not
	// present) completes without PUBCOMP: its PUBCOMP handler goes.
	fired := make(chan message.Type, 2)
	rec := func(e *router.Event) { fired <- e.Type }
	tok, err := c.Publish(testContext(t), "t", nil, message.QoS2, client.OnAck(message.PUBREC, rec), client.OnAck(message.PUBCOMP, rec))
	require.NoError(t, err)
	id := p.Expect(t, message.PUBLISH).(*message.Publish).PacketID
	peerSend(t, p, &message.Pubrec{PacketID: id})
	p.Expect(t, message.PUBREL)
	assert.Equal(t, message.PUBREC, <-fired)
	peerReconnect(t, p, false)
	waitToken(t, tok)
	peerSync(t, p)
	assert.Empty(t, c.Router().Routes(), "the PUBCOMP handler outlived its flow")
	assert.Empty(t, fired)
}
