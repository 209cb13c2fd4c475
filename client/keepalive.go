package client

import (
	"fmt"
	"time"

	"github.com/onmqtt/onmqtt/message"
)

// pingLoop sends PINGREQ when nothing was written for three quarters of
// the keepalive interval and fails the connection when PINGRESP does not
// come within PingTimeout [MQTT-3.1.2-23].
func (cn *conn) pingLoop() {
	defer cn.done()
	keep := cn.res.KeepAlive // the broker's Server Keep Alive, when it sent one
	timeout := cn.c.opts.PingTimeout
	if keep != cn.c.opts.KeepAlive {
		timeout = min(timeout, keep/2)
	}
	// A PINGREQ leaves at most one tick after the idle time is reached:
	// with ticks of keep/8 the gap between packets stays within 7/8 of
	// the keepalive, so brokers that enforce exactly the keepalive (mochi
	// rounds 1.5 × 1 s down to 1 s) still see a packet in time.
	tick := min(keep/8, timeout/2)
	tick = max(tick, 5*time.Millisecond)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-cn.ctx.Done():
			return
		case now := <-t.C:
			if cn.stalled.Load() {
				// The reader waits for handlers and reads no PINGRESP:
				// keep the broker's keepalive fed, time nothing.
				if now.Sub(time.Unix(0, cn.lastWrite.Load())) >= keep*3/4 {
					cn.pingSent.Store(now.UnixNano())
					cn.queueAck(message.PINGREQ, 0)
				}
				continue
			}
			if sent := cn.pingSent.Load(); sent != 0 {
				if now.Sub(time.Unix(0, sent)) > timeout {
					cn.fail(fmt.Errorf("%w (waited %v)", ErrKeepAliveTimeout, timeout))
					return
				}
				continue
			}
			if now.Sub(time.Unix(0, cn.lastWrite.Load())) >= keep*3/4 {
				cn.pingSent.Store(now.UnixNano())
				cn.queueAck(message.PINGREQ, 0)
			}
		}
	}
}
