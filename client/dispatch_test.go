package client_test

import (
	"testing"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPeerPanickingHandler(t *testing.T) {
	panics := make(chan any, 1)
	r := router.New(router.WithPanicHandler(func(_ *router.Event, v any) { panics <- v }))
	rec := newRecorder()
	_, err := r.On(message.PUBLISH, func(e *router.Event) {
		if e.Message.Topic == "boom" {
			panic("handler failed")
		}
		rec <- snapshot(e)
	}, nil, 0)
	require.NoError(t, err)
	c, pc := connectScripted(t, client.WithKeepAlive(0), client.WithRouter(r))
	pc.Send(&message.Publish{Message: message.Message{Topic: "boom", QoS: message.QoS1, PacketID: 1}})
	// The message was handled, if badly: it is acknowledged.
	pc.ExpectAck(message.PUBACK, 1)
	assert.Equal(t, "handler failed", <-panics, "panic hook")
	pc.Send(&message.Publish{Message: message.Message{Topic: "fine", QoS: message.QoS1, PacketID: 2}})
	pc.ExpectAck(message.PUBACK, 2)
	if e := rec.next(t); assert.NotNil(t, e.Msg, "got %v, want fine", e) {
		assert.Equal(t, "fine", e.Msg.Topic)
	}
	assert.True(t, c.IsConnected(), "got disconnected after a handler panicked, want connected")
}

func TestPeerUnhandled(t *testing.T) {
	unhandled := newRecorder()
	r := router.New(router.WithUnhandled(unhandled.handler()))
	c, pc := connectScripted(t, client.WithKeepAlive(0), client.WithRouter(r))
	pc.Send(&message.Publish{Message: message.Message{Topic: "nobody/listens", QoS: message.QoS1, PacketID: 3}})
	pc.ExpectAck(message.PUBACK, 3)
	var got []message.Type
	for len(got) < 2 {
		got = append(got, unhandled.next(t).Type)
	}
	assert.Equal(t, []message.Type{message.CONNACK, message.PUBLISH}, got, "unhandled hook")
	st := c.Stats()
	assert.EqualValues(t, 1, st.Unhandled, "Stats().Unhandled")
	assert.EqualValues(t, 1, st.UnhandledByType[message.CONNACK], "Stats().UnhandledByType[CONNACK]")
	assert.EqualValues(t, 1, st.UnhandledByType[message.PUBLISH], "Stats().UnhandledByType[PUBLISH]")
}

func TestPeerRegistrations(t *testing.T) {
	c, pc := connectScripted(t, client.WithKeepAlive(0))
	observed, once, byID, fallback := newRecorder(), newRecorder(), newRecorder(), newRecorder()
	for _, reg := range []func() (*router.Registration, error){
		func() (*router.Registration, error) { return c.Observe(message.PUBLISH, observed.handler()) },
		func() (*router.Registration, error) {
			return c.Once(message.PUBLISH, once.handler(), router.Topic("reg/once"), 0)
		},
		func() (*router.Registration, error) { return c.OnID(message.PUBLISH, 5, byID.handler()) },
		func() (*router.Registration, error) { return c.On(message.PUBLISH, fallback.handler(), nil, 0) },
	} {
		_, err := reg()
		require.NoError(t, err)
	}
	require.NotNil(t, c.Router(), "Router()")
	for _, m := range []message.Message{
		{Topic: "reg/once"},
		{Topic: "reg/once"},
		{Topic: "reg/id", QoS: message.QoS1, PacketID: 5},
		{Topic: "reg/id", QoS: message.QoS1, PacketID: 5},
	} {
		pc.Send(&message.Publish{Message: m})
	}
	pc.ExpectAck(message.PUBACK, 5)
	pc.ExpectAck(message.PUBACK, 5) // both dispatched by now
	for name, want := range map[string]struct {
		r    recorder
		msgs []string
	}{
		"observer": {observed, []string{"reg/once", "reg/once", "reg/id", "reg/id"}},
		"once":     {once, []string{"reg/once"}},
		"OnID":     {byID, []string{"reg/id"}},
		"fallback": {fallback, []string{"reg/once", "reg/id"}},
	} {
		var got []string
		for len(got) < len(want.msgs) {
			got = append(got, want.r.next(t).Msg.Topic)
		}
		want.r.empty(t)
		assert.Equal(t, want.msgs, got, name)
	}
}
