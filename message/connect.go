package message

// Will is the message the broker publishes for a client whose connection
// ends without DISCONNECT.
type Will struct {
	Topic   string
	Payload []byte
	QoS     QoS
	Retain  bool
}

// Connect is the CONNECT packet: the first packet a client sends.
type Connect struct {
	Version      Version // V31 or V311
	ClientID     string
	CleanSession bool
	KeepAlive    uint16 // seconds; 0 turns keepalive off
	Will         *Will  // nil for no will
	UsernameFlag bool   // set when Username is present, even if empty
	Username     string
	PasswordFlag bool // set when Password is present, even if empty
	Password     []byte
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

// Type returns CONNECT.
func (*Connect) Type() Type { return CONNECT }

func (p *Connect) validate() error {
	if !p.Version.supported() {
		return invalid(ErrVersion, "%v", p.Version)
	}
	if err := ValidString(p.ClientID); err != nil {
		return err
	}
	if p.Will != nil {
		if err := ValidTopic(p.Will.Topic); err != nil {
			return err
		}
		if !p.Will.QoS.Valid() {
			return invalid(ErrInvalidQoS, "will %v", p.Will.QoS)
		}
		if len(p.Will.Payload) > maxString {
			return invalid(ErrStringTooLong, "will payload of %d bytes", len(p.Will.Payload))
		}
	}
	if p.UsernameFlag {
		if err := ValidString(p.Username); err != nil {
			return err
		}
	}
	if p.PasswordFlag {
		if !p.UsernameFlag && p.Version == V311 {
			return invalid(ErrPasswordFlag, "[MQTT-3.1.2-22]")
		}
		if len(p.Password) > maxString {
			return invalid(ErrStringTooLong, "password of %d bytes", len(p.Password))
		}
	}
	return nil
}

// Append implements [Packet]. The version argument is ignored: CONNECT
// carries its own.
func (p *Connect) Append(dst []byte, _ Version) ([]byte, error) {
	if err := p.validate(); err != nil {
		return dst, err
	}
	name := p.Version.ProtocolName()
	n := 2 + len(name) + 1 + 1 + 2 + 2 + len(p.ClientID)
	flags := byte(0)
	if p.CleanSession {
		flags |= flagCleanSession
	}
	if w := p.Will; w != nil {
		n += 2 + len(w.Topic) + 2 + len(w.Payload)
		flags |= flagWill | byte(w.QoS)<<willQoSShift
		if w.Retain {
			flags |= flagWillRetain
		}
	}
	if p.UsernameFlag {
		n += 2 + len(p.Username)
		flags |= flagUsername
	}
	if p.PasswordFlag {
		n += 2 + len(p.Password)
		flags |= flagPassword
	}
	dst = grow(dst, 5+n)
	dst = appendHeader(dst, byte(CONNECT)<<4, n)
	dst = appendString(dst, name)
	dst = append(dst, byte(p.Version), flags)
	dst = appendUint16(dst, p.KeepAlive)
	dst = appendString(dst, p.ClientID)
	if w := p.Will; w != nil {
		dst = appendString(dst, w.Topic)
		dst = appendBytes(dst, w.Payload)
	}
	if p.UsernameFlag {
		dst = appendString(dst, p.Username)
	}
	if p.PasswordFlag {
		dst = appendBytes(dst, p.Password)
	}
	return dst, nil
}

func (p *Connect) decode(d *body, _ byte, _ Version) error {
	name := d.raw("protocol name")
	level := Version(d.byte("protocol level"))
	if d.err != nil {
		return d.err
	}
	switch {
	case string(name) == "MQIsdp" && level == V31, string(name) == "MQTT" && level == V311:
	default:
		d.fail(ErrProtocol, "protocol name %q with level %d", name, level)
		return d.err
	}
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
		d.fail(ErrWillFlags, "will QoS or retain set without will flag [MQTT-3.1.2-11]")
		return d.err
	}
	if willQoS > QoS2 {
		d.fail(ErrInvalidQoS, "will QoS 3 [MQTT-3.1.2-14]")
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
	p.ClientID = d.string("client identifier")
	if hasWill {
		w := &Will{QoS: willQoS, Retain: flags&flagWillRetain != 0}
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
