package client

import (
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/onmqtt/onmqtt/message"
)

// VersionAuto, given to [WithVersion], offers MQTT 5.0 and falls back to
// 3.1.1 when the broker refuses the version: a CONNACK with return code
// 0x01 in 3.1.1 framing, or with reason code 0x84 (Unsupported Protocol
// Version), or a connection closed after CONNECT without a CONNACK, as
// some brokers that do not know 5.0 answer. The fallback redials the same broker within the same
// connection attempt; every new connection offers 5.0 again.
// [ConnectResult.Version] says which version was agreed.
const VersionAuto message.Version = 0xff

// ConnectResult is what the broker's CONNACK said, with the defaults of
// the standard applied to every property it left out. [Client.ConnectResult]
// returns the one of the last connection.
type ConnectResult struct {
	// Version is the protocol version agreed on.
	Version message.Version
	// SessionPresent is the CONNACK's session-present flag.
	SessionPresent bool
	// ClientID is the identifier in use: the broker's Assigned Client
	// Identifier when it sent one, else the one CONNECT carried.
	ClientID string
	// AssignedClientID reports that the broker assigned ClientID.
	AssignedClientID bool
	// KeepAlive is the keepalive in force: the broker's Server Keep
	// Alive when it sent one [MQTT-3.2.2-21], else ours.
	KeepAlive time.Duration
	// SessionExpiry is the session expiry interval in force: the
	// broker's when it sent one, else the one CONNECT carried (0 when it
	// carried none). Always 0 before 5.0.
	SessionExpiry time.Duration
	// ReceiveMaximum is how many QoS 1 and 2 publishes the broker takes
	// unacknowledged; 65535 when it did not say.
	ReceiveMaximum int
	// MaximumQoS is the highest QoS the broker accepts: 2 when it did
	// not say.
	MaximumQoS message.QoS
	// RetainAvailable is false when the broker refuses retained
	// messages.
	RetainAvailable bool
	// MaximumPacketSize is the largest packet the broker accepts, the
	// protocol's limit when it did not say.
	MaximumPacketSize int
	// TopicAliasMaximum is the highest topic alias the broker accepts
	// from us; 0 means none.
	TopicAliasMaximum int
	// WildcardSubscriptions, SubscriptionIDs and SharedSubscriptions
	// report what the broker supports; true when it did not say.
	WildcardSubscriptions bool
	SubscriptionIDs       bool
	SharedSubscriptions   bool
	// ResponseInformation is the broker's Response Information, the base
	// of response topics for [Client.Request]; "" when it sent none.
	ResponseInformation string
	// ServerReference names another broker to use, "" when none.
	ServerReference string
	// ReasonString and UserProperties are the CONNACK's, for diagnostics.
	ReasonString   string
	UserProperties []message.UserProperty
	// Properties are the CONNACK's properties as received; nil before
	// 5.0 and when it had none.
	Properties *message.Properties
}

// newConnectResult applies the defaults of the standard to ack, the
// CONNACK of a connection at version v opened with CONNECT pkt.
func newConnectResult(v message.Version, pkt *message.Connect, ack *message.Connack, keep time.Duration) *ConnectResult {
	r := &ConnectResult{
		Version:               v,
		SessionPresent:        ack.SessionPresent,
		ClientID:              pkt.ClientID,
		KeepAlive:             keep,
		ReceiveMaximum:        65535,
		MaximumQoS:            message.QoS2,
		RetainAvailable:       true,
		MaximumPacketSize:     message.MaxPacketSize,
		WildcardSubscriptions: true,
		SubscriptionIDs:       true,
		SharedSubscriptions:   true,
		Properties:            ack.Properties,
	}
	if pkt.Properties != nil {
		if s, ok := pkt.Properties.SessionExpiry.Get(); ok {
			r.SessionExpiry = time.Duration(s) * time.Second
		}
	}
	p := ack.Properties
	if p == nil {
		return r
	}
	if p.AssignedClientID != "" {
		r.ClientID, r.AssignedClientID = p.AssignedClientID, true
	}
	if k, ok := p.ServerKeepAlive.Get(); ok {
		r.KeepAlive = time.Duration(k) * time.Second
	}
	if s, ok := p.SessionExpiry.Get(); ok {
		r.SessionExpiry = time.Duration(s) * time.Second
	}
	if n, ok := p.ReceiveMaximum.Get(); ok && n > 0 {
		r.ReceiveMaximum = int(n)
	}
	r.MaximumQoS = p.MaximumQoS.Or(message.QoS2)
	r.RetainAvailable = p.RetainAvailable.Or(true)
	if n, ok := p.MaximumPacketSize.Get(); ok && n > 0 && int64(n) < message.MaxPacketSize {
		r.MaximumPacketSize = int(n)
	}
	r.TopicAliasMaximum = int(p.TopicAliasMaximum.Or(0))
	r.WildcardSubscriptions = p.WildcardSubAvail.Or(true)
	r.SubscriptionIDs = p.SubIDAvail.Or(true)
	r.SharedSubscriptions = p.SharedSubAvail.Or(true)
	r.ResponseInformation = p.ResponseInfo
	r.ServerReference = p.ServerReference
	r.ReasonString = p.ReasonString
	r.UserProperties = p.UserProperties
	return r
}

