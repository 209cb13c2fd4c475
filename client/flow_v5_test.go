package client_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/peer"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
)

// TestV5ReceiveMaximumInbound checks that a broker sending more QoS 1
// and 2 publishes than our Receive Maximum before we acknowledge them
// gets DISCONNECT 0x93, and that acknowledged ones do not count.
func TestV5ReceiveMaximumInbound(t *testing.T) {
	c, pc, _ := connectScripted5(t, nil, client.WithReceiveMaximum(2))
	release := make(chan struct{})
	_, err := c.Router().On(message.PUBLISH, func(e *router.Event) {
		if string(e.Message.Payload) == "hold" {
			<-release
		}
	}, nil, 0)
	require.NoError(t, err)
	defer close(release)
	// Acknowledged ones free their place.
	for id := uint16(1); id <= 3; id++ {
		pc.Send(&message.Publish{Message: message.Message{Topic: "t", QoS: message.QoS1, PacketID: id, Payload: []byte("go")}})
		pc.ExpectAck(message.PUBACK, id)
	}
	pc.Send(&message.Publish{Message: message.Message{Topic: "t", QoS: message.QoS1, PacketID: 10, Payload: []byte("hold")}})
	pc.Send(&message.Publish{Message: message.Message{Topic: "t", QoS: message.QoS2, PacketID: 11, Payload: []byte("x")}})
	pc.ExpectAck(message.PUBREC, 11)
	pc.Send(&message.Publish{Message: message.Message{Topic: "t", QoS: message.QoS2, PacketID: 11, Payload: []byte("x"), Dup: true}})
	pc.ExpectAck(message.PUBREC, 11) // a duplicate is not a new one
	pc.Send(&message.Publish{Message: message.Message{Topic: "t", QoS: message.QoS1, PacketID: 12, Payload: []byte("x")}})
	d := pc.Expect(message.DISCONNECT).(*message.Disconnect)
	assert.Equal(t, message.ReceiveMaximumExceeded, d.ReasonCode)
}

// TestV5MaximumPacketSizeInbound checks that a packet above our Maximum
// Packet Size gets DISCONNECT 0x95 as soon as its length is read, before
// its body arrives.
func TestV5MaximumPacketSizeInbound(t *testing.T) {
	_, pc, cp := connectScripted5(t, nil, client.WithMaxPacketSize(64))
	require.NotNil(t, cp.Properties)
	assert.Equal(t, message.Some[uint32](64), cp.Properties.MaximumPacketSize)
	// The fixed header of a 1000-byte PUBLISH, and no body.
	pc.SendRaw(0x30, 0xe8, 0x07)
	d := pc.Expect(message.DISCONNECT).(*message.Disconnect)
	assert.Equal(t, message.PacketTooLarge, d.ReasonCode)
	pc.SkipToClose()
}

// TestV5MalformedInbound checks that a malformed packet gets DISCONNECT
// 0x81, and an AUTH without enhanced authentication 0x82
// [MQTT-4.12.0-7].
func TestV5MalformedInbound(t *testing.T) {
	for _, tc := range []struct {
		name string
		raw  []byte
		code message.ReasonCode
	}{
		{"QoS 3", []byte{0x36, 0x03, 0x00, 0x01, 'a'}, message.MalformedPacket},
		{"AUTH without a method", []byte{0xf0, 0x00}, message.ProtocolError},
		{"DISCONNECT reserved flags", []byte{0xe1, 0x00}, message.MalformedPacket}, // [MQTT-3.14.1-1]
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, pc, _ := connectScripted5(t, nil)
			pc.SendRaw(tc.raw...)
			d := pc.Expect(message.DISCONNECT).(*message.Disconnect)
			assert.Equal(t, tc.code, d.ReasonCode)
			pc.SkipToClose()
		})
	}
}

// TestV5MessageExpiryOnResend checks that a queued QoS 1 publish is sent
// with what remains of its Message Expiry Interval, and one whose
// interval ran out is dropped, its token failing with ErrMessageExpired.
func TestV5MessageExpiryOnResend(t *testing.T) {
	p := peer.Open(t)
	c := newClient(t, client.WithVersion(message.V5))
	ctx := testContext(t)
	short, err := c.Publish(ctx, "exp/short", []byte("s"), message.QoS1, client.WithMessageExpiry(time.Second))
	require.NoError(t, err)
	long, err := c.Publish(ctx, "exp/long", []byte("l"), message.QoS1, client.WithMessageExpiry(time.Hour))
	require.NoError(t, err)
	time.Sleep(1100 * time.Millisecond) // let the short interval run out while offline
	pc, _ := connectScriptedTo5(t, c, p, nil)
	pub := pc.ExpectPublish()
	assert.Equal(t, "exp/long", pub.Topic)
	require.NotNil(t, pub.Properties)
	left, ok := pub.Properties.MessageExpiry.Get()
	require.True(t, ok)
	assert.Less(t, left, uint32(3600), "the remaining interval is sent")
	assert.Greater(t, left, uint32(3500))
	require.ErrorIs(t, short.Wait(ctx), client.ErrMessageExpired)
	pc.Send(&message.Puback{PacketID: pub.PacketID})
	require.NoError(t, long.Wait(ctx))
	assert.Equal(t, uint64(1), c.Stats().Expired)
	pc.ExpectSilence(100 * time.Millisecond)
}

