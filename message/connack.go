package message

import "strconv"

// ConnackCode is the CONNACK return code.
type ConnackCode byte

// CONNACK return codes of MQTT 3.1 and 3.1.1.
const (
	Accepted                   ConnackCode = 0
	RefusedProtocolVersion     ConnackCode = 1
	RefusedIdentifierRejected  ConnackCode = 2
	RefusedServerUnavailable   ConnackCode = 3
	RefusedBadUsernamePassword ConnackCode = 4
	RefusedNotAuthorized       ConnackCode = 5
)

var connackNames = [...]string{
	Accepted:                   "connection accepted",
	RefusedProtocolVersion:     "unacceptable protocol version",
	RefusedIdentifierRejected:  "identifier rejected",
	RefusedServerUnavailable:   "server unavailable",
	RefusedBadUsernamePassword: "bad user name or password",
	RefusedNotAuthorized:       "not authorized",
}

// String describes the code, or "ConnackCode(n)" for an unknown value.
// The 5.0 reason codes from 0x80 on have their names from the standard,
// as [ReasonCode.String] gives them.
func (c ConnackCode) String() string {
	if int(c) < len(connackNames) {
		return connackNames[c]
	}
	if r := ReasonCode(c); r.ValidFor(CONNACK) {
		return r.String()
	}
	return "ConnackCode(" + strconv.Itoa(int(c)) + ")"
}

// Reason returns c as a 5.0 reason code. It is meaningful for a CONNACK
// of 5.0, where the field holds a reason code.
func (c ConnackCode) Reason() ReasonCode { return ReasonCode(c) }

// Connack is the CONNACK packet: the broker's answer to CONNECT.
type Connack struct {
	SessionPresent bool // 3.1.1 and 5.0; always false in 3.1
	// ReturnCode is the return code in 3.1 and 3.1.1 and the reason code
	// in 5.0 (0 or one of the error codes from 0x80 CONNACK may carry:
	// see [ConnackCode.Reason]).
	ReturnCode ConnackCode
	Properties *Properties // 5.0 only
}

// Type returns CONNACK.
func (*Connack) Type() Type { return CONNACK }

// Append implements [Packet]. In 3.1, which has no session present flag,
// SessionPresent is ignored. In 3.1.1 it must be false when the return code
// is not [Accepted] [MQTT-3.2.2-4]. Reserved codes (6 to 255) are encoded
// as given.
func (p *Connack) Append(dst []byte, v Version) ([]byte, error) {
	if err := checkVersion(CONNACK, v); err != nil {
		return dst, err
	}
	if v == V5 {
		return p.append5(dst)
	}
	if p.Properties != nil {
		return dst, invalidType(CONNACK, ErrNotInVersion, "properties in CONNACK for protocol %v", v)
	}
	var flags byte
	if p.SessionPresent && v != V31 {
		if p.ReturnCode != Accepted {
			return dst, invalidType(CONNACK, ErrReturnCode, "session present with return code %d [MQTT-3.2.2-4]", byte(p.ReturnCode))
		}
		flags = 1
	}
	return append(dst, byte(CONNACK)<<4, 2, flags, byte(p.ReturnCode)), nil
}

// append5 encodes a 5.0 CONNACK: flags, reason code and properties. A
// refusal has Session Present 0 [MQTT-3.2.2-6] and the reason code must
// be one CONNACK may carry [MQTT-3.2.2-8].
func (p *Connack) append5(dst []byte) ([]byte, error) {
	if err := checkReason(nil, CONNACK, p.ReturnCode.Reason()); err != nil {
		return dst, err
	}
	var flags byte
	if p.SessionPresent {
		if p.ReturnCode != Accepted {
			return dst, invalidType(CONNACK, ErrReturnCode, "session present with %v [MQTT-3.2.2-6]", p.ReturnCode.Reason())
		}
		flags = 1
	}
	n, err := p.Properties.size(CONNACK)
	if err != nil {
		return dst, err
	}
	size := 2 + propsLen(n)
	if err := checkSize(CONNACK, size); err != nil {
		return dst, err
	}
	dst = grow(dst, 5+size)
	dst = appendHeader(dst, byte(CONNACK)<<4, size)
	dst = append(dst, flags, byte(p.ReturnCode))
	return appendProps(dst, p.Properties, n), nil
}

func (p *Connack) decode(d *body, _ byte, v Version) error {
	if v == V5 {
		return p.decode5(d)
	}
	flags := d.byte("acknowledge flags")
	code := d.byte("return code")
	if err := d.end(); err != nil {
		return err
	}
	if v != V31 && flags&^1 != 0 {
		d.fail(ErrReservedFlag, "acknowledge flags 0x%02x [MQTT-3.2.2-1]", flags)
		return d.err
	}
	// Codes 6 to 255 are reserved. A client reading one still learns that
	// it was refused, so they decode as refusals rather than as malformed
	// packets: some brokers answer 3.1.1 clients with 5.0 reason codes.
	if v != V31 && flags&1 != 0 && code != byte(Accepted) {
		d.fail(ErrReturnCode, "session present with return code %d [MQTT-3.2.2-4]", code)
		return d.err
	}
	*p = Connack{SessionPresent: v != V31 && flags&1 != 0, ReturnCode: ConnackCode(code)}
	return nil
}

// decode5 decodes a 5.0 CONNACK. It also accepts the 3.1.1 form of a
// refusal, a body of two bytes with a return code from 1 to 5: that is
// how a server that does not implement 5.0 answers a 5.0 CONNECT, and a
// client can learn from it that it must fall back to an older version.
func (p *Connack) decode5(d *body) error {
	flags := d.byte("acknowledge flags")
	code := ConnackCode(d.byte("reason code"))
	if d.err != nil {
		return d.err
	}
	if len(d.b) == 0 && flags == 0 && code >= RefusedProtocolVersion && code <= RefusedNotAuthorized {
		*p = Connack{ReturnCode: code}
		return nil
	}
	if flags&^1 != 0 {
		d.fail(ErrReservedFlag, "acknowledge flags 0x%02x [MQTT-3.2.2-1]", flags)
		return d.err
	}
	if checkReason(d, CONNACK, code.Reason()) != nil {
		return d.err
	}
	if flags&1 != 0 && code != Accepted {
		d.fail(ErrReturnCode, "session present with %v [MQTT-3.2.2-6]", code.Reason())
		return d.err
	}
	props := d.props(CONNACK)
	if err := d.end(); err != nil {
		return err
	}
	*p = Connack{SessionPresent: flags&1 != 0, ReturnCode: code, Properties: props}
	return nil
}
