package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
	"github.com/onmqtt/onmqtt/router"
)

// PublishOption adjusts one publish.
type PublishOption func(*publishOptions)

type publishOptions struct {
	retain   bool
	level    priority.Level
	handlers []idHandler
	props    message.Properties // MQTT 5.0
	hasProps bool
	noAlias  bool  // WithoutTopicAlias
	err      error // an invalid property option
}

type idHandler struct {
	t message.Type
	h router.Handler
}

// Retain asks the broker to keep the message as the topic's retained
// message. An empty retained payload clears it.
func Retain() PublishOption { return func(o *publishOptions) { o.retain = true } }

// WithPriority sets the publish's level in the send queue: among
// publishes waiting to be written, a higher level goes first.
// Acknowledgements always go before publishes.
func WithPriority(l priority.Level) PublishOption {
	return func(o *publishOptions) { o.level = l }
}

// OnAck attaches a handler for the acknowledgement of type t (PUBACK for
// QoS 1; PUBREC or PUBCOMP for QoS 2) of this very publish. It is
// registered with [router.Router.OnID] before the packet is written, so
// no acknowledgement can race past it, and it fires once. Publish
// returns [ErrAckType] for a type the flow never receives (any at
// QoS 0). When the flow ends, completed or failed, its handlers that did
// not fire are removed: none ever fires for a later publish reusing the
// packet identifier.
func OnAck(t message.Type, h router.Handler) PublishOption {
	return func(o *publishOptions) { o.handlers = append(o.handlers, idHandler{t, h}) }
}

// Publish sends an application message and returns its completion
// handle, whose ID is the packet identifier (0 at QoS 0).
//
// The topic, QoS and size are checked first; an invalid one returns an
// error and nothing is sent. QoS 0 needs a connection and completes when
// written. QoS 1 and 2 are recorded in the store and complete on PUBACK
// or PUBCOMP. Connected, each takes a slot of the in-flight window,
// waiting for one (within ctx) when MaxInflight flows are
// unacknowledged, and is sent. Not connected, Publish does not wait: up
// to MaxOffline flows are held (beyond, it returns ErrQueueFull) and
// sent in order once connected, each as a window slot frees.
// The client keeps payload until then: do not modify it.
func (c *Client) Publish(ctx context.Context, topic string, payload []byte, qos message.QoS, opts ...PublishOption) (*Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, err // refused before anything is queued, at every QoS
	}
	if err := c.checkPublish(topic, payload, qos); err != nil {
		return nil, err
	}
	var po publishOptions
	if len(opts) > 0 {
		po = collectOptions(opts)
	}
	for _, ih := range po.handlers {
		if !ackFits(ih.t, qos) {
			return nil, fmt.Errorf("%w: %v for a QoS %d publish", ErrAckType, ih.t, qos)
		}
	}
	msg := message.Message{Topic: topic, Payload: payload, QoS: qos, Retain: po.retain}
	if po.hasProps || c.serverLimits() {
		if err := c.checkPublish5(&msg, &po); err != nil {
			return nil, err
		}
	}
	if qos == message.QoS0 {
		return c.publish0(msg, po)
	}
	return c.publishFlow(ctx, msg, po)
}

// publishFlow starts a QoS 1 or 2 flow. Connected, it waits for a slot
// of the in-flight window; not connected, it holds the flow without one,
// up to MaxOffline flows, and the flow takes a slot when it is sent
// (see [Client.sendHeld]). The store write happens with no lock held,
// before the PUBLISH can be queued.
func (c *Client) publishFlow(ctx context.Context, msg message.Message, po publishOptions) (*Token, error) {
	windowed := false
	c.mu.Lock()
	switch {
	case c.closed:
		c.mu.Unlock()
		return nil, ErrClosed
	case c.state == Connected:
		c.mu.Unlock()
		if err := c.awaitWindow(ctx); err != nil {
			return nil, err
		}
		windowed = true
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			c.sess.quota.give()
			return nil, ErrClosed
		}
	case len(c.sess.pending) >= c.opts.MaxOffline:
		c.mu.Unlock()
		return nil, fmt.Errorf("%w: %d publishes held while not connected", ErrQueueFull, c.opts.MaxOffline)
	}
	release := func() {
		if windowed {
			c.sess.quota.give()
		}
	}
	id, err := c.sess.nextID()
	if err != nil {
		c.mu.Unlock()
		release()
		return nil, err
	}
	msg.PacketID = id
	p := c.newPublishFlow(id)
	p.token.q = c.events
	p.kind, p.msg, p.level, p.windowed, p.checked = message.PUBLISH, msg, po.level, windowed, true
	if msg.Properties != nil && msg.Properties.MessageExpiry.Set {
		p.born = time.Now() // the interval's reference, kept by the store
	}
	p.noAlias = po.noAlias
	p.storing = true
	for _, ih := range po.handlers {
		reg, err := c.router.OnID(ih.t, id, ih.h)
		if err != nil {
			p.removeHandlers()
			c.mu.Unlock()
			release()
			return nil, fmt.Errorf("onmqtt: publish: %w", err)
		}
		p.regs = append(p.regs, reg)
	}
	c.sess.addPublish(p) // reserves the id; nothing sends a flow still storing
	c.mu.Unlock()

	err = c.store.PutOutbound(Outbound{Seq: p.seq, Message: msg, Queued: p.born})

	c.mu.Lock()
	defer c.mu.Unlock()
	p.storing = false
	if c.sess.pending[id] != p {
		// Close completed it meanwhile.
		return p.token, nil
	}
	if err != nil {
		delete(c.sess.pending, id)
		p.removeHandlers()
		if p.windowed {
			p.windowed = false
			c.sess.quota.give()
		}
		return nil, fmt.Errorf("onmqtt: recording publish: %w", err)
	}
	switch {
	case !p.windowed:
		c.sess.held = append(c.sess.held, p)
		if c.conn != nil {
			c.sendHeld(c.conn)
		}
	case c.conn != nil:
		c.conn.queuePublish(p, false)
	}
	return p.token, nil
}

