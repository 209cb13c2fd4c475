package client_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/peer"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
	"github.com/onmqtt/onmqtt/router"
)

// closeWithin runs c.Close and fails the test when it does not return
// within d.
func closeWithin(t *testing.T, c *client.Client, d time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- c.Close() }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(d):
		require.FailNow(t, fmt.Sprintf("Close did not return within %v", d))
	}
}

// A connection lost while OnConnect runs is one loss: one reconnect
// under way, OnConnectionLost waits for OnConnect to return, a second
// Connect is refused, and Close returns.
func TestDefectCloseHangsWhenLostDuringOnConnect(t *testing.T) {
	p := peer.Open(t)
	inHook := make(chan struct{}, 1)
	release := make(chan struct{})
	var connects, lost, lostDuringHook atomic.Int32
	var hookRunning atomic.Bool
	c, err := client.New(
		client.WithAutoReconnect(20*time.Millisecond, 50*time.Millisecond),
		client.WithOnConnect(func(*client.Client, bool) {
			if connects.Add(1) == 2 {
				hookRunning.Store(true)
				inHook <- struct{}{}
				<-release
				hookRunning.Store(false)
			}
		}),
		client.WithOnConnectionLost(func(*client.Client, error) {
			lost.Add(1)
			if hookRunning.Load() {
				lostDuringHook.Add(1)
			}
		}),
	)
	require.NoError(t, err)
	peerConnect(t, p, c, false)

	// Second connection: its OnConnect blocks, and the connection drops
	// while it runs.
	peerReconnect(t, p, false)
	select {
	case <-inHook:
	case <-time.After(waitLimit):
		require.FailNow(t, "OnConnect did not run for the second connection")
	}
	require.NoError(t, p.CloseConn())
	time.Sleep(200 * time.Millisecond) // the client sees the loss and redials
	assert.Zero(t, lostDuringHook.Load(), "OnConnectionLost ran while OnConnect was running")
	close(release)
	// The first connection's loss and this one: OnConnectionLost runs
	// for it once OnConnect returned.
	require.Eventually(t, func() bool { return lost.Load() == 2 }, waitLimit, 5*time.Millisecond,
		"OnConnectionLost did not run once for each of the two losses")
	assert.Zero(t, lostDuringHook.Load(), "OnConnectionLost ran while OnConnect was running")

	// One reconnect is under way: Connect must not start another.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err = c.Connect(ctx, p.Addr())
	assert.ErrorIs(t, err, client.ErrAlreadyConnected)

	closeWithin(t, c, 5*time.Second)
}

// With WithConnectRetry, Connect to a broker that is not there yet keeps
// trying with backoff until the broker answers.
func TestDefectFirstConnectCannotRetry(t *testing.T) {
	p := peer.Open(t)
	var dials atomic.Int32
	gate := make(chan struct{})
	dial := func(ctx context.Context, u *url.URL) (net.Conn, error) {
		select {
		case <-gate:
		default:
			dials.Add(1)
			return nil, errors.New("connection refused (scripted)")
		}
		var d net.Dialer
		return d.DialContext(ctx, "tcp", u.Host)
	}
	c := newClient(t, client.WithDialer(dial), client.WithAutoReconnect(10*time.Millisecond, 40*time.Millisecond), client.WithConnectRetry())
	done := make(chan error, 1)
	go func() {
		_, err := c.Connect(testContext(t), p.Addr())
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)
	close(gate)
	peerHandshake(t, p, false)
	require.NoError(t, <-done)
	assert.GreaterOrEqual(t, dials.Load(), int32(2), "Connect gave up after the first refused dial")
	assert.True(t, c.IsConnected())

	// Without the option Connect fails at once, and with it Connect ends
	// with its context.
	c2 := newClient(t, client.WithDialer(func(context.Context, *url.URL) (net.Conn, error) {
		return nil, errors.New("connection refused (scripted)")
	}), client.WithAutoReconnect(10*time.Millisecond, 40*time.Millisecond))
	_, err := c2.Connect(testContext(t), p.Addr())
	require.Error(t, err)
	c3 := newClient(t, client.WithDialer(func(context.Context, *url.URL) (net.Conn, error) {
		return nil, errors.New("connection refused (scripted)")
	}), client.WithConnectRetry())
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	_, err = c3.Connect(ctx, p.Addr())
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.False(t, c3.IsConnected())
}

// Every call after Close returns ErrClosed.
func TestDefectCallsAfterClose(t *testing.T) {
	c, _ := connectScripted(t)
	require.NoError(t, c.Close())

	ctx := testContext(t)
	assert.ErrorIs(t, c.WaitMsg(ctx), client.ErrClosed, "WaitMsg")
	_, err := c.CheckMsg()
	assert.ErrorIs(t, err, client.ErrClosed, "CheckMsg")
	assert.ErrorIs(t, c.Run(ctx), client.ErrClosed, "Run")
	assert.ErrorIs(t, c.Disconnect(ctx), client.ErrClosed, "Disconnect")
	_, err = c.On(message.PUBLISH, func(*router.Event) {}, nil, priority.Normal)
	assert.ErrorIs(t, err, client.ErrClosed, "On")
	_, err = c.Once(message.PUBLISH, func(*router.Event) {}, nil, priority.Normal)
	assert.ErrorIs(t, err, client.ErrClosed, "Once")
	_, err = c.OnID(message.PUBACK, 1, func(*router.Event) {})
	assert.ErrorIs(t, err, client.ErrClosed, "OnID")
	_, err = c.Observe(message.PUBLISH, func(*router.Event) {})
	assert.ErrorIs(t, err, client.ErrClosed, "Observe")
	_, err = c.Publish(ctx, "a", nil, message.QoS1)
	assert.ErrorIs(t, err, client.ErrClosed, "Publish")
	_, err = c.Subscribe(ctx, message.Subscription{Filter: "a"})
	assert.ErrorIs(t, err, client.ErrClosed, "Subscribe")
	_, err = c.Connect(ctx, "tcp://127.0.0.1:1")
	assert.ErrorIs(t, err, client.ErrClosed, "Connect")
	assert.Equal(t, client.Closed, c.State())
}

// A Publish with a context that has already ended is refused, every time
// and at every QoS, and nothing is sent.
func TestDefectPublishWithCancelledContext(t *testing.T) {
	c, pc := connectScripted(t, client.WithMaxInflight(1000))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for qos := message.QoS0; qos <= message.QoS2; qos++ {
		refused := 0
		for range 200 {
			if _, err := c.Publish(ctx, "t", []byte("x"), qos); errors.Is(err, context.Canceled) {
				refused++
			}
		}
		assert.Equal(t, 200, refused, "QoS %d: publishes refused", qos)
	}
	pc.ExpectSilence(200 * time.Millisecond)
}
