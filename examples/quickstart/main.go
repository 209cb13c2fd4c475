// Command quickstart connects to a broker, routes inbound messages with
// two conditional handlers and a fallback, publishes at QoS 0, 1 and 2,
// and prints what each handler received.
//
// Without -broker it starts an embedded broker on a free loopback port
// and prints its address on stderr:
//
//	go run ./examples/quickstart
//	go run ./examples/quickstart -broker tcp://localhost:1883
package main

import (
	"context"
	"fmt"
	"time"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/examples/internal/demo"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
	"github.com/onmqtt/onmqtt/router"
)

func main() { demo.Main("quickstart", 30*time.Second, run) }

func run(ctx context.Context, addr string) error {
	c, err := client.New(client.WithClientID("onmqtt-quickstart"))
	if err != nil {
		return err
	}
	defer c.Close()

	// Every delivered message is printed by exactly one handler: the
	// highest-priority one whose condition holds, else the fallback.
	// Handlers run on the client's dispatch goroutine; they hand their
	// line to main so the output keeps one order.
	got := make(chan string, 3)
	report := func(name string) router.Handler {
		return func(e *router.Event) {
			m := e.Message
			got <- fmt.Sprintf("  %-8s handler got %q on %s at %v", name, m.Payload, m.Topic, m.QoS)
		}
	}
	must(c.On(message.PUBLISH, report("alarms"), router.Topic("demo/alarms/#"), priority.High))
	must(c.On(message.PUBLISH, report("sensors"), router.Topic("demo/+/temperature"), priority.Normal))
	must(c.On(message.PUBLISH, report("fallback"), nil, priority.Normal))

	if _, err := c.Connect(ctx, addr); err != nil {
		return err
	}
	if _, err := c.Subscribe(ctx, message.Subscription{Filter: "demo/#", QoS: message.QoS2}); err != nil {
		return err
	}

	sends := []struct {
		topic, payload string
		qos            message.QoS
	}{
		{"demo/kitchen/temperature", "21.5", message.QoS0},
		{"demo/alarms/door", "open", message.QoS1},
		{"demo/garden/humidity", "40%", message.QoS2},
	}
	for _, s := range sends {
		tok, err := c.Publish(ctx, s.topic, []byte(s.payload), s.qos)
		if err != nil {
			return err
		}
		if err := tok.Wait(ctx); err != nil {
			return fmt.Errorf("publish %s: %w", s.topic, err)
		}
		fmt.Printf("published %q to %s at %v (packet id %d)\n", s.payload, s.topic, s.qos, tok.ID())
		select {
		case line := <-got:
			fmt.Println(line)
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", s.topic, ctx.Err())
		}
	}
	return c.Disconnect(ctx)
}

func must(_ *router.Registration, err error) {
	if err != nil {
		panic(err)
	}
}
