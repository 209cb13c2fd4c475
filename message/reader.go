package message

import (
	"bufio"
	"errors"
	"io"
)

// requiredFlags holds the fixed-header flags each type must carry
// [MQTT-2.2.2-1]. PUBLISH flags are checked on their own.
var requiredFlags = [16]byte{PUBREL: 0x2, SUBSCRIBE: 0x2, UNSUBSCRIBE: 0x2}

// Reader reads packets one at a time from a byte stream.
//
// A Reader reuses its body buffer and the packet values it returns: a
// Packet returned by [Reader.ReadPacket] is valid until the next call.
// The strings and byte slices inside it (topic, payload, filters, client
// identifier, will, password, return codes) are freshly allocated and
// belong to the caller, who may keep them. Copy the struct (for a PUBLISH,
// its Message) to keep the packet itself.
type Reader struct {
	br      *bufio.Reader
	version Version
	max     int
	buf     []byte

	// Packet values reused between calls, one per type.
	connect     Connect
	connack     Connack
	publish     Publish
	puback      Puback
	pubrec      Pubrec
	pubrel      Pubrel
	pubcomp     Pubcomp
	subscribe   Subscribe
	suback      Suback
	unsubscribe Unsubscribe
	unsuback    Unsuback
	pingreq     Pingreq
	pingresp    Pingresp
	disconnect  Disconnect
}

// NewReader returns a Reader that decodes packets of protocol version v
// from r, rejecting any packet whose total size (fixed header included)
// exceeds maxSize bytes. A maxSize of 0 or less means [MaxPacketSize].
// When r is a *bufio.Reader it is used as is.
func NewReader(r io.Reader, v Version, maxSize int) *Reader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	if maxSize <= 0 || maxSize > MaxPacketSize {
		maxSize = MaxPacketSize
	}
	return &Reader{br: br, version: v, max: maxSize}
}

// SetVersion changes the protocol version used to decode later packets.
func (r *Reader) SetVersion(v Version) { r.version = v }

// Buffered returns the number of bytes that can be read without blocking.
func (r *Reader) Buffered() int { return r.br.Buffered() }

// ReadPacket reads and decodes the next packet. It returns io.EOF only
// when the stream ends cleanly between packets; a stream that ends inside
// a packet gives io.ErrUnexpectedEOF. Decoding errors wrap [ErrMalformed]
// or [ErrPacketTooLarge]; after one, the stream position is undefined and
// the connection must be closed.
func (r *Reader) ReadPacket() (Packet, error) {
	first, err := r.br.ReadByte()
	if err != nil {
		return nil, err
	}
	t, flags := Type(first>>4), first&0x0f
	n, hdr, err := r.readLength(t)
	if err != nil {
		return nil, err
	}
	if !t.Valid() {
		return nil, malformed(t, ErrInvalidType, "packet type %d is reserved in %v", t, r.version)
	}
	if t == PUBLISH {
		if err := checkPublishFlags(flags); err != nil {
			return nil, err
		}
	} else if flags != requiredFlags[t] {
		return nil, malformed(t, ErrInvalidFlags, "flags %04b, want %04b [MQTT-2.2.2-2]", flags, requiredFlags[t])
	}
	if 1+hdr+n > r.max {
		return nil, &Error{Type: t, Rule: ErrPacketTooLarge, family: ErrPacketTooLarge,
			Reason: "packet of " + itoa(1+hdr+n) + " bytes over the limit of " + itoa(r.max)}
	}
	if cap(r.buf) < n {
		r.buf = make([]byte, n)
	}
	b := r.buf[:n]
	if _, err := io.ReadFull(r.br, b); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return r.decode(t, flags, b)
}

// readLength decodes the remaining-length field: at most 4 bytes
// [MQTT-2.2.3]. It returns the value and how many bytes it took.
func (r *Reader) readLength(t Type) (n, size int, err error) {
	shift := 0
	for size = 1; size <= 4; size++ {
		c, err := r.br.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return 0, 0, err
		}
		n |= int(c&0x7f) << shift
		if c&0x80 == 0 {
			return n, size, nil
		}
		shift += 7
	}
	return 0, 0, malformed(t, ErrRemainingLength, "continuation bit set in the 4th byte")
}

// decode parses a body of type t. It is the single table of parsers.
func (r *Reader) decode(t Type, flags byte, b []byte) (Packet, error) {
	d := body{t: t, b: b}
	var p Packet
	var err error
	switch t {
	case CONNECT:
		p, err = &r.connect, decodeConnect(&r.connect, &d)
	case CONNACK:
		p, err = &r.connack, decodeConnack(&r.connack, &d, r.version)
	case PUBLISH:
		p, err = &r.publish, decodePublish(&r.publish, &d, flags)
	case PUBACK:
		r.puback.PacketID, err = decodeAck(&d)
		p = &r.puback
	case PUBREC:
		r.pubrec.PacketID, err = decodeAck(&d)
		p = &r.pubrec
	case PUBREL:
		r.pubrel.PacketID, err = decodeAck(&d)
		p = &r.pubrel
	case PUBCOMP:
		r.pubcomp.PacketID, err = decodeAck(&d)
		p = &r.pubcomp
	case SUBSCRIBE:
		p, err = &r.subscribe, decodeSubscribe(&r.subscribe, &d, r.version)
	case SUBACK:
		p, err = &r.suback, decodeSuback(&r.suback, &d, r.version)
	case UNSUBSCRIBE:
		p, err = &r.unsubscribe, decodeUnsubscribe(&r.unsubscribe, &d)
	case UNSUBACK:
		r.unsuback.PacketID, err = decodeAck(&d)
		p = &r.unsuback
	case PINGREQ:
		p, err = &r.pingreq, d.end()
	case PINGRESP:
		p, err = &r.pingresp, d.end()
	case DISCONNECT:
		p, err = &r.disconnect, d.end()
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Decode decodes one packet of version v from the start of b and returns
// it with the number of bytes it took. Unlike [Reader.ReadPacket], the
// returned packet is newly allocated. A b that ends inside the packet
// gives an error wrapping io.ErrUnexpectedEOF.
func Decode(b []byte, v Version, maxSize int) (Packet, int, error) {
	cr := &countingReader{b: b}
	r := NewReader(cr, v, maxSize)
	p, err := r.ReadPacket()
	if err != nil {
		return nil, 0, err
	}
	return p, cr.n - r.br.Buffered(), nil
}

type countingReader struct {
	b []byte
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.n >= len(c.b) {
		return 0, io.EOF
	}
	k := copy(p, c.b[c.n:])
	c.n += k
	return k, nil
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
