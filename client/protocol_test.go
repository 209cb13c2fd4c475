package client_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPeerMalformed(t *testing.T) {
	tests := []struct {
		name string
		raw  []byte
		rule error
	}{
		{"PUBACK with id 0", []byte{0x40, 2, 0, 0}, message.ErrZeroPacketID},
		{"5-byte remaining length", []byte{0x30, 0xff, 0xff, 0xff, 0xff, 0x01}, message.ErrRemainingLength},
		{"reserved type 0", []byte{0x00, 0}, message.ErrInvalidType},
		{"PUBREL with flags 0", []byte{0x60, 2, 0, 1}, message.ErrInvalidFlags},
		{"PUBLISH at QoS 3", []byte{0x36, 5, 0, 1, 'a', 0, 1}, message.ErrInvalidQoS},
		{"PUBACK too long", []byte{0x40, 3, 0, 1, 0}, message.ErrTrailingBytes},
		{"SUBACK code 3", []byte{0x90, 3, 0, 1, 3}, message.ErrReturnCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lost, errs := lostRecorder()
			c, pc := connectScripted(t, client.WithKeepAlive(0), lost)
			pc.SendRaw(tt.raw...)
			err := awaitErr(t, errs)
			assert.ErrorIs(t, err, message.ErrMalformed, "OnConnectionLost")
			assert.ErrorIs(t, err, tt.rule, "OnConnectionLost")
			assert.ErrorIs(t, c.Err(), message.ErrMalformed, "Err()")
			assert.False(t, c.IsConnected(), "IsConnected() got true, want false")
			pc.SkipToClose()
		})
	}
}

func TestPeerPacketTooLarge(t *testing.T) {
	lost, errs := lostRecorder()
	c, pc := connectScripted(t, client.WithKeepAlive(0), client.WithMaxPacketSize(64), lost)
	pc.Send(&message.Publish{Message: message.Message{Topic: "big", Payload: make([]byte, 100)}})
	err := awaitErr(t, errs)
	assert.ErrorIs(t, err, message.ErrPacketTooLarge, "OnConnectionLost")
	assert.ErrorIs(t, c.Err(), message.ErrPacketTooLarge, "Err()")
	pc.SkipToClose()
}

func TestPeerProtocolViolation(t *testing.T) {
	tests := []struct {
		name string
		pkt  message.Packet
	}{
		{"second CONNACK", &message.Connack{}},
		{"PINGREQ", &message.Pingreq{}},
		{"SUBSCRIBE", &message.Subscribe{PacketID: 1, Subscriptions: []message.Subscription{{Filter: "a"}}}},
		{"UNSUBSCRIBE", &message.Unsubscribe{PacketID: 1, Filters: []string{"a"}}},
		{"CONNECT", &message.Connect{Version: message.V311, ClientID: "x", CleanSession: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lost, errs := lostRecorder()
			c, pc := connectScripted(t, client.WithKeepAlive(0), lost)
			pc.Send(tt.pkt)
			err := awaitErr(t, errs)
			assert.True(t, errors.Is(err, client.ErrProtocolViolation) || errors.Is(err, message.ErrMalformed),
				"got %v, want ErrProtocolViolation or ErrMalformed", err)
			assert.False(t, c.IsConnected(), "IsConnected() got true, want false")
			pc.SkipToClose()
		})
	}
}

func TestPeerPacketSizeLimit(t *testing.T) {
	const limit = 200
	c, pc := connectScripted(t, client.WithKeepAlive(0), client.WithMaxPacketSize(limit))
	ctx := testContext(t)
	tests := []struct {
		name    string
		qos     message.QoS
		payload int
		ok      bool
	}{
		// 1 type byte + 2 length bytes + 2 + len("t") topic (+ 2 id) + payload
		{"QoS 0 exactly at the limit", message.QoS0, limit - 6, true},
		{"QoS 0 one byte over", message.QoS0, limit - 5, false},
		{"QoS 1 exactly at the limit", message.QoS1, limit - 8, true},
		{"QoS 1 one byte over", message.QoS1, limit - 7, false},
		{"small packet, one length byte", message.QoS0, 100, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := c.Publish(ctx, "t", make([]byte, tt.payload), tt.qos)
			if !tt.ok {
				assert.ErrorIs(t, err, client.ErrPayloadTooLarge)
				return
			}
			require.NoError(t, err, "want the publish accepted")
			p := pc.ExpectPublish()
			assert.Equal(t, tt.payload, len(p.Payload), "bytes of payload the peer got")
			if tt.qos > 0 {
				pc.Send(&message.Puback{PacketID: p.PacketID})
			}
			waitToken(t, tok)
		})
	}
	t.Run("SUBSCRIBE over the limit", func(t *testing.T) {
		// 1 + 2 length bytes + 2 id + 2 + filter + 1 QoS
		_, err := c.Subscribe(ctx, message.Subscription{Filter: strings.Repeat("f", limit-7)})
		assert.ErrorIs(t, err, message.ErrPacketTooLarge, "Subscribe")
		err = c.Unsubscribe(ctx, strings.Repeat("f", limit-6))
		assert.ErrorIs(t, err, message.ErrPacketTooLarge, "Unsubscribe")
	})
	t.Run("SUBSCRIBE at the limit", func(t *testing.T) {
		errc := make(chan error, 1)
		go func() {
			_, err := c.Subscribe(ctx, message.Subscription{Filter: strings.Repeat("f", limit-8)})
			errc <- err
		}()
		sub := pc.Expect(message.SUBSCRIBE).(*message.Subscribe)
		pc.Send(&message.Suback{PacketID: sub.PacketID, ReturnCodes: []message.SubackCode{0}})
		assert.NoError(t, <-errc)
	})
	// The same limit holds inbound: a packet of exactly limit bytes is
	// accepted.
	rec := newRecorder()
	_, err := c.On(message.PUBLISH, rec.handler(), nil, 0)
	require.NoError(t, err)
	pc.Send(&message.Publish{Message: message.Message{Topic: "t", Payload: make([]byte, limit-6)}})
	e := rec.nextMessage(t)
	assert.Equal(t, limit-6, len(e.Msg.Payload), "bytes of payload")
}
