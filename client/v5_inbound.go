package client

import (
	"fmt"
	"strconv"

	"github.com/onmqtt/onmqtt/message"
)

// receivedIn counts a new QoS 1 or 2 publish of the broker's, read on
// cn at 5.0, against our Receive Maximum; a broker that exceeds it is
// disconnected with 0x93 [MQTT-3.3.4-9]. The PUBACK or PUBCOMP that
// acknowledges it takes it off again (see conn.encode).
func (cn *conn) receivedIn(id uint16) error {
	limit := cn.c.opts.receiveMaximum()
	if n := cn.inflightIn.Add(1); int(n) > limit {
		return &ProtocolError{Type: message.PUBLISH, ID: id, Code: message.ReceiveMaximumExceeded,
			Reason: strconv.Itoa(int(n)) + " QoS 1 and 2 publishes unacknowledged, our Receive Maximum is " + strconv.Itoa(limit)}
	}
	return nil
}

// ackError returns the error a PUBACK or PUBREC event completes its flow
// with: a *PublishError for a reason code of 0x80 or above. A PUBCOMP
// with one (0x92, Packet Identifier not found) completes the flow
// without error: the broker took the message at its PUBREC, and the
// code only says it had already forgotten the identifier. The code is on
// the PUBCOMP event (router.Failed matches it).
func ackError(e *inbound) error {
	if !e.ev.ReasonCode.IsError() || e.ev.Type == message.PUBCOMP {
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

// checkProblemInfo refuses a Reason String or User Property on a packet
// other than PUBLISH, CONNACK or DISCONNECT after we asked for no
// problem information [MQTT-3.1.2-29]: a protocol error, closed with
// 0x82.
func checkProblemInfo(p message.Packet) error {
	var props *message.Properties
	switch p := p.(type) {
	case *message.Puback:
		props = p.Properties
	case *message.Pubrec:
		props = p.Properties
	case *message.Pubrel:
		props = p.Properties
	case *message.Pubcomp:
		props = p.Properties
	case *message.Suback:
		props = p.Properties
	case *message.Unsuback:
		props = p.Properties
	case *message.Auth:
		props = p.Properties
	}
	if props != nil && (props.ReasonString != "" || props.UserProperties != nil) {
		return &ProtocolError{Type: p.Type(), Code: message.ProtocolError,
			Reason: "Reason String or User Property after Request Problem Information 0 [MQTT-3.1.2-29]"}
	}
	return nil
}

// appendControl5 appends our DISCONNECT or AUTH at 5.0. When a
// DISCONNECT would exceed the broker's Maximum Packet Size, its Reason
// String and User Properties are left out [MQTT-3.14.2-3]. A DISCONNECT
// with a reason code and no property is sent with an empty property
// length: as valid as the code alone, and understood by brokers that
// read the code only when properties follow. Our AUTH never carries a
// Reason String or User Properties [MQTT-3.15.2-2] [MQTT-3.15.2-3], and
// its size was checked before it was queued (see authFits). It runs on
// the writer.
func (cn *conn) appendControl5(buf []byte, pkt message.Packet) ([]byte, error) {
	if d, ok := pkt.(*message.Disconnect); ok && d.Properties == nil && d.ReasonCode != 0 {
		return append(buf, byte(message.DISCONNECT)<<4, 2, byte(d.ReasonCode), 0), nil
	}
	start := len(buf)
	out, err := pkt.Append(buf, message.V5)
	if err != nil || cn.res == nil || len(out)-start <= cn.res.MaximumPacketSize {
		return out, err
	}
	if d, ok := pkt.(*message.Disconnect); ok {
		cp := *d
		cp.Properties = withoutProblemInfo(d.Properties)
		return cp.Append(out[:start], message.V5)
	}
	return out, err
}

// authFits reports an AUTH that would exceed the broker's Maximum
// Packet Size [MQTT-3.2.2-15], which nothing can be left out of: its
// Authentication Data is the exchange. Before CONNACK the broker's limit
// is not known yet, and anything fits.
func (cn *conn) authFits(pkt *message.Auth) error {
	if cn.res == nil {
		return nil
	}
	b, err := pkt.Append(nil, message.V5)
	if err != nil {
		return fmt.Errorf("onmqtt: AUTH: %w", err)
	}
	if len(b) > cn.res.MaximumPacketSize {
		return fmt.Errorf("onmqtt: AUTH: %w: %d bytes exceed the broker's Maximum Packet Size of %d", message.ErrPacketTooLarge, len(b), cn.res.MaximumPacketSize)
	}
	return nil
}

// withoutProblemInfo returns a copy of p without Reason String and User
// Properties, nil when nothing else is left.
func withoutProblemInfo(p *message.Properties) *message.Properties {
	if p == nil {
		return nil
	}
	cp := *p
	cp.ReasonString, cp.UserProperties = "", nil
	if !cp.SessionExpiry.Set && cp.ServerReference == "" && cp.AuthMethod == "" && cp.AuthData == nil {
		return nil
	}
	return &cp
}
