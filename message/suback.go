package message

import "strconv"

// SubackCode is one return code of SUBACK: the granted QoS, or
// [SubackFailure].
type SubackCode byte

// SubackFailure is the SUBACK return code for a refused filter (3.1.1).
const SubackFailure SubackCode = 0x80

// String returns "granted QoSn", "failure", the name of another 5.0
// reason code SUBACK may carry (as [ReasonCode.String] gives it), or
// "SubackCode(n)".
func (c SubackCode) String() string {
	switch {
	case c <= 2:
		return "granted " + QoS(c).String()
	case c == SubackFailure:
		return "failure"
	case ReasonCode(c).ValidFor(SUBACK):
		return ReasonCode(c).String()
	}
	return "SubackCode(" + strconv.Itoa(int(c)) + ")"
}

// Reason returns c as a 5.0 reason code.
func (c SubackCode) Reason() ReasonCode { return ReasonCode(c) }

// Granted returns the granted QoS and true, or false for a failure.
func (c SubackCode) Granted() (QoS, bool) {
	if c <= 2 {
		return QoS(c), true
	}
	return 0, false
}

// Suback is the SUBACK packet: one return code per requested filter, in
// order. In 5.0 the codes are reason codes: the granted QoS 0 to 2, or one
// of the error codes from 0x80 that SUBACK may carry.
type Suback struct {
	PacketID    uint16
	ReturnCodes []SubackCode
	Properties  *Properties // 5.0 only: Reason String, User Property
}

// Type returns SUBACK.
func (*Suback) Type() Type { return SUBACK }

func validSubackCode(c SubackCode, v Version) bool {
	if v == V5 {
		return ReasonCode(c).ValidFor(SUBACK)
	}
	return c <= 2 || (c == SubackFailure && v != V31)
}

// Append implements [Packet].
func (p *Suback) Append(dst []byte, v Version) ([]byte, error) {
	if err := checkVersion(SUBACK, v); err != nil {
		return dst, err
	}
	if v == V5 {
		return appendCodes(dst, SUBACK, p.PacketID, p.Properties, len(p.ReturnCodes), func(i int) byte {
			return byte(p.ReturnCodes[i])
		})
	}
	if p.Properties != nil {
		return dst, invalidType(SUBACK, ErrNotInVersion, "properties in SUBACK for protocol %v", v)
	}
	if p.PacketID == 0 {
		return dst, invalidType(SUBACK, ErrZeroPacketID, "SUBACK")
	}
	if len(p.ReturnCodes) == 0 {
		return dst, invalidType(SUBACK, ErrReturnCode, "SUBACK without a return code")
	}
	for _, c := range p.ReturnCodes {
		if !validSubackCode(c, v) {
			return dst, invalidType(SUBACK, ErrReturnCode, "SUBACK return code 0x%02x", byte(c))
		}
	}
	n := 2 + len(p.ReturnCodes)
	if err := checkSize(SUBACK, n); err != nil {
		return dst, err
	}
	dst = grow(dst, 5+n)
	dst = appendHeader(dst, byte(SUBACK)<<4, n)
	dst = appendUint16(dst, p.PacketID)
	for _, c := range p.ReturnCodes {
		dst = append(dst, byte(c))
	}
	return dst, nil
}

func (p *Suback) decode(d *body, _ byte, v Version) error {
	p.PacketID = d.packetID()
	p.Properties = nil
	if v == V5 {
		p.Properties = d.props(SUBACK)
	}
	if d.err != nil {
		return d.err
	}
	codes := d.rest()
	if len(codes) == 0 {
		d.fail(ErrReturnCode, "SUBACK without a return code")
		return d.err
	}
	p.ReturnCodes = make([]SubackCode, len(codes))
	for i, c := range codes {
		if v == V5 {
			if checkReason(d, SUBACK, ReasonCode(c)) != nil {
				return d.err
			}
		} else if !validSubackCode(SubackCode(c), v) {
			d.fail(ErrReturnCode, "return code 0x%02x [MQTT-3.9.3-2]", c)
			return d.err
		}
		p.ReturnCodes[i] = SubackCode(c)
	}
	return nil
}
