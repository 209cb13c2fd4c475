package client

// hookQueue runs the connection hooks (OnConnect, OnConnectionLost,
// OnReconnecting) one at a time, in the order the supervisor queued
// them, on one callback goroutine: a hook never runs beside another, and
// a slow hook delays the hooks after it, never the supervisor.
//
// The callback goroutine starts when a hook is queued and ends when the
// queue is empty.
type hookQueue struct {
	q       []func()
	running bool
}

// queueHook queues f for the callback goroutine.
func (c *Client) queueHook(f func()) {
	c.hookMu.Lock()
	c.hooks.q = append(c.hooks.q, f)
	if c.hooks.running {
		c.hookMu.Unlock()
		return
	}
	c.hooks.running = true
	c.bgWG.Add(1)
	c.hookMu.Unlock()
	go c.runHooks()
}

// runHooks is the callback goroutine.
func (c *Client) runHooks() {
	defer c.bgWG.Done()
	for {
		c.hookMu.Lock()
		if len(c.hooks.q) == 0 {
			c.hooks.q, c.hooks.running = nil, false
			c.hookMu.Unlock()
			return
		}
		f := c.hooks.q[0]
		c.hooks.q[0] = nil
		c.hooks.q = c.hooks.q[1:]
		c.hookMu.Unlock()
		c.hook(f)
	}
}

// hook runs a user callback, counted so Close can tell it is inside one.
func (c *Client) hook(f func()) {
	c.callbacks.Add(1)
	defer c.callbacks.Add(-1)
	defer func() {
		if v := recover(); v != nil {
			c.log.Error("hook panicked", "panic", v)
		}
	}()
	f()
}
