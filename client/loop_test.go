package client_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/peer"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
)

// waitPending waits until n events are waiting for dispatch.
func waitPending(t *testing.T, c *client.Client, n int) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for c.Stats().Pending < n {
		if time.Now().After(deadline) {
			require.FailNow(t, fmt.Sprintf("got %d events waiting, want %d", c.Stats().Pending, n))
		}
		time.Sleep(time.Millisecond)
	}
}

func TestManualLoop(t *testing.T) {
	r, rec := recordAll(t)
	c, pc := connectScripted(t, client.WithManualLoop(), client.WithKeepAlive(0), client.WithRouter(r))
	ctx := testContext(t)

	require.NoError(t, c.WaitMsg(ctx), "WaitMsg")
	require.Equal(t, message.CONNACK, rec.next(t).Type, "the first event")
	rec.empty(t)

	t.Run("CheckMsg with nothing waiting", func(t *testing.T) {
		done := make(chan struct{})
		var ok bool
		var err error
		go func() {
			ok, err = c.CheckMsg()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(waitLimit):
			require.FailNow(t, "CheckMsg blocked")
		}
		assert.False(t, ok, "CheckMsg dispatched")
		assert.NoError(t, err, "CheckMsg")
		rec.empty(t)
	})

	t.Run("one event per call in arrival order", func(t *testing.T) {
		topics := []string{"loop/a", "loop/b", "loop/c", "loop/d"}
		for _, topic := range topics {
			pc.Send(&message.Publish{Message: message.Message{Topic: topic, Payload: []byte(topic)}})
		}
		waitPending(t, c, len(topics))
		for i, topic := range topics {
			if i%2 == 0 {
				require.NoError(t, c.WaitMsg(ctx), "WaitMsg")
			} else {
				ok, err := c.CheckMsg()
				require.NoError(t, err, "CheckMsg")
				require.True(t, ok, "CheckMsg dispatched")
			}
			e := rec.next(t)
			require.NotNil(t, e.Msg, "call %d dispatched %v, want %s", i, e, topic)
			require.Equal(t, topic, e.Msg.Topic, "call %d", i)
			rec.empty(t)
		}
	})

	t.Run("QoS 1 acknowledged by the step that dispatches it", func(t *testing.T) {
		pc.Send(&message.Publish{Message: message.Message{Topic: "loop/q1", QoS: message.QoS1, PacketID: 4}})
		waitPending(t, c, 1)
		pc.ExpectSilence(silence)
		require.NoError(t, c.WaitMsg(ctx))
		pc.ExpectAck(message.PUBACK, 4)
		assert.Equal(t, uint16(4), rec.next(t).ID, "PUBLISH id")
	})

	t.Run("WaitMsg returns with its context", func(t *testing.T) {
		short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		assert.ErrorIs(t, c.WaitMsg(short), context.DeadlineExceeded)
	})

	t.Run("Run dispatches until its context ends", func(t *testing.T) {
		runCtx, cancel := context.WithCancel(ctx)
		ran := make(chan error, 1)
		go func() { ran <- c.Run(runCtx) }()
		pc.Send(&message.Publish{Message: message.Message{Topic: "loop/run"}})
		e := rec.next(t)
		require.NotNil(t, e.Msg, "got %v, want loop/run", e)
		require.Equal(t, "loop/run", e.Msg.Topic)
		cancel()
		select {
		case err := <-ran:
			assert.ErrorIs(t, err, context.Canceled, "Run")
		case <-time.After(waitLimit):
			require.FailNow(t, "Run did not return after its context ended")
		}
	})

	t.Run("steps refused inside a running loop", func(t *testing.T) {
		type steps struct{ wait, check, run error }
		got := make(chan steps, 1)
		reg, err := c.On(message.PUBLISH, func(*router.Event) {
			var s steps
			s.wait = c.WaitMsg(ctx)
			_, s.check = c.CheckMsg()
			short, cancel := context.WithTimeout(ctx, time.Millisecond)
			defer cancel()
			s.run = c.Run(short) // only waits: another loop owns dispatch
			got <- s
		}, router.Topic("loop/inner"), 0)
		require.NoError(t, err)
		defer reg.Remove()
		pc.Send(&message.Publish{Message: message.Message{Topic: "loop/inner"}})
		require.NoError(t, c.WaitMsg(ctx))
		s := <-got
		assert.ErrorIs(t, s.wait, client.ErrLoopRunning, "WaitMsg inside a handler")
		assert.ErrorIs(t, s.check, client.ErrLoopRunning, "CheckMsg inside a handler")
		assert.ErrorIs(t, s.run, context.DeadlineExceeded, "Run inside a handler")
	})

	t.Run("connection gone", func(t *testing.T) {
		pc.Send(&message.Publish{Message: message.Message{Topic: "loop/last"}})
		waitPending(t, c, 1)
		pc.Close()
		// The event that arrived before the loss is still dispatched.
		require.NoError(t, c.WaitMsg(ctx), "WaitMsg, want the last event")
		if e := rec.next(t); assert.NotNil(t, e.Msg, "got %v, want loop/last", e) {
			assert.Equal(t, "loop/last", e.Msg.Topic)
		}
		err := c.WaitMsg(ctx)
		assert.ErrorIs(t, err, client.ErrConnectionLost, "WaitMsg")
		_, err = c.CheckMsg()
		assert.ErrorIs(t, err, client.ErrConnectionLost, "CheckMsg")
	})
}

