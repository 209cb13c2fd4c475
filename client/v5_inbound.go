package client

import (
	"strconv"

	"github.com/onmqtt/onmqtt/message"
)

// inbound5 applies MQTT 5.0's rules to a PUBLISH before the session sees
// it, on the reader: its topic alias is resolved, and a broker that
// exceeds our Receive Maximum is disconnected with 0x93 [MQTT-3.3.4-9].
// A QoS 2 duplicate of an id awaiting PUBREL is not counted again.
func (cn *conn) inbound5(p *message.Publish) error {
	if err := cn.resolveAlias(p); err != nil {
		return err
	}
	switch p.QoS {
	case message.QoS1:
	case message.QoS2:
		c := cn.c
		c.mu.Lock()
		_, dup := c.incoming[p.PacketID]
		c.mu.Unlock()
		if dup {
			return nil
		}
	default:
		return nil
	}
	limit := cn.c.opts.receiveMaximum()
	if n := cn.inflightIn.Add(1); int(n) > limit {
		return &ProtocolError{Type: message.PUBLISH, ID: p.PacketID, Code: message.ReceiveMaximumExceeded,
			Reason: strconv.Itoa(int(n)) + " QoS 1 and 2 publishes unacknowledged, our Receive Maximum is " + strconv.Itoa(limit)}
	}
	return nil
}

// ackError returns the error a PUBACK, PUBREC or PUBCOMP event completes
// its flow with: a *PublishError for a reason code of 0x80 or above.
func ackError(e *inbound) error {
	if !e.ev.ReasonCode.IsError() {
		return nil
	}
	pe := &PublishError{Type: e.ev.Type, Code: e.ev.ReasonCode, Properties: e.ev.Properties}
	if e.ev.Properties != nil {
		pe.Reason = e.ev.Properties.ReasonString
	}
	return pe
}

// unsubscribed returns the outcome of an UNSUBSCRIBE flow: nil, or an
// *UnsubscribeError naming the filters refused with a code of 0x80 or
// above. The caller holds c.mu.
func unsubscribed(p *pending, codes []message.ReasonCode) error {
	if codes == nil {
		return nil // before 5.0
	}
	p.token.setReasons(codes)
	var refused []string
	for i, f := range p.filters {
		if i < len(codes) && codes[i].IsError() {
			refused = append(refused, f)
		}
	}
	if len(codes) != len(p.filters) {
		return &ProtocolError{Type: message.UNSUBACK, ID: p.msg.PacketID,
			Reason: strconv.Itoa(len(codes)) + " reason codes for " + strconv.Itoa(len(p.filters)) + " filters"}
	}
	if refused != nil {
		return &UnsubscribeError{Filters: refused, Codes: codes}
	}
	return nil
}
