package client_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/peer"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
)

func TestPeerAcksOutOfOrder(t *testing.T) {
	rec := newRecorder()
	c, pc := connectScripted(t, client.WithKeepAlive(0))
	_, err := c.On(message.PUBACK, rec.handler(), nil, 0)
	require.NoError(t, err)
	ctx := testContext(t)
	topics := []string{"order/one", "order/two"}
	var toks []*client.Token
	ids := map[string]uint16{}
	for _, topic := range topics {
		tok, err := c.Publish(ctx, topic, []byte(topic), message.QoS1)
		require.NoError(t, err)
		toks = append(toks, tok)
		p := pc.ExpectPublish()
		require.Equal(t, topic, p.Topic)
		require.Equal(t, tok.ID(), p.PacketID, "PUBLISH id")
		ids[topic] = p.PacketID
	}
	require.NotZero(t, toks[0].ID())
	require.NotEqual(t, toks[0].ID(), toks[1].ID(), "two distinct ids")

	pc.Send(&message.Puback{PacketID: ids["order/two"]})
	waitToken(t, toks[1])
	select {
	case <-toks[0].Done():
		require.FailNow(t, "first publish completed by the second one's PUBACK")
	default:
	}
	pc.Send(&message.Puback{PacketID: ids["order/one"]})
	waitToken(t, toks[0])

	for _, want := range []string{"order/two", "order/one"} {
		e := rec.next(t)
		assert.Equal(t, ids[want], e.ID, "PUBACK id")
		if assert.NotNil(t, e.Sent, "got %v, want PUBACK with Sent %s", e, want) {
			assert.Equal(t, want, e.Sent.Topic)
		}
	}

	// A PUBACK for an id no flow uses is dispatched without Sent and
	// changes nothing.
	pc.Send(&message.Puback{PacketID: 999})
	e := rec.next(t)
	assert.Equal(t, uint16(999), e.ID)
	assert.Nil(t, e.Sent, "PUBACK of an unknown id has no Sent")
	tok, err := c.Publish(ctx, "order/three", nil, message.QoS1)
	require.NoError(t, err)
	p := pc.ExpectPublish()
	pc.Send(&message.Puback{PacketID: p.PacketID})
	waitToken(t, tok)
	assert.Zero(t, c.Stats().Inflight, "publishes in flight")
}

func TestPeerPubackAfterHandler(t *testing.T) {
	c, pc := connectScripted(t, client.WithKeepAlive(0))
	entered := make(chan record, 1)
	release := make(chan struct{})
	_, err := c.On(message.PUBLISH, func(e *router.Event) {
		entered <- snapshot(e)
		<-release
	}, nil, 0)
	require.NoError(t, err)
	pc.Send(&message.Publish{Message: message.Message{Topic: "q1/in", Payload: []byte("x"), QoS: message.QoS1, PacketID: 9}})
	var e record
	select {
	case e = <-entered:
	case <-time.After(waitLimit):
		require.FailNow(t, "handler not called")
	}
	assert.Equal(t, uint16(9), e.ID)
	if assert.NotNil(t, e.Msg, "got %v, want PUBLISH id=9 q1/in at QoS 1", e) {
		assert.Equal(t, "q1/in", e.Msg.Topic)
		assert.Equal(t, message.QoS1, e.Msg.QoS)
	}
	pc.ExpectSilence(silence) // no PUBACK while the handler runs
	close(release)
	pc.ExpectAck(message.PUBACK, 9)
}

func TestNotConnected(t *testing.T) {
	c := newClient(t)
	ctx := testContext(t)
	tests := []struct {
		name string
		call func() error
	}{
		{"Publish QoS 0", func() error {
			_, err := c.Publish(ctx, "a/b", nil, message.QoS0)
			return err
		}},
		{"Subscribe", func() error {
			_, err := c.Subscribe(ctx, message.Subscription{Filter: "a/#"})
			return err
		}},
		{"Unsubscribe", func() error { return c.Unsubscribe(ctx, "a/#") }},
		{"Disconnect", func() error { return c.Disconnect(ctx) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.ErrorIs(t, tt.call(), client.ErrNotConnected)
		})
	}
}

func TestPeerInflightWindow(t *testing.T) {
	c, pc := connectScripted(t, client.WithKeepAlive(0), client.WithMaxInflight(2))
	ctx := testContext(t)
	var ids []uint16
	for i := range 2 {
		tok, err := c.Publish(ctx, "window/a", []byte{byte(i)}, message.QoS1)
		require.NoError(t, err)
		ids = append(ids, pc.ExpectPublish().PacketID)
		require.Equal(t, tok.ID(), ids[i], "PUBLISH id")
	}

	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	tok, err := c.Publish(short, "window/a", []byte{2}, message.QoS1)
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded, "third publish")
	require.Nil(t, tok, "third publish")
	assert.Equal(t, 2, c.Stats().Inflight, "in flight")

	type result struct {
		tok *client.Token
		err error
	}
	third := make(chan result, 1)
	go func() {
		tok, err := c.Publish(ctx, "window/a", []byte{3}, message.QoS1)
		third <- result{tok, err}
	}()
	pc.ExpectSilence(silence)
	select {
	case r := <-third:
		require.FailNow(t, fmt.Sprintf("third publish returned (%v, %v) with a full window", r.tok, r.err))
	default:
	}
	pc.Send(&message.Puback{PacketID: ids[0]})
	p := pc.ExpectPublish()
	assert.Equal(t, []byte{3}, p.Payload)
	r := <-third
	if assert.NoError(t, r.err, "third publish") {
		assert.Equal(t, p.PacketID, r.tok.ID(), "third publish's token")
	}
	pc.Send(&message.Puback{PacketID: ids[1]})
	pc.Send(&message.Puback{PacketID: p.PacketID})
	waitToken(t, r.tok)
}

func TestPeerOfflinePublish(t *testing.T) {
	p := peer.Open(t)
	c := newClient(t, client.WithKeepAlive(0))
	ctx := testContext(t)
	tok, err := c.Publish(ctx, "offline/q1", []byte("later"), message.QoS1)
	require.NoError(t, err, "QoS 1 Publish while disconnected: want it held")
	assert.NotZero(t, tok.ID(), "token id")
	errc := make(chan error, 1)
	go func() {
		_, err := c.Connect(ctx, p.Addr())
		errc <- err
	}()
	pc := p.Next(t)
	pc.Handshake(message.Accepted)
	require.NoError(t, <-errc)
	pub := pc.ExpectPublish()
	assert.Equal(t, "offline/q1", pub.Topic)
	assert.Equal(t, "later", string(pub.Payload))
	assert.Equal(t, tok.ID(), pub.PacketID)
	pc.Send(&message.Puback{PacketID: pub.PacketID})
	waitToken(t, tok)
}
