package client_test

import (
	"fmt"
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
		c, pc := connectScripted(t, client.WithKeepAlive(keep))
		_, err := c.On(message.PINGRESP, rec.handler(), nil, 0)
		require.NoError(t, err)
		// The client must send something within each keepalive period
		// [MQTT-3.1.2-23]: here, nothing but PINGREQ, sent on the
		// client's own schedule while nothing else goes out. How long
		// the gaps took is logged, not asserted: on a loaded machine any
		// wall-clock limit can be missed. What is asserted is the
		// exchange: PINGREQ after PINGREQ, each answer routed, and the
		// connection kept.
		pc.Expect(message.PINGREQ)
		pc.Send(&message.Pingresp{})
		last, shortest := time.Now(), time.Hour
		for range 3 {
			pc.Expect(message.PINGREQ)
			shortest = min(shortest, time.Since(last))
			last = time.Now()
			pc.Send(&message.Pingresp{})
			e := rec.next(t)
			require.Equal(t, message.PINGRESP, e.Type, "got %v", e)
		}
		t.Logf("shortest gap between PINGREQs: %v (keepalive %v)", shortest, keep)
		assert.True(t, c.IsConnected(), "got disconnected, want connected")
		assert.Zero(t, c.Stats().ConnectionsLost, "connections lost")
	})
	silence := []struct {
		name    string
		opts    []client.Option
		timeout time.Duration // the ping timeout in force
	}{
		// Default ping timeout, half the keepalive.
		{"silence", nil, keep / 2},
		{"silence with WithPingTimeout", []client.Option{client.WithPingTimeout(200 * time.Millisecond)}, 200 * time.Millisecond},
	}
	for _, tt := range silence {
		t.Run(tt.name, func(t *testing.T) {
			lost, errs := lostRecorder()
			start := time.Now() // before the connection's first write
			_, pc := connectScripted(t, append(tt.opts, client.WithKeepAlive(keep), lost)...)
			pc.Expect(message.PINGREQ)
			err := awaitErr(t, errs)
			elapsed := time.Since(start)
			// The loss is the unanswered PINGREQ, timed with the ping
			// timeout in force: the error says which timeout ran out.
			// No upper limit on the time taken: a loaded machine may
			// always be slower.
			assert.ErrorIs(t, err, client.ErrKeepAliveTimeout)
			assert.ErrorContains(t, err, fmt.Sprintf("(waited %v)", tt.timeout), "the ping timeout in force")
			// Timers never fire early: the PINGREQ left after 3/4 of the
			// keepalive without writes, and the loss came after the ping
			// timeout had passed since then.
			assert.GreaterOrEqual(t, elapsed, keep*3/4+tt.timeout,
				"connection declared lost %v after connecting, want 3/4 keepalive of silence and the ping timeout of %v waited for", elapsed, tt.timeout)
			pc.SkipToClose()
		})
	}
}
