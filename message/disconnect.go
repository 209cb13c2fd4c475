package message

// Disconnect is the DISCONNECT packet. In 3.1 and 3.1.1 it has no body and
// only the client sends it; in 5.0 either side may, with a reason code and
// properties. A 5.0 DISCONNECT of remaining length 0 means Normal
// disconnection without properties, one of length 1 a reason code without
// properties; Append writes the shortest form.
type Disconnect struct {
	ReasonCode ReasonCode  // 5.0 only; 0 (Normal disconnection) otherwise
	Properties *Properties // 5.0 only: Session Expiry Interval, Reason String, Server Reference, User Property
}

// Type returns DISCONNECT.
func (*Disconnect) Type() Type { return DISCONNECT }

// Append implements [Packet]. The reason code must be one DISCONNECT may
// carry [MQTT-3.14.2-1].
func (p *Disconnect) Append(dst []byte, v Version) ([]byte, error) {
	return appendReasonOnly(dst, DISCONNECT, v, p.ReasonCode, p.Properties)
}

func (p *Disconnect) decode(d *body, _ byte, v Version) error {
	return decodeReasonOnly(d, v, &p.ReasonCode, &p.Properties)
}

// appendReasonOnly encodes DISCONNECT and AUTH: an optional reason code
// and optional properties. AUTH exists only in 5.0.
func appendReasonOnly(dst []byte, t Type, v Version, code ReasonCode, props *Properties) ([]byte, error) {
	if err := checkVersion(t, v); err != nil {
		return dst, err
	}
	if v != V5 && t == AUTH {
		return dst, invalidType(t, ErrInvalidType, "AUTH does not exist in %v", v)
	}
	n, err := checkCode(t, v, code, props)
	if err != nil {
		return dst, err
	}
	switch {
	case n == 0 && code == Success:
		return append(dst, byte(t)<<4, 0), nil
	case n == 0:
		return append(dst, byte(t)<<4, 1, byte(code)), nil
	}
	size := 1 + propsLen(n)
	if err := checkSize(t, size); err != nil {
		return dst, err
	}
	dst = grow(dst, 5+size)
	dst = appendHeader(dst, byte(t)<<4, size)
	dst = append(dst, byte(code))
	return appendProps(dst, props, n), nil
}

// decodeReasonOnly decodes the body of DISCONNECT and AUTH: empty before
// 5.0, an optional reason code and optional properties in 5.0.
func decodeReasonOnly(d *body, v Version, code *ReasonCode, props **Properties) error {
	*code, *props = Success, nil
	if v == V5 && len(d.b) > 0 {
		*code = ReasonCode(d.byte("reason code"))
		if checkReason(d, d.t, *code) == nil && len(d.b) > 0 {
			*props = d.props(d.t)
		}
	}
	return d.end()
}
