package client_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
)

func TestPeerSubscribe(t *testing.T) {
	t.Run("context ends before SUBACK", func(t *testing.T) {
		c, pc := connectPeer(t, client.WithKeepAlive(0))
		short, cancel := context.WithTimeout(testContext(t), 50*time.Millisecond)
		defer cancel()
		_, err := c.Subscribe(short, message.Subscription{Filter: "late/#", QoS: 1})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want context.DeadlineExceeded", err)
		}
		sub := pc.expect(message.SUBSCRIBE).(*message.Subscribe)
		pc.send(&message.Suback{PacketID: sub.PacketID, ReturnCodes: []message.SubackCode{1}})
		// The late grant still counts: the broker has the subscription.
		deadline := time.Now().Add(waitLimit)
		for len(c.Subscriptions()) == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if got := c.Subscriptions(); len(got) != 1 || got[0].Filter != "late/#" || got[0].QoS != 1 {
			t.Errorf("got subscriptions %v, want [late/# QoS1]", got)
		}
	})
	t.Run("SUBACK with the wrong number of codes", func(t *testing.T) {
		c, pc := connectPeer(t, client.WithKeepAlive(0))
		errc := make(chan error, 1)
		go func() {
			_, err := c.Subscribe(testContext(t), message.Subscription{Filter: "a"}, message.Subscription{Filter: "b"})
			errc <- err
		}()
		sub := pc.expect(message.SUBSCRIBE).(*message.Subscribe)
		if len(sub.Subscriptions) != 2 {
			t.Fatalf("peer got %d filters, want 2", len(sub.Subscriptions))
		}
		pc.send(&message.Suback{PacketID: sub.PacketID, ReturnCodes: []message.SubackCode{0}})
		if err := <-errc; !errors.Is(err, client.ErrProtocolViolation) {
			t.Errorf("got %v, want ErrProtocolViolation", err)
		}
	})
	t.Run("connection lost before SUBACK", func(t *testing.T) {
		c, pc := connectPeer(t, client.WithKeepAlive(0))
		errc := make(chan error, 1)
		go func() {
			_, err := c.Subscribe(testContext(t), message.Subscription{Filter: "a"})
			errc <- err
		}()
		pc.expect(message.SUBSCRIBE)
		pc.nc.Close()
		if err := <-errc; !errors.Is(err, client.ErrConnectionLost) {
			t.Errorf("got %v, want ErrConnectionLost", err)
		}
	})
}
