package message

// The four acknowledgements of the publish flows share one shape: a fixed
// header and a packet identifier, and in MQTT 5.0 a reason code and
// properties after it. A 5.0 acknowledgement with only a packet identifier
// means Success without properties; one with a reason code and no property
// length means no properties. Append writes the shortest form.

// Puback acknowledges a QoS 1 PUBLISH.
type Puback struct {
	PacketID   uint16
	ReasonCode ReasonCode  // 5.0 only; 0 (Success) otherwise
	Properties *Properties // 5.0 only: Reason String, User Property
}

// Pubrec is the first answer to a QoS 2 PUBLISH.
type Pubrec struct {
	PacketID   uint16
	ReasonCode ReasonCode  // 5.0 only; 0 (Success) otherwise
	Properties *Properties // 5.0 only: Reason String, User Property
}

// Pubrel releases a QoS 2 message after PUBREC.
type Pubrel struct {
	PacketID   uint16
	ReasonCode ReasonCode  // 5.0 only; 0 (Success) otherwise
	Properties *Properties // 5.0 only: Reason String, User Property
}

// Pubcomp completes a QoS 2 flow.
type Pubcomp struct {
	PacketID   uint16
	ReasonCode ReasonCode  // 5.0 only; 0 (Success) otherwise
	Properties *Properties // 5.0 only: Reason String, User Property
}

// Type returns PUBACK.
func (*Puback) Type() Type { return PUBACK }

// Type returns PUBREC.
func (*Pubrec) Type() Type { return PUBREC }

// Type returns PUBREL.
func (*Pubrel) Type() Type { return PUBREL }

// Type returns PUBCOMP.
func (*Pubcomp) Type() Type { return PUBCOMP }

// Append implements [Packet]. The reason code must be one PUBACK may carry
// [MQTT-3.4.2-1].
func (p *Puback) Append(dst []byte, v Version) ([]byte, error) {
	if p.ReasonCode == Success && p.Properties == nil && v.supported() {
		return appendAck(dst, PUBACK, p.PacketID) // the 3.1.1 form, valid in 5.0
	}
	return appendPubAck(dst, PUBACK, v, p.PacketID, p.ReasonCode, p.Properties)
}

// Append implements [Packet]. The reason code must be one PUBREC may carry
// [MQTT-3.5.2-1].
func (p *Pubrec) Append(dst []byte, v Version) ([]byte, error) {
	if p.ReasonCode == Success && p.Properties == nil && v.supported() {
		return appendAck(dst, PUBREC, p.PacketID) // the 3.1.1 form, valid in 5.0
	}
	return appendPubAck(dst, PUBREC, v, p.PacketID, p.ReasonCode, p.Properties)
}

// Append implements [Packet]. PUBREL's flags are 0010 [MQTT-3.6.1-1]; the
// reason code must be one PUBREL may carry [MQTT-3.6.2-1].
func (p *Pubrel) Append(dst []byte, v Version) ([]byte, error) {
	if p.ReasonCode == Success && p.Properties == nil && v.supported() {
		return appendAck(dst, PUBREL, p.PacketID) // the 3.1.1 form, valid in 5.0
	}
	return appendPubAck(dst, PUBREL, v, p.PacketID, p.ReasonCode, p.Properties)
}

// Append implements [Packet]. The reason code must be one PUBCOMP may
// carry [MQTT-3.7.2-1].
func (p *Pubcomp) Append(dst []byte, v Version) ([]byte, error) {
	if p.ReasonCode == Success && p.Properties == nil && v.supported() {
		return appendAck(dst, PUBCOMP, p.PacketID) // the 3.1.1 form, valid in 5.0
	}
	return appendPubAck(dst, PUBCOMP, v, p.PacketID, p.ReasonCode, p.Properties)
}

