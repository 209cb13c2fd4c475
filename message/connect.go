package message

import "unicode/utf8"

// Will is the message the broker publishes for a client whose connection
// ends without DISCONNECT.
type Will struct {
	Topic   string
	Payload []byte
	QoS     QoS
	Retain  bool
	// Properties are the will properties of MQTT 5.0 (Will Delay
	// Interval, Payload Format Indicator, Message Expiry Interval, Content
	// Type, Response Topic, Correlation Data, User Property); nil before.
	Properties *Properties
}

// Connect is the CONNECT packet: the first packet a client sends.
type Connect struct {
	// Version is the protocol level the packet announces. Append encodes
	// it; a zero Version takes the version given to Append, and any other
	// value must equal it.
	Version      Version
	ClientID     string
	CleanSession bool   // Clean Start in 5.0
	KeepAlive    uint16 // seconds; 0 turns keepalive off
	Will         *Will  // nil for no will
	// UsernameFlag and PasswordFlag say that Username and Password are
	// present, even if empty. Append also sends a non-empty Username and
	// a non-nil Password without their flags, and Decode sets both flags.
	UsernameFlag bool
	Username     string
	PasswordFlag bool
	Password     []byte
	Properties   *Properties // 5.0 only
}

// CONNECT flag bits [MQTT-3.1.2.3].
const (
	flagReserved     = 0x01
	flagCleanSession = 0x02
	flagWill         = 0x04
	flagWillRetain   = 0x20
	flagPassword     = 0x40
	flagUsername     = 0x80
	willQoSShift     = 3
)

// maxClientID31 is the longest client identifier MQTT 3.1 allows.
const maxClientID31 = 23

// Type returns CONNECT.
func (*Connect) Type() Type { return CONNECT }

// hasUsername and hasPassword say whether the fields are sent.
func (p *Connect) hasUsername() bool { return p.UsernameFlag || p.Username != "" }
func (p *Connect) hasPassword() bool { return p.PasswordFlag || p.Password != nil }

// validate checks p for version v and returns the length of its
// properties and of its will properties.
func (p *Connect) validate(v Version) (pn, wn int, err error) {
	if !v.supported() {
		return 0, 0, invalidType(CONNECT, ErrVersion, "%v", v)
	}
	if err := ValidString(p.ClientID); err != nil {
		return 0, 0, err
	}
	switch {
	case v == V31 && (p.ClientID == "" || len(p.ClientID) > maxClientID31 && utf8.RuneCountInString(p.ClientID) > maxClientID31):
		return 0, 0, invalidType(CONNECT, ErrClientID, "%d characters, MQTT 3.1 allows 1 to 23", utf8.RuneCountInString(p.ClientID))
	case v == V311 && p.ClientID == "" && !p.CleanSession:
		return 0, 0, invalidType(CONNECT, ErrClientID, "empty with clean session 0 [MQTT-3.1.3-7]")
	}
	if w := p.Will; w != nil {
		if err := ValidTopic(w.Topic); err != nil {
			return 0, 0, err
		}
		if !w.QoS.Valid() {
			return 0, 0, invalidType(CONNECT, ErrInvalidQoS, "will %v", w.QoS)
		}
		if len(w.Payload) > maxString {
			return 0, 0, invalidType(CONNECT, ErrStringTooLong, "will payload of %d bytes", len(w.Payload))
		}
		if wn, err = checkProps(willProps, v, w.Properties); err != nil {
			return 0, 0, err
		}
	}
	if p.hasUsername() {
		if err := ValidString(p.Username); err != nil {
			return 0, 0, err
		}
	}
	if p.hasPassword() {
		if !p.hasUsername() && v != V5 {
			return 0, 0, invalidType(CONNECT, ErrPasswordFlag, "password without user name in %v (3.1.1: [MQTT-3.1.2-22])", v)
		}
		if len(p.Password) > maxString {
			return 0, 0, invalidType(CONNECT, ErrStringTooLong, "password of %d bytes", len(p.Password))
		}
	}
	pn, err = checkProps(CONNECT, v, p.Properties)
	return pn, wn, err
}

