package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"sync"
	"time"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/broker"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/mqtttest"
	"github.com/onmqtt/onmqtt/priority"
	"github.com/onmqtt/onmqtt/router"
)

// startBroker starts an in-process broker for an example; a real
// application dials its own broker's URL instead.
func startBroker(opts broker.EmbeddedOptions) *broker.Embedded {
	b, err := broker.StartEmbedded(opts)
	if err != nil {
		log.Fatal(err)
	}
	return b
}

// Connect, say what happens to each kind of message with On, subscribe
// and publish. Handlers run one at a time on the client's dispatch
// goroutine.
func Example() {
	b := startBroker(broker.EmbeddedOptions{})
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := client.New(client.WithClientID("example-sensor"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	done := make(chan struct{})
	c.On(message.PUBLISH, func(e *router.Event) {
		fmt.Printf("alarm %s: %s\n", e.Message.Topic, e.Message.Payload)
	}, router.Topic("alarms/#"), priority.High)
	c.On(message.PUBLISH, func(e *router.Event) {
		fmt.Printf("other %s: %s (QoS %d)\n", e.Message.Topic, e.Message.Payload, e.Message.QoS)
		if e.Message.Topic == "sensors/end" {
			close(done)
		}
	}, nil, priority.Normal) // the fallback

	if _, err := c.Connect(ctx, b.Addr()); err != nil {
		log.Fatal(err)
	}
	codes, err := c.Subscribe(ctx,
		message.Subscription{Filter: "alarms/#", QoS: message.QoS2},
		message.Subscription{Filter: "sensors/#", QoS: message.QoS1},
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("granted:", codes)

	for _, m := range []struct {
		topic, payload string
		qos            message.QoS
	}{
		{"alarms/door", "open", message.QoS2},
		{"sensors/temp", "21.5", message.QoS1},
		{"sensors/end", "bye", message.QoS0},
	} {
		tok, err := c.Publish(ctx, m.topic, []byte(m.payload), m.qos)
		if err != nil {
			log.Fatal(err)
		}
		if err := tok.Wait(ctx); err != nil {
			log.Fatal(err)
		}
	}
	<-done
	// Output:
	// granted: [granted QoS2 granted QoS1]
	// alarm alarms/door: open
	// other sensors/temp: 21.5 (QoS 1)
	// other sensors/end: bye (QoS 0)
}

// OnAck attaches a handler to the acknowledgement of one publish. It is
// registered before the PUBLISH is written, so the PUBACK cannot arrive
// first, and it fires once.
func ExampleOnAck() {
	b := startBroker(broker.EmbeddedOptions{})
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := client.New()
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Connect(ctx, b.Addr()); err != nil {
		log.Fatal(err)
	}

	acked := make(chan string, 1)
	tok, err := c.Publish(ctx, "orders/42", []byte("paid"), message.QoS1,
		client.OnAck(message.PUBACK, func(e *router.Event) {
			acked <- fmt.Sprintf("%v for %s", e.Type, e.Sent.Topic)
		}))
	if err != nil {
		log.Fatal(err)
	}
	if err := tok.Wait(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println(<-acked)
	// Output:
	// PUBACK for orders/42
}

// With WithManualLoop the application owns the loop: each WaitMsg call
// dispatches one event, as umqtt's wait_msg does; CheckMsg is the step
// that never blocks.
func ExampleClient_WaitMsg() {
	b := startBroker(broker.EmbeddedOptions{})
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := client.New(client.WithManualLoop())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	c.On(message.CONNACK, func(e *router.Event) { fmt.Println("connected:", e.ConnackCode) }, nil, 0)
	c.On(message.SUBACK, func(e *router.Event) { fmt.Println("subscribed:", e.ReturnCodes) }, nil, 0)
	c.On(message.PUBLISH, func(e *router.Event) { fmt.Printf("got %s\n", e.Message.Payload) }, nil, 0)

	if _, err := c.Connect(ctx, b.Addr()); err != nil {
		log.Fatal(err)
	}
	if _, err := c.Subscribe(ctx, message.Subscription{Filter: "cmd", QoS: 1}); err != nil {
		log.Fatal(err)
	}
	if err := b.Publish("cmd", []byte("reboot"), false, 1); err != nil {
		log.Fatal(err)
	}
	for range 3 { // CONNACK, SUBACK, PUBLISH
		if err := c.WaitMsg(ctx); err != nil {
			log.Fatal(err)
		}
	}
	dispatched, err := c.CheckMsg()
	fmt.Println("more:", dispatched, err)
	// Output:
	// connected: connection accepted
	// subscribed: [granted QoS1]
	// got reboot
	// more: false <nil>
}

// A refused filter makes Subscribe return a *SubscribeError; the other
// filters are active.
func ExampleSubscribeError() {
	b := startBroker(broker.EmbeddedOptions{DenyFilters: []string{"admin/#"}})
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := client.New()
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Connect(ctx, b.Addr()); err != nil {
		log.Fatal(err)
	}
	_, err = c.Subscribe(ctx,
		message.Subscription{Filter: "public/#", QoS: 1},
		message.Subscription{Filter: "admin/#", QoS: 1},
	)
	var se *client.SubscribeError
	if errors.As(err, &se) {
		fmt.Println("refused:", se.Filters)
		fmt.Println("codes:", se.Codes)
	}
	fmt.Println("active:", c.Subscriptions())
	// Output:
	// refused: [admin/#]
	// codes: [granted QoS1 failure]
	// active: [{public/# QoS1}]
}

// A refused connection is a *ConnackError carrying the CONNACK code.
func ExampleConnackError() {
	b := startBroker(broker.EmbeddedOptions{Users: map[string]string{"alice": "secret"}})
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := client.New(client.WithCredentials("alice", []byte("guess")))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	_, err = c.Connect(ctx, b.Addr())
	var ce *client.ConnackError
	if errors.As(err, &ce) {
		fmt.Println("refused with code", byte(ce.Code), "-", ce.Code)
	}
	// Output:
	// refused with code 5 - not authorized
}

// With WithDeliverOnPubrel a QoS 2 message is delivered on the PUBREL
// event, Zerynth's way; the PUBLISH event still fires, without Message.
func ExampleWithDeliverOnPubrel() {
	b := startBroker(broker.EmbeddedOptions{})
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := client.New(client.WithDeliverOnPubrel())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	done := make(chan struct{})
	c.On(message.PUBLISH, func(e *router.Event) {
		fmt.Println("PUBLISH, message:", e.Message != nil)
	}, nil, 0)
	c.On(message.PUBREL, func(e *router.Event) {
		fmt.Printf("PUBREL, message: %s\n", e.Message.Payload)
		close(done)
	}, nil, 0)
	if _, err := c.Connect(ctx, b.Addr()); err != nil {
		log.Fatal(err)
	}
	if _, err := c.Subscribe(ctx, message.Subscription{Filter: "once", QoS: 2}); err != nil {
		log.Fatal(err)
	}
	if _, err := c.Publish(ctx, "once", []byte("exactly"), message.QoS2); err != nil {
		log.Fatal(err)
	}
	<-done
	// Output:
	// PUBLISH, message: false
	// PUBREL, message: exactly
}

// With WithManualAck the handler hands each message on and returns; the
// application acknowledges it later, from any goroutine, with the Ack
// kept from the event. PUBACKs leave in the order the messages arrived,
// however the acknowledgements come.
func ExampleWithManualAck() {
	s, err := mqtttest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	type job struct {
		payload string
		ack     func()
	}
	jobs := make(chan job, 16)
	c, err := client.New(client.WithManualAck(), client.WithMaxPending(100))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	c.On(message.PUBLISH, func(e *router.Event) {
		jobs <- job{string(e.Message.Payload), e.Ack} // keep Ack, not e
	}, nil, 0)
	if _, err := c.Connect(ctx, s.URL()); err != nil {
		log.Fatal(err)
	}
	if _, err := c.Subscribe(ctx, message.Subscription{Filter: "work", QoS: message.QoS1}); err != nil {
		log.Fatal(err)
	}
	for _, p := range []string{"a", "b", "c"} {
		if _, err := c.Publish(ctx, "work", []byte(p), message.QoS1); err != nil {
			log.Fatal(err)
		}
	}
	var held []job
	for range 3 {
		j := <-jobs
		fmt.Println("processing", j.payload)
		held = append(held, j)
	}
	// Done in reverse order: the client still sends the PUBACKs in order.
	for i := len(held) - 1; i >= 0; i-- {
		held[i].ack()
	}
	// Output:
	// processing a
	// processing b
	// processing c
}

// WithMaxPending bounds the inbound memory: at most that many messages
// wait for handlers (or for their manual acknowledgement) before the
// client stops reading the socket; WithQoS0Policy chooses which QoS 0
// message goes instead.
func ExampleWithQoS0Policy() {
	s, err := mqtttest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := client.New(client.WithMaxPending(2), client.WithQoS0Policy(client.DropOldest),
		client.WithMaxPacketSize(64<<10)) // inbound memory ≲ 3 × 2 × 66 KiB
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	gate, entered := make(chan struct{}), make(chan struct{})
	got := make(chan string, 8)
	c.On(message.PUBLISH, func(e *router.Event) {
		if string(e.Message.Payload) == "0" {
			close(entered)
			<-gate // a slow handler
		}
		got <- string(e.Message.Payload)
	}, nil, 0)
	if _, err := c.Connect(ctx, s.URL()); err != nil {
		log.Fatal(err)
	}
	if _, err := c.Subscribe(ctx, message.Subscription{Filter: "q0"}); err != nil {
		log.Fatal(err)
	}
	c.Publish(ctx, "q0", []byte("0"), message.QoS0)
	<-entered
	for _, p := range []string{"1", "2", "3"} {
		c.Publish(ctx, "q0", []byte(p), message.QoS0)
	}
	for c.Stats().Dropped < 2 {
		time.Sleep(time.Millisecond)
	}
	close(gate)
	fmt.Println(<-got, <-got, "dropped:", c.Stats().Dropped)
	// Output:
	// 0 3 dropped: 2
}

// WithWorkers runs handlers on several goroutines: messages of one topic
// stay in order, different topics run in parallel.
func ExampleWithWorkers() {
	s, err := mqtttest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := client.New(client.WithWorkers(4))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	var mu sync.Mutex // handlers of different topics run at once
	last := map[string]string{}
	done := make(chan struct{}, 6)
	c.On(message.PUBLISH, func(e *router.Event) {
		time.Sleep(time.Millisecond) // slow work
		mu.Lock()
		last[e.Message.Topic] += string(e.Message.Payload)
		mu.Unlock()
		done <- struct{}{}
	}, nil, 0)
	if _, err := c.Connect(ctx, s.URL()); err != nil {
		log.Fatal(err)
	}
	if _, err := c.Subscribe(ctx, message.Subscription{Filter: "room/#", QoS: message.QoS1}); err != nil {
		log.Fatal(err)
	}
	for _, p := range []string{"1", "2", "3"} {
		for _, room := range []string{"room/a", "room/b"} {
			if _, err := c.Publish(ctx, room, []byte(p), message.QoS1); err != nil {
				log.Fatal(err)
			}
		}
	}
	for range 6 {
		<-done
	}
	mu.Lock()
	fmt.Println(last["room/a"], last["room/b"])
	mu.Unlock()
	// Output:
	// 123 123
}
