package client_test

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/peer"
	"github.com/onmqtt/onmqtt/message"
)

// deadAddr returns a loopback host:port nothing listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// refuseWith answers the next CONNECT at p with CONNACK 0x9C naming ref.
func refuseWith(t *testing.T, p *peer.Peer, ref string) {
	t.Helper()
	pc := p.Next(t)
	pc.Expect(message.CONNECT)
	pc.SetVersion(message.V5)
	pc.Send(&message.Connack{ReturnCode: message.ConnackCode(message.UseAnotherServer),
		Properties: &message.Properties{ServerReference: ref}})
}

// connectFollowing starts connecting a 5.0 client that follows server
// references to url, and returns it with the channel Connect's error
// arrives on.
func connectFollowing(t *testing.T, url string) (*client.Client, <-chan error) {
	c := newClient(t, client.WithVersion(message.V5), client.WithFollowServerReference())
	errc := make(chan error, 1)
	go func() {
		_, err := c.Connect(testContext(t), url)
		errc <- err
	}()
	return c, errc
}

// TestV5ReferenceListTriedInOrder checks that a Server Reference listing
// several brokers has them tried in the broker's order: a dead one and a
// malformed entry are passed over, and the client connects to the next.
func TestV5ReferenceListTriedInOrder(t *testing.T) {
	a, b := peer.Open(t), peer.Open(t)
	c, errc := connectFollowing(t, a.Addr())
	refuseWith(t, a, "tcp://"+deadAddr(t)+" bogus://x:1 "+hostPort(b))
	b.Next(t).Handshake5(nil)
	require.NoError(t, <-errc)
	assert.Equal(t, b.Addr(), c.Server())
}

// TestV5ReferenceChainFollowed checks that a referenced broker which
// refers the client on is followed too.
func TestV5ReferenceChainFollowed(t *testing.T) {
	a, b, d := peer.Open(t), peer.Open(t), peer.Open(t)
	c, errc := connectFollowing(t, a.Addr())
	refuseWith(t, a, hostPort(b))
	refuseWith(t, b, hostPort(d))
	d.Next(t).Handshake5(nil)
	require.NoError(t, <-errc)
	assert.Equal(t, d.Addr(), c.Server())
}

// TestV5ReferenceLoopEnds checks that two brokers referring the client
// to each other end the attempt with an error instead of looping, and
// that the error still carries the first refusal.
func TestV5ReferenceLoopEnds(t *testing.T) {
	a, b := peer.Open(t), peer.Open(t)
	_, errc := connectFollowing(t, a.Addr())
	refuseWith(t, a, hostPort(b))
	refuseWith(t, b, hostPort(a))
	err := <-errc
	require.Error(t, err)
	var ce *client.ConnackError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, message.UseAnotherServer, ce.Code.Reason())
	assert.Contains(t, err.Error(), "already tried")
	// a is not dialled a second time.
	a.ExpectNoConnection(t, 300*time.Millisecond)
}

// TestV5ReferenceDepthBounded checks that a chain of referrals is
// followed at most three deep.
func TestV5ReferenceDepthBounded(t *testing.T) {
	ps := []*peer.Peer{peer.Open(t), peer.Open(t), peer.Open(t), peer.Open(t), peer.Open(t)}
	_, errc := connectFollowing(t, ps[0].Addr())
	for i := range 4 {
		refuseWith(t, ps[i], hostPort(ps[i+1]))
	}
	err := <-errc
	require.Error(t, err)
	assert.Contains(t, err.Error(), "3 server references in a row")
}

// TestV5DisconnectReferenceList checks that after a DISCONNECT 0x9C
// whose reference lists a dead broker first, the reconnect passes over
// it to the next entry before returning to the configured broker.
func TestV5DisconnectReferenceList(t *testing.T) {
	a, b := peer.Open(t), peer.Open(t)
	servers := make(chan string, 4)
	c := newClient(t, client.WithVersion(message.V5), client.WithFollowServerReference(),
		client.WithAutoReconnect(time.Millisecond, 10*time.Millisecond),
		client.WithOnConnect(func(c *client.Client, _ bool) { servers <- c.Server() }))
	pa, _ := connectScriptedTo5(t, c, a, nil)
	pa.Send(&message.Disconnect{ReasonCode: message.UseAnotherServer,
		Properties: &message.Properties{ServerReference: deadAddr(t) + " " + hostPort(b)}})
	b.Next(t).Handshake5(nil)
	for {
		select {
		case got := <-servers:
			if got == b.Addr() {
				return
			}
			assert.Contains(t, []string{"", a.Addr()}, got)
		case <-time.After(waitLimit):
			require.FailNow(t, "no connection to the second referenced broker")
		}
	}
}