// ackFits reports whether a flow of QoS qos receives acknowledgement t.
func ackFits(t message.Type, qos message.QoS) bool {
	switch qos {
	case message.QoS1:
		return t == message.PUBACK
	case message.QoS2:
		return t == message.PUBREC || t == message.PUBCOMP
	}
	return false
}

// collectOptions applies opts. It is kept apart from Publish so that a
// publish without options does not allocate the options on the heap.
func collectOptions(opts []PublishOption) publishOptions {
	var po publishOptions
	for _, o := range opts {
		o(&po)
	}
	return po
}

// publishFlow is a QoS 1 or 2 flow and its token, allocated together.
type publishFlow struct {
	p pending
	t Token
}

// newPublishFlow returns an empty flow whose token, for packet identifier
// id, shares its memory, both taken from the client's slab of flows. The
// caller holds c.mu, which guards the slab.
func (c *Client) newPublishFlow(id uint16) *pending {
	f := c.flows.next(flowBlock)
	f.t.id = id
	f.p.token = &f.t
	return &f.p
}

// publish0 queues a QoS 0 message on the current connection.
func (c *Client) publish0(msg message.Message, po publishOptions) (*Token, error) {
	c.mu.Lock()
	cn, closed := c.conn, c.closed
	var t *Token
	if cn != nil && !closed {
		t = c.tokens.next(tokenBlock)
	}
	c.mu.Unlock()
	switch {
	case closed:
		return nil, ErrClosed
	case cn == nil:
		return nil, ErrNotConnected
	}
	if err := cn.sendq.Push(priority.Publish, po.level, outItem{t: message.PUBLISH, msg: msg, tok: t, noAlias: po.noAlias}); err != nil {
		return nil, lostError(cn.cause())
	}
	return t, nil
}

// checkPublish validates a publish before anything is queued.
func (c *Client) checkPublish(topic string, payload []byte, qos message.QoS) error {
	if !qos.Valid() {
		return fmt.Errorf("onmqtt: publish: %w: %v", message.ErrInvalidQoS, qos)
	}
	if err := message.ValidTopic(topic); err != nil {
		return fmt.Errorf("onmqtt: publish: %w", topicErr(message.ErrInvalidTopic, err))
	}
	n := 2 + len(topic) + len(payload)
	if qos > message.QoS0 {
		n += 2
	}
	if n > message.MaxRemainingLength || packetSize(n) > c.opts.MaxPacketSize {
		return fmt.Errorf("%w: %d bytes to %q exceed the packet limit of %d", ErrPayloadTooLarge, len(payload), topic, c.opts.MaxPacketSize)
	}
	return nil
}

// topicErr makes err, a topic name or filter validation error, wrap kind
// (message.ErrInvalidTopic or message.ErrInvalidFilter) too, so that
// errors.Is(err, kind) holds for every invalid name, also one rejected as
// an invalid string (U+0000, bad UTF-8, too long).
func topicErr(kind, err error) error {
	if errors.Is(err, kind) {
		return err
	}
	return fmt.Errorf("%w: %w", kind, err)
}

// packetSize returns the size of a whole packet whose remaining length
// is n: type byte, remaining length, body.
func packetSize(n int) int { return 1 + varIntSize(n) + n }

// varIntSize returns the size of n as a Variable Byte Integer.
func varIntSize(n int) int {
	s := 1
	for ; n >= 128; n >>= 7 {
		s++
	}
	return s
}
