package client_test

import (
	"testing"
	"time"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPeerKeepAlive(t *testing.T) {
	const keep = time.Second
	t.Run("answered", func(t *testing.T) {
		rec := newRecorder()
		c, pc := connectPeer(t, client.WithKeepAlive(keep))
		_, err := c.On(message.PINGRESP, rec.handler(), nil, 0)
		require.NoError(t, err)
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
			e := rec.next(t)
			require.Equal(t, message.PINGRESP, e.Type, "got %v", e)
		}
		assert.Less(t, shortest, keep, "got at least %v between packets, want less than the keepalive %v", shortest, keep)
		assert.True(t, c.IsConnected(), "got disconnected, want connected")
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
			assert.ErrorIs(t, err, client.ErrKeepAliveTimeout)
			assert.LessOrEqual(t, elapsed, tt.limit, "connection declared lost %v after PINGREQ, want within %v", elapsed, tt.limit)
			assert.GreaterOrEqual(t, elapsed, tt.timeout/2, "connection declared lost %v after PINGREQ, want the ping timeout of %v waited for", elapsed, tt.timeout)
			pc.expectClosed()
		})
	}
}
