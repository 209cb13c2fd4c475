package client

import (
	"context"
	"errors"
	"fmt"

	"github.com/onmqtt/onmqtt/message"
)

// Subscribe sends one SUBSCRIBE with every subscription and waits for
// SUBACK. It returns the broker's return code for each filter, in order:
// the granted QoS, or message.SubackFailure. When any filter was refused
// the error is a *[SubscribeError] naming them; the others are active.
// Invalid filters or QoS, or a packet larger than MaxPacketSize, return
// an error before anything is sent.
//
// If ctx ends first Subscribe returns ctx's error; the subscription may
// still be granted later.
//
// At MQTT 5.0 the codes are reason codes (0x00 to 0x02 grant a QoS, 0x80
// and above refuse), and the subscription options of each
// [message.Subscription] (No Local, Retain As Published, Retain Handling)
// are sent. No Local on a shared subscription is refused locally
// [MQTT-3.8.3-4], and so is a wildcard or shared subscription the
// broker's CONNACK said it does not support (a *[CapabilityError]).
// [Client.SubscribeWith] adds a Subscription Identifier and User
// Properties.
func (c *Client) Subscribe(ctx context.Context, subs ...message.Subscription) ([]message.SubackCode, error) {
	return c.SubscribeWith(ctx, subs)
}

// SubscribeWith is [Client.Subscribe] with MQTT 5.0 options: a
// Subscription Identifier ([WithSubscriptionID]), which the broker
// attaches to every message it delivers for these subscriptions (route
// them with router.SubscriptionID), and User Properties. The identifier
// is sent again when the client renews the subscriptions.
func (c *Client) SubscribeWith(ctx context.Context, subs []message.Subscription, opts ...SubscribeOption) ([]message.SubackCode, error) {
	var so subscribeOptions
	for _, o := range opts {
		o(&so)
	}
	if so.err != nil {
		return nil, so.err
	}
	if len(subs) == 0 {
		return nil, fmt.Errorf("onmqtt: subscribe: %w", message.ErrNoFilters)
	}
	for _, s := range subs {
		if err := message.ValidFilter(s.Filter); err != nil {
			return nil, fmt.Errorf("onmqtt: subscribe: %w", topicErr(message.ErrInvalidFilter, err))
		}
		if !s.QoS.Valid() {
			return nil, fmt.Errorf("onmqtt: subscribe %q: %w: %v", s.Filter, message.ErrInvalidQoS, s.QoS)
		}
	}
	if err := c.checkServerSubscribe(subs, so.id); err != nil {
		return nil, err
	}
	n := 2 // packet identifier
	for _, s := range subs {
		n += 2 + len(s.Filter) + 1
	}
	props := so.properties()
	if props != nil {
		n += 8 + publishPropsSize(&message.Properties{UserProperties: props.UserProperties})
	}
	if err := c.checkPacketSize("subscribe", n); err != nil {
		return nil, err
	}
	p := &pending{kind: message.SUBSCRIBE, subs: append([]message.Subscription(nil), subs...), subProps: props}
	if err := c.startControl(p); err != nil {
		return nil, err
	}
	if err := p.token.Wait(ctx); err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return nil, err
		}
		return p.token.subackCodes(), err
	}
	return p.token.subackCodes(), nil
}

// Unsubscribe sends one UNSUBSCRIBE for filters and waits for UNSUBACK.
// At MQTT 5.0, when the broker refused filters (reason codes 0x80 and
// above), the error is an *[UnsubscribeError] with every filter's code;
// the filters it did not refuse are unsubscribed.
func (c *Client) Unsubscribe(ctx context.Context, filters ...string) error {
	if len(filters) == 0 {
		return fmt.Errorf("onmqtt: unsubscribe: %w", message.ErrNoFilters)
	}
	for _, f := range filters {
		if err := message.ValidFilter(f); err != nil {
			return fmt.Errorf("onmqtt: unsubscribe: %w", topicErr(message.ErrInvalidFilter, err))
		}
	}
	n := 2 // packet identifier
	for _, f := range filters {
		n += 2 + len(f)
	}
	if err := c.checkPacketSize("unsubscribe", n); err != nil {
		return err
	}
	p := &pending{kind: message.UNSUBSCRIBE, filters: append([]string(nil), filters...)}
	if err := c.startControl(p); err != nil {
		return err
	}
	return p.token.Wait(ctx)
}

// checkPacketSize returns an error wrapping message.ErrPacketTooLarge when
// a packet with remaining length n would exceed MaxPacketSize.
func (c *Client) checkPacketSize(what string, n int) error {
	size := packetSize(n)
	if n > message.MaxRemainingLength || size > c.opts.MaxPacketSize {
		return fmt.Errorf("onmqtt: %s: %w: %d bytes exceed the packet limit of %d", what, message.ErrPacketTooLarge, size, c.opts.MaxPacketSize)
	}
	if r := c.v5.last.Load(); r != nil && size > r.MaximumPacketSize {
		// [MQTT-3.2.2-15]
		return fmt.Errorf("onmqtt: %s: %w: %d bytes exceed the broker's Maximum Packet Size of %d", what, message.ErrPacketTooLarge, size, r.MaximumPacketSize)
	}
	return nil
}

// Subscriptions returns the active subscriptions, in the order they were
// made: those the broker granted and that were not unsubscribed since.
func (c *Client) Subscriptions() []message.Subscription {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]message.Subscription(nil), c.sess.subs...)
}

// startControl gives a SUBSCRIBE or UNSUBSCRIBE flow an id and queues it
// on the current connection.
func (c *Client) startControl(p *pending) error {
	return c.startControlOn(nil, p)
}

// startControlOn is startControl limited to connection want, when set.
func (c *Client) startControlOn(want *conn, p *pending) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return ErrClosed
	case c.conn == nil || (want != nil && c.conn != want):
		return ErrNotConnected
	}
	id, err := c.sess.nextID()
	if err != nil {
		return err
	}
	p.msg.PacketID = id
	p.token = newToken(id)
	p.token.q = c.events
	c.sess.pending[id] = p
	if err := c.conn.queueControl(p); err != nil {
		delete(c.sess.pending, id)
		return lostError(c.conn.cause())
	}
	return nil
}

// resubscribe renews subs on cn after the broker lost the session, in
// packets of at most 64 filters, each with the Subscription Identifier
// it was made with.
func (c *Client) resubscribe(cn *conn, subs []message.Subscription) {
	defer c.bgWG.Done()
	ids := c.subscriptionIDs(subs)
	for len(subs) > 0 {
		n := 1
		for n < min(len(subs), 64) && ids[n] == ids[0] {
			n++
		}
		p := &pending{kind: message.SUBSCRIBE, subs: subs[:n:n]}
		if ids[0] != 0 && cn.v == message.V5 {
			p.subProps = &message.Properties{SubscriptionIDs: []uint32{ids[0]}}
		}
		subs, ids = subs[n:], ids[n:]
		if err := c.startControlOn(cn, p); err != nil {
			return
		}
		if err := p.token.Wait(c.ctx); err != nil {
			c.log.Warn("resubscribe", "err", err)
			// A refusal is final; a lost connection leaves the
			// renewal to the next one.
			if !errors.Is(err, ErrSubscriptionFailed) {
				return
			}
		}
	}
	c.mu.Lock()
	c.sess.renewSubs = false
	c.mu.Unlock()
	c.stats.resubscribes.Add(1)
}
