package client_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/peer"
	"github.com/onmqtt/onmqtt/message"
)

// connectScripted5 makes a 5.0 client with opts, connects it to a new
// scripted peer whose CONNACK carries props, and returns both ends and
// the CONNECT.
func connectScripted5(t testing.TB, props *message.Properties, opts ...client.Option) (*client.Client, *peer.Conn, *message.Connect) {
	t.Helper()
	p := peer.Open(t)
	c := newClient(t, append([]client.Option{client.WithVersion(message.V5)}, opts...)...)
	pc, cp := connectScriptedTo5(t, c, p, props)
	return c, pc, cp
}

// connectScriptedTo5 connects c to p, which takes the connection, checks
// that the CONNECT asks for 5.0 and answers with a CONNACK carrying
// props.
func connectScriptedTo5(t testing.TB, c *client.Client, p *peer.Peer, props *message.Properties) (*peer.Conn, *message.Connect) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		_, err := c.Connect(testContext(t), p.Addr())
		errc <- err
	}()
	pc := p.Next(t)
	cp := pc.Handshake5(props)
	require.NoError(t, <-errc, "Connect")
	return pc, cp
}

// v5Message is what a handler keeps of a delivered message.
type v5Message struct {
	topic string
	props *message.Properties
}
