package message

// Unsuback acknowledges UNSUBSCRIBE. In MQTT 5.0 it carries one reason code
// per filter of the UNSUBSCRIBE, in order, and properties; in 3.1 and
// 3.1.1 only the packet identifier.
type Unsuback struct {
	PacketID    uint16
	ReasonCodes []ReasonCode // 5.0 only, at least one; nil otherwise
	Properties  *Properties  // 5.0 only: Reason String, User Property
}

// Type returns UNSUBACK.
func (*Unsuback) Type() Type { return UNSUBACK }

// Append implements [Packet].
func (p *Unsuback) Append(dst []byte, v Version) ([]byte, error) {
	if err := checkVersion(UNSUBACK, v); err != nil {
		return dst, err
	}
	if v != V5 {
		if len(p.ReasonCodes) > 0 {
			return dst, invalidType(UNSUBACK, ErrNotInVersion, "reason codes in UNSUBACK for protocol %v", v)
		}
		if _, err := checkProps(UNSUBACK, v, p.Properties); err != nil {
			return dst, err
		}
		return appendAck(dst, UNSUBACK, p.PacketID)
	}
	return appendCodes(dst, UNSUBACK, p.PacketID, p.Properties, len(p.ReasonCodes), func(i int) byte {
		return byte(p.ReasonCodes[i])
	})
}

// appendCodes encodes the 5.0 SUBACK and UNSUBACK: packet identifier,
// properties and k reason codes, each given by code(i) and checked against
// the table for t.
func appendCodes(dst []byte, t Type, id uint16, props *Properties, k int, code func(int) byte) ([]byte, error) {
	if id == 0 {
		return dst, invalidType(t, ErrZeroPacketID, "%v [MQTT-2.2.1-3]", t)
	}
	if k == 0 {
		return dst, invalidType(t, ErrReturnCode, "%v without a reason code", t)
	}
	for i := range k {
		if err := checkReason(nil, t, ReasonCode(code(i))); err != nil {
			return dst, err
		}
	}
	n, err := props.size(t)
	if err != nil {
		return dst, err
	}
	size := 2 + propsLen(n) + k
	if err := checkSize(t, size); err != nil {
		return dst, err
	}
	dst = grow(dst, 5+size)
	dst = appendHeader(dst, byte(t)<<4, size)
	dst = appendUint16(dst, id)
	dst = appendProps(dst, props, n)
	for i := range k {
		dst = append(dst, code(i))
	}
	return dst, nil
}

func (p *Unsuback) decode(d *body, _ byte, v Version) error {
	p.PacketID = d.packetID()
	p.ReasonCodes, p.Properties = nil, nil
	if v != V5 {
		return d.end()
	}
	p.Properties = d.props(UNSUBACK)
	codes := d.rest()
	if d.err != nil {
		return d.err
	}
	if len(codes) == 0 {
		d.fail(ErrReturnCode, "UNSUBACK without a reason code")
		return d.err
	}
	p.ReasonCodes = make([]ReasonCode, len(codes))
	for i, c := range codes {
		if checkReason(d, UNSUBACK, ReasonCode(c)) != nil {
			p.ReasonCodes = nil
			return d.err
		}
		p.ReasonCodes[i] = ReasonCode(c)
	}
	return nil
}