// Append implements [Packet]. The packet is encoded for p.Version, which
// must be v unless it is zero.
func (p *Connect) Append(dst []byte, v Version) ([]byte, error) {
	if p.Version != 0 && p.Version != v {
		return dst, invalidType(CONNECT, ErrVersionMismatch, "CONNECT for %v appended as %v", p.Version, v)
	}
	pn, wn, err := p.validate(v)
	if err != nil {
		return dst, err
	}
	name := v.ProtocolName()
	n := 2 + len(name) + 1 + 1 + 2 + 2 + len(p.ClientID)
	if v == V5 {
		n += propsLen(pn)
	}
	flags := byte(0)
	if p.CleanSession {
		flags |= flagCleanSession
	}
	if w := p.Will; w != nil {
		n += 2 + len(w.Topic) + 2 + len(w.Payload)
		if v == V5 {
			n += propsLen(wn)
		}
		flags |= flagWill | byte(w.QoS)<<willQoSShift
		if w.Retain {
			flags |= flagWillRetain
		}
	}
	if p.hasUsername() {
		n += 2 + len(p.Username)
		flags |= flagUsername
	}
	if p.hasPassword() {
		n += 2 + len(p.Password)
		flags |= flagPassword
	}
	if err := checkSize(CONNECT, n); err != nil {
		return dst, err
	}
	dst = grow(dst, 5+n)
	dst = appendHeader(dst, byte(CONNECT)<<4, n)
	dst = appendString(dst, name)
	dst = append(dst, byte(v), flags)
	dst = appendUint16(dst, p.KeepAlive)
	if v == V5 {
		dst = appendProps(dst, p.Properties, pn)
	}
	dst = appendString(dst, p.ClientID)
	if w := p.Will; w != nil {
		if v == V5 {
			dst = appendProps(dst, w.Properties, wn)
		}
		dst = appendString(dst, w.Topic)
		dst = appendBytes(dst, w.Payload)
	}
	if p.hasUsername() {
		dst = appendString(dst, p.Username)
	}
	if p.hasPassword() {
		dst = appendBytes(dst, p.Password)
	}
	return dst, nil
}

// decodeLevel checks the protocol name and level of a CONNECT.
func decodeLevel(d *body) Version {
	name := d.raw("protocol name")
	level := Version(d.byte("protocol level"))
	if d.err != nil {
		return 0
	}
	switch string(name) {
	case "MQTT":
		if level == V311 || level == V5 {
			return level
		}
	case "MQIsdp":
		if level == V31 {
			return level
		}
	default:
		d.fail(ErrProtocolName, "protocol name %q [MQTT-3.1.2-1]", name)
		return 0
	}
	d.fail(ErrProtocolLevel, "protocol name %q with level %d [MQTT-3.1.2-2]", name, level)
	return 0
}

// decode decodes a CONNECT of any protocol level: the packet carries its
// own, so the Reader's version is not used. MQTT 3.1 is decoded leniently
// where 3.1.1 is strict: a client identifier outside 1 to 23 characters
// and a password without a user name are accepted.
func (p *Connect) decode(d *body, _ byte, _ Version) error {
	level := decodeLevel(d)
	flags := d.byte("connect flags")
	keep := d.uint16("keep alive")
	if d.err != nil {
		return d.err
	}
	if flags&flagReserved != 0 {
		d.fail(ErrReservedFlag, "connect flags bit 0 [MQTT-3.1.2-3]")
		return d.err
	}
	willQoS := QoS(flags>>willQoSShift) & 3
	hasWill := flags&flagWill != 0
	if !hasWill && (willQoS != 0 || flags&flagWillRetain != 0) {
		d.fail(ErrWillFlags, "will QoS or retain set without will flag ([MQTT-3.1.2-11] in 3.1.1, [MQTT-3.1.2-11] [MQTT-3.1.2-13] in 5.0)")
		return d.err
	}
	if willQoS > QoS2 {
		d.fail(ErrInvalidQoS, "will QoS 3 ([MQTT-3.1.2-14] in 3.1.1, [MQTT-3.1.2-12] in 5.0)")
		return d.err
	}
	if level == V311 && flags&flagPassword != 0 && flags&flagUsername == 0 {
		d.fail(ErrPasswordFlag, "[MQTT-3.1.2-22]")
		return d.err
	}
	*p = Connect{
		Version:      level,
		CleanSession: flags&flagCleanSession != 0,
		KeepAlive:    keep,
		UsernameFlag: flags&flagUsername != 0,
		PasswordFlag: flags&flagPassword != 0,
	}
	if level == V5 {
		p.Properties = d.props(CONNECT)
	}
	p.ClientID = d.string("client identifier")
	if hasWill {
		w := &Will{QoS: willQoS, Retain: flags&flagWillRetain != 0}
		if level == V5 {
			w.Properties = d.props(willProps)
		}
		w.Topic = d.string("will topic")
		w.Payload = d.bytes("will message")
		if d.err == nil {
			if err := ValidTopic(w.Topic); err != nil {
				d.fail(ErrInvalidTopic, "will topic %q", w.Topic)
			}
		}
		p.Will = w
	}
	if p.UsernameFlag {
		p.Username = d.string("user name")
	}
	if p.PasswordFlag {
		p.Password = d.bytes("password")
	}
	return d.end()
}
