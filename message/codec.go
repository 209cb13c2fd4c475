package message

import (
	"io"
	"slices"
	"unicode/utf8"
)

// MaxRemainingLength is the largest value the 4-byte remaining-length field
// can hold (268,435,455 bytes, about 256 MiB).
const MaxRemainingLength = 268_435_455

// MaxPacketSize is the largest possible MQTT packet: a 1-byte type, a
// 4-byte remaining length and the largest remaining length.
const MaxPacketSize = 1 + 4 + MaxRemainingLength

// Packet is one MQTT control packet.
type Packet interface {
	// Type returns the control packet type.
	Type() Type
	// Append appends the packet's encoding for protocol version v to dst
	// and returns the extended buffer. It validates the packet first and
	// appends nothing when it returns an error. It does not allocate when
	// dst has room for the packet.
	Append(dst []byte, v Version) ([]byte, error)
}

// lengthSize returns how many bytes the remaining-length field takes for n.
func lengthSize(n int) int {
	switch {
	case n < 128:
		return 1
	case n < 16_384:
		return 2
	case n < 2_097_152:
		return 3
	}
	return 4
}

// appendHeader appends the fixed header: the first byte and the remaining
// length n, which the caller has checked to be at most MaxRemainingLength.
func appendHeader(dst []byte, first byte, n int) []byte {
	return appendVarInt(append(dst, first), n)
}

// grow makes sure dst has room for n more bytes, growing it once.
func grow(dst []byte, n int) []byte {
	if cap(dst)-len(dst) >= n {
		return dst
	}
	return slices.Grow(dst, n)
}

func appendUint16(dst []byte, v uint16) []byte { return append(dst, byte(v>>8), byte(v)) }

func appendString(dst []byte, s string) []byte {
	dst = appendUint16(dst, uint16(len(s)))
	return append(dst, s...)
}

func appendBytes(dst []byte, b []byte) []byte {
	dst = appendUint16(dst, uint16(len(b)))
	return append(dst, b...)
}

// checkSize returns an error when a body of n bytes does not fit in the
// remaining-length field.
func checkSize(t Type, n int) error {
	if n > MaxRemainingLength {
		return &Error{Type: t, Rule: ErrPacketTooLarge, Reason: "remaining length would exceed 268435455", family: ErrPacketTooLarge}
	}
	return nil
}

// checkVersion rejects a protocol version the codec cannot encode.
func checkVersion(t Type, v Version) error {
	if v.supported() {
		return nil
	}
	return invalidType(t, ErrVersion, "cannot encode %v for protocol %v", t, v)
}

// checkProps returns the length of p's properties for a packet of type t
// sent with version v: none below 5.0, where p must be nil.
func checkProps(t Type, v Version, p *Properties) (int, error) {
	if p == nil {
		return 0, nil // inlined: the common case, and every 3.1.1 packet
	}
	return checkSomeProps(t, v, p)
}

func checkSomeProps(t Type, v Version, p *Properties) (int, error) {
	if v != V5 {
		if p != nil {
			return 0, invalidType(t, ErrNotInVersion, "properties in %s for protocol %v", where(t), v)
		}
		return 0, nil
	}
	return p.size(t)
}

// body decodes the fields of one packet body. The first error sticks;
// later reads return zero values, so a parser checks err once at the end.
type body struct {
	t   Type
	b   []byte
	err error
	// own, when set, owns the bytes of b: nothing writes them after
	// decoding, so decoded fields may alias them.
	own bool
	// arena, when set, is a block whose unused tail small decoded
	// fields are carved from (see [carve]).
	arena *[]byte
}

func (d *body) fail(rule error, format string, args ...any) {
	if d.err == nil {
		d.err = malformed(d.t, rule, format, args...)
	}
}

func (d *body) byte(field string) byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 1 {
		d.fail(ErrTruncated, "missing %s", field)
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *body) uint16(field string) uint16 {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 2 {
		d.fail(ErrTruncated, "missing %s", field)
		return 0
	}
	v := uint16(d.b[0])<<8 | uint16(d.b[1])
	d.b = d.b[2:]
	return v
}

// packetID reads a packet identifier and rejects 0 [MQTT-2.3.1-1].
func (d *body) packetID() uint16 {
	id := d.uint16("packet identifier")
	if id == 0 && d.err == nil {
		d.fail(ErrZeroPacketID, "packet identifier must be non-zero")
	}
	return id
}

// raw reads a length-prefixed field and returns it without copying.
func (d *body) raw(field string) []byte {
	if d.err != nil {
		return nil
	}
	if len(d.b) < 2 {
		d.fail(ErrTruncated, "missing %s length", field)
		return nil
	}
	n := int(d.b[0])<<8 | int(d.b[1])
	d.b = d.b[2:]
	if len(d.b) < n {
		d.fail(ErrTruncated, "%s needs %d bytes, %d left", field, n, len(d.b))
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

// string reads a UTF-8 string and checks it [MQTT-1.5.3-1] [MQTT-1.5.3-2].
func (d *body) string(field string) string {
	v := d.raw(field)
	if d.err != nil {
		return ""
	}
	if !validUTF8(v) {
		d.fail(ErrInvalidUTF8, "%s is not valid UTF-8 without U+0000", field)
		return ""
	}
	return string(v)
}

// bytes reads a length-prefixed binary field into a new slice, or nil
// when the field is empty.
func (d *body) bytes(field string) []byte {
	v := d.raw(field)
	if d.err != nil || len(v) == 0 {
		return nil
	}
	return append(make([]byte, 0, len(v)), v...)
}

// rest returns what is left of the body, without copying.
func (d *body) rest() []byte {
	v := d.b
	d.b = nil
	return v
}

// end reports trailing bytes and returns the first error.
func (d *body) end() error {
	if d.err == nil && len(d.b) > 0 {
		d.fail(ErrTrailingBytes, "%d bytes after the last field", len(d.b))
	}
	return d.err
}

func validUTF8(b []byte) bool {
	for i, c := range b {
		if c == 0 {
			return false
		}
		if c >= utf8.RuneSelf {
			if !utf8.Valid(b[i:]) {
				return false
			}
			for _, c := range b[i:] {
				if c == 0 {
					return false
				}
			}
			return true
		}
	}
	return true
}

// Write encodes p for version v and writes it to w in one call.
func Write(w io.Writer, p Packet, v Version) error {
	var stack [256]byte
	b, err := p.Append(stack[:0], v)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
