package client_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
)

// Acknowledgements of the client's own publishes that nothing listens
// for are not unhandled messages: they are counted by type only.
func TestDefectUnhandledCountsOwnAcks(t *testing.T) {
	c, pc := connectScripted(t, client.WithKeepAlive(0))
	for range 5 {
		tok, err := c.Publish(testContext(t), "t", []byte("x"), message.QoS1)
		require.NoError(t, err)
		pub := pc.ExpectPublish()
		pc.Send(&message.Puback{PacketID: pub.PacketID})
		waitToken(t, tok)
	}
	// A message nobody handles is, and the PUBACK after it shows its
	// dispatch is over.
	pc.Send(&message.Publish{Message: message.Message{Topic: "nobody", QoS: message.QoS1, PacketID: 9}})
	pc.ExpectAck(message.PUBACK, 9)

	st := c.Stats()
	assert.Equal(t, uint64(1), st.Unhandled, "unhandled messages")
	assert.Equal(t, uint64(5), st.UnhandledByType[message.PUBACK], "unhandled PUBACK events")
	assert.Equal(t, uint64(1), st.UnhandledByType[message.PUBLISH], "unhandled PUBLISH events")
}
