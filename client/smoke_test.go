package client_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/broker"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
)

func TestSmoke(t *testing.T) {
	b, err := broker.StartEmbedded(broker.EmbeddedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := make(chan string, 10)
	c, err := client.New(client.WithKeepAlive(2 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.On(message.PUBLISH, func(e *router.Event) {
		got <- fmt.Sprintf("%s %s q%d", e.Message.Topic, e.Message.Payload, e.Message.QoS)
	}, nil, 0)
	if _, err := c.Connect(ctx, b.Addr()); err != nil {
		t.Fatal(err)
	}
	codes, err := c.Subscribe(ctx, message.Subscription{Filter: "a/#", QoS: 2})
	if err != nil {
		t.Fatal(codes, err)
	}
	for q := message.QoS0; q <= 2; q++ {
		tok, err := c.Publish(ctx, "a/b", []byte("hi"), q)
		if err != nil {
			t.Fatal(err)
		}
		if err := tok.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		select {
		case s := <-got:
			t.Log(s)
		case <-ctx.Done():
			t.Fatal("timeout", q)
		}
	}
	t.Logf("%+v", c.Stats())
}
