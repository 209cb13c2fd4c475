package mqtttest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/mqtttest"
	"github.com/onmqtt/onmqtt/router"
)

// A program that is not a test starts the server with Start and closes it
// itself; a test calls NewServer(t), which closes it at the end of the
// test.
func ExampleStart() {
	srv, err := mqtttest.Start()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _ := client.New()
	defer c.Close()
	got := make(chan string, 1)
	c.On(message.PUBLISH, func(e *router.Event) {
		got <- fmt.Sprintf("%s %s", e.Message.Topic, e.Message.Payload)
	}, nil, 0)
	if _, err := c.Connect(ctx, srv.URL()); err != nil {
		fmt.Println(err)
		return
	}
	c.Subscribe(ctx, message.Subscription{Filter: "greetings/#", QoS: message.QoS1})
	srv.Publish("greetings/world", []byte("hello"), 1, false)
	fmt.Println(<-got)
	// Output: greetings/world hello
}

// Dropping a client's connection tests what the application does when
// the network fails: here the client reconnects by itself.
func ExampleServer_Drop() {
	srv, _ := mqtttest.Start()
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	up, lost := make(chan bool, 2), make(chan error, 1)
	c, _ := client.New(
		client.WithClientID("sensor-1"),
		client.WithAutoReconnect(10*time.Millisecond, time.Second),
		client.WithOnConnect(func(_ *client.Client, sessionPresent bool) { up <- sessionPresent }),
		client.WithOnConnectionLost(func(_ *client.Client, err error) { lost <- err }),
	)
	defer c.Close()
	c.Connect(ctx, srv.URL())
	<-up
	fmt.Println("connected:", srv.Clients())

	srv.Drop("sensor-1")
	<-lost
	fmt.Println("connection lost")
	<-up
	fmt.Println("reconnected, connections made:", c.Stats().Connects)
	// Output:
	// connected: [sensor-1]
	// connection lost
	// reconnected, connections made: 2
}

// With users configured, the server refuses anyone else with CONNACK
// return code 5.
func ExampleWithUser() {
	srv, _ := mqtttest.Start(mqtttest.WithUser("alice", "s3cret"))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, password := range []string{"s3cret", "guess"} {
		c, _ := client.New(client.WithCredentials("alice", []byte(password)))
		_, err := c.Connect(ctx, srv.URL())
		fmt.Printf("password %q: %v\n", password, err)
		c.Close()
	}
	// Output:
	// password "s3cret": <nil>
	// password "guess": onmqtt: connection refused: not authorized (code 5)
}

// A TLS listener comes with its own certificate authority; the client
// configuration trusts it.
func ExampleWithTLS() {
	srv, _ := mqtttest.Start(mqtttest.WithTLS())
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _ := client.New(client.WithTLSConfig(srv.ClientTLSConfig()))
	defer c.Close()
	_, err := c.Connect(ctx, srv.TLSURL())
	fmt.Println("connected over TLS:", err == nil)
	// Output: connected over TLS: true
}

// In a test, NewServer starts the server and stops it when the test ends.
// (This example is compiled but not run: it needs the test's *testing.T.)
func ExampleNewServer() {
	_ = func(t *testing.T) {
		srv := mqtttest.NewServer(t, mqtttest.WithWebSocket(), mqtttest.WithUser("app", "secret"))
		c, err := client.New(client.WithCredentials("app", []byte("secret")))
		require.NoError(t, err)
		defer c.Close()
		_, err = c.Connect(t.Context(), srv.WebSocketURL())
		require.NoError(t, err)
		// ... exercise the code under test, then srv.DropAll() to see
		// it reconnect.
	}
}
