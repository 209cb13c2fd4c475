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
func (c ConnackCode) String() string {
	if int(c) < len(connackNames) {
		return connackNames[c]
	}
	return "ConnackCode(" + strconv.Itoa(int(c)) + ")"
}

// Connack is the CONNACK packet: the broker's answer to CONNECT.
type Connack struct {
	SessionPresent bool // 3.1.1 only; always false in 3.1
	ReturnCode     ConnackCode
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
	var flags byte
	if p.SessionPresent && v != V31 {
		if p.ReturnCode != Accepted {
			return dst, invalid(ErrReturnCode, "session present with return code %d [MQTT-3.2.2-4]", byte(p.ReturnCode))
		}
		flags = 1
	}
	return append(dst, byte(CONNACK)<<4, 2, flags, byte(p.ReturnCode)), nil
}

func (p *Connack) decode(d *body, _ byte, v Version) error {
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
