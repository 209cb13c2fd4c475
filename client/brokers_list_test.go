package client_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/broker"
	"github.com/onmqtt/onmqtt/internal/broker/brokertest"
	"github.com/onmqtt/onmqtt/message"
)

// downURL returns a tcp:// URL on a loopback port nothing listens on.
func downURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return "tcp://" + addr
}

// withUser returns the tcp:// URL raw with user information added.
func withUser(t *testing.T, raw, user, password string) string {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	u.User = url.UserPassword(user, password)
	return u.String()
}

// servers is a channel of what Server returned in each OnConnect hook.
func serverHook(ch chan<- string) client.Option {
	return client.WithOnConnect(func(c *client.Client, _ bool) { ch <- c.Server() })
}

func TestBrokersOrderFirstDownSecondUsed(t *testing.T) {
	t.Run("embedded", func(t *testing.T) {
		b := brokertest.Embedded(t, broker.EmbeddedOptions{})
		hook := make(chan string, 1)
		c := newClient(t, serverHook(hook))
		assert.Equal(t, "", c.Server(), "not connected yet")
		_, err := c.Connect(testContext(t), downURL(t), b.Addr())
		require.NoError(t, err)
		assert.Equal(t, b.Addr(), c.Server())
		assert.Equal(t, b.Addr(), <-hook, "Server() in OnConnect")
		require.NoError(t, c.Disconnect(testContext(t)))
		assert.Equal(t, "", c.Server(), "after Disconnect")
	})
	t.Run("mosquitto", func(t *testing.T) {
		m := brokertest.Mosquitto(t, broker.MosquittoOptions{})
		c := newClient(t)
		_, err := c.Connect(testContext(t), downURL(t), downURL(t), m.Addr())
		require.NoError(t, err)
		assert.Equal(t, m.Addr(), c.Server())
	})
	t.Run("refused handshake", func(t *testing.T) {
		locked := brokertest.Embedded(t, broker.EmbeddedOptions{Users: map[string]string{"alice": "pw"}})
		open := brokertest.Embedded(t, broker.EmbeddedOptions{})
		c := newClient(t)
		_, err := c.Connect(testContext(t), locked.Addr(), open.Addr())
		require.NoError(t, err)
		assert.Equal(t, open.Addr(), c.Server())
	})
	t.Run("first up is used", func(t *testing.T) {
		a := brokertest.Embedded(t, broker.EmbeddedOptions{})
		b := brokertest.Embedded(t, broker.EmbeddedOptions{})
		c := newClient(t)
		_, err := c.Connect(testContext(t), a.Addr(), b.Addr())
		require.NoError(t, err)
		assert.Equal(t, a.Addr(), c.Server())
		assert.Empty(t, b.ConnectedClients())
	})
}

// The user information of a URL is sent to that URL's broker only: the
// second broker admits only its own user, so the first URL's user would
// be refused there.
func TestBrokersCredentialsPerURL(t *testing.T) {
	a := brokertest.Embedded(t, broker.EmbeddedOptions{Users: map[string]string{"alice": "right"}})
	b := brokertest.Embedded(t, broker.EmbeddedOptions{Users: map[string]string{"bob": "s3cret"}})
	c := newClient(t)
	first := withUser(t, a.Addr(), "alice", "wrong")
	second := withUser(t, b.Addr(), "bob", "s3cret")
	_, err := c.Connect(testContext(t), first, second)
	require.NoError(t, err)
	assert.Equal(t, withUser(t, b.Addr(), "bob", "xxxxx"), c.Server(), "the URL in use, password masked")
	assert.NotContains(t, c.Server(), "s3cret")

	// Without user information the second broker refuses: the first URL's
	// user is not carried over.
	c2 := newClient(t)
	_, err = c2.Connect(testContext(t), withUser(t, a.Addr(), "bob", "s3cret"), b.Addr())
	var ce *client.ConnackError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, message.RefusedNotAuthorized, ce.Code)
}

func TestBrokersAllDownWrapsEveryCause(t *testing.T) {
	locked := brokertest.Embedded(t, broker.EmbeddedOptions{Users: map[string]string{"alice": "pw"}})
	d1, d2 := downURL(t), downURL(t)
	c := newClient(t)
	_, err := c.Connect(testContext(t), d1, locked.Addr(), d2)
	require.Error(t, err)
	assert.ErrorIs(t, err, syscall.ECONNREFUSED)
	var ce *client.ConnackError
	require.ErrorAs(t, err, &ce, "the refused handshake")
	assert.Equal(t, message.RefusedNotAuthorized, ce.Code)
	var joined interface{ Unwrap() []error }
	require.ErrorAs(t, err, &joined)
	require.Len(t, joined.Unwrap(), 3, "one error per URL")
	for i, u := range []string{d1, locked.Addr(), d2} {
		assert.Contains(t, joined.Unwrap()[i].Error(), u, "attempt %d names its URL", i+1)
	}
	assert.False(t, c.IsConnected())
	assert.Equal(t, "", c.Server())
}

