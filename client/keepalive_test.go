package client_test

import (
	"errors"
	"testing"
	"time"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
)

func TestPeerKeepAlive(t *testing.T) {
	const keep = time.Second
	t.Run("answered", func(t *testing.T) {
		rec := newRecorder()
		c, pc := connectPeer(t, client.WithKeepAlive(keep))
		if _, err := c.On(message.PINGRESP, rec.handler(), nil, 0); err != nil {
			t.Fatal(err)
		}
		// The client must send something within each keepalive period
		// [MQTT-3.1.2-23]: here, nothing but PINGREQ. The shortest of
		// the gaps is checked, so that one scheduling delay on a loaded
		// machine does not count.
		pc.expect(message.PINGREQ)
		pc.send(&message.Pingresp{})
		last, shortest := time.Now(), time.Hour
		for range 3 {
			pc.expect(message.PINGREQ)
			shortest = min(shortest, time.Since(last))
			last = time.Now()
			pc.send(&message.Pingresp{})
			if e := rec.next(t); e.Type != message.PINGRESP {
				t.Fatalf("got %v, want PINGRESP", e)
			}
		}
		if shortest >= keep {
			t.Errorf("got at least %v between packets, want less than the keepalive %v", shortest, keep)
		}
		if !c.IsConnected() {
			t.Error("got disconnected, want connected")
		}
	})
	silence := []struct {
		name    string
		opts    []client.Option
		timeout time.Duration // the ping timeout in force
		limit   time.Duration
	}{
		// Default ping timeout, half the keepalive; lost within 1.5 ×
		// keepalive of the PINGREQ.
		{"silence", nil, keep / 2, keep * 3 / 2},
		{"silence with WithPingTimeout", []client.Option{client.WithPingTimeout(200 * time.Millisecond)}, 200 * time.Millisecond, 800 * time.Millisecond},
	}
	for _, tt := range silence {
		t.Run(tt.name, func(t *testing.T) {
			lost, errs := lostRecorder()
			_, pc := connectPeer(t, append(tt.opts, client.WithKeepAlive(keep), lost)...)
			pc.expect(message.PINGREQ)
			sent := time.Now()
			err := awaitErr(t, errs)
			elapsed := time.Since(sent)
			if !errors.Is(err, client.ErrKeepAliveTimeout) {
				t.Errorf("got %v, want ErrKeepAliveTimeout", err)
			}
			if elapsed > tt.limit {
				t.Errorf("connection declared lost %v after PINGREQ, want within %v", elapsed, tt.limit)
			}
			if early := tt.timeout / 2; elapsed < early {
				t.Errorf("connection declared lost %v after PINGREQ, want the ping timeout of %v waited for", elapsed, tt.timeout)
			}
			pc.expectClosed()
		})
	}
}
