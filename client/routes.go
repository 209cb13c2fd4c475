package client

import (
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
	"github.com/onmqtt/onmqtt/router"
)

// The methods below register handlers on the client's router; see
// [router.Router] for the precedence rules. They may be called at any
// time, before Connect or from inside a handler; after Close they return
// ErrClosed.

// On registers h for inbound packets of type t when cond holds, at level
// p; a nil cond makes h the type's fallback. See [router.Router.On].
func (c *Client) On(t message.Type, h router.Handler, cond router.Condition, p priority.Level) (*router.Registration, error) {
	if c.isClosed() {
		return nil, ErrClosed
	}
	return c.router.On(t, h, cond, p)
}

// Once is On for a handler that runs at most once. See
// [router.Router.Once].
func (c *Client) Once(t message.Type, h router.Handler, cond router.Condition, p priority.Level) (*router.Registration, error) {
	if c.isClosed() {
		return nil, ErrClosed
	}
	return c.router.Once(t, h, cond, p)
}

// OnID registers a one-shot handler for the next packet of type t with
// packet identifier id, ahead of every other handler. To follow an
// outbound publish, prefer the [OnAck] publish option: it registers the
// handler before the packet is written.
func (c *Client) OnID(t message.Type, id uint16, h router.Handler) (*router.Registration, error) {
	if c.isClosed() {
		return nil, ErrClosed
	}
	return c.router.OnID(t, id, h)
}

// Observe registers h to see every inbound packet of type t without
// taking part in choosing its handler. See [router.Router.Observe].
func (c *Client) Observe(t message.Type, h router.Handler) (*router.Registration, error) {
	if c.isClosed() {
		return nil, ErrClosed
	}
	return c.router.Observe(t, h)
}
