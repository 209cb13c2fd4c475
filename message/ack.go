package message

// The four acknowledgements of the publish flows and UNSUBACK share one
// shape: a fixed header and a packet identifier.

// Puback acknowledges a QoS 1 PUBLISH.
type Puback struct{ PacketID uint16 }

// Pubrec is the first answer to a QoS 2 PUBLISH.
type Pubrec struct{ PacketID uint16 }

// Pubrel releases a QoS 2 message after PUBREC.
type Pubrel struct{ PacketID uint16 }

// Pubcomp completes a QoS 2 flow.
type Pubcomp struct{ PacketID uint16 }

// Unsuback acknowledges UNSUBSCRIBE.
type Unsuback struct{ PacketID uint16 }

// Type returns PUBACK.
func (*Puback) Type() Type { return PUBACK }

// Type returns PUBREC.
func (*Pubrec) Type() Type { return PUBREC }

// Type returns PUBREL.
func (*Pubrel) Type() Type { return PUBREL }

// Type returns PUBCOMP.
func (*Pubcomp) Type() Type { return PUBCOMP }

// Type returns UNSUBACK.
func (*Unsuback) Type() Type { return UNSUBACK }

// Append implements [Packet].
func (p *Puback) Append(dst []byte, v Version) ([]byte, error) {
	if err := checkVersion(PUBACK, v); err != nil {
		return dst, err
	}
	return appendAck(dst, PUBACK, p.PacketID)
}

// Append implements [Packet].
func (p *Pubrec) Append(dst []byte, v Version) ([]byte, error) {
	if err := checkVersion(PUBREC, v); err != nil {
		return dst, err
	}
	return appendAck(dst, PUBREC, p.PacketID)
}

// Append implements [Packet]. PUBREL's flags are 0010 [MQTT-3.6.1-1].
func (p *Pubrel) Append(dst []byte, v Version) ([]byte, error) {
	if err := checkVersion(PUBREL, v); err != nil {
		return dst, err
	}
	return appendAck(dst, PUBREL, p.PacketID)
}

// Append implements [Packet].
func (p *Pubcomp) Append(dst []byte, v Version) ([]byte, error) {
	if err := checkVersion(PUBCOMP, v); err != nil {
		return dst, err
	}
	return appendAck(dst, PUBCOMP, p.PacketID)
}

// Append implements [Packet].
func (p *Unsuback) Append(dst []byte, v Version) ([]byte, error) {
	if err := checkVersion(UNSUBACK, v); err != nil {
		return dst, err
	}
	return appendAck(dst, UNSUBACK, p.PacketID)
}

func appendAck(dst []byte, t Type, id uint16) ([]byte, error) {
	if id == 0 {
		return dst, invalid(ErrZeroPacketID, "%v [MQTT-2.3.1-1]", t)
	}
	return append(dst, byte(t)<<4|requiredFlags[t], 2, byte(id>>8), byte(id)), nil
}

// AppendAck appends an acknowledgement of type t (PUBACK, PUBREC, PUBREL,
// PUBCOMP or UNSUBACK) for packet id without building a packet value.
func AppendAck(dst []byte, t Type, id uint16) ([]byte, error) {
	switch t {
	case PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK:
		return appendAck(dst, t, id)
	}
	return dst, invalid(ErrInvalidType, "%v is not an acknowledgement", t)
}

func (p *Puback) decode(d *body, _ byte, _ Version) error  { return decodeAck(&p.PacketID, d) }
func (p *Pubrec) decode(d *body, _ byte, _ Version) error  { return decodeAck(&p.PacketID, d) }
func (p *Pubrel) decode(d *body, _ byte, _ Version) error  { return decodeAck(&p.PacketID, d) }
func (p *Pubcomp) decode(d *body, _ byte, _ Version) error { return decodeAck(&p.PacketID, d) }
func (p *Unsuback) decode(d *body, _ byte, _ Version) error {
	return decodeAck(&p.PacketID, d)
}

// decodeAck decodes the body shared by the acknowledgements: a non-zero
// packet identifier and nothing else.
func decodeAck(id *uint16, d *body) error {
	*id = d.packetID()
	return d.end()
}
