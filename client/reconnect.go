package client

import (
	"errors"
	"math/rand/v2"
	"time"
)

// reconnectLoop reconnects to the last URL with exponential backoff and
// jitter (each wait between half the delay and the delay, and at least
// ReconnectMin; the delay doubles up to ReconnectMax), until it
// succeeds, the client is closed, or MaxReconnectAttempts attempts in a
// row have failed. Giving up fails every pending flow with
// ErrConnectionLost.
func (c *Client) reconnectLoop() {
	delay := c.opts.ReconnectMin
	var err error
	for attempt := 1; ; attempt++ {
		if c.ctx.Err() != nil {
			c.endReconnect(ErrClosed)
			return
		}
		if h := c.opts.OnReconnecting; h != nil {
			c.hook(func() { h(c, attempt) })
		}
		c.mu.Lock()
		u := c.url
		c.mu.Unlock()
		if _, err = c.connectOnce(c.ctx, u); err == nil {
			c.endReconnect(nil)
			return
		}
		if errors.Is(err, ErrClosed) {
			c.endReconnect(err)
			return
		}
		c.log.Info("reconnect failed", "attempt", attempt, "err", err)
		if n := c.opts.MaxReconnectAttempts; n > 0 && attempt >= n {
			c.endReconnect(err)
			return
		}
		// Sleep between delay/2 and delay, never below ReconnectMin,
		// then double the delay.
		sleep := max(delay/2+rand.N(delay/2+1), c.opts.ReconnectMin)
		t := time.NewTimer(sleep)
		select {
		case <-t.C:
		case <-c.ctx.Done():
			t.Stop()
		}
		delay = min(delay*2, c.opts.ReconnectMax)
	}
}

// endReconnect records the end of the reconnect loop; with an error
// other than ErrClosed, the client gives up and fails every pending
// publish.
func (c *Client) endReconnect(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reconnecting = false
	if err != nil {
		c.lastErr = err
	}
	// Close completes the waits itself and leaves the publishes in the
	// store for the next process.
	if err != nil && !errors.Is(err, ErrClosed) {
		fail := lostError(err)
		for _, p := range c.pendingInOrder() {
			if !p.retiring {
				c.finish(p, fail)
			}
		}
	}
	c.notify()
}
