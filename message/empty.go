package message

// PINGREQ, PINGRESP and DISCONNECT have no body in MQTT 3.1 and 3.1.1.

// Pingreq is the PINGREQ packet.
type Pingreq struct{}

// Pingresp is the PINGRESP packet.
type Pingresp struct{}

// Disconnect is the DISCONNECT packet.
type Disconnect struct{}

// Type returns PINGREQ.
func (*Pingreq) Type() Type { return PINGREQ }

// Type returns PINGRESP.
func (*Pingresp) Type() Type { return PINGRESP }

// Type returns DISCONNECT.
func (*Disconnect) Type() Type { return DISCONNECT }

// Append implements [Packet].
func (*Pingreq) Append(dst []byte, _ Version) ([]byte, error) {
	return append(dst, byte(PINGREQ)<<4, 0), nil
}

// Append implements [Packet].
func (*Pingresp) Append(dst []byte, _ Version) ([]byte, error) {
	return append(dst, byte(PINGRESP)<<4, 0), nil
}

// Append implements [Packet].
func (*Disconnect) Append(dst []byte, _ Version) ([]byte, error) {
	return append(dst, byte(DISCONNECT)<<4, 0), nil
}
