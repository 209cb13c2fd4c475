package message

import (
	"bufio"
	"errors"
	"io"
)

// requiredFlags holds the fixed-header flags each type must carry
// [MQTT-2.2.2-1]. PUBLISH flags are checked on their own.
var requiredFlags = [16]byte{PUBREL: 0x2, SUBSCRIBE: 0x2, UNSUBSCRIBE: 0x2}

// dupFlag is bit 3 of the first byte. MQTT 3.1 sets it when it re-sends a
// PUBLISH, PUBREL, SUBSCRIBE or UNSUBSCRIBE; 3.1.1 keeps it for PUBLISH only.
const dupFlag = 0x08

// readChunk is the largest body buffer the Reader allocates before any of
// the body has arrived. Longer bodies grow the buffer as bytes are read.
const readChunk = 64 << 10

// decoder is a packet that can decode its own body.
type decoder interface {
	Packet
	// decode parses the body in d for a packet with the given fixed-header
	// flags, already checked, and overwrites every field of the receiver.
	decode(d *body, flags byte, v Version) error
}

// newPacket is the table of parsers: for each valid type, a function
// returning an empty packet of that type.
var newPacket = [16]func() decoder{
	CONNECT:     func() decoder { return new(Connect) },
	CONNACK:     func() decoder { return new(Connack) },
	PUBLISH:     func() decoder { return new(Publish) },
	PUBACK:      func() decoder { return new(Puback) },
	PUBREC:      func() decoder { return new(Pubrec) },
	PUBREL:      func() decoder { return new(Pubrel) },
	PUBCOMP:     func() decoder { return new(Pubcomp) },
	SUBSCRIBE:   func() decoder { return new(Subscribe) },
	SUBACK:      func() decoder { return new(Suback) },
	UNSUBSCRIBE: func() decoder { return new(Unsubscribe) },
	UNSUBACK:    func() decoder { return new(Unsuback) },
	PINGREQ:     func() decoder { return new(Pingreq) },
	PINGRESP:    func() decoder { return new(Pingresp) },
	DISCONNECT:  func() decoder { return new(Disconnect) },
	AUTH:        func() decoder { return new(Auth) },
}

// Reader reads packets one at a time from a byte stream.
//
// A Reader reuses its body buffer and the packet values it returns: a
// Packet returned by [Reader.ReadPacket] is valid until the next call.
// The strings and byte slices inside it (topic, payload, filters, client
// identifier, will, password, return codes) are freshly allocated and
// belong to the caller, who may keep them. Copy the struct (for a PUBLISH,
// its Message) to keep the packet itself. A PUBLISH's topic and payload
// share one allocation; small ones are carved from a block of
// [arenaBlock] bytes shared with the messages read next, so a small
// payload kept alone keeps up to that much memory reachable. A payload's
// capacity equals its length: appending to it copies and never reaches
// the bytes of another message.
//
// A Reader is not safe for concurrent use.
type Reader struct {
	br      *bufio.Reader
	version Version
	max     int
	buf     []byte      // body buffer, reused while at most readChunk bytes
	d       body        // body cursor, kept here so decoding does not allocate it
	arena   []byte      // unused tail of the block small payloads are carved from
	packets [16]decoder // one reused packet value per type
}

// NewReader returns a Reader that decodes packets of protocol version v
// from r, rejecting any packet whose total size (fixed header included)
// exceeds maxSize bytes. A maxSize of 0 or less means [MaxPacketSize].
// When r is a *bufio.Reader it is used as is.
//
// v must be [V31], [V311] or [V5] to decode any packet but CONNECT, which
// carries its own protocol level: a server may read CONNECT first and call
// [Reader.SetVersion] with the level it announced.
func NewReader(r io.Reader, v Version, maxSize int) *Reader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	if maxSize <= 0 || maxSize > MaxPacketSize {
		maxSize = MaxPacketSize
	}
	rd := &Reader{br: br, version: v, max: maxSize}
	for t, f := range newPacket {
		if f != nil {
			rd.packets[t] = f()
		}
	}
	return rd
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
//
// The fixed header is checked as soon as each byte arrives: a wrong type or
// wrong flags are reported before the remaining length is read, and a
// packet over the size limit before any of its body is read.
func (r *Reader) ReadPacket() (Packet, error) {
	first, err := r.br.ReadByte()
	if err != nil {
		return nil, err
	}
	t, flags, err := checkFirstByte(first, r.version)
	if err != nil {
		return nil, err
	}
	n, hdr, err := r.readLength(t, r.version)
	if err != nil {
		return nil, err
	}
	if err := checkLimit(t, 1+hdr+n, r.max); err != nil {
		return nil, err
	}
	b, err := r.readBody(n)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	p := r.packets[t]
	r.d = body{t: t, b: b, own: n > readChunk, arena: &r.arena}
	if err := p.decode(&r.d, flags, r.version); err != nil {
		return nil, err
	}
	return p, nil
}

