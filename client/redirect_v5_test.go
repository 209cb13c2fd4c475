package client_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
)

// hostPort returns "127.0.0.1:port" of a peer.
func (p *scripted) hostPort() string { return strings.TrimPrefix(p.url(), "tcp://") }

// TestV5FollowServerReference checks that a CONNACK 0x9C is followed to
// its Server Reference with WithFollowServerReference, and only
// reported without it.
func TestV5FollowServerReference(t *testing.T) {
	for _, follow := range []bool{false, true} {
		name := map[bool]string{false: "reported", true: "followed"}[follow]
		t.Run(name, func(t *testing.T) {
			a, b := newPeer(t), newPeer(t)
			opts := []client.Option{client.WithVersion(message.V5)}
			if follow {
				opts = append(opts, client.WithFollowServerReference())
			}
			c := newClient(t, opts...)
			errc := make(chan error, 1)
			go func() {
				_, err := c.Connect(testContext(t), a.url())
				errc <- err
			}()
			pa := a.accept()
			pa.expect(message.CONNECT)
			pa.v = message.V5
			pa.send(&message.Connack{ReturnCode: message.ConnackCode(message.UseAnotherServer),
				Properties: &message.Properties{ServerReference: b.hostPort()}})
			if !follow {
				var ce *client.ConnackError
				require.ErrorAs(t, <-errc, &ce)
				assert.Equal(t, b.hostPort(), ce.ServerReference())
				return
			}
			pb := b.accept()
			pb.handshake5(nil)
			require.NoError(t, <-errc)
			assert.Equal(t, b.url(), c.Server())
		})
	}
}

// TestV5FollowDisconnectReference checks that after a DISCONNECT 0x9D
// the reconnect goes to the Server Reference first.
func TestV5FollowDisconnectReference(t *testing.T) {
	a, b := newPeer(t), newPeer(t)
	servers := make(chan string, 4)
	c := newClient(t, client.WithVersion(message.V5), client.WithFollowServerReference(),
		client.WithAutoReconnect(time.Millisecond, 10*time.Millisecond),
		client.WithOnConnect(func(c *client.Client, _ bool) { servers <- c.Server() }))
	pa, _ := connectTo5(t, c, a, nil)
	pa.send(&message.Disconnect{ReasonCode: message.ServerMoved, Properties: &message.Properties{ServerReference: b.url()}})
	pb := b.accept()
	pb.handshake5(nil)
	// The hook of the first connection may read "" if it runs after
	// that connection ended; the second's names b.
	for {
		select {
		case got := <-servers:
			if got == b.url() {
				return
			}
			assert.Contains(t, []string{"", a.url()}, got)
		case <-time.After(waitLimit):
			t.Fatal("no connection to the referenced broker")
		}
	}
}
