package message

// PINGREQ and PINGRESP have no body in any protocol version.

// Pingreq is the PINGREQ packet.
type Pingreq struct{}

// Pingresp is the PINGRESP packet.
type Pingresp struct{}

// Type returns PINGREQ.
func (*Pingreq) Type() Type { return PINGREQ }

// Type returns PINGRESP.
func (*Pingresp) Type() Type { return PINGRESP }

// Append implements [Packet].
func (*Pingreq) Append(dst []byte, v Version) ([]byte, error) { return appendEmpty(dst, PINGREQ, v) }

// Append implements [Packet].
func (*Pingresp) Append(dst []byte, v Version) ([]byte, error) { return appendEmpty(dst, PINGRESP, v) }

func appendEmpty(dst []byte, t Type, v Version) ([]byte, error) {
	if err := checkVersion(t, v); err != nil {
		return dst, err
	}
	return append(dst, byte(t)<<4, 0), nil
}

func (*Pingreq) decode(d *body, _ byte, _ Version) error  { return d.end() }
func (*Pingresp) decode(d *body, _ byte, _ Version) error { return d.end() }