// v5State is the client's MQTT 5.0 state. Every field but last is
// guarded by c.mu.
type v5State struct {
	// last is the ConnectResult of the last connection, nil before the
	// first; a publish reads the broker's limits from it without c.mu.
	last       atomic.Pointer[ConnectResult]
	assignedID string // the broker's Assigned Client Identifier, reused on reconnect
	// subIDs are the Subscription Identifiers of the active
	// subscriptions, by filter, so that a renewal sends them again.
	subIDs map[string]uint32
	// requests is the request/response state (see Client.Request).
	requests requestState
}

// conn5 is the MQTT 5.0 state of one connection.
type conn5 struct {
	v   message.Version // agreed with the broker
	res *ConnectResult  // the connection's CONNACK; never changed
	// aliasOut assigns outbound topic aliases; the writer owns it.
	aliasOut *aliasLRU
	// propsOut holds the properties of the PUBLISH the writer is
	// encoding when it differs from the message's (see preparePublish).
	propsOut message.Properties
	// aliasIn maps the broker's topic aliases; the reader owns it.
	aliasIn map[uint16]string
	// inflightIn counts the broker's QoS 1 and 2 publishes not yet
	// acknowledged (PUBACK or PUBCOMP written): the reader adds, the
	// writer subtracts.
	inflightIn atomic.Int32
	// reauth is the re-authentication in progress, nil when none.
	reauth atomic.Pointer[reauthRun]
}

// ConnectResult returns what the last CONNACK said, or nil before the
// first connection. The value is shared and never changed: read it, do
// not modify it. An OnConnect hook reads the one of its connection,
// unless a newer connection was made meanwhile.
func (c *Client) ConnectResult() *ConnectResult {
	return c.v5.last.Load()
}

// clientID returns the identifier CONNECT carries: the one the broker
// assigned, once it did, so that the session can be resumed. The caller
// holds c.mu.
func (c *Client) clientID() string {
	if c.v5.assignedID != "" {
		return c.v5.assignedID
	}
	return c.opts.ClientID
}

// connectProperties returns the CONNECT properties of a 5.0 CONNECT.
func (o *Options) connectProperties() *message.Properties {
	p := &message.Properties{}
	switch {
	case o.SessionExpirySet:
		p.SessionExpiry = message.Some(durationSeconds(o.SessionExpiry))
	case !o.CleanSession:
		// A persistent session, as CleanSession false means in 3.1.1:
		// it does not expire.
		p.SessionExpiry = message.Some(uint32(0xffffffff))
	}
	if n := o.ReceiveMaximum; n > 0 && n < 65535 {
		p.ReceiveMaximum = message.Some(uint16(n))
	}
	if o.MaxPacketSize < message.MaxPacketSize {
		p.MaximumPacketSize = message.Some(uint32(o.MaxPacketSize))
	}
	if o.TopicAliasMaximum > 0 {
		p.TopicAliasMaximum = message.Some(uint16(o.TopicAliasMaximum))
	}
	if o.RequestResponseInfo {
		p.RequestResponseInfo = message.Some(true)
	}
	if o.RequestProblemInfo.Set {
		p.RequestProblemInfo = o.RequestProblemInfo
	}
	p.UserProperties = o.ConnectUserProperties
	if a := o.Authenticator; a != nil {
		p.AuthMethod = a.Method()
	}
	if !p.SessionExpiry.Set && !p.ReceiveMaximum.Set && !p.MaximumPacketSize.Set && !p.TopicAliasMaximum.Set &&
		!p.RequestResponseInfo.Set && !p.RequestProblemInfo.Set && p.UserProperties == nil && p.AuthMethod == "" {
		return nil
	}
	return p
}

// durationSeconds returns d in whole seconds, rounded up, at most
// 0xffffffff.
func durationSeconds(d time.Duration) uint32 {
	if d <= 0 {
		return 0
	}
	s := (d + time.Second - 1) / time.Second
	if s > 0xffffffff {
		return 0xffffffff
	}
	return uint32(s)
}

// receiveMaximum returns our Receive Maximum.
func (o *Options) receiveMaximum() int {
	if o.ReceiveMaximum > 0 {
		return o.ReceiveMaximum
	}
	return 65535
}