// After a loss, the reconnect pass starts with the URL after the one in
// use and wraps around: the client dropped by each broker in turn goes
// to the next, and from the last back to the first.
func TestBrokersReconnectWalksToNext(t *testing.T) {
	bs := []*broker.Embedded{
		brokertest.Embedded(t, broker.EmbeddedOptions{}),
		brokertest.Embedded(t, broker.EmbeddedOptions{}),
		brokertest.Embedded(t, broker.EmbeddedOptions{}),
	}
	hook := make(chan string, 8)
	c := newClient(t, serverHook(hook), client.WithAutoReconnect(10*time.Millisecond, 50*time.Millisecond))
	_, err := c.Connect(testContext(t), bs[0].Addr(), bs[1].Addr(), bs[2].Addr())
	require.NoError(t, err)
	require.Equal(t, bs[0].Addr(), <-hook)
	for _, next := range []int{1, 2, 0} {
		cur := (next + 2) % 3
		dropped, err := bs[cur].Drop(func(string) bool { return false })
		require.NoError(t, err)
		require.Equal(t, []string{c.ClientID()}, dropped)
		select {
		case s := <-hook:
			assert.Equal(t, bs[next].Addr(), s, "OnConnect after broker %d dropped the client", cur)
		case <-time.After(waitLimit):
			require.Failf(t, "no reconnect", "no reconnect after broker %d dropped the client", cur)
		}
		assert.Equal(t, bs[next].Addr(), c.Server())
	}

	// The broker in use stops for good: the client moves on.
	require.NoError(t, bs[0].Close())
	select {
	case s := <-hook:
		assert.Equal(t, bs[1].Addr(), s)
	case <-time.After(waitLimit):
		require.Fail(t, "no reconnect after broker 0 closed")
	}
	assert.Equal(t, bs[1].Addr(), c.Server())
	assert.Equal(t, uint64(5), c.Stats().Connects)
}

// The backoff and the attempt count are per pass over the list, not per
// URL: with three brokers down, MaxReconnectAttempts 2 makes two passes
// (six dials) and OnReconnecting runs twice.
func TestBrokersReconnectAttemptIsOnePass(t *testing.T) {
	b := brokertest.Embedded(t, broker.EmbeddedOptions{})
	var reconnecting atomic.Int32
	lost := make(chan struct{})
	var dials atomic.Int32
	dial := func(ctx context.Context, u *url.URL) (net.Conn, error) {
		dials.Add(1)
		var d net.Dialer
		return d.DialContext(ctx, "tcp", u.Host)
	}
	c := newClient(t,
		client.WithDialer(dial),
		client.WithAutoReconnect(10*time.Millisecond, 20*time.Millisecond),
		client.WithMaxReconnectAttempts(2),
		client.WithOnReconnecting(func(*client.Client, int) { reconnecting.Add(1) }),
	)
	_, err := c.Connect(testContext(t), b.Addr(), downURL(t), downURL(t))
	require.NoError(t, err)
	require.Equal(t, int32(1), dials.Load())
	go func() {
		for c.State() != client.Disconnected {
			time.Sleep(5 * time.Millisecond)
		}
		close(lost)
	}()
	require.NoError(t, b.Close())
	select {
	case <-lost:
	case <-time.After(waitLimit):
		require.Fail(t, "the client did not give up")
	}
	assert.Equal(t, int32(2), reconnecting.Load(), "OnReconnecting runs once per pass")
	assert.Equal(t, int32(1+2*3), dials.Load(), "each pass dials every URL")
	assert.ErrorIs(t, c.Err(), syscall.ECONNREFUSED)
}

// WithShuffleBrokers puts the list in a random order per client: twenty
// clients given four URLs do not all start with the same one (all twenty
// pick the same first with probability 4^-19).
func TestBrokersShuffle(t *testing.T) {
	var urls []string
	for range 4 {
		urls = append(urls, brokertest.Embedded(t, broker.EmbeddedOptions{}).Addr())
	}
	firsts := map[string]int{}
	for range 20 {
		c := newClient(t, client.WithShuffleBrokers())
		_, err := c.Connect(testContext(t), urls[0], urls[1:]...)
		require.NoError(t, err)
		assert.Contains(t, urls, c.Server())
		firsts[c.Server()]++
		require.NoError(t, c.Disconnect(testContext(t)))
	}
	assert.GreaterOrEqual(t, len(firsts), 2, "first servers: %v", firsts)

	// Without the option the order is the one given.
	for range 5 {
		c := newClient(t)
		_, err := c.Connect(testContext(t), urls[0], urls[1:]...)
		require.NoError(t, err)
		assert.Equal(t, urls[0], c.Server())
		require.NoError(t, c.Disconnect(testContext(t)))
	}
}

// Every URL is checked before anything is dialed; the error names the
// bad one and never shows a password.
func TestBrokersBadURLRefusedUpFront(t *testing.T) {
	b := brokertest.Embedded(t, broker.EmbeddedOptions{})
	tests := []struct {
		name, bad string
		is        error
		names     string
	}{
		{"does not parse", "tcp://u:hidden@[::1", client.ErrInvalidURL, `URL 2, "tcp://xxxxx@[::1"`},
		{"no host", "tcp://", client.ErrInvalidURL, `URL 2, "tcp:"`},
		{"unknown scheme", "ftp://127.0.0.1:21", client.ErrUnsupportedScheme, `URL 2, "ftp://127.0.0.1:21"`},
		{"password masked", "http://u:hidden@127.0.0.1:1", client.ErrUnsupportedScheme, "http://u:xxxxx@127.0.0.1:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t)
			_, err := c.Connect(testContext(t), b.Addr(), tt.bad)
			require.ErrorIs(t, err, tt.is)
			assert.Contains(t, err.Error(), tt.names)
			assert.NotContains(t, err.Error(), "hidden")
			assert.Equal(t, client.Disconnected, c.State())
			assert.Empty(t, b.ConnectedClients(), "nothing dialed")
			assert.False(t, errors.Is(err, syscall.ECONNREFUSED))
		})
	}
}
