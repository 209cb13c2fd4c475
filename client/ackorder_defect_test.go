package client_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/peer"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
	"github.com/onmqtt/onmqtt/router"
)

// A PUBACK leaves once its own handler returned, not when the handlers
// of later messages did.
func TestDefectAcksWaitForUnrelatedHandlers(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	c, pc := connectScripted(t, client.WithKeepAlive(0))
	_, err := c.On(message.PUBLISH, func(e *router.Event) {
		if e.Message.Topic == "slow" {
			<-release
		}
	}, nil, priority.Normal)
	require.NoError(t, err)

	a, _ := (&message.Publish{Message: message.Message{Topic: "quick", QoS: message.QoS1, PacketID: 1}}).Append(nil, message.V311)
	b, _ := (&message.Publish{Message: message.Message{Topic: "slow", QoS: message.QoS1, PacketID: 2}}).Append(nil, message.V311)
	pc.SendRaw(append(a, b...)...) // one segment

	// The second handler is released only when the test ends: a PUBACK
	// read now left while it was still running.
	p, err := pc.ReadWithin(3 * time.Second)
	require.NoError(t, err, "no PUBACK while the second handler runs")
	assert.Equal(t, message.PUBACK, p.Type())
	assert.Equal(t, uint16(1), peer.PacketID(p))
}
