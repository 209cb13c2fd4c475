package client

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/onmqtt/onmqtt/message"
)

// requestState is the response topic of [Client.Request]. Guarded by c.mu.
type requestState struct {
	topic string // the response topic subscribed to, "" before the first request
	// subscribing is closed when the subscription in progress to
	// pendingTopic ends; nil when none is in progress. Concurrent first
	// requests wait for it instead of subscribing again.
	subscribing  chan struct{}
	pendingTopic string
}

// responseTopic returns the topic responses come to, subscribing to it
// first when it is not yet: the broker's Response Information followed
// by "/" and the client identifier when the broker gave one, else
// "onmqtt/reply/" and the client identifier. One subscription is made
// however many requests start at once; it is renewed with the others
// when the broker loses the session.
func (c *Client) responseTopic(ctx context.Context) (string, error) {
	for {
		c.mu.Lock()
		r := c.v5.last.Load()
		if r == nil || c.conn == nil {
			c.mu.Unlock()
			return "", ErrNotConnected
		}
		if r.Version != message.V5 {
			c.mu.Unlock()
			return "", fmt.Errorf("onmqtt: request: %w", ErrNeedsV5)
		}
		base := "onmqtt/reply"
		if r.ResponseInformation != "" {
			base = r.ResponseInformation
		}
		topic := base + "/" + c.clientID()
		rs := &c.v5.requests
		if rs.topic == topic && c.subscribedTo(topic) {
			c.mu.Unlock()
			return topic, nil
		}
		if wait := rs.subscribing; wait != nil && rs.pendingTopic == topic {
			c.mu.Unlock()
			select {
			case <-wait:
				continue // subscribed, or failed: look again
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}
		done := make(chan struct{})
		rs.subscribing, rs.pendingTopic = done, topic
		c.mu.Unlock()

		err := message.ValidTopic(topic)
		if err != nil {
			err = fmt.Errorf("onmqtt: request: %w: response topic %q", message.ErrInvalidTopic, topic)
		} else if _, err = c.Subscribe(ctx, message.Subscription{Filter: topic, QoS: message.QoS1}); err != nil {
			err = fmt.Errorf("onmqtt: request: subscribing to the response topic: %w", err)
		}
		c.mu.Lock()
		if err == nil {
			rs.topic = topic
		}
		if rs.subscribing == done {
			rs.subscribing, rs.pendingTopic = nil, ""
		}
		close(done)
		c.mu.Unlock()
		if err != nil {
			return "", err
		}
		return topic, nil
	}
}

// subscribedTo reports whether filter is an active subscription. The
// caller holds c.mu.
func (c *Client) subscribedTo(filter string) bool {
	for _, s := range c.sess.subs {
		if s.Filter == filter {
			return true
		}
	}
	return false
}

// Request publishes a request at QoS 1 (MQTT 5.0) and waits for its
// response: it sets the Response Topic (see below) and a Correlation Data
// of 16 random bytes, registers a one-shot for the response with
// [router.Router.ExpectReply] before publishing, and returns the first
// message that comes back with that Correlation Data, or ctx's error, or
// the publish's error when the broker refused it. The response is the
// caller's to keep.
//
// The response topic is the broker's Response Information (asked for
// with [WithRequestResponseInfo]) followed by "/" and the client
// identifier, else "onmqtt/reply/" and the client identifier; the client
// subscribes to it once, at the first request, and renews the
// subscription like the others. Responses are routed by correlation
// before every other handler, so concurrent requests each get their own.
// opts may add properties (user properties, expiry, ...) and handlers.
func (c *Client) Request(ctx context.Context, topic string, payload []byte, opts ...PublishOption) (*message.Message, error) {
	rt, err := c.responseTopic(ctx)
	if err != nil {
		return nil, err
	}
	u := uuid.New()
	corr := u[:]
	reply, err := c.router.ExpectReply(corr)
	if err != nil {
		return nil, fmt.Errorf("onmqtt: request: %w", err)
	}
	opts = append(opts[:len(opts):len(opts)], WithResponseTopic(rt), WithCorrelationData(corr))
	tok, err := c.Publish(ctx, topic, payload, message.QoS1, opts...)
	if err != nil {
		reply.Cancel()
		return nil, err
	}
	wctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		// Ends with the request: the token completes or wctx ends.
		select {
		case <-tok.Done():
			if err := tok.Err(); err != nil {
				cancel(err)
			}
		case <-wctx.Done():
		}
	}()
	m, err := reply.Wait(wctx)
	if err != nil {
		if cause := context.Cause(wctx); cause != nil && !errors.Is(cause, context.Canceled) && ctx.Err() == nil {
			return nil, fmt.Errorf("onmqtt: request: %w", cause)
		}
		return nil, err
	}
	return m, nil
}

// Respond answers req, a request received in a handler, with payload:
// it publishes to req's Response Topic with req's Correlation Data, at
// req's QoS capped at 1. It returns [ErrNoResponseTopic] when req has no
// Response Topic. opts may add properties. Call it from the handler
// that received req, or anywhere later: req is the handler's to keep.
func (c *Client) Respond(ctx context.Context, req *message.Message, payload []byte, opts ...PublishOption) (*Token, error) {
	if req == nil || req.Properties == nil || req.Properties.ResponseTopic == "" {
		return nil, ErrNoResponseTopic
	}
	p := req.Properties
	if p.CorrelationData != nil {
		opts = append(opts[:len(opts):len(opts)], WithCorrelationData(p.CorrelationData))
	}
	return c.Publish(ctx, p.ResponseTopic, payload, min(req.QoS, message.QoS1), opts...)
}