// readLength decodes the remaining-length field: at most 4 bytes
// [MQTT-2.2.3], and in 5.0 in its shortest form [MQTT-1.5.5-1]. It
// returns the value and how many bytes it took.
func (r *Reader) readLength(t Type, v Version) (n, size int, err error) {
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
			if c == 0 && size > 1 && v == V5 {
				return 0, 0, errLengthForm(t)
			}
			return n, size, nil
		}
		shift += 7
	}
	return 0, 0, errLengthPrefix(t)
}

// readBody reads a body of n bytes, which the caller has checked against
// the limit. A body of up to readChunk bytes is read into the reused
// buffer. A longer one is read into a buffer that grows as the bytes
// arrive, so that a declared length alone, which costs a peer four bytes,
// cannot make the Reader allocate memory the peer never sends.
func (r *Reader) readBody(n int) ([]byte, error) {
	if n <= readChunk {
		if cap(r.buf) < n {
			r.buf = make([]byte, n)
		}
		b := r.buf[:n]
		_, err := io.ReadFull(r.br, b)
		return b, err
	}
	var b []byte
	for len(b) < n {
		if len(b) == cap(b) {
			nb := make([]byte, len(b), min(n, max(2*cap(b), readChunk)))
			copy(nb, b)
			b = nb
		}
		k, err := io.ReadFull(r.br, b[len(b):cap(b)])
		b = b[:len(b)+k]
		if err != nil {
			return nil, err
		}
	}
	return b, nil
}

// checkFirstByte splits the first byte of a packet into its type and flags
// and checks both [MQTT-2.2.2-2], and that version v can decode the type.
func checkFirstByte(first byte, v Version) (Type, byte, error) {
	t, flags := Type(first>>4), first&0x0f
	if t == 0 {
		return t, flags, malformed(t, ErrInvalidType, "packet type 0 is reserved")
	}
	if t != CONNECT && !v.supported() {
		return t, flags, invalidType(t, ErrVersion, "cannot decode %v for protocol %v", t, v)
	}
	if !t.ValidIn(v) {
		return t, flags, malformed(t, ErrInvalidType, "packet type %d is reserved in %v", byte(t), v)
	}
	switch {
	case t == PUBLISH:
		return t, flags, checkPublishFlags(flags)
	case flags == requiredFlags[t]:
	case v == V31 && requiredFlags[t] != 0 && flags == requiredFlags[t]|dupFlag:
		// MQTT 3.1 sets DUP on a re-sent PUBREL, SUBSCRIBE or UNSUBSCRIBE.
	default:
		return t, flags, malformed(t, ErrInvalidFlags, "flags %04b, want %04b ([MQTT-2.2.2-2] in 3.1.1, [MQTT-2.1.3-1] in 5.0)", flags, requiredFlags[t])
	}
	return t, flags, nil
}

// checkLimit reports a packet of size bytes over the limit.
func checkLimit(t Type, size, limit int) error {
	if size <= limit {
		return nil
	}
	return &Error{Type: t, Rule: ErrPacketTooLarge, family: ErrPacketTooLarge,
		Reason: "packet of " + itoa(size) + " bytes over the limit of " + itoa(limit)}
}

func errLengthPrefix(t Type) error {
	return malformed(t, ErrRemainingLength, "continuation bit set in the 4th byte")
}

func errLengthForm(t Type) error {
	return malformed(t, ErrVarInt, "remaining length not in its shortest form [MQTT-1.5.5-1]")
}

// Decode decodes one packet of version v from the start of b and returns
// it with the number of bytes it took. The limit maxSize is as for
// [NewReader]. Unlike [Reader.ReadPacket], the returned packet is newly
// allocated, and it shares no memory with b. An empty b gives io.EOF; a b
// that ends inside the packet gives io.ErrUnexpectedEOF.
func Decode(b []byte, v Version, maxSize int) (Packet, int, error) {
	if len(b) == 0 {
		return nil, 0, io.EOF
	}
	if maxSize <= 0 || maxSize > MaxPacketSize {
		maxSize = MaxPacketSize
	}
	t, flags, err := checkFirstByte(b[0], v)
	if err != nil {
		return nil, 0, err
	}
	n, hdr := 0, 0
	for shift := 0; ; shift += 7 {
		if hdr == 4 {
			return nil, 0, errLengthPrefix(t)
		}
		if 1+hdr >= len(b) {
			return nil, 0, io.ErrUnexpectedEOF
		}
		c := b[1+hdr]
		hdr++
		n |= int(c&0x7f) << shift
		if c&0x80 == 0 {
			if c == 0 && hdr > 1 && v == V5 {
				return nil, 0, errLengthForm(t)
			}
			break
		}
	}
	size := 1 + hdr + n
	if err := checkLimit(t, size, maxSize); err != nil {
		return nil, 0, err
	}
	if len(b) < size {
		return nil, 0, io.ErrUnexpectedEOF
	}
	p := newPacket[t]()
	if err := p.decode(&body{t: t, b: b[1+hdr : size]}, flags, v); err != nil {
		return nil, 0, err
	}
	return p, size, nil
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
