package client_test

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/broker"
	"github.com/onmqtt/onmqtt/internal/broker/brokertest"
	"github.com/onmqtt/onmqtt/internal/peer"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
)

// goroutines returns the stacks of every goroutine but the caller's, by
// goroutine header line ("goroutine 7 [running]:" without the state).
func goroutines() map[string]string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	all := map[string]string{}
	for i, g := range bytes.Split(buf, []byte("\n\n")) {
		if i == 0 {
			continue // the caller
		}
		s := string(g)
		id, _, _ := strings.Cut(s, " [")
		all[id] = s
	}
	return all
}

// leakCheck records the goroutines running now; the returned function
// fails the test when goroutines started since are still running after
// a short grace period for those already on their way out.
func leakCheck(t *testing.T) func() {
	before := goroutines()
	return func() {
		t.Helper()
		var extra []string
		deadline := time.Now().Add(5 * time.Second)
		for {
			extra = extra[:0]
			for id, stack := range goroutines() {
				if _, ok := before[id]; !ok {
					extra = append(extra, stack)
				}
			}
			if len(extra) == 0 {
				return
			}
			if time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		assert.Fail(t, fmt.Sprintf("%d goroutines left behind", len(extra)), strings.Join(extra, "\n\n"))
	}
}

// mustClose closes c and fails the test on an error.
func mustClose(t *testing.T, c *client.Client) {
	t.Helper()
	assert.NoError(t, c.Close(), "Close")
}

func TestNoGoroutineLeft(t *testing.T) {
	set := brokertest.Certs(t)
	b := brokertest.Embedded(t, broker.EmbeddedOptions{WebSocket: true, Unix: true, TLS: set.ServerTLS(false)})
	tests := []struct {
		name string
		url  string
		opts []client.Option
	}{
		{"tcp", b.Addr(), nil},
		{"websocket", b.WSAddr(), nil},
		{"unix", b.UnixAddr(), nil},
		{"tls", b.TLSAddr(), []client.Option{client.WithTLSConfig(set.ClientTLS(false))}},
		{"keepalive", b.Addr(), []client.Option{client.WithKeepAlive(time.Second)}},
		{"manual loop", b.Addr(), []client.Option{client.WithManualLoop()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := leakCheck(t)
			rec := newRecorder()
			c, err := client.New(tt.opts...)
			require.NoError(t, err)
			_, err = c.On(message.PUBLISH, rec.handler(), nil, 0)
			require.NoError(t, err)
			ctx := testContext(t)
			_, err = c.Connect(ctx, tt.url)
			require.NoError(t, err)
			_, err = c.Subscribe(ctx, message.Subscription{Filter: "leak/#", QoS: 2})
			require.NoError(t, err)
			for q := message.QoS0; q <= message.QoS2; q++ {
				tok, err := c.Publish(ctx, "leak/x", []byte("x"), q)
				require.NoError(t, err)
				waitToken(t, tok)
			}
			mustClose(t, c)
			assert.False(t, c.IsConnected(), "IsConnected after Close")
			_, err = c.Publish(ctx, "leak/x", nil, message.QoS1)
			assert.ErrorIs(t, err, client.ErrClosed, "Publish after Close")
			_, err = c.Connect(ctx, tt.url)
			assert.ErrorIs(t, err, client.ErrClosed, "Connect after Close")
			assert.NoError(t, c.Close(), "second Close")
			check()
		})
	}
}

func TestCloseFromCallbacks(t *testing.T) {
	t.Run("handler", func(t *testing.T) {
		b := brokertest.Embedded(t, broker.EmbeddedOptions{})
		check := leakCheck(t)
		c, err := client.New()
		require.NoError(t, err)
		closed := make(chan error, 1)
		_, err = c.On(message.PUBLISH, func(*router.Event) { closed <- c.Close() }, nil, 0)
		require.NoError(t, err)
		ctx := testContext(t)
		_, err = c.Connect(ctx, b.Addr())
		require.NoError(t, err)
		_, err = c.Subscribe(ctx, message.Subscription{Filter: "close/#", QoS: 1})
		require.NoError(t, err)
		_, err = c.Publish(ctx, "close/now", nil, message.QoS1)
		require.NoError(t, err)
		select {
		case err := <-closed:
			assert.NoError(t, err, "Close in a handler")
		case <-time.After(waitLimit):
			require.FailNow(t, "Close called from a handler did not return")
		}
		check()
	})
	t.Run("OnConnectionLost", func(t *testing.T) {
		p := peer.Open(t)
		check := leakCheck(t)
		closed := make(chan error, 1)
		c, err := client.New(client.WithKeepAlive(0), client.WithOnConnectionLost(func(c *client.Client, _ error) {
			closed <- c.Close()
		}))
		require.NoError(t, err)
		pc := connectScriptedTo(t, c, p)
		pc.Close()
		select {
		case err := <-closed:
			assert.NoError(t, err, "Close in OnConnectionLost")
		case <-time.After(waitLimit):
			require.FailNow(t, "Close called from OnConnectionLost did not return")
		}
		check()
	})
}

func TestCloseEndsWaits(t *testing.T) {
	t.Run("publish waiting for the window", func(t *testing.T) {
		p := peer.Open(t)
		check := leakCheck(t)
		c, err := client.New(client.WithKeepAlive(0), client.WithMaxInflight(1))
		require.NoError(t, err)
		pc := connectScriptedTo(t, c, p)
		ctx := testContext(t)
		first, err := c.Publish(ctx, "w/1", nil, message.QoS1)
		require.NoError(t, err)
		pc.Expect(message.PUBLISH)
		blocked := make(chan error, 1)
		go func() {
			_, err := c.Publish(ctx, "w/2", nil, message.QoS1)
			blocked <- err
		}()
		pc.ExpectSilence(silence)
		mustClose(t, c)
		assert.ErrorIs(t, <-blocked, client.ErrClosed, "blocked Publish")
		assert.ErrorIs(t, first.Wait(ctx), client.ErrClosed, "unacknowledged token")
		check()
	})
	t.Run("handler waiting for an acknowledgement", func(t *testing.T) {
		p := peer.Open(t)
		check := leakCheck(t)
		c, err := client.New(client.WithKeepAlive(0))
		require.NoError(t, err)
		waited := make(chan error, 1)
		_, err = c.On(message.PUBLISH, func(*router.Event) {
			tok, err := c.Publish(context.Background(), "h/out", nil, message.QoS1)
			if err == nil {
				err = tok.Wait(context.Background()) // the peer never acknowledges
			}
			waited <- err
		}, nil, 0)
		require.NoError(t, err)
		pc := connectScriptedTo(t, c, p)
		pc.Send(&message.Publish{Message: message.Message{Topic: "h/in"}})
		pc.ExpectPublish() // the handler's publish: it now waits
		mustClose(t, c)
		select {
		case err := <-waited:
			assert.ErrorIs(t, err, client.ErrClosed, "handler's Wait")
		case <-time.After(waitLimit):
			require.FailNow(t, "handler still waiting after Close")
		}
		check()
	})
	t.Run("events still queued", func(t *testing.T) {
		p := peer.Open(t)
		check := leakCheck(t)
		c, err := client.New(client.WithKeepAlive(0))
		require.NoError(t, err)
		rec := newRecorder()
		release := make(chan struct{})
		_, err = c.On(message.PUBLISH, func(e *router.Event) {
			rec <- snapshot(e)
			<-release
		}, nil, 0)
		require.NoError(t, err)
		pc := connectScriptedTo(t, c, p)
		for _, topic := range []string{"q/1", "q/2", "q/3"} {
			pc.Send(&message.Publish{Message: message.Message{Topic: topic}})
		}
		require.Equal(t, "q/1", rec.next(t).Msg.Topic)
		waitPending(t, c, 2)
		mustClose(t, c)
		close(release)
		check() // the dispatcher has ended
		// Closing drops what was not dispatched yet.
		rec.empty(t)
	})
	t.Run("connect waiting for CONNACK", func(t *testing.T) {
		p := peer.Open(t)
		check := leakCheck(t)
		c, err := client.New()
		require.NoError(t, err)
		errc := make(chan error, 1)
		go func() {
			_, err := c.Connect(context.Background(), p.Addr())
			errc <- err
		}()
		pc := p.Next(t)
		pc.Expect(message.CONNECT)
		mustClose(t, c)
		select {
		case err := <-errc:
			assert.ErrorIs(t, err, client.ErrClosed, "Connect")
		case <-time.After(waitLimit):
			require.FailNow(t, "Connect waiting for CONNACK did not return after Close")
		}
		pc.SkipToClose()
		check()
	})
	t.Run("refused connect", func(t *testing.T) {
		p := peer.Open(t)
		check := leakCheck(t)
		c, err := client.New()
		require.NoError(t, err)
		errc := make(chan error, 1)
		go func() {
			_, err := c.Connect(testContext(t), p.Addr())
			errc <- err
		}()
		p.Next(t).Handshake(message.RefusedNotAuthorized)
		var ce *client.ConnackError
		require.ErrorAs(t, <-errc, &ce)
		mustClose(t, c)
		check()
	})
}
