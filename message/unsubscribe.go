package message

// Unsubscribe is the UNSUBSCRIBE packet.
type Unsubscribe struct {
	PacketID   uint16
	Filters    []string
	Properties *Properties // 5.0 only: User Property
}

// Type returns UNSUBSCRIBE.
func (*Unsubscribe) Type() Type { return UNSUBSCRIBE }

// Append implements [Packet].
func (p *Unsubscribe) Append(dst []byte, v Version) ([]byte, error) {
	if err := checkVersion(UNSUBSCRIBE, v); err != nil {
		return dst, err
	}
	if p.PacketID == 0 {
		return dst, invalidType(UNSUBSCRIBE, ErrZeroPacketID, "UNSUBSCRIBE [MQTT-2.3.1-1]")
	}
	if len(p.Filters) == 0 {
		return dst, invalidType(UNSUBSCRIBE, ErrNoFilters, "UNSUBSCRIBE [MQTT-3.10.3-2]")
	}
	pn, err := checkProps(UNSUBSCRIBE, v, p.Properties)
	if err != nil {
		return dst, err
	}
	n := 2
	if v == V5 {
		n += propsLen(pn)
	}
	for _, f := range p.Filters {
		if _, err := checkFilter(UNSUBSCRIBE, f, v); err != nil {
			return dst, err
		}
		n += 2 + len(f)
	}
	if err := checkSize(UNSUBSCRIBE, n); err != nil {
		return dst, err
	}
	dst = grow(dst, 5+n)
	dst = appendHeader(dst, byte(UNSUBSCRIBE)<<4|requiredFlags[UNSUBSCRIBE], n)
	dst = appendUint16(dst, p.PacketID)
	if v == V5 {
		dst = appendProps(dst, p.Properties, pn)
	}
	for _, f := range p.Filters {
		dst = appendString(dst, f)
	}
	return dst, nil
}

func (p *Unsubscribe) decode(d *body, _ byte, v Version) error {
	p.PacketID = d.packetID()
	p.Filters, p.Properties = nil, nil
	if v == V5 {
		p.Properties = d.props(UNSUBSCRIBE)
	}
	for d.err == nil && len(d.b) > 0 {
		f := d.string("topic filter")
		if d.err != nil {
			break
		}
		if _, err := checkFilter(UNSUBSCRIBE, f, v); err != nil {
			d.fail(ErrInvalidFilter, "%s", err.(*Error).Reason)
			break
		}
		p.Filters = append(p.Filters, f)
	}
	if d.err == nil && len(p.Filters) == 0 {
		d.fail(ErrNoFilters, "UNSUBSCRIBE without a filter [MQTT-3.10.3-2]")
	}
	return d.end()
}
