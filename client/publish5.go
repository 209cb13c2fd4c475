package client

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/onmqtt/onmqtt/message"
)

// The publish options below set the properties of an MQTT 5.0 PUBLISH.
// Before 5.0 the properties are not sent.

// WithMessageExpiry sets the Message Expiry Interval, rounded up to whole
// seconds: the broker drops the message when it cannot deliver it in
// time. A QoS 1 or 2 publish queued by the client carries what remains of
// the interval when it is sent, and is dropped unsent, its token failing
// with [ErrMessageExpired], once nothing remains.
func WithMessageExpiry(d time.Duration) PublishOption {
	return func(o *publishOptions) {
		if d <= 0 {
			o.fail(fmt.Errorf("%w: message expiry %v", ErrInvalidOption, d))
			return
		}
		o.props.MessageExpiry, o.hasProps = message.Some(durationSeconds(d)), true
	}
}

// WithContentType sets the Content Type, a MIME type by convention.
func WithContentType(t string) PublishOption {
	return func(o *publishOptions) { o.props.ContentType, o.hasProps = t, true }
}

// WithPayloadUTF8 sets the Payload Format Indicator to 1: the payload is
// UTF-8 text. Publish checks that it is, and refuses it with an error
// wrapping message.ErrInvalidUTF8 when it is not.
func WithPayloadUTF8() PublishOption {
	return func(o *publishOptions) { o.props.PayloadFormat, o.hasProps = message.Some[byte](1), true }
}

// WithResponseTopic sets the Response Topic, where an answer to this
// message is expected; a topic name, without wildcards [MQTT-3.3.2-14].
func WithResponseTopic(topic string) PublishOption {
	return func(o *publishOptions) {
		if err := message.ValidTopic(topic); err != nil {
			o.fail(fmt.Errorf("onmqtt: response topic: %w", topicErr(message.ErrInvalidTopic, err)))
			return
		}
		o.props.ResponseTopic, o.hasProps = topic, true
	}
}

// WithCorrelationData sets the Correlation Data, which an answer carries
// back. data is not copied: do not modify it.
func WithCorrelationData(data []byte) PublishOption {
	return func(o *publishOptions) {
		if data == nil {
			data = []byte{}
		}
		o.props.CorrelationData, o.hasProps = data, true
	}
}

// WithUserProperty adds a User Property; several may have the same key,
// and their order is kept.
func WithUserProperty(key, value string) PublishOption {
	return func(o *publishOptions) {
		o.props.UserProperties = append(o.props.UserProperties, message.UserProperty{Key: key, Value: value})
		o.hasProps = true
	}
}

// WithoutTopicAlias sends this publish with its full topic and no topic
// alias, whatever the automatic aliases (see [WithoutTopicAliases] to
// turn them off for every publish): for a topic used once, so that it
// does not take an alias from topics in regular use.
func WithoutTopicAlias() PublishOption {
	return func(o *publishOptions) { o.noAlias = true }
}

// fail records the first invalid option.
func (o *publishOptions) fail(err error) {
	if o.err == nil {
		o.err = err
	}
}

// serverLimits reports whether the last connection was at 5.0, whose
// CONNACK may limit publishes.
func (c *Client) serverLimits() bool {
	r := c.v5.last.Load()
	return r != nil && r.Version == message.V5
}

// checkPublish5 attaches the properties to msg and checks them, and msg
// against the broker's limits, before anything is queued.
func (c *Client) checkPublish5(msg *message.Message, po *publishOptions) error {
	if po.err != nil {
		return po.err
	}
	if po.hasProps {
		p := po.props
		if p.PayloadFormat.Or(0) == 1 && !utf8.Valid(msg.Payload) {
			return fmt.Errorf("onmqtt: publish to %q: %w: payload with Payload Format Indicator 1", msg.Topic, message.ErrInvalidUTF8)
		}
		for _, s := range []string{p.ContentType, p.ResponseTopic} {
			if err := message.ValidString(s); err != nil {
				return fmt.Errorf("onmqtt: publish to %q: %w", msg.Topic, err)
			}
		}
		for _, u := range p.UserProperties {
			if err := message.ValidString(u.Key); err != nil {
				return fmt.Errorf("onmqtt: publish to %q: user property: %w", msg.Topic, err)
			}
			if err := message.ValidString(u.Value); err != nil {
				return fmt.Errorf("onmqtt: publish to %q: user property: %w", msg.Topic, err)
			}
		}
		msg.Properties = &p
	}
	n := 2 + len(msg.Topic) + len(msg.Payload) + publishPropsSize(msg.Properties)
	if msg.QoS > message.QoS0 {
		n += 2
	}
	size := packetSize(n)
	if size > c.opts.MaxPacketSize {
		return fmt.Errorf("%w: %d bytes to %q exceed the packet limit of %d", ErrPayloadTooLarge, len(msg.Payload), msg.Topic, c.opts.MaxPacketSize)
	}
	return c.checkServerPublish(msg.Topic, msg.QoS, msg.Retain, size)
}
