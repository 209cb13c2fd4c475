package client_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/broker"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
)

// At MQTT 5.0 a publish carries properties, and a subscription made with
// a Subscription Identifier lets a handler belong to that subscription
// rather than to a topic pattern: router.SubscriptionID routes by the
// identifiers the broker attaches.
func Example_mqtt5Properties() {
	b := startBroker(broker.EmbeddedOptions{})
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := client.New(client.WithVersion(message.V5))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	done := make(chan struct{})
	c.On(message.PUBLISH, func(e *router.Event) {
		p := e.Message.Properties
		fmt.Printf("%s %s %s %v\n", e.Message.Topic, p.ContentType, e.Message.Payload, p.UserProperties)
		close(done)
	}, router.SubscriptionID(7), 0)
	if _, err := c.Connect(ctx, b.Addr()); err != nil {
		log.Fatal(err)
	}
	fmt.Println("agreed:", c.ConnectResult().Version)
	if _, err := c.SubscribeWith(ctx, []message.Subscription{{Filter: "fleet/+/status", QoS: message.QoS1}},
		client.WithSubscriptionID(7)); err != nil {
		log.Fatal(err)
	}
	tok, err := c.Publish(ctx, "fleet/truck-1/status", []byte(`{"ok":true}`), message.QoS0,
		client.WithContentType("application/json"), client.WithPayloadUTF8(),
		client.WithUserProperty("fw", "2.1"), client.WithMessageExpiry(time.Minute))
	if err != nil {
		log.Fatal(err)
	}
	if err := tok.Wait(ctx); err != nil {
		log.Fatal(err)
	}
	<-done
	// Output:
	// agreed: 5.0
	// fleet/truck-1/status application/json {"ok":true} [{fw 2.1}]
}

// Request publishes with a Response Topic and a unique Correlation Data
// and waits for the answer; Respond answers a request on its Response
// Topic with its Correlation Data.
func ExampleClient_Request() {
	b := startBroker(broker.EmbeddedOptions{})
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	server, err := client.New(client.WithVersion(message.V5))
	if err != nil {
		log.Fatal(err)
	}
	defer server.Close()
	server.On(message.PUBLISH, func(e *router.Event) {
		if _, err := server.Respond(ctx, e.Message, append([]byte("hello, "), e.Message.Payload...)); err != nil {
			log.Print(err)
		}
	}, router.Topic("svc/greet"), 0)
	if _, err := server.Connect(ctx, b.Addr()); err != nil {
		log.Fatal(err)
	}
	if _, err := server.Subscribe(ctx, message.Subscription{Filter: "svc/greet", QoS: message.QoS1}); err != nil {
		log.Fatal(err)
	}

	c, err := client.New(client.WithVersion(message.V5))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Connect(ctx, b.Addr()); err != nil {
		log.Fatal(err)
	}
	reply, err := c.Request(ctx, "svc/greet", []byte("ada"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", reply.Payload)
	// Output:
	// hello, ada
}

// With a Topic Alias Maximum the broker may send topic aliases; the
// client resolves them before routing, so handlers and Topic conditions
// always see full topics. Our own publishes get aliases automatically
// within the broker's Topic Alias Maximum.
func ExampleWithTopicAliasMaximum() {
	b := startBroker(broker.EmbeddedOptions{})
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := client.New(client.WithVersion(message.V5), client.WithTopicAliasMaximum(16))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	got := make(chan string, 3)
	c.On(message.PUBLISH, func(e *router.Event) { got <- e.Message.Topic }, router.Topic("plant/+/line/+"), 0)
	if _, err := c.Connect(ctx, b.Addr()); err != nil {
		log.Fatal(err)
	}
	if _, err := c.Subscribe(ctx, message.Subscription{Filter: "plant/#", QoS: message.QoS1}); err != nil {
		log.Fatal(err)
	}
	for range 3 {
		tok, err := c.Publish(ctx, "plant/7/line/3", []byte("tick"), message.QoS1)
		if err != nil {
			log.Fatal(err)
		}
		if err := tok.Wait(ctx); err != nil {
			log.Fatal(err)
		}
		fmt.Println(<-got)
	}
	// Output:
	// plant/7/line/3
	// plant/7/line/3
	// plant/7/line/3
}

// NewSCRAM authenticates with SCRAM-SHA-256 inside the handshake, and
// again on the live connection with Reauthenticate; the broker proves in
// its CONNACK that it knows the password too.
func ExampleNewSCRAM() {
	b, _, err := startSCRAMBroker(map[string]string{"alice": "correct horse"})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := client.New(client.WithVersion(message.V5),
		client.WithAuthenticator(client.NewSCRAM("alice", "correct horse")))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Connect(ctx, b.Addr()); err != nil {
		log.Fatal(err)
	}
	fmt.Println("connected with", c.ConnectResult().Properties.AuthMethod)
	if err := c.Reauthenticate(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("re-authenticated")
	// Output:
	// connected with SCRAM-SHA-256
	// re-authenticated
}

// A DISCONNECT can carry a reason code: 0x04 has the broker publish the
// will, as if the connection had been lost.
func ExampleDisconnectWithWill() {
	b := startBroker(broker.EmbeddedOptions{})
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	watcher, err := client.New(client.WithVersion(message.V5))
	if err != nil {
		log.Fatal(err)
	}
	defer watcher.Close()
	wills := make(chan string, 1)
	watcher.On(message.PUBLISH, func(e *router.Event) { wills <- string(e.Message.Payload) }, router.Topic("status/+"), 0)
	if _, err := watcher.Connect(ctx, b.Addr()); err != nil {
		log.Fatal(err)
	}
	if _, err := watcher.Subscribe(ctx, message.Subscription{Filter: "status/+", QoS: message.QoS1}); err != nil {
		log.Fatal(err)
	}

	c, err := client.New(client.WithVersion(message.V5),
		client.WithWill("status/pump", []byte("offline"), message.QoS1, false))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Connect(ctx, b.Addr()); err != nil {
		log.Fatal(err)
	}
	if err := c.Disconnect(ctx, client.DisconnectWithWill()); err != nil {
		log.Fatal(err)
	}
	fmt.Println("will:", <-wills)
	// Output:
	// will: offline
}
