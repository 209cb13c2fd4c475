package client_test

import (
	"context"
	"fmt"
	"log"
	"sync/atomic"
	"time"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/mqtttest"
	"github.com/onmqtt/onmqtt/router"
)

// Connect takes several broker URLs: they are tried in order, and the
// reconnect loop walks the same list. Server says which one is in use.
func ExampleClient_Connect_failover() {
	down, err := mqtttest.Start()
	if err != nil {
		log.Fatal(err)
	}
	first := down.URL()
	down.Close() // the first broker of the list is not there
	up, err := mqtttest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer up.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := client.New()
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Connect(ctx, first, up.URL()); err != nil {
		log.Fatal(err)
	}
	fmt.Println("connected to the second broker:", c.Server() == up.URL())
	// Output:
	// connected to the second broker: true
}

// Consumers that subscribe to the same $share/<group>/<filter> split the
// messages between them: each message goes to one member of the group.
// A Topic condition on the shared filter matches the topics the filter
// covers, since the messages carry their own topic.
func Example_consumerGroup() {
	s, err := mqtttest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	const n = 20
	var handled atomic.Int32
	done := make(chan struct{})
	for range 2 {
		c, err := client.New()
		if err != nil {
			log.Fatal(err)
		}
		defer c.Close()
		c.On(message.PUBLISH, func(e *router.Event) {
			if handled.Add(1) == n {
				close(done)
			}
		}, router.Topic("$share/billing/jobs/#"), 0)
		if _, err := c.Connect(ctx, s.URL()); err != nil {
			log.Fatal(err)
		}
		if _, err := c.Subscribe(ctx, message.Subscription{Filter: "$share/billing/jobs/#", QoS: message.QoS1}); err != nil {
			log.Fatal(err)
		}
	}
	pub, err := client.New()
	if err != nil {
		log.Fatal(err)
	}
	defer pub.Close()
	if _, err := pub.Connect(ctx, s.URL()); err != nil {
		log.Fatal(err)
	}
	for i := range n {
		tok, err := pub.Publish(ctx, fmt.Sprintf("jobs/%d", i), []byte("invoice"), message.QoS1)
		if err != nil {
			log.Fatal(err)
		}
		if err := tok.Wait(ctx); err != nil {
			log.Fatal(err)
		}
	}
	<-done
	fmt.Println("handled once across the group:", handled.Load())
	// Output:
	// handled once across the group: 20
}