// applyConnack records the CONNACK of the new connection cn. The caller
// holds c.mu.
func (c *Client) applyConnack(cn *conn, r *ConnectResult) {
	c.v5.last.Store(r)
	if r.AssignedClientID {
		c.v5.assignedID = r.ClientID
	}
	c.sess.setQuota(min(c.opts.MaxInflight, r.ReceiveMaximum))
	if r.TopicAliasMaximum > 0 && !c.opts.NoTopicAliases {
		cn.aliasOut = newAliasLRU(r.TopicAliasMaximum)
	}
}

// checkServerPublish refuses, before anything is queued, a publish the
// broker of the last connection said it does not accept [MQTT-3.2.2-11]
// [MQTT-3.2.2-14] [MQTT-3.2.2-15]. size is the packet's encoded size.
func (c *Client) checkServerPublish(topic string, qos message.QoS, retain bool, size int) error {
	r := c.v5.last.Load()
	if r == nil || r.Version != message.V5 {
		return nil
	}
	switch {
	case qos > r.MaximumQoS:
		return &CapabilityError{Capability: "Maximum QoS", Detail: fmt.Sprintf("QoS %d to %q, the broker accepts at most QoS %d", qos, topic, r.MaximumQoS)}
	case retain && !r.RetainAvailable:
		return &CapabilityError{Capability: "Retain Available", Detail: fmt.Sprintf("retained message to %q", topic)}
	case size+aliasRoom(r, c.opts.NoTopicAliases) > r.MaximumPacketSize:
		return fmt.Errorf("%w: %d bytes to %q exceed the broker's Maximum Packet Size of %d", ErrPayloadTooLarge, size, topic, r.MaximumPacketSize)
	}
	return nil
}

// checkServerSubscribe refuses, before anything is sent, a SUBSCRIBE
// that the broker of the last connection said it does not support, and
// No Local on a shared subscription [MQTT-3.8.3-4].
func (c *Client) checkServerSubscribe(subs []message.Subscription, id uint32) error {
	r := c.v5.last.Load()
	for _, s := range subs {
		shared := strings.HasPrefix(s.Filter, "$share/")
		if shared && s.NoLocal {
			return fmt.Errorf("onmqtt: subscribe %q: %w [MQTT-3.8.3-4]", s.Filter, message.ErrSharedNoLocal)
		}
		if r == nil || r.Version != message.V5 {
			continue
		}
		switch {
		case shared && !r.SharedSubscriptions:
			return &CapabilityError{Capability: "Shared Subscription Available", Detail: s.Filter}
		case !shared && !r.WildcardSubscriptions && strings.ContainsAny(s.Filter, "+#"):
			return &CapabilityError{Capability: "Wildcard Subscription Available", Detail: s.Filter}
		}
	}
	if id != 0 && r != nil && r.Version == message.V5 && !r.SubscriptionIDs {
		return &CapabilityError{Capability: "Subscription Identifier Available", Detail: fmt.Sprintf("identifier %d", id)}
	}
	if c.opts.Version == message.V5 || c.opts.Version == VersionAuto {
		// The 5.0 rules for filters (shared subscription names
		// [MQTT-4.8.2-1] [MQTT-4.8.2-2], subscription options) as the
		// codec checks them: a SUBSCRIBE it refuses is never queued.
		probe := &message.Subscribe{PacketID: 1, Subscriptions: subs}
		if _, err := probe.Append(nil, message.V5); err != nil {
			return fmt.Errorf("onmqtt: subscribe: %w", err)
		}
	}
	return nil
}

// publishPropsSize returns how many bytes the properties of a PUBLISH
// take, their length prefix included.
func publishPropsSize(p *message.Properties) int {
	n := 0
	if p != nil {
		if p.PayloadFormat.Set {
			n += 2
		}
		if p.MessageExpiry.Set {
			n += 5
		}
		if p.ContentType != "" {
			n += 3 + len(p.ContentType)
		}
		if p.ResponseTopic != "" {
			n += 3 + len(p.ResponseTopic)
		}
		if p.CorrelationData != nil {
			n += 3 + len(p.CorrelationData)
		}
		if p.TopicAlias.Set {
			n += 3
		}
		for _, u := range p.UserProperties {
			n += 5 + len(u.Key) + len(u.Value)
		}
	}
	return n + varIntSize(n)
}

// overQuota reports whether a windowed flow resent after sent others
// would exceed the broker's Receive Maximum [MQTT-3.3.4-7]; if so it
// gives its slot back and the caller holds the flow for a later slot.
// The caller holds c.mu.
func (c *Client) overQuota(p *pending, sent int) bool {
	if sent < c.sess.quota.limit() {
		return false
	}
	p.windowed = false
	c.sess.quota.give()
	return true
}

// limit returns the most slots the quota allows.
func (q *quota) limit() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.max
}

// aliasRoom is what a topic alias the writer may add takes: the
// property and a longer property length.
func aliasRoom(r *ConnectResult, off bool) int {
	if r.TopicAliasMaximum == 0 || off {
		return 0
	}
	return 4
}