func TestLoopRunningWithoutManualLoop(t *testing.T) {
	c, _ := connectScripted(t, client.WithKeepAlive(0))
	assert.ErrorIs(t, c.WaitMsg(testContext(t)), client.ErrLoopRunning, "WaitMsg")
	_, err := c.CheckMsg()
	assert.ErrorIs(t, err, client.ErrLoopRunning, "CheckMsg")
}

func TestRunEnds(t *testing.T) {
	tests := []struct {
		name string
		end  func(c *client.Client, pc *peer.Conn)
		want error
	}{
		{"Close", func(c *client.Client, _ *peer.Conn) { c.Close() }, client.ErrClosed},
		{"connection lost", func(_ *client.Client, pc *peer.Conn) { pc.Close() }, client.ErrConnectionLost},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, pc := connectScripted(t, client.WithKeepAlive(0))
			ran := make(chan error, 1)
			go func() { ran <- c.Run(context.Background()) }()
			tt.end(c, pc)
			select {
			case err := <-ran:
				assert.ErrorIs(t, err, tt.want)
			case <-time.After(waitLimit):
				require.FailNow(t, "Run did not return")
			}
		})
	}
}

// TestConnackFirst checks that the CONNACK event comes before the events
// of packets that arrived after it, even in the same TCP segment, as a
// resumed session or retained messages make brokers do.
func TestConnackFirst(t *testing.T) {
	for i := range 20 {
		r, rec := recordAll(t)
		p := peer.Open(t)
		c := newClient(t, client.WithKeepAlive(0), client.WithRouter(r), client.WithClientID("first"), client.WithCleanSession(false))
		errc := make(chan error, 1)
		go func() {
			_, err := c.Connect(testContext(t), p.Addr())
			errc <- err
		}()
		pc := p.Next(t)
		pc.Expect(message.CONNECT)
		connack, _ := (&message.Connack{SessionPresent: true}).Append(nil, message.V311)
		pub, _ := (&message.Publish{Message: message.Message{Topic: "early", QoS: message.QoS1, PacketID: 1}}).Append(nil, message.V311)
		pc.SendRaw(append(connack, pub...)...)
		require.NoError(t, <-errc)
		first, second := rec.next(t), rec.next(t)
		require.Equal(t, []message.Type{message.CONNACK, message.PUBLISH}, []message.Type{first.Type, second.Type},
			"attempt %d: got %v then %v", i, first, second)
		c.Close()
	}
}

func TestManualLoopAfterClose(t *testing.T) {
	r, rec := recordAll(t)
	c, pc := connectScripted(t, client.WithManualLoop(), client.WithKeepAlive(0), client.WithRouter(r))
	pc.Send(&message.Publish{Message: message.Message{Topic: "late"}})
	waitPending(t, c, 2) // CONNACK and PUBLISH
	require.NoError(t, c.Close())
	ctx := testContext(t)
	assert.ErrorIs(t, c.WaitMsg(ctx), client.ErrClosed, "WaitMsg")
	ok, err := c.CheckMsg()
	assert.False(t, ok, "CheckMsg dispatched")
	assert.ErrorIs(t, err, client.ErrClosed, "CheckMsg")
	assert.ErrorIs(t, c.Run(ctx), client.ErrClosed, "Run")
	rec.empty(t) // nothing dispatched after Close
}