// TestV5ReceiveMaximumOnResend checks that the resend after a reconnect
// keeps within the new connection's Receive Maximum [MQTT-3.3.4-7], in
// original order [MQTT-4.6.0-1], the rest following as acknowledgements
// free the quota.
func TestV5ReceiveMaximumOnResend(t *testing.T) {
	p := peer.Open(t)
	c := newClient(t, client.WithVersion(message.V5), client.WithClientID("resend"), client.WithCleanSession(false),
		client.WithAutoReconnect(time.Millisecond, 10*time.Millisecond))
	pc, _ := connectScriptedTo5(t, c, p, nil)
	ctx := testContext(t)
	for i := range 4 {
		_, err := c.Publish(ctx, "r", []byte{byte(i)}, message.QoS1)
		require.NoError(t, err)
		assert.Equal(t, []byte{byte(i)}, pc.ExpectPublish().Payload)
	}
	pc.Close()
	pc2 := p.Next(t)
	pc2.Expect(message.CONNECT)
	pc2.SetVersion(message.V5)
	pc2.Send(&message.Connack{SessionPresent: true, Properties: &message.Properties{ReceiveMaximum: message.Some[uint16](2)}})
	a, b := pc2.ExpectPublish(), pc2.ExpectPublish()
	assert.True(t, a.Dup && b.Dup)
	assert.Equal(t, []byte{0}, a.Payload)
	assert.Equal(t, []byte{1}, b.Payload)
	pc2.ExpectSilence(150 * time.Millisecond)
	pc2.Send(&message.Puback{PacketID: a.PacketID})
	third := pc2.ExpectPublish()
	assert.Equal(t, []byte{2}, third.Payload)
	assert.True(t, third.Dup)
	pc2.Send(&message.Puback{PacketID: b.PacketID})
	assert.Equal(t, []byte{3}, pc2.ExpectPublish().Payload)
}

// TestV5NoExpiryOnceSent checks that a QoS 2 publish whose interval ran
// out after it was sent is still resent (DUP), with the least interval,
// not dropped [MQTT-4.3.3-7].
func TestV5NoExpiryOnceSent(t *testing.T) {
	p := peer.Open(t)
	c := newClient(t, client.WithVersion(message.V5), client.WithClientID("noexp"), client.WithCleanSession(false),
		client.WithAutoReconnect(time.Millisecond, 10*time.Millisecond))
	pc, _ := connectScriptedTo5(t, c, p, nil)
	ctx := testContext(t)
	tok, err := c.Publish(ctx, "e", []byte("x"), message.QoS2, client.WithMessageExpiry(time.Second))
	require.NoError(t, err)
	first := pc.ExpectPublish()
	time.Sleep(1100 * time.Millisecond) // the interval runs out unacknowledged
	pc.Close()
	pc2 := reaccept(t, p, true)
	again := pc2.ExpectPublish()
	assert.True(t, again.Dup)
	assert.Equal(t, first.PacketID, again.PacketID)
	require.NotNil(t, again.Properties)
	assert.Equal(t, message.Some[uint32](1), again.Properties.MessageExpiry)
	pc2.Send(&message.Pubrec{PacketID: again.PacketID})
	pc2.ExpectAck(message.PUBREL, again.PacketID)
	pc2.Send(&message.Pubcomp{PacketID: again.PacketID})
	require.NoError(t, tok.Wait(ctx))
}

// TestV5QueuedPublishAboveLimits checks that publishes queued before the
// CONNACK that limits them are not sent: a QoS 2 one above Maximum QoS
// and a retained one without Retain Available fail their tokens with a
// *CapabilityError [MQTT-3.2.2-11] [MQTT-3.2.2-14]; the others go.
func TestV5QueuedPublishAboveLimits(t *testing.T) {
	p := peer.Open(t)
	c := newClient(t, client.WithVersion(message.V5))
	ctx := testContext(t)
	q2, err := c.Publish(ctx, "q/2", nil, message.QoS2)
	require.NoError(t, err)
	ret, err := c.Publish(ctx, "q/r", nil, message.QoS1, client.Retain())
	require.NoError(t, err)
	ok, err := c.Publish(ctx, "q/1", nil, message.QoS1)
	require.NoError(t, err)
	pc, _ := connectScriptedTo5(t, c, p, &message.Properties{MaximumQoS: message.Some(message.QoS1), RetainAvailable: message.Some(false)})
	var ce *client.CapabilityError
	require.ErrorAs(t, q2.Wait(ctx), &ce)
	assert.Equal(t, "Maximum QoS", ce.Capability)
	require.ErrorAs(t, ret.Wait(ctx), &ce)
	assert.Equal(t, "Retain Available", ce.Capability)
	pub := pc.ExpectPublish()
	assert.Equal(t, "q/1", pub.Topic)
	pc.Send(&message.Puback{PacketID: pub.PacketID})
	require.NoError(t, ok.Wait(ctx))
	pc.ExpectSilence(100 * time.Millisecond)
}
