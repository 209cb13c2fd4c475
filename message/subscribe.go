package message

// Subscription is one topic filter of a SUBSCRIBE with its requested
// maximum QoS.
type Subscription struct {
	Filter string
	QoS    QoS
}

// Subscribe is the SUBSCRIBE packet.
type Subscribe struct {
	PacketID      uint16
	Subscriptions []Subscription
}

// Type returns SUBSCRIBE.
func (*Subscribe) Type() Type { return SUBSCRIBE }

func (p *Subscribe) validate() error {
	if p.PacketID == 0 {
		return invalid(ErrZeroPacketID, "SUBSCRIBE [MQTT-2.3.1-1]")
	}
	if len(p.Subscriptions) == 0 {
		return invalid(ErrNoFilters, "SUBSCRIBE [MQTT-3.8.3-3]")
	}
	for _, s := range p.Subscriptions {
		if err := ValidFilter(s.Filter); err != nil {
			return err
		}
		if !s.QoS.Valid() {
			return invalid(ErrInvalidQoS, "%v for %q", s.QoS, s.Filter)
		}
	}
	return nil
}

// Append implements [Packet].
func (p *Subscribe) Append(dst []byte, v Version) ([]byte, error) {
	if err := checkVersion(SUBSCRIBE, v); err != nil {
		return dst, err
	}
	if err := p.validate(); err != nil {
		return dst, err
	}
	n := 2
	for _, s := range p.Subscriptions {
		n += 2 + len(s.Filter) + 1
	}
	if err := checkSize(SUBSCRIBE, n); err != nil {
		return dst, err
	}
	dst = grow(dst, 5+n)
	dst = appendHeader(dst, byte(SUBSCRIBE)<<4|requiredFlags[SUBSCRIBE], n)
	dst = appendUint16(dst, p.PacketID)
	for _, s := range p.Subscriptions {
		dst = appendString(dst, s.Filter)
		dst = append(dst, byte(s.QoS))
	}
	return dst, nil
}

func (p *Subscribe) decode(d *body, _ byte, v Version) error {
	p.PacketID = d.packetID()
	p.Subscriptions = nil
	for d.err == nil && len(d.b) > 0 {
		f := d.string("topic filter")
		q := d.byte("requested QoS")
		if d.err != nil {
			break
		}
		if err := ValidFilter(f); err != nil {
			d.fail(ErrInvalidFilter, "%q", f)
			break
		}
		if v != V31 && q&^3 != 0 {
			d.fail(ErrReservedFlag, "requested QoS byte 0x%02x [MQTT-3.8.3-4]", q)
			break
		}
		if QoS(q&3) > QoS2 {
			d.fail(ErrInvalidQoS, "requested QoS 3 for %q [MQTT-3.8.3-4]", f)
			break
		}
		p.Subscriptions = append(p.Subscriptions, Subscription{Filter: f, QoS: QoS(q & 3)})
	}
	if d.err == nil && len(p.Subscriptions) == 0 {
		d.fail(ErrNoFilters, "SUBSCRIBE without a filter [MQTT-3.8.3-3]")
	}
	return d.end()
}
