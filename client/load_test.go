package client_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/broker"
	"github.com/onmqtt/onmqtt/internal/broker/brokertest"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHandlerPublishesAndWaits has a handler that publishes and waits for
// the acknowledgement, for each of many messages arriving meanwhile: the
// client must keep reading and acknowledging while its handler blocks.
func TestHandlerPublishesAndWaits(t *testing.T) {
	tests := []struct {
		name string
		qos  message.QoS
		n    int
	}{
		{"QoS 1", message.QoS1, 10_000},
		{"QoS 2", message.QoS2, 2_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { handlerPublishesAndWaits(t, tt.qos, tt.n) })
	}
}

func handlerPublishesAndWaits(t *testing.T, qos message.QoS, n int) {
	const limit = 60 * time.Second
	b := brokertest.Embedded(t, broker.EmbeddedOptions{Configure: func(o *mqtt.Options) {
		// Room for every message at once: mochi drops QoS 1 messages
		// beyond these, and the test is about the client.
		o.Capabilities = mqtt.NewDefaultServerCapabilities()
		o.Capabilities.MaximumInflight = 65535
		o.Capabilities.MaximumClientWritesPending = int32(4 * n)
		// mochi counts QoS 2 deliveries awaiting PUBCOMP against the
		// client's receive quota and disconnects a client that publishes
		// with the quota used up; the client sends PUBCOMP only once the
		// PUBREL event ran, behind the handler that waits.
		o.Capabilities.ReceiveMaximum = 65535
	}})
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()

	var handled, failed atomic.Int64
	firstErr := make(chan error, 1)
	all := make(chan struct{})
	lost, lostErrs := lostRecorder()
	h := newClient(t, lost)
	_, err := h.On(message.PUBLISH, func(e *router.Event) {
		tok, err := h.Publish(ctx, "load/out", e.Message.Payload, qos)
		if err == nil {
			err = tok.Wait(ctx)
		}
		if err != nil {
			failed.Add(1)
			select {
			case firstErr <- err:
			default:
			}
		}
		if handled.Add(1) == int64(n) {
			close(all)
		}
	}, router.Topic("load/in"), 0)
	require.NoError(t, err)
	connect(t, h, b.Addr())
	_, err = h.Subscribe(ctx, message.Subscription{Filter: "load/in", QoS: qos})
	require.NoError(t, err)

	p := publisher(t, b.Addr())
	toks := make(chan *client.Token, n)
	go func() {
		defer close(toks)
		for i := range n {
			tok, err := p.Publish(ctx, "load/in", fmt.Appendf(nil, "%d", i), qos)
			if err != nil {
				return
			}
			toks <- tok
		}
	}()
	published := 0
	for tok := range toks {
		require.NoError(t, tok.Wait(ctx), "publisher: message %d", published)
		published++
	}
	require.Equal(t, n, published, "publisher: messages published within %v", limit)

	select {
	case <-all:
	case <-ctx.Done():
		info := b.Server().Info
		require.Failf(t, "the handler waiting for its own acknowledgement stalls the client", "handled %d of %d messages within %v\nclient error %v, stats %+v\nbroker: inflight %d, inflight dropped %d, messages dropped %d",
			handled.Load(), n, limit, h.Err(), h.Stats(), info.Inflight, info.InflightDropped, info.MessagesDropped)
	}
	select {
	case err := <-lostErrs:
		assert.Failf(t, "connection lost during the test", "%v", err)
	default:
	}
	if f := failed.Load(); f != 0 {
		assert.Failf(t, "the handler's publishes failed", "%d of them, first: %v", f, <-firstErr)
	}
	st := h.Stats()
	assert.Equal(t, uint64(n), st.Received[message.PUBLISH], "PUBLISH received")
	ack := message.PUBACK
	if qos == message.QoS2 {
		ack = message.PUBCOMP
	}
	assert.Equal(t, uint64(n), st.Received[ack], "%v received", ack)
}
