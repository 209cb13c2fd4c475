package message

import "strconv"

// SubackCode is one return code of SUBACK: the granted QoS, or
// [SubackFailure].
type SubackCode byte

// SubackFailure is the SUBACK return code for a refused filter (3.1.1).
const SubackFailure SubackCode = 0x80

// String returns "granted QoSn", "failure", or "SubackCode(n)".
func (c SubackCode) String() string {
	switch {
	case c <= 2:
		return "granted " + QoS(c).String()
	case c == SubackFailure:
		return "failure"
	}
	return "SubackCode(" + strconv.Itoa(int(c)) + ")"
}

// Granted returns the granted QoS and true, or false for a failure.
func (c SubackCode) Granted() (QoS, bool) {
	if c <= 2 {
		return QoS(c), true
	}
	return 0, false
}

// Suback is the SUBACK packet: one return code per requested filter, in
// order.
type Suback struct {
	PacketID    uint16
	ReturnCodes []SubackCode
}

// Type returns SUBACK.
func (*Suback) Type() Type { return SUBACK }

func validSubackCode(c SubackCode, v Version) bool {
	return c <= 2 || (c == SubackFailure && v != V31)
}

// Append implements [Packet].
func (p *Suback) Append(dst []byte, v Version) ([]byte, error) {
	if err := checkVersion(SUBACK, v); err != nil {
		return dst, err
	}
	if p.PacketID == 0 {
		return dst, invalid(ErrZeroPacketID, "SUBACK")
	}
	if len(p.ReturnCodes) == 0 {
		return dst, invalid(ErrReturnCode, "SUBACK without a return code")
	}
	for _, c := range p.ReturnCodes {
		if !validSubackCode(c, v) {
			return dst, invalid(ErrReturnCode, "SUBACK return code 0x%02x", byte(c))
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
		if !validSubackCode(SubackCode(c), v) {
			d.fail(ErrReturnCode, "return code 0x%02x [MQTT-3.9.3-2]", c)
			return d.err
		}
		p.ReturnCodes[i] = SubackCode(c)
	}
	return nil
}
