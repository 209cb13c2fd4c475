package mqtttest_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/mqtttest"
	"github.com/onmqtt/onmqtt/router"
)

// TestSensorReconnects is the example of the README's "Testing your
// application" section, word for word.
func TestSensorReconnects(t *testing.T) {
	srv := mqtttest.NewServer(t, mqtttest.WithUser("sensor", "secret"))

	up := make(chan bool, 2)
	got := make(chan string, 2)
	c, err := client.New(
		client.WithClientID("sensor-1"),
		client.WithCredentials("sensor", []byte("secret")),
		client.WithAutoReconnect(10*time.Millisecond, time.Second),
		client.WithOnConnect(func(*client.Client, bool) { up <- true }),
	)
	require.NoError(t, err)
	defer c.Close()
	c.On(message.PUBLISH, func(e *router.Event) { got <- string(e.Message.Payload) }, nil, 0)
	_, err = c.Connect(t.Context(), srv.URL())
	require.NoError(t, err)
	<-up
	_, err = c.Subscribe(t.Context(), message.Subscription{Filter: "cmd/sensor-1", QoS: 1})
	require.NoError(t, err)

	// The network fails: the client reconnects and renews its subscription.
	require.NoError(t, srv.Drop("sensor-1"))
	<-up
	require.NoError(t, srv.WaitSubscribed(t.Context(), "cmd/sensor-1", 1))
	require.NoError(t, srv.Publish("cmd/sensor-1", []byte("calibrate"), 1, false))
	require.Equal(t, "calibrate", <-got)
}
