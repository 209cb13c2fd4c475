package client_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/peer"
	"github.com/onmqtt/onmqtt/message"
)

func TestPeerConnackRefused(t *testing.T) {
	for code := message.RefusedProtocolVersion; code <= message.RefusedNotAuthorized; code++ {
		t.Run(code.String(), func(t *testing.T) {
			p := peer.Open(t)
			c := newClient(t)
			errc := make(chan error, 1)
			go func() {
				_, err := c.Connect(testContext(t), p.Addr())
				errc <- err
			}()
			p.Next(t).Handshake(code)
			err := <-errc
			var ce *client.ConnackError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, code, ce.Code)
			assert.False(t, c.IsConnected())
		})
	}
}

func TestPeerBadInput(t *testing.T) {
	c, pc := connectScripted(t, client.WithKeepAlive(0), client.WithMaxPacketSize(1024))
	ctx := testContext(t)
	publishes := []struct {
		name  string
		topic string
		size  int
		qos   message.QoS
		want  error
	}{
		{"wildcard topic", "a/+", 0, message.QoS1, message.ErrInvalidTopic},
		{"hash topic", "a/#", 0, message.QoS0, message.ErrInvalidTopic},
		{"empty topic", "", 0, message.QoS1, message.ErrInvalidTopic},
		{"NUL in topic", "a/\u0000", 0, message.QoS2, message.ErrInvalidUTF8},
		{"bad UTF-8 in topic", "a/\xff", 0, message.QoS1, message.ErrInvalidUTF8},
		{"topic too long", strings.Repeat("t", 65536), 0, message.QoS0, message.ErrStringTooLong},
		{"QoS 3", "a/b", 0, 3, message.ErrInvalidQoS},
		{"oversize payload", "a/b", 1024, message.QoS1, client.ErrPayloadTooLarge},
		{"oversize payload QoS 0", "a/b", 2000, message.QoS0, client.ErrPayloadTooLarge},
	}
	for _, tt := range publishes {
		t.Run("Publish "+tt.name, func(t *testing.T) {
			tok, err := c.Publish(ctx, tt.topic, make([]byte, tt.size), tt.qos)
			assert.ErrorIs(t, err, tt.want)
			if tt.topic != "a/b" {
				assert.ErrorIs(t, err, message.ErrInvalidTopic)
			}
			assert.Nil(t, tok)
		})
	}
	subscribes := []struct {
		name string
		subs []message.Subscription
		want error
	}{
		{"hash not last", []message.Subscription{{Filter: "a/#/b"}}, message.ErrInvalidFilter},
		{"plus inside a level", []message.Subscription{{Filter: "a/b+"}}, message.ErrInvalidFilter},
		{"empty filter", []message.Subscription{{Filter: ""}}, message.ErrInvalidFilter},
		{"NUL in filter", []message.Subscription{{Filter: "a/\u0000/#"}}, message.ErrInvalidUTF8},
		{"one bad of two", []message.Subscription{{Filter: "ok/#"}, {Filter: "a/#/b"}}, message.ErrInvalidFilter},
		{"QoS 3", []message.Subscription{{Filter: "a/b", QoS: 3}}, message.ErrInvalidQoS},
		{"no filter", nil, message.ErrNoFilters},
	}
	for _, tt := range subscribes {
		t.Run("Subscribe "+tt.name, func(t *testing.T) {
			_, err := c.Subscribe(ctx, tt.subs...)
			assert.ErrorIs(t, err, tt.want)
			if len(tt.subs) > 0 && tt.subs[len(tt.subs)-1].QoS == 0 {
				assert.ErrorIs(t, err, message.ErrInvalidFilter)
			}
		})
	}
	t.Run("Unsubscribe bad filter", func(t *testing.T) {
		assert.ErrorIs(t, c.Unsubscribe(ctx, "a/#/b"), message.ErrInvalidFilter)
	})
	if t.Failed() {
		return
	}
	// Nothing of the above reached the wire: the first packet the peer
	// sees is the next valid publish.
	tok, err := c.Publish(ctx, "valid/topic", []byte("first"), message.QoS0)
	require.NoError(t, err)
	waitToken(t, tok)
	p := pc.ExpectPublish()
	assert.Equal(t, "valid/topic", p.Topic, "the first packet is the valid publish")
	assert.Equal(t, "first", string(p.Payload))
	assert.Zero(t, c.Stats().Sent[message.SUBSCRIBE], "SUBSCRIBE sent")
}

func TestConnectErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closedAddr := ln.Addr().String()
	ln.Close()
	silent := peer.Open(t) // accepts, never answers

	tests := []struct {
		name  string
		url   string
		opts  []client.Option
		check func(error) bool
		want  string
	}{
		{"unknown scheme", "http://127.0.0.1:1", nil,
			func(err error) bool { return errors.Is(err, client.ErrUnsupportedScheme) }, "ErrUnsupportedScheme"},
		{"bad URL", "tcp://[::1", nil,
			func(err error) bool { return err != nil }, "an error"},
		{"nothing listening", "tcp://" + closedAddr, nil,
			func(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }, "ECONNREFUSED"},
		{"no CONNACK within ConnectTimeout", silent.Addr(), []client.Option{client.WithConnectTimeout(100 * time.Millisecond)},
			func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }, "context.DeadlineExceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, tt.opts...)
			_, err := c.Connect(testContext(t), tt.url)
			assert.True(t, tt.check(err), "got %v, want %s", err, tt.want)
			assert.False(t, c.IsConnected())
		})
	}
	t.Run("context ends before CONNACK", func(t *testing.T) {
		c := newClient(t)
		ctx, cancel := context.WithCancel(testContext(t))
		errc := make(chan error, 1)
		go func() {
			_, err := c.Connect(ctx, silent.Addr())
			errc <- err
		}()
		silent.Next(t).Expect(message.CONNECT)
		cancel()
		assert.ErrorIs(t, <-errc, context.Canceled)
	})
	t.Run("already connected", func(t *testing.T) {
		c, _ := connectScripted(t, client.WithKeepAlive(0))
		_, err := c.Connect(testContext(t), silent.Addr())
		assert.ErrorIs(t, err, client.ErrAlreadyConnected)
	})
}

func TestPeerConnectPacket(t *testing.T) {
	tests := []struct {
		name string
		opts []client.Option
		want message.Connect // ClientID "" with randomID: any "onmqtt-" id
		rnd  bool
	}{
		{"defaults", nil,
			message.Connect{Version: message.V311, CleanSession: true, KeepAlive: 60}, true},
		{"client id, persistent session", []client.Option{client.WithClientID("dev-1"), client.WithCleanSession(false)},
			message.Connect{Version: message.V311, ClientID: "dev-1", KeepAlive: 60}, false},
		{"empty client id", []client.Option{client.WithEmptyClientID()},
			message.Connect{Version: message.V311, CleanSession: true, KeepAlive: 60}, false},
		{"MQTT 3.1", []client.Option{client.WithVersion(message.V31), client.WithClientID("old")},
			message.Connect{Version: message.V31, ClientID: "old", CleanSession: true, KeepAlive: 60}, false},
		{"keepalive off", []client.Option{client.WithClientID("k"), client.WithKeepAlive(0)},
			message.Connect{Version: message.V311, ClientID: "k", CleanSession: true}, false},
		{"keepalive rounded up", []client.Option{client.WithClientID("k"), client.WithKeepAlive(1500 * time.Millisecond)},
			message.Connect{Version: message.V311, ClientID: "k", CleanSession: true, KeepAlive: 2}, false},
		{"sub-second keepalive", []client.Option{client.WithClientID("k"), client.WithKeepAlive(300 * time.Millisecond)},
			message.Connect{Version: message.V311, ClientID: "k", CleanSession: true, KeepAlive: 1}, false},
		{"will", []client.Option{client.WithClientID("w"), client.WithWill("wills/w", []byte("bye"), message.QoS2, true)},
			message.Connect{Version: message.V311, ClientID: "w", CleanSession: true, KeepAlive: 60,
				Will: &message.Will{Topic: "wills/w", Payload: []byte("bye"), QoS: message.QoS2, Retain: true}}, false},
		{"user and password", []client.Option{client.WithClientID("u"), client.WithCredentials("user", []byte("pw"))},
			message.Connect{Version: message.V311, ClientID: "u", CleanSession: true, KeepAlive: 60,
				UsernameFlag: true, Username: "user", PasswordFlag: true, Password: []byte("pw")}, false},
		{"user alone", []client.Option{client.WithClientID("u"), client.WithCredentials("user", nil)},
			message.Connect{Version: message.V311, ClientID: "u", CleanSession: true, KeepAlive: 60,
				UsernameFlag: true, Username: "user"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := peer.Open(t)
			c := newClient(t, tt.opts...)
			errc := make(chan error, 1)
			go func() {
				_, err := c.Connect(testContext(t), p.Addr())
				errc <- err
			}()
			got := *p.Next(t).Handshake(message.Accepted)
			require.NoError(t, <-errc)
			if tt.rnd {
				assert.True(t, strings.HasPrefix(got.ClientID, "onmqtt-") && len(got.ClientID) > len("onmqtt-"),
					"got client id %q, want a generated onmqtt-… id", got.ClientID)
				assert.Equal(t, got.ClientID, c.ClientID(), "ClientID() is the id sent")
				got.ClientID = ""
			}
			assert.True(t, sameConnect(got, tt.want), "got CONNECT\n\t%+v %+v\nwant\n\t%+v %+v", got, got.Will, tt.want, tt.want.Will)
		})
	}
	t.Run("generated MQTT 3.1 id", func(t *testing.T) {
		id := newClient(t, client.WithVersion(message.V31)).ClientID()
		assert.True(t, strings.HasPrefix(id, "onmqtt-"), "got %q, want an onmqtt-… id", id)
		assert.Len(t, id, 23, "the most MQTT 3.1 allows")
	})
	t.Run("generated ids differ", func(t *testing.T) {
		a, b := newClient(t), newClient(t)
		assert.NotEqual(t, a.ClientID(), b.ClientID(), "two clients got the same id")
	})
}

