package client_test

import (
	"context"
	"testing"
	"time"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/peer"
	"github.com/onmqtt/onmqtt/message"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// While not connected, MaxOffline publishes are held, not MaxInflight;
// once connected they leave in order, never more than MaxInflight
// unacknowledged at once.
func TestDefectOfflineCappedByInflight(t *testing.T) {
	const inflight, offline = 20, 150
	p := peer.Open(t)
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

// TestReconnectOfflinePublishes publishes while the connection is down:
// QoS 1 and 2 publishes are held up to the in-flight window, one beyond
// waits on its context, QoS 0 fails with ErrNotConnected, and after the
// reconnect everything pending goes out in the original order: first
// the publishes written before the cut (DUP set), then the held ones.
func TestReconnectOfflinePublishes(t *testing.T) {
	p := peer.Open(t)
	c := newClient(t, client.WithKeepAlive(0), client.WithCleanSession(false), client.WithMaxInflight(4),
		client.WithAutoReconnect(5*time.Millisecond, 20*time.Millisecond))
	peerConnect(t, p, c, false)
	ctx := testContext(t)
	var toks []*client.Token
	publish := func(payload string, q message.QoS) {
		t.Helper()
		tok, err := c.Publish(shortContext(t, time.Second), "offline", []byte(payload), q)
		require.NoError(t, err, "publish %s", payload)
		toks = append(toks, tok)
	}
	publish("0", message.QoS1)
	publish("1", message.QoS2)
	for range 2 {
		p.Expect(t, message.PUBLISH)
	}

	// Cut, and hold the next connection before CONNACK.
	p.CloseConn()
	require.NoError(t, p.Accept())
	p.Expect(t, message.CONNECT)
	require.False(t, c.IsConnected(), "connected before CONNACK")
	publish("2", message.QoS1)
	publish("3", message.QoS2)
	// Offline, MaxOffline bounds the held publishes, not the window: this
	// one is held too, and leaves when a slot frees.
	tok4, err := c.Publish(shortContext(t, 100*time.Millisecond), "offline", []byte("4"), message.QoS1)
	require.NoError(t, err, "publish beyond the window while offline: want it held")
	tok0, err := c.Publish(ctx, "offline", []byte("q0"), message.QoS0)
	assert.ErrorIs(t, err, client.ErrNotConnected, "QoS 0 publish while offline")
	assert.Nil(t, tok0, "QoS 0 publish while offline: want no token")

	peerSend(t, p, &message.Connack{SessionPresent: true})
	for i, want := range []struct {
		payload string
		dup     bool
	}{{"0", true}, {"1", true}, {"2", false}, {"3", false}} {
		got := p.Expect(t, message.PUBLISH).(*message.Publish)
		assert.Equal(t, want.payload, string(got.Payload), "PUBLISH %d after reconnect: payload", i)
		assert.Equal(t, want.dup, got.Dup, "PUBLISH %d after reconnect: DUP", i)
		assert.Equal(t, toks[i].ID(), got.PacketID, "PUBLISH %d after reconnect: packet id", i)
	}
	// The window is full; the first PUBACK frees the slot "4" takes.
	p.SetTimeout(100 * time.Millisecond)
	_, err = p.ReadPacket()
	assert.Error(t, err, "a fifth publish left with a window of 4")
	p.SetTimeout(5 * time.Second)
	peerSend(t, p, &message.Puback{PacketID: toks[0].ID()})
	got4 := p.Expect(t, message.PUBLISH).(*message.Publish)
	assert.Equal(t, "4", string(got4.Payload), "after a slot freed: PUBLISH payload")
	assert.Equal(t, tok4.ID(), got4.PacketID, "after a slot freed: PUBLISH packet id")
	peerSend(t, p, &message.Puback{PacketID: tok4.ID()})
	waitToken(t, tok4)
	for i, tok := range toks {
		if i == 0 {
			continue
		}
		if i%2 == 0 {
			peerSend(t, p, &message.Puback{PacketID: tok.ID()})
			continue
		}
		peerSend(t, p, &message.Pubrec{PacketID: tok.ID()})
		p.Expect(t, message.PUBREL)
		peerSend(t, p, &message.Pubcomp{PacketID: tok.ID()})
	}
	for _, tok := range toks {
		waitToken(t, tok)
	}
	publish("5", message.QoS1)
	got5 := p.Expect(t, message.PUBLISH).(*message.Publish)
	assert.Equal(t, "5", string(got5.Payload), "publish after reconnect: payload")
	assert.False(t, got5.Dup, "publish after reconnect: want no DUP")
}

// TestReconnectOfflineQueueFull checks MaxOffline: while the client is
// not connected it holds that many QoS 1 and 2 publishes, and Publish
// fails at once with ErrQueueFull beyond, even with room in the window.
func TestReconnectOfflineQueueFull(t *testing.T) {
	p := peer.Open(t)
	c := newClient(t, client.WithKeepAlive(0), client.WithCleanSession(false),
		client.WithMaxInflight(10), client.WithMaxOffline(2),
		client.WithAutoReconnect(5*time.Millisecond, 20*time.Millisecond))
	peerConnect(t, p, c, false)
	p.CloseConn()
	require.NoError(t, p.Accept())
	p.Expect(t, message.CONNECT)

	var toks []*client.Token
	for i, q := range []message.QoS{message.QoS1, message.QoS2, message.QoS1, message.QoS2} {
		tok, err := c.Publish(testContext(t), "full", []byte{byte(i)}, q)
		if i < 2 {
			require.NoError(t, err, "publish %d while offline", i)
			toks = append(toks, tok)
			continue
		}
		assert.ErrorIs(t, err, client.ErrQueueFull, "publish %d beyond MaxOffline", i)
		assert.Nil(t, tok, "publish %d beyond MaxOffline: want no token", i)
	}
	assert.Equal(t, 2, c.Stats().Inflight, "publishes held")

	peerSend(t, p, &message.Connack{SessionPresent: true})
	for i := range toks {
		got := p.Expect(t, message.PUBLISH).(*message.Publish)
		assert.Equal(t, byte(i), got.Payload[0], "PUBLISH %d after reconnect carries %v", i, got.Payload)
	}
	// Connected, the window is the only bound.
	for i := range 5 {
		_, err := c.Publish(testContext(t), "full", []byte{byte(10 + i)}, message.QoS1)
		require.NoError(t, err, "publish %d while connected", i)
		p.Expect(t, message.PUBLISH)
	}
}
