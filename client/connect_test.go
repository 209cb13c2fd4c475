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
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *ConnackError", err)
			}
			if ce.Code != code {
				t.Errorf("got code %d, want %d", ce.Code, code)
			}
			if c.IsConnected() {
				t.Error("IsConnected() got true, want false")
			}
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
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
			if tt.topic != "a/b" && !errors.Is(err, message.ErrInvalidTopic) {
				t.Errorf("got %v, want an error wrapping ErrInvalidTopic", err)
			}
			if tok != nil {
				t.Errorf("got token %d, want nil", tok.ID())
			}
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
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
			if len(tt.subs) > 0 && tt.subs[len(tt.subs)-1].QoS == 0 && !errors.Is(err, message.ErrInvalidFilter) {
				t.Errorf("got %v, want an error wrapping ErrInvalidFilter", err)
			}
		})
	}
	t.Run("Unsubscribe bad filter", func(t *testing.T) {
		if err := c.Unsubscribe(ctx, "a/#/b"); !errors.Is(err, message.ErrInvalidFilter) {
			t.Errorf("got %v, want ErrInvalidFilter", err)
		}
	})
	if t.Failed() {
		return
	}
	// Nothing of the above reached the wire: the first packet the peer
	// sees is the next valid publish.
	tok, err := c.Publish(ctx, "valid/topic", []byte("first"), message.QoS0)
	if err != nil {
		t.Fatal(err)
	}
	waitToken(t, tok)
	p := pc.ExpectPublish()
	if p.Topic != "valid/topic" || string(p.Payload) != "first" {
		t.Errorf("peer got %q %q first, want the valid publish", p.Topic, p.Payload)
	}
	if got := c.Stats().Sent[message.SUBSCRIBE]; got != 0 {
		t.Errorf("got %d SUBSCRIBE sent, want 0", got)
	}
}

func TestConnectErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
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
			if !tt.check(err) {
				t.Errorf("got %v, want %s", err, tt.want)
			}
			if c.IsConnected() {
				t.Error("IsConnected() got true, want false")
			}
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
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
	})
	t.Run("already connected", func(t *testing.T) {
		c, _ := connectScripted(t, client.WithKeepAlive(0))
		if _, err := c.Connect(testContext(t), silent.Addr()); !errors.Is(err, client.ErrAlreadyConnected) {
			t.Errorf("got %v, want ErrAlreadyConnected", err)
		}
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
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			if tt.rnd {
				if !strings.HasPrefix(got.ClientID, "onmqtt-") || len(got.ClientID) <= len("onmqtt-") {
					t.Errorf("got client id %q, want a generated onmqtt-… id", got.ClientID)
				}
				if c.ClientID() != got.ClientID {
					t.Errorf("ClientID() got %q, want %q as sent", c.ClientID(), got.ClientID)
				}
				got.ClientID = ""
			}
			if !sameConnect(got, tt.want) {
				t.Errorf("got CONNECT\n\t%+v %+v\nwant\n\t%+v %+v", got, got.Will, tt.want, tt.want.Will)
			}
		})
	}
	t.Run("generated MQTT 3.1 id", func(t *testing.T) {
		id := newClient(t, client.WithVersion(message.V31)).ClientID()
		if !strings.HasPrefix(id, "onmqtt-") || len(id) != 23 {
			t.Errorf("got %q (%d characters), want an onmqtt-… id of 23, the most MQTT 3.1 allows", id, len(id))
		}
	})
	t.Run("generated ids differ", func(t *testing.T) {
		a, b := newClient(t), newClient(t)
		if a.ClientID() == b.ClientID() {
			t.Errorf("two clients got the same id %q", a.ClientID())
		}
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
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if dialed != 1 {
		t.Errorf("dialer called %d times, want 1", dialed)
	}
	tok, err := c.Publish(testContext(t), "pipe/x", []byte("through"), message.QoS1)
	if err != nil {
		t.Fatal(err)
	}
	p := pc.ExpectPublish()
	if p.Topic != "pipe/x" || string(p.Payload) != "through" {
		t.Errorf("peer got %q %q, want pipe/x \"through\"", p.Topic, p.Payload)
	}
	pc.Send(&message.Puback{PacketID: p.PacketID})
	waitToken(t, tok)
	// A pipe has no buffer: the write completes as the peer reads it.
	disc := make(chan error, 1)
	go func() { disc <- c.Disconnect(testContext(t)) }()
	pc.Expect(message.DISCONNECT)
	if err := <-disc; err != nil {
		t.Errorf("Disconnect: %v", err)
	}
}
