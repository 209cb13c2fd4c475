package client_test

import (
	"context"
	"errors"
	"testing"
	"time"

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
			t.Fatalf("got %d events waiting, want %d", c.Stats().Pending, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestManualLoop(t *testing.T) {
	r, rec := recordAll(t)
	c, pc := connectScripted(t, client.WithManualLoop(), client.WithKeepAlive(0), client.WithRouter(r))
	ctx := testContext(t)

	if err := c.WaitMsg(ctx); err != nil {
		t.Fatalf("WaitMsg: %v", err)
	}
	if e := rec.next(t); e.Type != message.CONNACK {
		t.Fatalf("got %v, want CONNACK first", e)
	}
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
			t.Fatal("CheckMsg blocked")
		}
		if ok || err != nil {
			t.Errorf("got (%t, %v), want (false, nil)", ok, err)
		}
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
				if err := c.WaitMsg(ctx); err != nil {
					t.Fatalf("WaitMsg: %v", err)
				}
			} else if ok, err := c.CheckMsg(); !ok || err != nil {
				t.Fatalf("CheckMsg got (%t, %v), want (true, nil)", ok, err)
			}
			e := rec.next(t)
			if e.Msg == nil || e.Msg.Topic != topic {
				t.Fatalf("call %d dispatched %v, want %s", i, e, topic)
			}
			rec.empty(t)
		}
	})

	t.Run("QoS 1 acknowledged by the step that dispatches it", func(t *testing.T) {
		pc.Send(&message.Publish{Message: message.Message{Topic: "loop/q1", QoS: message.QoS1, PacketID: 4}})
		waitPending(t, c, 1)
		pc.ExpectSilence(silence)
		if err := c.WaitMsg(ctx); err != nil {
			t.Fatal(err)
		}
		pc.ExpectAck(message.PUBACK, 4)
		if e := rec.next(t); e.ID != 4 {
			t.Errorf("got %v, want PUBLISH id=4", e)
		}
	})

	t.Run("WaitMsg returns with its context", func(t *testing.T) {
		short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		if err := c.WaitMsg(short); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %v, want context.DeadlineExceeded", err)
		}
	})

	t.Run("Run dispatches until its context ends", func(t *testing.T) {
		runCtx, cancel := context.WithCancel(ctx)
		ran := make(chan error, 1)
		go func() { ran <- c.Run(runCtx) }()
		pc.Send(&message.Publish{Message: message.Message{Topic: "loop/run"}})
		if e := rec.next(t); e.Msg == nil || e.Msg.Topic != "loop/run" {
			t.Fatalf("got %v, want loop/run", e)
		}
		cancel()
		select {
		case err := <-ran:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Run got %v, want context.Canceled", err)
			}
		case <-time.After(waitLimit):
			t.Fatal("Run did not return after its context ended")
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
		if err != nil {
			t.Fatal(err)
		}
		defer reg.Remove()
		pc.Send(&message.Publish{Message: message.Message{Topic: "loop/inner"}})
		if err := c.WaitMsg(ctx); err != nil {
			t.Fatal(err)
		}
		s := <-got
		if !errors.Is(s.wait, client.ErrLoopRunning) || !errors.Is(s.check, client.ErrLoopRunning) {
			t.Errorf("got WaitMsg %v, CheckMsg %v inside a handler, want ErrLoopRunning", s.wait, s.check)
		}
		if !errors.Is(s.run, context.DeadlineExceeded) {
			t.Errorf("got Run %v inside a handler, want context.DeadlineExceeded", s.run)
		}
	})

	t.Run("connection gone", func(t *testing.T) {
		pc.Send(&message.Publish{Message: message.Message{Topic: "loop/last"}})
		waitPending(t, c, 1)
		pc.Close()
		// The event that arrived before the loss is still dispatched.
		if err := c.WaitMsg(ctx); err != nil {
			t.Fatalf("WaitMsg got %v, want the last event", err)
		}
		if e := rec.next(t); e.Msg == nil || e.Msg.Topic != "loop/last" {
			t.Errorf("got %v, want loop/last", e)
		}
		err := c.WaitMsg(ctx)
		if !errors.Is(err, client.ErrConnectionLost) {
			t.Errorf("WaitMsg got %v, want ErrConnectionLost", err)
		}
		if _, err := c.CheckMsg(); !errors.Is(err, client.ErrConnectionLost) {
			t.Errorf("CheckMsg got %v, want ErrConnectionLost", err)
		}
	})
}

func TestLoopRunningWithoutManualLoop(t *testing.T) {
	c, _ := connectScripted(t, client.WithKeepAlive(0))
	if err := c.WaitMsg(testContext(t)); !errors.Is(err, client.ErrLoopRunning) {
		t.Errorf("WaitMsg got %v, want ErrLoopRunning", err)
	}
	if _, err := c.CheckMsg(); !errors.Is(err, client.ErrLoopRunning) {
		t.Errorf("CheckMsg got %v, want ErrLoopRunning", err)
	}
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
				if !errors.Is(err, tt.want) {
					t.Errorf("got %v, want %v", err, tt.want)
				}
			case <-time.After(waitLimit):
				t.Fatal("Run did not return")
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
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		first, second := rec.next(t), rec.next(t)
		if first.Type != message.CONNACK || second.Type != message.PUBLISH {
			t.Fatalf("attempt %d: got %v then %v, want CONNACK then PUBLISH", i, first, second)
		}
		c.Close()
	}
}

func TestManualLoopAfterClose(t *testing.T) {
	r, rec := recordAll(t)
	c, pc := connectScripted(t, client.WithManualLoop(), client.WithKeepAlive(0), client.WithRouter(r))
	pc.Send(&message.Publish{Message: message.Message{Topic: "late"}})
	waitPending(t, c, 2) // CONNACK and PUBLISH
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	if err := c.WaitMsg(ctx); !errors.Is(err, client.ErrClosed) {
		t.Errorf("WaitMsg got %v, want ErrClosed", err)
	}
	if ok, err := c.CheckMsg(); ok || !errors.Is(err, client.ErrClosed) {
		t.Errorf("CheckMsg got (%t, %v), want (false, ErrClosed)", ok, err)
	}
	if err := c.Run(ctx); !errors.Is(err, client.ErrClosed) {
		t.Errorf("Run got %v, want ErrClosed", err)
	}
	rec.empty(t) // nothing dispatched after Close
}
