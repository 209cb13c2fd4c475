package message

import "unsafe"

// Publish is the PUBLISH packet. Its fields are those of the application
// [Message] it carries.
type Publish struct {
	Message
}

// PUBLISH fixed-header flag bits [MQTT-3.3.1].
const (
	publishRetain   = 0x01
	publishQoSShift = 1
	publishDup      = 0x08
)

// Type returns PUBLISH.
func (*Publish) Type() Type { return PUBLISH }

func (p *Publish) validate(topic bool, v Version) error {
	if !p.QoS.Valid() {
		return invalidType(PUBLISH, ErrInvalidQoS, "%v", p.QoS)
	}
	if p.Topic == "" && v == V5 {
		// 5.0 sends an empty topic name with a Topic Alias that the
		// receiver maps to the topic name (section 3.3.2.1).
		if p.Properties == nil || !p.Properties.TopicAlias.Set {
			return invalidType(PUBLISH, ErrTopicAlias, "empty topic name without a Topic Alias")
		}
	} else if topic {
		if err := ValidTopic(p.Topic); err != nil {
			return err
		}
	}
	if p.QoS > QoS0 && p.PacketID == 0 {
		return invalidType(PUBLISH, ErrZeroPacketID, "PUBLISH at %v [MQTT-2.3.1-1]", p.QoS)
	}
	if p.QoS == QoS0 && p.Dup {
		return invalidType(PUBLISH, ErrInvalidFlags, "DUP set at QoS0 [MQTT-3.3.1-2]")
	}
	return nil
}

// size returns the remaining length of the packet with properties of
// length props (for 5.0; 0 and not counted otherwise).
func (p *Publish) size(v Version, props int) int {
	n := 2 + len(p.Topic) + len(p.Payload)
	if v == V5 {
		n += propsLen(props)
	}
	if p.QoS > QoS0 {
		n += 2
	}
	return n
}

// Append implements [Packet].
func (p *Publish) Append(dst []byte, v Version) ([]byte, error) {
	return p.append(dst, v, true)
}

// AppendTrusted is [Publish.Append] without the check of the topic name,
// for a caller that already checked it with [ValidTopic] (a client
// encoding a message it validated when it was published). Every other
// check is made. Given an invalid topic name, it encodes a packet that
// breaks the protocol.
func (p *Publish) AppendTrusted(dst []byte, v Version) ([]byte, error) {
	return p.append(dst, v, false)
}

func (p *Publish) append(dst []byte, v Version, checkTopic bool) ([]byte, error) {
	if err := checkVersion(PUBLISH, v); err != nil {
		return dst, err
	}
	if err := p.validate(checkTopic, v); err != nil {
		return dst, err
	}
	pn, err := checkProps(PUBLISH, v, p.Properties)
	if err != nil {
		return dst, err
	}
	n := p.size(v, pn)
	if err := checkSize(PUBLISH, n); err != nil {
		return dst, err
	}
	first := byte(PUBLISH)<<4 | byte(p.QoS)<<publishQoSShift
	if p.Dup {
		first |= publishDup
	}
	if p.Retain {
		first |= publishRetain
	}
	dst = grow(dst, 5+n)
	dst = appendHeader(dst, first, n)
	dst = appendString(dst, p.Topic)
	if p.QoS > QoS0 {
		dst = appendUint16(dst, p.PacketID)
	}
	if v == V5 {
		dst = appendProps(dst, p.Properties, pn)
	}
	return append(dst, p.Payload...), nil
}

// checkPublishFlags validates the PUBLISH fixed-header flags.
func checkPublishFlags(flags byte) error {
	q := QoS(flags>>publishQoSShift) & 3
	if q > QoS2 {
		return malformed(PUBLISH, ErrInvalidQoS, "QoS bits 11 [MQTT-3.3.1-4]")
	}
	if q == QoS0 && flags&publishDup != 0 {
		return malformed(PUBLISH, ErrInvalidFlags, "DUP set at QoS0 [MQTT-3.3.1-2]")
	}
	return nil
}

func (p *Publish) decode(d *body, flags byte, v Version) error {
	q := QoS(flags>>publishQoSShift) & 3
	topic := d.raw("topic name")
	var id uint16
	if q > QoS0 {
		id = d.packetID()
	}
	var props *Properties
	if v == V5 {
		props = d.props(PUBLISH)
	}
	if d.err != nil {
		return d.err
	}
	if len(topic) == 0 {
		if v != V5 {
			d.fail(ErrInvalidTopic, "empty topic name [MQTT-4.7.3-1]")
			return d.err
		}
		if props == nil || !props.TopicAlias.Set {
			d.fail(ErrTopicAlias, "empty topic name without a Topic Alias (section 3.3.2.1)")
			return d.err
		}
	}
	for _, c := range topic {
		if c == '+' || c == '#' {
			d.fail(ErrInvalidTopic, "wildcard %q in topic name [MQTT-3.3.2-2]", c)
			return d.err
		}
	}
	if !validUTF8(topic) {
		d.fail(ErrInvalidUTF8, "topic name is not valid UTF-8 without U+0000")
		return d.err
	}
	rest := d.rest()
	// A stream repeats topics: when this one equals the previous packet's,
	// share that string (strings are immutable) instead of copying it.
	name := p.Topic
	same := string(topic) == name
	var payload []byte
	switch {
	case d.own:
		// The body is this packet's alone and never written again: alias
		// it. The payload ends the body, so it cannot reach other bytes.
		if !same {
			name = ""
			if len(topic) > 0 {
				name = unsafe.String(&topic[0], len(topic))
			}
		}
		if len(rest) > 0 {
			payload = rest[:len(rest):len(rest)]
		}
	case same:
		if len(rest) > 0 {
			payload = carve(d.arena, rest)
		}
	case len(topic) == 0:
		name = ""
		if len(rest) > 0 {
			payload = carve(d.arena, rest)
		}
	default:
		// Topic and payload in one allocation, the topic first: the
		// payload's capacity ends at its length, and a slice never
		// reaches the bytes before it, so the topic's bytes are never
		// written again.
		b := carve(d.arena, topic, rest)
		name = unsafe.String(&b[0], len(topic))
		if len(rest) > 0 {
			payload = b[len(topic):len(b):len(b)]
		}
	}
	p.Message = Message{
		Topic:      name,
		Payload:    payload,
		QoS:        q,
		Retain:     flags&publishRetain != 0,
		Dup:        flags&publishDup != 0,
		PacketID:   id,
		Properties: props,
	}
	return nil
}

// arenaBlock is the size of the blocks a [Reader] carves small PUBLISH
// topics and payloads from, and arenaMax the most it carves from one:
// larger ones get an allocation of their own.
const (
	arenaBlock = 2 << 10
	arenaMax   = 256
)

// carve returns the concatenation of parts, which must not all be empty,
// in new memory that nothing else refers to, with capacity equal to its
// length. Small ones are taken from the block *arena (when arena is not
// nil), which carve replaces when it has no room left: one allocation
// for many messages. Bytes carved are never handed out twice.
func carve(arena *[]byte, parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	var b []byte
	if arena != nil && n <= arenaMax {
		if len(*arena) < n {
			*arena = make([]byte, arenaBlock)
		}
		b, *arena = (*arena)[:0:n], (*arena)[n:]
	} else {
		b = make([]byte, 0, n)
	}
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}
