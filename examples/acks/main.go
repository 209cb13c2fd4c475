// Command acks follows the acknowledgements of QoS 1 and QoS 2 messages
// one packet identifier at a time, on both ends of the flow.
//
// The sender attaches handlers to each publish with [client.OnAck]: PUBACK
// for QoS 1, PUBREC and PUBCOMP for QoS 2. They are registered for the
// publish's packet identifier before the packet is written, so no
// acknowledgement can arrive first, and each fires once, so a later
// message that reuses the identifier never reaches them.
//
// The receiver is set up the Zerynth way, with
// [client.WithDeliverOnPubrel]: a QoS 2 message arrives on the PUBREL
// event, and the PUBLISH event before it carries only the packet
// identifier. The receiver's PUBLISH handler then registers a PUBREL
// handler for that identifier with [router.Router.OnID]. A QoS 1 message
// arrives on the PUBLISH event, and the receiver's PUBACK goes out once
// that handler has returned.
//
// Packet identifiers belong to one connection: the sender numbers its
// publishes, the broker numbers its deliveries to the receiver, and the
// two need not agree. The sender publishes one message at a time and the
// program prints the flow of each once both ends have seen it through.
//
// Without -broker it starts an embedded broker on a free loopback port
// and prints its address on stderr:
//
//	go run ./examples/acks
//	go run ./examples/acks -broker tcp://localhost:1883
package main

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/examples/internal/demo"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
	"github.com/onmqtt/onmqtt/router"
)

func main() { demo.Main("acks", 10*time.Second, run) }

// commands is what the sender publishes, in this order.
var commands = []struct {
	topic, payload string
	qos            message.QoS
}{
	{"plant/valve/1", "open", message.QoS1},
	{"plant/valve/2", "close", message.QoS2},
	{"plant/pump/1", "start", message.QoS2},
	{"plant/pump/2", "stop", message.QoS1},
}

// A step is one event of a flow, seen by the sender or by the receiver.
// The last step of a flow on each end has last set.
type step struct {
	receiver bool
	text     string
	last     bool
}

func run(ctx context.Context, addr string) error {
	// Handlers of both clients run on their clients' dispatch goroutines;
	// they hand each step to main, which prints the flows in order.
	steps := make(chan step, 16)

	// Acknowledgements that no id handler took: there should be none.
	var stray atomic.Int64
	count := func(*router.Event) { stray.Add(1) }

	receiver, err := client.New(client.WithDeliverOnPubrel())
	if err != nil {
		return err
	}
	defer receiver.Close()
	rr := receiver.Router()
	if _, err := rr.On(message.PUBLISH, func(e *router.Event) {
		if m := e.Message; m != nil {
			steps <- step{receiver: true, text: fmt.Sprintf("PUBLISH id %d %q (PUBACK goes out when this handler returns)", e.ID, m.Payload), last: true}
			return
		}
		// QoS 2: only the identifier for now. The message comes with
		// the PUBREL of this identifier, and only that one.
		steps <- step{receiver: true, text: fmt.Sprintf("PUBLISH id %d without message", e.ID)}
		if _, err := rr.OnID(message.PUBREL, e.ID, func(e *router.Event) {
			steps <- step{receiver: true, text: fmt.Sprintf("PUBREL id %d %q (PUBCOMP goes out when this handler returns)", e.ID, e.Message.Payload), last: true}
		}); err != nil {
			steps <- step{receiver: true, text: err.Error(), last: true}
		}
	}, nil, priority.Normal); err != nil {
		return err
	}
	if _, err := rr.On(message.PUBREL, count, nil, priority.Normal); err != nil {
		return err
	}
	if _, err := receiver.Connect(ctx, addr); err != nil {
		return err
	}
	if _, err := receiver.Subscribe(ctx, message.Subscription{Filter: "plant/#", QoS: message.QoS2}); err != nil {
		return err
	}

	sender, err := client.New()
	if err != nil {
		return err
	}
	defer sender.Close()
	for _, t := range []message.Type{message.PUBACK, message.PUBREC, message.PUBCOMP} {
		if _, err := sender.On(t, count, nil, priority.Normal); err != nil {
			return err
		}
	}
	if _, err := sender.Connect(ctx, addr); err != nil {
		return err
	}
	// The sender listens for the plant's status reports. Its SUBSCRIBE
	// takes packet identifier 1, which shows that identifiers belong to
	// one connection: the sender numbers its publishes from 2, while the
	// broker numbers its deliveries to the receiver from 1.
	if _, err := sender.Subscribe(ctx, message.Subscription{Filter: "plant/status", QoS: message.QoS1}); err != nil {
		return err
	}

	for i, cmd := range commands {
		ack := func(last bool) router.Handler {
			return func(e *router.Event) {
				steps <- step{text: fmt.Sprintf("%v id %d", e.Type, e.ID), last: last}
			}
		}
		var opts []client.PublishOption
		if cmd.qos == message.QoS1 {
			opts = append(opts, client.OnAck(message.PUBACK, ack(true)))
		} else {
			opts = append(opts, client.OnAck(message.PUBREC, ack(false)), client.OnAck(message.PUBCOMP, ack(true)))
		}
		tok, err := sender.Publish(ctx, cmd.topic, []byte(cmd.payload), cmd.qos, opts...)
		if err != nil {
			return err
		}

		// Both ends of this flow, each in its own order; the next
		// message is published only when both are through.
		sent := []string{fmt.Sprintf("publish id %d", tok.ID())}
		var received []string
		for done := 0; done < 2; {
			select {
			case s := <-steps:
				if s.receiver {
					received = append(received, s.text)
				} else {
					sent = append(sent, s.text)
				}
				if s.last {
					done++
				}
			case <-ctx.Done():
				return fmt.Errorf("waiting for the flow of %s: %w", cmd.topic, ctx.Err())
			}
		}
		if err := tok.Wait(ctx); err != nil {
			return fmt.Errorf("publish %s: %w", cmd.topic, err)
		}
		fmt.Printf("message %d: %q to %s at %v\n", i+1, cmd.payload, cmd.topic, cmd.qos)
		fmt.Printf("  sender    %s\n", strings.Join(sent, " -> "))
		fmt.Printf("  receiver  %s\n", strings.Join(received, " -> "))
	}
	fmt.Println("acknowledgements no id handler took:", stray.Load())

	if err := sender.Disconnect(ctx); err != nil {
		return err
	}
	return receiver.Disconnect(ctx)
}
