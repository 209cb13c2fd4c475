package message

import "unsafe"

// propCheck validates the properties of one packet and adds up their
// encoded size. The first error sticks.
type propCheck struct {
	t   Type // packet type, or willProps
	n   int
	err error
}

// allow reports whether the property may be added, recording the error
// when the packet type may not carry it.
func (c *propCheck) allow(id PropertyID) bool {
	if c.err != nil {
		return false
	}
	if !id.AllowedIn(c.t) {
		c.err = invalidType(c.t, ErrPropertyNotAllowed, "%v in %s", id, where(c.t))
		return false
	}
	return true
}

// bad records a value the standard forbids.
func (c *propCheck) bad(rule error, id PropertyID, format string, args ...any) {
	if c.err == nil {
		c.err = invalidType(c.t, rule, id.String()+" "+format, args...)
	}
}

// wrap records err, returned by a validation function for the value of id,
// with the property's name.
func (c *propCheck) wrap(id PropertyID, err error) {
	if c.err == nil {
		e := err.(*Error)
		c.err = invalidType(c.t, e.Rule, "%v: %s", id, e.Reason)
	}
}

func (c *propCheck) fixed(id PropertyID, n int) {
	if c.allow(id) {
		c.n += 1 + n
	}
}

func (c *propCheck) str(id PropertyID, s string) {
	if s == "" || !c.allow(id) {
		return
	}
	if err := ValidString(s); err != nil {
		c.wrap(id, err)
	}
	c.n += 3 + len(s)
}

func (c *propCheck) bin(id PropertyID, b []byte) {
	if b == nil || !c.allow(id) {
		return
	}
	if len(b) > maxString {
		c.bad(ErrStringTooLong, id, "of %d bytes", len(b))
	}
	c.n += 3 + len(b)
}

func (c *propCheck) flag(id PropertyID, o Optional[bool]) {
	if o.Set {
		c.fixed(id, 1)
	}
}

// size validates p for a packet of type t (willProps for a will) and
// returns the length of its properties, without the property length.
func (p *Properties) size(t Type) (int, error) {
	if p == nil {
		return 0, nil
	}
	c := propCheck{t: t}
	if p.PayloadFormat.Set {
		c.fixed(PropPayloadFormat, 1)
		if p.PayloadFormat.Value > 1 {
			c.bad(ErrPropertyValue, PropPayloadFormat, "%d, want 0 or 1", p.PayloadFormat.Value)
		}
	}
	if p.MessageExpiry.Set {
		c.fixed(PropMessageExpiry, 4)
	}
	c.str(PropContentType, p.ContentType)
	if p.ResponseTopic != "" {
		c.str(PropResponseTopic, p.ResponseTopic)
		if err := ValidTopic(p.ResponseTopic); err != nil && c.err == nil {
			c.wrap(PropResponseTopic, err) // [MQTT-3.3.2-14]
		}
	}
	c.bin(PropCorrelationData, p.CorrelationData)
	if len(p.SubscriptionIDs) > 0 && c.allow(PropSubscriptionID) {
		if len(p.SubscriptionIDs) > 1 && t != PUBLISH {
			c.bad(ErrDuplicateProperty, PropSubscriptionID, "%d times in %v", len(p.SubscriptionIDs), t)
		}
		for _, id := range p.SubscriptionIDs {
			if id == 0 || id > MaxRemainingLength {
				c.bad(ErrPropertyValue, PropSubscriptionID, "%d, want 1 to 268435455", id)
			}
			c.n += 1 + lengthSize(int(id))
		}
	}
	if p.SessionExpiry.Set {
		c.fixed(PropSessionExpiry, 4)
	}
	c.str(PropAssignedClientID, p.AssignedClientID)
	if p.ServerKeepAlive.Set {
		c.fixed(PropServerKeepAlive, 2)
	}
	c.str(PropAuthMethod, p.AuthMethod)
	c.bin(PropAuthData, p.AuthData)
	c.flag(PropRequestProblemInfo, p.RequestProblemInfo)
	if p.WillDelay.Set {
		c.fixed(PropWillDelay, 4)
	}
	c.flag(PropRequestResponseInfo, p.RequestResponseInfo)
	c.str(PropResponseInfo, p.ResponseInfo)
	c.str(PropServerReference, p.ServerReference)
	c.str(PropReasonString, p.ReasonString)
	if p.ReceiveMaximum.Set {
		c.fixed(PropReceiveMaximum, 2)
		if p.ReceiveMaximum.Value == 0 {
			c.bad(ErrPropertyValue, PropReceiveMaximum, "0")
		}
	}
	if p.TopicAliasMaximum.Set {
		c.fixed(PropTopicAliasMaximum, 2)
	}
	if p.TopicAlias.Set {
		c.fixed(PropTopicAlias, 2)
		if p.TopicAlias.Value == 0 {
			c.bad(ErrPropertyValue, PropTopicAlias, "0 [MQTT-3.3.2-8]")
		}
	}
	if p.MaximumQoS.Set {
		c.fixed(PropMaximumQoS, 1)
		if p.MaximumQoS.Value > QoS1 {
			c.bad(ErrPropertyValue, PropMaximumQoS, "%d, want 0 or 1", p.MaximumQoS.Value)
		}
	}
	c.flag(PropRetainAvailable, p.RetainAvailable)
	if len(p.UserProperties) > 0 && c.allow(PropUserProperty) {
		for _, u := range p.UserProperties {
			for _, s := range [2]string{u.Key, u.Value} {
				if err := ValidString(s); err != nil {
					c.wrap(PropUserProperty, err) // [MQTT-1.5.7-1]
				}
			}
			c.n += 5 + len(u.Key) + len(u.Value)
		}
	}
	if p.MaximumPacketSize.Set {
		c.fixed(PropMaximumPacketSize, 4)
		if p.MaximumPacketSize.Value == 0 {
			c.bad(ErrPropertyValue, PropMaximumPacketSize, "0")
		}
	}
	c.flag(PropWildcardSubAvail, p.WildcardSubAvail)
	c.flag(PropSubIDAvail, p.SubIDAvail)
	c.flag(PropSharedSubAvail, p.SharedSubAvail)
	if c.err == nil && c.n > MaxRemainingLength {
		return 0, &Error{Type: t, Rule: ErrPacketTooLarge, Reason: "properties too long", family: ErrPacketTooLarge}
	}
	return c.n, c.err
}