// appendPubAck encodes PUBACK, PUBREC, PUBREL or PUBCOMP.
func appendPubAck(dst []byte, t Type, v Version, id uint16, code ReasonCode, props *Properties) ([]byte, error) {
	if err := checkVersion(t, v); err != nil {
		return dst, err
	}
	n, err := checkCode(t, v, code, props)
	if err != nil {
		return dst, err
	}
	if n == 0 && code == Success {
		return appendAck(dst, t, id)
	}
	if id == 0 {
		return dst, invalidType(t, ErrZeroPacketID, "%v [MQTT-2.2.1-3]", t)
	}
	if n == 0 {
		return append(dst, byte(t)<<4|requiredFlags[t], 3, byte(id>>8), byte(id), byte(code)), nil
	}
	size := 3 + propsLen(n)
	if err := checkSize(t, size); err != nil {
		return dst, err
	}
	dst = grow(dst, 5+size)
	dst = appendHeader(dst, byte(t)<<4|requiredFlags[t], size)
	dst = append(dst, byte(id>>8), byte(id), byte(code))
	return appendProps(dst, props, n), nil
}

// checkCode checks a reason code and properties for a packet of type t
// sent with version v, and returns the length of the properties. Before
// 5.0 the code must be Success and there must be no properties.
func checkCode(t Type, v Version, code ReasonCode, props *Properties) (int, error) {
	if v != V5 && code != Success {
		return 0, invalidType(t, ErrNotInVersion, "reason code in %v for protocol %v", t, v)
	}
	n, err := checkProps(t, v, props)
	if err != nil {
		return 0, err
	}
	return n, checkReason(nil, t, code)
}

func appendAck(dst []byte, t Type, id uint16) ([]byte, error) {
	if id == 0 {
		return dst, invalidType(t, ErrZeroPacketID, "%v [MQTT-2.3.1-1]", t)
	}
	return append(dst, byte(t)<<4|requiredFlags[t], 2, byte(id>>8), byte(id)), nil
}

// AppendAck appends an acknowledgement of type t (PUBACK, PUBREC, PUBREL,
// PUBCOMP or UNSUBACK) for packet id without building a packet value. The
// result is valid in every protocol version; in 5.0 it means Success
// without properties (an UNSUBACK in 5.0 needs its reason codes: use
// [Unsuback]).
func AppendAck(dst []byte, t Type, id uint16) ([]byte, error) {
	switch t {
	case PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK:
		return appendAck(dst, t, id)
	}
	return dst, invalidType(t, ErrInvalidType, "%v is not an acknowledgement", t)
}

func (p *Puback) decode(d *body, _ byte, v Version) error {
	if v != V5 && p.ReasonCode == Success && p.Properties == nil {
		return decodeAck(&p.PacketID, d) // the 3.1.1 path, kept short
	}
	return decodePubAck(d, v, &p.PacketID, &p.ReasonCode, &p.Properties)
}

func (p *Pubrec) decode(d *body, _ byte, v Version) error {
	if v != V5 && p.ReasonCode == Success && p.Properties == nil {
		return decodeAck(&p.PacketID, d) // the 3.1.1 path, kept short
	}
	return decodePubAck(d, v, &p.PacketID, &p.ReasonCode, &p.Properties)
}

func (p *Pubrel) decode(d *body, _ byte, v Version) error {
	if v != V5 && p.ReasonCode == Success && p.Properties == nil {
		return decodeAck(&p.PacketID, d) // the 3.1.1 path, kept short
	}
	return decodePubAck(d, v, &p.PacketID, &p.ReasonCode, &p.Properties)
}

func (p *Pubcomp) decode(d *body, _ byte, v Version) error {
	if v != V5 && p.ReasonCode == Success && p.Properties == nil {
		return decodeAck(&p.PacketID, d) // the 3.1.1 path, kept short
	}
	return decodePubAck(d, v, &p.PacketID, &p.ReasonCode, &p.Properties)
}

// decodeAck decodes the body of a 3.1 or 3.1.1 acknowledgement: a
// non-zero packet identifier and nothing else.
func decodeAck(id *uint16, d *body) error {
	*id = d.packetID()
	return d.end()
}

// decodePubAck decodes the body of a publish acknowledgement: a non-zero
// packet identifier, and in 5.0 an optional reason code and optional
// properties.
func decodePubAck(d *body, v Version, id *uint16, code *ReasonCode, props **Properties) error {
	if *code != Success || *props != nil {
		*code, *props = Success, nil
	}
	if v != V5 {
		return decodeAck(id, d)
	}
	*id = d.packetID()
	if d.err == nil && len(d.b) > 0 {
		*code = ReasonCode(d.byte("reason code"))
		if checkReason(d, d.t, *code) == nil && len(d.b) > 0 {
			*props = d.props(d.t)
		}
	}
	return d.end()
}
