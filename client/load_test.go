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
)

// TestHandlerPublishesAndWaits has a handler that publishes at QoS 1 and
// waits for the PUBACK, for each of many QoS 1 messages arriving meanwhile:
// the client must keep reading and acknowledging while its handler blocks.
func TestHandlerPublishesAndWaits(t *testing.T) {
	const n = 10_000
	const limit = 60 * time.Second
	b := brokertest.Embedded(t, broker.EmbeddedOptions{Configure: func(o *mqtt.Options) {
		// Room for every message at once: mochi drops QoS 1 messages
		// beyond these, and the test is about the client.
		o.Capabilities = mqtt.NewDefaultServerCapabilities()
		o.Capabilities.MaximumInflight = 65535
		o.Capabilities.MaximumClientWritesPending = 4 * n
	}})
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()

	var handled, failed atomic.Int64
	firstErr := make(chan error, 1)
	all := make(chan struct{})
	h := newClient(t)
	if _, err := h.On(message.PUBLISH, func(e *router.Event) {
		tok, err := h.Publish(ctx, "load/out", e.Message.Payload, message.QoS1)
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
		if handled.Add(1) == n {
			close(all)
		}
	}, router.Topic("load/in"), 0); err != nil {
		t.Fatal(err)
	}
	connect(t, h, b.Addr())
	if _, err := h.Subscribe(ctx, message.Subscription{Filter: "load/in", QoS: 1}); err != nil {
		t.Fatal(err)
	}

	p := publisher(t, b.Addr())
	toks := make(chan *client.Token, n)
	go func() {
		defer close(toks)
		for i := range n {
			tok, err := p.Publish(ctx, "load/in", fmt.Appendf(nil, "%d", i), message.QoS1)
			if err != nil {
				return
			}
			toks <- tok
		}
	}()
	published := 0
	for tok := range toks {
		if err := tok.Wait(ctx); err != nil {
			t.Fatalf("publisher: message %d: %v", published, err)
		}
		published++
	}
	if published != n {
		t.Fatalf("publisher: published %d of %d within %v", published, n, limit)
	}

	select {
	case <-all:
	case <-ctx.Done():
		t.Fatalf("handled %d of %d messages within %v: the handler waiting for its own PUBACK stalls the client", handled.Load(), n, limit)
	}
	if f := failed.Load(); f != 0 {
		t.Errorf("%d of the handler's publishes failed, first: %v", f, <-firstErr)
	}
	st := h.Stats()
	if got := st.Received[message.PUBLISH]; got != n {
		t.Errorf("got %d PUBLISH received, want %d", got, n)
	}
	if got := st.Received[message.PUBACK]; got != n {
		t.Errorf("got %d PUBACK received, want %d", got, n)
	}
}