// propsLen returns the bytes that a property length of n and n bytes of
// properties take.
func propsLen(n int) int { return lengthSize(n) + n }

// appendVarInt appends a Variable Byte Integer in its shortest form.
func appendVarInt(dst []byte, n int) []byte {
	for {
		b := byte(n & 0x7f)
		n >>= 7
		if n == 0 {
			return append(dst, b)
		}
		dst = append(dst, b|0x80)
	}
}

func appendUint32(dst []byte, v uint32) []byte {
	return append(dst, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

func appendFlag(dst []byte, id PropertyID, o Optional[bool]) []byte {
	if !o.Set {
		return dst
	}
	var b byte
	if o.Value {
		b = 1
	}
	return append(dst, byte(id), b)
}

func appendStrProp(dst []byte, id PropertyID, s string) []byte {
	if s == "" {
		return dst
	}
	return appendString(append(dst, byte(id)), s)
}

// appendProps appends the property length n, which [Properties.size]
// returned for p, and the properties in the order of their identifiers.
func appendProps(dst []byte, p *Properties, n int) []byte {
	dst = appendVarInt(dst, n)
	if p == nil {
		return dst
	}
	if p.PayloadFormat.Set {
		dst = append(dst, byte(PropPayloadFormat), p.PayloadFormat.Value)
	}
	if p.MessageExpiry.Set {
		dst = appendUint32(append(dst, byte(PropMessageExpiry)), p.MessageExpiry.Value)
	}
	dst = appendStrProp(dst, PropContentType, p.ContentType)
	dst = appendStrProp(dst, PropResponseTopic, p.ResponseTopic)
	if p.CorrelationData != nil {
		dst = appendBytes(append(dst, byte(PropCorrelationData)), p.CorrelationData)
	}
	for _, id := range p.SubscriptionIDs {
		dst = appendVarInt(append(dst, byte(PropSubscriptionID)), int(id))
	}
	if p.SessionExpiry.Set {
		dst = appendUint32(append(dst, byte(PropSessionExpiry)), p.SessionExpiry.Value)
	}
	dst = appendStrProp(dst, PropAssignedClientID, p.AssignedClientID)
	if p.ServerKeepAlive.Set {
		dst = appendUint16(append(dst, byte(PropServerKeepAlive)), p.ServerKeepAlive.Value)
	}
	dst = appendStrProp(dst, PropAuthMethod, p.AuthMethod)
	if p.AuthData != nil {
		dst = appendBytes(append(dst, byte(PropAuthData)), p.AuthData)
	}
	dst = appendFlag(dst, PropRequestProblemInfo, p.RequestProblemInfo)
	if p.WillDelay.Set {
		dst = appendUint32(append(dst, byte(PropWillDelay)), p.WillDelay.Value)
	}
	dst = appendFlag(dst, PropRequestResponseInfo, p.RequestResponseInfo)
	dst = appendStrProp(dst, PropResponseInfo, p.ResponseInfo)
	dst = appendStrProp(dst, PropServerReference, p.ServerReference)
	dst = appendStrProp(dst, PropReasonString, p.ReasonString)
	if p.ReceiveMaximum.Set {
		dst = appendUint16(append(dst, byte(PropReceiveMaximum)), p.ReceiveMaximum.Value)
	}
	if p.TopicAliasMaximum.Set {
		dst = appendUint16(append(dst, byte(PropTopicAliasMaximum)), p.TopicAliasMaximum.Value)
	}
	if p.TopicAlias.Set {
		dst = appendUint16(append(dst, byte(PropTopicAlias)), p.TopicAlias.Value)
	}
	if p.MaximumQoS.Set {
		dst = append(dst, byte(PropMaximumQoS), byte(p.MaximumQoS.Value))
	}
	dst = appendFlag(dst, PropRetainAvailable, p.RetainAvailable)
	for _, u := range p.UserProperties {
		dst = appendString(append(dst, byte(PropUserProperty)), u.Key)
		dst = appendString(dst, u.Value)
	}
	if p.MaximumPacketSize.Set {
		dst = appendUint32(append(dst, byte(PropMaximumPacketSize)), p.MaximumPacketSize.Value)
	}
	dst = appendFlag(dst, PropWildcardSubAvail, p.WildcardSubAvail)
	dst = appendFlag(dst, PropSubIDAvail, p.SubIDAvail)
	return appendFlag(dst, PropSharedSubAvail, p.SharedSubAvail)
}

// varInt reads a Variable Byte Integer of at most four bytes in its
// shortest form [MQTT-1.5.5-1].
func (d *body) varInt(field string) int {
	if d.err != nil {
		return 0
	}
	n := 0
	for i := 0; i < 4; i++ {
		if len(d.b) <= i {
			d.fail(ErrTruncated, "missing %s", field)
			return 0
		}
		c := d.b[i]
		n |= int(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			if c == 0 && i > 0 {
				d.fail(ErrVarInt, "%s in %d bytes [MQTT-1.5.5-1]", field, i+1)
				return 0
			}
			d.b = d.b[i+1:]
			return n
		}
	}
	d.fail(ErrVarInt, "%s longer than 4 bytes", field)
	return 0
}

func (d *body) uint32(field string) uint32 {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 4 {
		d.fail(ErrTruncated, "missing %s", field)
		return 0
	}
	v := uint32(d.b[0])<<24 | uint32(d.b[1])<<16 | uint32(d.b[2])<<8 | uint32(d.b[3])
	d.b = d.b[4:]
	return v
}

// keepString returns v as a string the caller owns: aliasing the body when
// the body is the packet's own, carved from the arena otherwise.
func (d *body) keepString(v []byte) string {
	if len(v) == 0 {
		return ""
	}
	if !d.own {
		v = carve(d.arena, v)
	}
	return unsafe.String(&v[0], len(v))
}

// keepBytes is keepString for binary data; an empty field gives a
// non-nil empty slice, so that its presence is kept.
func (d *body) keepBytes(v []byte) []byte {
	switch {
	case len(v) == 0:
		return []byte{}
	case d.own:
		return v[:len(v):len(v)]
	}
	return carve(d.arena, v)
}

// propString reads a UTF-8 string property [MQTT-1.5.4-1] [MQTT-1.5.4-2].
func (d *body) propString(id PropertyID) string {
	v := d.raw(id.String())
	if d.err != nil {
		return ""
	}
	if !validUTF8(v) {
		d.fail(ErrInvalidUTF8, "%v is not valid UTF-8 without U+0000", id)
		return ""
	}
	return d.keepString(v)
}

// props reads a property length and the properties of a packet of type t
// (willProps for the will properties). It returns nil when there are
// none, and checks them as [Properties.size] checks what is sent.
func (d *body) props(t Type) *Properties {
	n := d.varInt("property length")
	if d.err != nil || n == 0 {
		return nil
	}
	if n > len(d.b) {
		d.fail(ErrTruncated, "properties need %d bytes, %d left", n, len(d.b))
		return nil
	}
	pd := body{t: d.t, b: d.b[:n], own: d.own, arena: d.arena}
	d.b = d.b[n:]
	p := new(Properties)
	var scratch [4]UserProperty
	users := scratch[:0]
	var seen uint64
	kept := false
	for pd.err == nil && len(pd.b) > 0 {
		id := PropertyID(pd.b[0])
		pd.b = pd.b[1:]
		if int(id) >= len(propTable) || propTable[id].kind == 0 {
			pd.fail(ErrUnknownProperty, "identifier 0x%02x", byte(id))
			break
		}
		if !id.AllowedIn(t) {
			pd.fail(ErrPropertyNotAllowed, "%v in %s", id, where(t))
			break
		}
		many := id == PropUserProperty || id == PropSubscriptionID && t == PUBLISH
		if seen&(1<<id) != 0 && !many {
			pd.fail(ErrDuplicateProperty, "%v", id)
			break
		}
		seen |= 1 << id
		switch propTable[id].kind {
		case kindByte:
			v := pd.byte(id.String())
			switch id {
			case PropPayloadFormat:
				p.PayloadFormat = Some(v)
			case PropMaximumQoS:
				p.MaximumQoS = Some(QoS(v))
			default:
				if v > 1 && pd.err == nil {
					pd.fail(ErrPropertyValue, "%v %d, want 0 or 1", id, v)
				}
				o := Some(v == 1)
				switch id {
				case PropRequestProblemInfo:
					p.RequestProblemInfo = o
				case PropRequestResponseInfo:
					p.RequestResponseInfo = o
				case PropRetainAvailable:
					p.RetainAvailable = o
				case PropWildcardSubAvail:
					p.WildcardSubAvail = o
				case PropSubIDAvail:
					p.SubIDAvail = o
				case PropSharedSubAvail:
					p.SharedSubAvail = o
				}
			}
		case kindUint16:
			o := Some(pd.uint16(id.String()))
			switch id {
			case PropServerKeepAlive:
				p.ServerKeepAlive = o
			case PropReceiveMaximum:
				p.ReceiveMaximum = o
			case PropTopicAliasMaximum:
				p.TopicAliasMaximum = o
			case PropTopicAlias:
				p.TopicAlias = o
			}
		case kindUint32:
			o := Some(pd.uint32(id.String()))
			switch id {
			case PropMessageExpiry:
				p.MessageExpiry = o
			case PropSessionExpiry:
				p.SessionExpiry = o
			case PropWillDelay:
				p.WillDelay = o
			case PropMaximumPacketSize:
				p.MaximumPacketSize = o
			}
		case kindVarInt: // Subscription Identifier
			p.SubscriptionIDs = append(p.SubscriptionIDs, uint32(pd.varInt(id.String())))
		case kindString:
			s := pd.propString(id)
			if pd.err == nil && s == "" {
				// An empty string property cannot be sent again as it
				// was received; it means the same as none.
				continue
			}
			switch id {
			case PropContentType:
				p.ContentType = s
			case PropResponseTopic:
				p.ResponseTopic = s
			case PropAssignedClientID:
				p.AssignedClientID = s
			case PropAuthMethod:
				p.AuthMethod = s
			case PropResponseInfo:
				p.ResponseInfo = s
			case PropServerReference:
				p.ServerReference = s
			case PropReasonString:
				p.ReasonString = s
			}
		case kindPair:
			k := pd.propString(id)
			v := pd.propString(id)
			users = append(users, UserProperty{Key: k, Value: v})
		case kindBinary:
			v := pd.raw(id.String())
			if pd.err != nil {
				break
			}
			if id == PropCorrelationData {
				p.CorrelationData = pd.keepBytes(v)
			} else {
				p.AuthData = pd.keepBytes(v)
			}
		}
		kept = true
	}
	if pd.err != nil {
		d.err = pd.err
		return nil
	}
	if !kept {
		return nil
	}
	if len(users) > 0 {
		p.UserProperties = append(make([]UserProperty, 0, len(users)), users...)
	}
	if _, err := p.size(t); err != nil {
		e := err.(*Error)
		d.fail(e.Rule, "%s", e.Reason)
		return nil
	}
	return p
}

// AppendProperties appends p as a packet of type t carries it: the
// property length, then the properties. It refuses, with an *Error, what
// a packet of type t may not carry, as encoding the packet would. A nil p
// appends a zero length.
func AppendProperties(dst []byte, p *Properties, t Type) ([]byte, error) {
	n, err := p.size(t)
	if err != nil {
		return dst, err
	}
	return appendProps(dst, p, n), nil
}

// ReadProperties decodes properties that [AppendProperties] wrote for a
// packet of type t, checked as a received packet's are, and reports how
// many bytes of b they took. The result shares nothing with b; it is nil
// for a zero length.
func ReadProperties(b []byte, t Type) (*Properties, int, error) {
	d := body{t: t, b: b}
	p := d.props(t)
	if d.err != nil {
		return nil, 0, d.err
	}
	return p, len(b) - len(d.b), nil
}
