package client

import (
	"errors"
	"fmt"
	"time"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
)

// DisconnectOption sets the reason code or a property of the DISCONNECT
// that [Client.Disconnect] sends. They take effect at MQTT 5.0; before
// it DISCONNECT carries neither.
type DisconnectOption func(*disconnectOptions)

type disconnectOptions struct {
	code       message.ReasonCode
	expiry     message.Optional[uint32]
	reason     string
	properties []message.UserProperty
}

// DisconnectReason sets the reason code, one DISCONNECT may carry.
func DisconnectReason(code message.ReasonCode) DisconnectOption {
	return func(o *disconnectOptions) { o.code = code }
}

// DisconnectWithWill sends reason code 0x04 (Disconnect with Will
// Message): the broker publishes the will as if the connection had been
// lost.
func DisconnectWithWill() DisconnectOption { return DisconnectReason(message.DisconnectWithWill) }

// DisconnectSessionExpiry changes the Session Expiry Interval: how long
// the broker keeps the session from now. A session opened with an
// interval of 0 cannot be given another [MQTT-3.14.2-2].
func DisconnectSessionExpiry(d time.Duration) DisconnectOption {
	return func(o *disconnectOptions) { o.expiry = message.Some(durationSeconds(d)) }
}

// DisconnectReasonString sets the Reason String.
func DisconnectReasonString(s string) DisconnectOption {
	return func(o *disconnectOptions) { o.reason = s }
}

// DisconnectUserProperty adds a User Property.
func DisconnectUserProperty(key, value string) DisconnectOption {
	return func(o *disconnectOptions) {
		o.properties = append(o.properties, message.UserProperty{Key: key, Value: value})
	}
}

// disconnectPacket builds the DISCONNECT for opts, nil for a plain one.
// The caller holds c.mu.
func (c *Client) disconnectPacket(opts []DisconnectOption) (*message.Disconnect, error) {
	if len(opts) == 0 {
		return nil, nil
	}
	var o disconnectOptions
	for _, f := range opts {
		f(&o)
	}
	pkt := &message.Disconnect{ReasonCode: o.code}
	if !o.code.ValidFor(message.DISCONNECT) {
		return nil, fmt.Errorf("%w: %w: %v in DISCONNECT", ErrInvalidOption, message.ErrReasonCode, o.code)
	}
	if o.expiry.Set || o.reason != "" || o.properties != nil {
		pkt.Properties = &message.Properties{SessionExpiry: o.expiry, ReasonString: o.reason, UserProperties: o.properties}
	}
	if o.expiry.Set && o.expiry.Value != 0 {
		sent := uint32(0)
		if p := c.opts.connectProperties(); p != nil {
			sent = p.SessionExpiry.Or(0)
		}
		if sent == 0 {
			return nil, fmt.Errorf("%w: a session opened with Session Expiry Interval 0 cannot be given another on DISCONNECT [MQTT-3.14.2-2]", ErrInvalidOption)
		}
	}
	if _, err := pkt.Append(nil, message.V5); err != nil {
		return nil, fmt.Errorf("%w: DISCONNECT: %w", ErrInvalidOption, err)
	}
	return pkt, nil
}

// serverDisconnect handles a DISCONNECT from the broker: an event like
// every packet, then the connection ends with a *DisconnectError (5.0)
// or ErrServerDisconnect.
func (c *Client) serverDisconnect(cn *conn, p *message.Disconnect) error {
	e := c.newEvent(message.DISCONNECT, 0)
	cp := *p
	e.ev.Packet = &cp
	if cn.v != message.V5 {
		// Not defined from server to client before MQTT 5.0, but some
		// brokers send it before closing: end the connection quietly
		// after the event.
		c.events.push(e)
		return ErrServerDisconnect
	}
	e.ev.ReasonCode, e.ev.Properties = p.ReasonCode, p.Properties
	c.events.push(e)
	err := &DisconnectError{Code: p.ReasonCode, Properties: p.Properties}
	if p.Properties != nil {
		err.Reason = p.Properties.ReasonString
	}
	return err
}

// abortTimeout bounds how long a connection that breaks the protocol
// waits for its DISCONNECT to be written before it closes.
const abortTimeout = time.Second

// abort ends the connection with err. At 5.0, when err is one the client
// answers with a reason code (a protocol error, a packet too large or
// malformed), DISCONNECT with that code goes first, after what is queued
// for control: nothing follows it [MQTT-3.14.4-1].
func (cn *conn) abort(err error) {
	if cn.v == message.V5 {
		if code := disconnectCode(err); code != 0 {
			t := newToken(0)
			pkt := &message.Disconnect{ReasonCode: code}
			if cn.sendq.Push(priority.Control, 0, outItem{t: message.DISCONNECT, tok: t, pkt: pkt}) == nil {
				select {
				case <-t.Done():
				case <-time.After(abortTimeout):
				case <-cn.ctx.Done():
				}
			}
		}
	}
	cn.fail(err)
}

// disconnectCode returns the reason code the client's DISCONNECT carries
// for err, 0 when it sends none.
func disconnectCode(err error) message.ReasonCode {
	var pe *ProtocolError
	switch {
	case errors.As(err, &pe):
		if pe.Code != 0 {
			return pe.Code
		}
		return message.ProtocolError
	case errors.Is(err, ErrAuthFailed):
		return message.NotAuthorized // [MQTT-4.12.1-2]
	case errors.Is(err, message.ErrPacketTooLarge):
		return message.PacketTooLarge
	case errors.Is(err, message.ErrMalformed):
		return message.MalformedPacket
	}
	return 0
}

// errExpired is how the writer learns that a publish expired.
var errExpired = errors.New("onmqtt: expired")

// expire ends a QoS 1 or 2 flow whose Message Expiry Interval ran out
// before it was sent: its token fails with ErrMessageExpired. It runs on
// the writer.
func (c *Client) expire(p *pending) {
	if p == nil {
		return
	}
	c.mu.Lock()
	c.finish(p, fmt.Errorf("%w: %q", ErrMessageExpired, p.msg.Topic))
	c.mu.Unlock()
	c.stats.expired.Add(1)
	c.log.Warn("message expired before it was sent", "topic", p.msg.Topic, "id", p.msg.PacketID)
}

// dropFlow ends a flow whose packet the writer could not encode: its
// token fails with err rather than waiting for an acknowledgement that
// cannot come. It runs on the writer.
func (c *Client) dropFlow(p *pending, err error) {
	c.mu.Lock()
	c.finish(p, fmt.Errorf("onmqtt: %v not sent: %w", p.kind, err))
	c.mu.Unlock()
}
