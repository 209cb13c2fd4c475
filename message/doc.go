// Package message is the MQTT 3.1 and 3.1.1 packet codec of onmqtt: one Go
// type per control packet, their encoding and decoding, the validation of
// topic names and filters, and filter matching.
//
// # Encoding
//
// Every packet type implements [Packet]. Its Append method validates the
// packet, then appends the wire encoding to a byte slice and returns it, in
// the manner of strconv.AppendInt: appending into a buffer that already has
// room does not allocate, so a writer can encode every packet into one
// reused buffer. The version argument must be [V31] or [V311]; [Connect]
// carries its own version and ignores it. [AppendAck] writes an
// acknowledgement without a packet value, and [Write] encodes and writes a
// packet in one call (at the cost of a buffer per call).
//
// Append refuses what the specification forbids a sender to send: a packet
// identifier 0 where one is required, a topic name with a wildcard, an
// invalid filter, QoS 3, DUP at QoS 0, a SUBSCRIBE without filters, strings
// that are not UTF-8 or hold U+0000, fields over 65535 bytes. Such errors
// wrap the matching sentinel ([ErrZeroPacketID], [ErrInvalidTopic], …) but
// not [ErrMalformed], which is kept for what is received.
//
// # Decoding
//
// A [Reader] reads packets one at a time from a stream, typically a network
// connection, and [Decode] decodes one packet from a byte slice. Both check
// the fixed header first: the packet type, the flags each type must carry
// [MQTT-2.2.2-2], a remaining length of at most four bytes, and the size of
// the whole packet against the limit given to [NewReader] or Decode. A
// packet over the limit is refused before any of its body is read or any
// buffer for it is allocated. Below the limit, a Reader allocates a large
// body buffer only as fast as the bytes arrive, so a peer that declares a
// large packet and sends nothing costs little memory.
//
// Decoding never panics. It refuses every packet the specification calls
// malformed, that is, everything a receiver must answer by closing the
// network connection: fields that run past the end of the body, bytes left
// over after the last field, a packet identifier 0, a SUBSCRIBE or
// UNSUBSCRIBE without a filter, reserved bits set, a requested QoS above 2,
// strings that are not UTF-8 or hold U+0000, topic names with wildcards,
// invalid filters, a CONNECT whose protocol name does not match its level
// or whose flags are inconsistent. MQTT 3.1 is decoded by its own rules
// where they differ from 3.1.1: no session present flag in CONNACK, no
// failure return code in SUBACK, DUP allowed on a re-sent PUBREL, SUBSCRIBE
// or UNSUBSCRIBE, a password allowed without a user name.
//
// # Buffer lifetime
//
// A Reader reuses its buffers and the packet values it returns. The Packet
// returned by [Reader.ReadPacket] is valid only until the next call to
// ReadPacket; to keep it, copy the struct it points to (for a [Publish],
// copying its [Message] is enough). The strings and byte slices inside a
// packet (topic, payload, filters, client identifier, will, user name,
// password, return codes) are never part of the Reader's buffers: they are
// allocated for each packet and belong to the caller, who may keep and
// modify them. A packet returned by [Decode] shares no memory with the
// input and is the caller's to keep.
//
// # Errors
//
// Every error for a received packet is an [*Error], which wraps a family,
// [ErrMalformed] or [ErrPacketTooLarge], and a sentinel naming the broken
// rule, such as [ErrInvalidFlags] or [ErrTruncated]; match either with
// [errors.Is], or read the packet type and reason with [errors.As]. A
// stream that ends between two packets gives io.EOF, one that ends inside a
// packet gives io.ErrUnexpectedEOF; other read errors are returned as the
// underlying reader gave them. After any error the position in the stream
// is lost and the connection must be closed.
//
// # Topics
//
// [ValidTopic] and [ValidFilter] check topic names and filters, and
// [MatchFilter] matches one against the other, with the rule that a filter
// starting with a wildcard matches no topic starting with '$'
// [MQTT-4.7.2-1]. [ValidString] checks any other string field.
//
// # MQTT 5.0
//
// [V5] and [AUTH] are named so that the API will not change when 5.0
// arrives, but the codec does not implement 5.0 yet: Append and Reader
// return [ErrVersion] for it, and a CONNECT at level 5 is refused with
// [ErrProtocol]. The plan is to add properties and reason codes as new
// fields of the existing packet types, which keep their 3.1.1 encoding when
// the version is V31 or V311, and an Auth packet type.
package message
