package client_test

import (
	"context"
	"testing"
	"time"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPeerSubscribe(t *testing.T) {
	t.Run("context ends before SUBACK", func(t *testing.T) {
		c, pc := connectScripted(t, client.WithKeepAlive(0))
		short, cancel := context.WithTimeout(testContext(t), 50*time.Millisecond)
		defer cancel()
		_, err := c.Subscribe(short, message.Subscription{Filter: "late/#", QoS: 1})
		require.ErrorIs(t, err, context.DeadlineExceeded)
		sub := pc.Expect(message.SUBSCRIBE).(*message.Subscribe)
		pc.Send(&message.Suback{PacketID: sub.PacketID, ReturnCodes: []message.SubackCode{1}})
		// The late grant still counts: the broker has the subscription.
		deadline := time.Now().Add(waitLimit)
		for len(c.Subscriptions()) == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if got := c.Subscriptions(); assert.Len(t, got, 1, "subscriptions") {
			assert.Equal(t, "late/#", got[0].Filter)
			assert.Equal(t, message.QoS1, got[0].QoS)
		}
	})
	t.Run("SUBACK with the wrong number of codes", func(t *testing.T) {
		c, pc := connectScripted(t, client.WithKeepAlive(0))
		errc := make(chan error, 1)
		go func() {
			_, err := c.Subscribe(testContext(t), message.Subscription{Filter: "a"}, message.Subscription{Filter: "b"})
			errc <- err
		}()
		sub := pc.Expect(message.SUBSCRIBE).(*message.Subscribe)
		require.Len(t, sub.Subscriptions, 2, "filters the peer got")
		pc.Send(&message.Suback{PacketID: sub.PacketID, ReturnCodes: []message.SubackCode{0}})
		assert.ErrorIs(t, <-errc, client.ErrProtocolViolation)
	})
	t.Run("connection lost before SUBACK", func(t *testing.T) {
		c, pc := connectScripted(t, client.WithKeepAlive(0))
		errc := make(chan error, 1)
		go func() {
			_, err := c.Subscribe(testContext(t), message.Subscription{Filter: "a"})
			errc <- err
		}()
		pc.Expect(message.SUBSCRIBE)
		require.NoError(t, pc.Close())
		assert.ErrorIs(t, <-errc, client.ErrConnectionLost)
	})
}
