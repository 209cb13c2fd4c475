package client_test

import (
	"testing"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPeerInboundQoS2Duplicate(t *testing.T) {
	tests := []struct {
		name      string
		opts      []client.Option
		deliverOn message.Type // the event that carries the message
	}{
		{"deliver on PUBLISH", nil, message.PUBLISH},
		{"deliver on PUBREL", []client.Option{client.WithDeliverOnPubrel()}, message.PUBREL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, rec := recordAll(t)
			c, pc := connectScripted(t, append(tt.opts, client.WithKeepAlive(0), client.WithRouter(r))...)

			pub := &message.Publish{Message: message.Message{Topic: "q2/dup", Payload: []byte("once"), QoS: message.QoS2, PacketID: 7}}
			pc.Send(pub)
			pc.ExpectAck(message.PUBREC, 7)
			pub.Dup = true
			pc.Send(pub)
			pc.ExpectAck(message.PUBREC, 7)
			pc.Send(&message.Pubrel{PacketID: 7})
			pc.ExpectAck(message.PUBCOMP, 7)

			// PUBCOMP follows the PUBREL event, which follows both
			// PUBLISH events: all three have been dispatched.
			var got []record
			for len(got) < 4 { // CONNACK, PUBLISH, PUBLISH, PUBREL
				got = append(got, rec.next(t))
			}
			rec.empty(t)
			wantTypes := []message.Type{message.CONNACK, message.PUBLISH, message.PUBLISH, message.PUBREL}
			delivered := 0
			for i, e := range got {
				require.Equal(t, wantTypes[i], e.Type, "event %d: got %v", i, e)
				if e.Type != message.CONNACK {
					assert.Equal(t, uint16(7), e.ID, "event %v: id", e.Type)
				}
				if e.Msg == nil {
					continue
				}
				delivered++
				assert.Equal(t, tt.deliverOn, e.Type, "event the message was delivered on")
				assert.Equal(t, "q2/dup", e.Msg.Topic, "got message %v", e)
				assert.Equal(t, "once", string(e.Msg.Payload), "got message %v", e)
				assert.Equal(t, message.QoS2, e.Msg.QoS, "got message %v", e)
			}
			assert.Equal(t, 1, delivered, "deliveries")
			assert.EqualValues(t, 1, c.Stats().Duplicates, "Stats().Duplicates")
		})
	}
}

func TestPeerPubrelUnknownID(t *testing.T) {
	rec := newRecorder()
	c, pc := connectScripted(t, client.WithKeepAlive(0))
	_, err := c.On(message.PUBREL, rec.handler(), nil, 0)
	require.NoError(t, err)
	pc.Send(&message.Pubrel{PacketID: 321})
	pc.ExpectAck(message.PUBCOMP, 321)
	e := rec.next(t)
	assert.Equal(t, message.PUBREL, e.Type, "got %v", e)
	assert.Equal(t, uint16(321), e.ID, "got %v", e)
	assert.Nil(t, e.Msg, "got %v, want no message", e)
	assert.True(t, c.IsConnected(), "got disconnected, want the connection kept")
}

func TestPeerOutboundQoS2(t *testing.T) {
	r, rec := recordAll(t)
	c, pc := connectScripted(t, client.WithKeepAlive(0), client.WithRouter(r))
	rec.nextOf(t, message.CONNACK)
	tok, err := c.Publish(testContext(t), "q2/out", []byte("x"), message.QoS2)
	require.NoError(t, err)
	p := pc.ExpectPublish()
	require.Equal(t, tok.ID(), p.PacketID, "id the peer got")
	require.Equal(t, message.QoS2, p.QoS, "QoS the peer got")
	require.False(t, p.Dup, "peer got DUP, want it clear")
	id := p.PacketID
	pc.Send(&message.Pubrec{PacketID: id})
	pc.ExpectAck(message.PUBREL, id)
	// A PUBREC sent again is answered again [MQTT-4.3.3-1].
	pc.Send(&message.Pubrec{PacketID: id})
	pc.ExpectAck(message.PUBREL, id)
	select {
	case <-tok.Done():
		require.Fail(t, "token completed before PUBCOMP")
	default:
	}
	pc.Send(&message.Pubcomp{PacketID: id})
	waitToken(t, tok)

	for _, want := range []message.Type{message.PUBREC, message.PUBREC, message.PUBCOMP} {
		e := rec.next(t)
		assert.Equal(t, want, e.Type, "got %v", e)
		assert.Equal(t, id, e.ID, "got %v", e)
		if assert.NotNil(t, e.Sent, "got %v, want sent=q2/out", e) {
			assert.Equal(t, "q2/out", e.Sent.Topic, "got %v", e)
		}
	}
	// A PUBCOMP for a finished flow, and a PUBACK for a QoS 2 flow's id,
	// are dispatched without Sent.
	pc.Send(&message.Pubcomp{PacketID: id})
	e := rec.next(t)
	assert.Equal(t, message.PUBCOMP, e.Type, "got %v", e)
	assert.Nil(t, e.Sent, "got %v, want no Sent", e)
	assert.True(t, c.IsConnected(), "got disconnected, want connected")
}

func TestPeerInboundQoS2IDReused(t *testing.T) {
	rec := newRecorder()
	r := router.New()
	_, err := r.On(message.PUBLISH, rec.handler(), nil, 0)
	require.NoError(t, err)
	_, pc := connectScripted(t, client.WithKeepAlive(0), client.WithRouter(r))
	for _, payload := range []string{"first", "second"} {
		pc.Send(&message.Publish{Message: message.Message{Topic: "reuse", Payload: []byte(payload), QoS: message.QoS2, PacketID: 9}})
		pc.ExpectAck(message.PUBREC, 9)
		pc.Send(&message.Pubrel{PacketID: 9})
		pc.ExpectAck(message.PUBCOMP, 9)
		// Once PUBCOMP is out the id is free: a new PUBLISH with it is a
		// new message.
		e := rec.nextMessage(t)
		assert.Equal(t, payload, string(e.Msg.Payload), "got %v", e)
	}
}
