package client_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
)

// While not connected, MaxOffline publishes are held, not MaxInflight;
// once connected they leave in order, never more than MaxInflight
// unacknowledged at once.
func TestDefectOfflineCappedByInflight(t *testing.T) {
	const inflight, offline = 20, 150
	p := listenPeer(t)
	c := newClient(t, client.WithKeepAlive(0), client.WithMaxInflight(inflight), client.WithMaxOffline(offline))

	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	var toks []*client.Token
	for i := range offline {
		tok, err := c.Publish(ctx, "off", []byte{byte(i)}, message.QoS1)
		require.NoError(t, err, "publish %d while offline", i)
		toks = append(toks, tok)
	}
	_, err := c.Publish(ctx, "off", nil, message.QoS1)
	require.ErrorIs(t, err, client.ErrQueueFull)

	peerConnect(t, p, c, false)
	outstanding := 0
	for i := range offline {
		pub := p.Expect(t, message.PUBLISH).(*message.Publish)
		assert.Equal(t, byte(i), pub.Payload[0], "publish %d out of order", i)
		outstanding++
		if outstanding == inflight || i == offline-1 {
			// The window is full: nothing more may come until an ack.
			if i < offline-1 {
				p.SetTimeout(100 * time.Millisecond)
				_, err := p.ReadPacket()
				require.Error(t, err, "more than %d publishes unacknowledged", inflight)
				p.SetTimeout(5 * time.Second)
			}
			for outstanding > 0 {
				peerSend(t, p, &message.Puback{PacketID: pub.PacketID - uint16(outstanding-1)})
				outstanding--
			}
		}
	}
	for _, tok := range toks {
		waitToken(t, tok)
	}
}
