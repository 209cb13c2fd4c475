package client_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/peer"
	"github.com/onmqtt/onmqtt/message"
)

// hostPort returns "127.0.0.1:port" of a peer.
func hostPort(p *peer.Peer) string { return strings.TrimPrefix(p.Addr(), "tcp://") }

// TestV5FollowServerReference checks that a CONNACK 0x9C is followed to
// its Server Reference with WithFollowServerReference, and only
// reported without it.
func TestV5FollowServerReference(t *testing.T) {
	for _, follow := range []bool{false, true} {
		name := map[bool]string{false: "reported", true: "followed"}[follow]
		t.Run(name, func(t *testing.T) {
			a, b := peer.Open(t), peer.Open(t)
			opts := []client.Option{client.WithVersion(message.V5)}
			if follow {
				opts = append(opts, client.WithFollowServerReference())
			}
			c := newClient(t, opts...)
			errc := make(chan error, 1)
			go func() {
				_, err := c.Connect(testContext(t), a.Addr())
				errc <- err
			}()
			pa := a.Next(t)
			pa.Expect(message.CONNECT)
			pa.SetVersion(message.V5)
			pa.Send(&message.Connack{ReturnCode: message.ConnackCode(message.UseAnotherServer),
				Properties: &message.Properties{ServerReference: hostPort(b)}})
			if !follow {
				var ce *client.ConnackError
				require.ErrorAs(t, <-errc, &ce)
				assert.Equal(t, hostPort(b), ce.ServerReference())
				return
			}
			pb := b.Next(t)
			pb.Handshake5(nil)
			require.NoError(t, <-errc)
			assert.Equal(t, b.Addr(), c.Server())
		})
	}
}

// TestV5FollowDisconnectReference checks that after a DISCONNECT 0x9D
// the reconnect goes to the Server Reference first.
func TestV5FollowDisconnectReference(t *testing.T) {
	a, b := peer.Open(t), peer.Open(t)
	servers := make(chan string, 4)
	c := newClient(t, client.WithVersion(message.V5), client.WithFollowServerReference(),
		client.WithAutoReconnect(time.Millisecond, 10*time.Millisecond),
		client.WithOnConnect(func(c *client.Client, _ bool) { servers <- c.Server() }))
	pa, _ := connectScriptedTo5(t, c, a, nil)
	pa.Send(&message.Disconnect{ReasonCode: message.ServerMoved, Properties: &message.Properties{ServerReference: b.Addr()}})
	pb := b.Next(t)
	pb.Handshake5(nil)
	// The hook of the first connection may read "" if it runs after
	// that connection ended; the second's names b.
	for {
		select {
		case got := <-servers:
			if got == b.Addr() {
				return
			}
			assert.Contains(t, []string{"", a.Addr()}, got)
		case <-time.After(waitLimit):
			require.FailNow(t, "no connection to the referenced broker")
		}
	}
}
