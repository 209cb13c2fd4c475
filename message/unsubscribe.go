package message

// Unsubscribe is the UNSUBSCRIBE packet.
type Unsubscribe struct {
	PacketID uint16
	Filters  []string
}

// Type returns UNSUBSCRIBE.
func (*Unsubscribe) Type() Type { return UNSUBSCRIBE }

// Append implements [Packet].
func (p *Unsubscribe) Append(dst []byte, v Version) ([]byte, error) {
	if err := checkVersion(UNSUBSCRIBE, v); err != nil {
		return dst, err
	}
	if p.PacketID == 0 {
		return dst, invalid(ErrZeroPacketID, "UNSUBSCRIBE [MQTT-2.3.1-1]")
	}
	if len(p.Filters) == 0 {
		return dst, invalid(ErrNoFilters, "UNSUBSCRIBE [MQTT-3.10.3-2]")
	}
	n := 2
	for _, f := range p.Filters {
		if err := ValidFilter(f); err != nil {
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
	for _, f := range p.Filters {
		dst = appendString(dst, f)
	}
	return dst, nil
}

func (p *Unsubscribe) decode(d *body, _ byte, _ Version) error {
	p.PacketID = d.packetID()
	p.Filters = nil
	for d.err == nil && len(d.b) > 0 {
		f := d.string("topic filter")
		if d.err != nil {
			break
		}
		if err := ValidFilter(f); err != nil {
			d.fail(ErrInvalidFilter, "%q", f)
			break
		}
		p.Filters = append(p.Filters, f)
	}
	if d.err == nil && len(p.Filters) == 0 {
		d.fail(ErrNoFilters, "UNSUBSCRIBE without a filter [MQTT-3.10.3-2]")
	}
	return d.end()
}