// sameConnect compares CONNECT packets field by field, nil and empty
// byte slices alike.
func sameConnect(a, b message.Connect) bool {
	if (a.Will == nil) != (b.Will == nil) {
		return false
	}
	if a.Will != nil && (a.Will.Topic != b.Will.Topic || !bytes.Equal(a.Will.Payload, b.Will.Payload) ||
		a.Will.QoS != b.Will.QoS || a.Will.Retain != b.Will.Retain) {
		return false
	}
	return a.Version == b.Version && a.ClientID == b.ClientID && a.CleanSession == b.CleanSession &&
		a.KeepAlive == b.KeepAlive && a.UsernameFlag == b.UsernameFlag && a.Username == b.Username &&
		a.PasswordFlag == b.PasswordFlag && bytes.Equal(a.Password, b.Password)
}

// TestPipeTransport runs the client over net.Pipe through a DialFunc:
// any byte stream will do.
func TestPipeTransport(t *testing.T) {
	srv, cli := net.Pipe()
	t.Cleanup(func() { srv.Close(); cli.Close() })
	dialed := 0
	c := newClient(t, client.WithKeepAlive(0), client.WithDialer(func(context.Context, *url.URL) (net.Conn, error) {
		dialed++
		return cli, nil
	}))
	pc := peer.NewConn(t, srv)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Connect(testContext(t), "serial:///dev/ttyS0")
		errc <- err
	}()
	pc.Handshake(message.Accepted)
	require.NoError(t, <-errc)
	assert.Equal(t, 1, dialed, "dialer calls")
	tok, err := c.Publish(testContext(t), "pipe/x", []byte("through"), message.QoS1)
	require.NoError(t, err)
	p := pc.ExpectPublish()
	assert.Equal(t, "pipe/x", p.Topic)
	assert.Equal(t, "through", string(p.Payload))
	pc.Send(&message.Puback{PacketID: p.PacketID})
	waitToken(t, tok)
	// A pipe has no buffer: the write completes as the peer reads it.
	disc := make(chan error, 1)
	go func() { disc <- c.Disconnect(testContext(t)) }()
	pc.Expect(message.DISCONNECT)
	assert.NoError(t, <-disc, "Disconnect")
}
