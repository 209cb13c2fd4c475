// Package message is the MQTT 3.1, 3.1.1 and 5.0 packet codec of onmqtt:
// one Go type per control packet, their encoding and decoding, the
// validation of topic names and filters, and filter matching.
//
// # Encoding
//
// Every packet type implements [Packet]. Its Append method validates the
// packet, then appends the wire encoding to a byte slice and returns it, in
// the manner of strconv.AppendInt: appending into a buffer that already has
// room does not allocate, so a writer can encode every packet into one
// reused buffer. The version argument must be [V31], [V311] or [V5]. A
// [Connect] announces a protocol level: a zero Connect.Version takes the
// version argument, any other must equal it ([ErrVersionMismatch]).
// [AppendAck] writes an acknowledgement without a packet value, and
// [Write] encodes and writes a packet in one call (at the cost of a buffer
// per call).
//
// Append refuses what the specification forbids a sender to send: a packet
// identifier 0 where one is required, a topic name with a wildcard, an
// invalid filter, QoS 3, DUP at QoS 0, a SUBSCRIBE without filters, strings
// that are not UTF-8 or hold U+0000, fields over 65535 bytes, a 3.1 client
// identifier outside 1 to 23 characters, an empty 3.1.1 client identifier
// with CleanSession 0 [MQTT-3.1.3-7], a password without a user name before
// 5.0. A Username that is not empty or a Password that is not nil is sent
// even when its flag is false. Such errors are an [*Error] with the
// matching sentinel ([ErrZeroPacketID], [ErrInvalidTopic], …) but without
// [ErrMalformed], which is kept for what is received.
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
// or UNSUBSCRIBE, a password allowed without a user name. A received
// CONNECT is decoded leniently where only its sender is bound: a 3.1 client
// identifier of any length, an empty 3.1.1 client identifier with
// CleanSession 0 (the server answers CONNACK 0x02).
//
// # Buffer lifetime
//
// A Reader reuses its buffers and the packet values it returns. The Packet
// returned by [Reader.ReadPacket] is valid only until the next call to
// ReadPacket; to keep it, copy the struct it points to (for a [Publish],
// copying its [Message] is enough). The strings and byte slices inside a
// packet (topic, payload, filters, client identifier, will, user name,
// password, return codes, properties) are never part of the Reader's
// buffers: they are allocated for each packet and belong to the caller,
// who may keep and modify them. A packet returned by [Decode] shares no
// memory with the input and is the caller's to keep.
//
// # Errors
//
// Every error the codec and the validation functions return, but the io
// errors of the stream, is an [*Error] with a sentinel naming the broken
// rule, such as [ErrInvalidFlags] or [ErrTruncated]. An error for a
// received packet also wraps a family, [ErrMalformed] or
// [ErrPacketTooLarge]; match either with [errors.Is], or read the packet
// type and reason with [errors.As]. [Error.ReasonCode] gives the 5.0
// reason code a receiver answers it with: [ProtocolError] for the rules
// the standard calls a Protocol Error (a duplicate or zero-valued property,
// retain handling 3, …), [MalformedPacket] for the others. A CONNECT with
// an unknown protocol name gives [ErrProtocolName], one with a known name
// and a level the codec does not implement [ErrProtocolLevel]; both match
// [ErrProtocol]. A
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
// At [V5] every packet type has the fields 5.0 adds, AUTH included
// ([Auth]): reason codes ([ReasonCode], with the names of the standard,
// IsError and the table of which packet may carry which code, enforced
// both ways); one reason code per filter in [Suback] and [Unsuback];
// subscription options in [Subscription] (No Local, Retain As Published,
// [RetainHandling]; reserved bits zero); and [Properties]. The fields 5.0
// adds must be zero when encoding for 3.1 or 3.1.1 ([ErrNotInVersion]),
// and are zero after decoding them. CONNACK and SUBACK keep their 3.1.1
// code types, [ConnackCode] and [SubackCode], which hold the 5.0 reason
// code at V5 (see their Reason methods).
//
// The short forms are decoded as the standard allows and encoded when
// they apply: a PUBACK, PUBREC, PUBREL or PUBCOMP of only a packet
// identifier is Success without properties, one with a reason code and no
// property length has no properties; a DISCONNECT or AUTH of remaining
// length 0 is Success (Normal disconnection) without properties. A PUBLISH
// may have an empty topic name only with a Topic Alias ([ErrTopicAlias]);
// mapping aliases to topics is the connection's job, not the codec's.
//
// Properties are checked when encoding and when decoding: which packet
// may carry which property ([ErrPropertyNotAllowed], [PropertyID.AllowedIn]),
// each at most once but User Property, and Subscription Identifier in a
// PUBLISH ([ErrDuplicateProperty]), values the standard forbids such as a
// Receive Maximum, Maximum Packet Size, Topic Alias or Subscription
// Identifier of 0, or a Maximum QoS of 2 ([ErrPropertyValue]), UTF-8
// rules for every string and both strings of a User Property, a Response
// Topic without wildcards. A Variable Byte Integer, the remaining length
// included, must take the fewest bytes ([ErrVarInt]) at level 5. Shared
// subscription filters ("$share/name/filter") are checked at level 5, and
// No Local is refused on them ([ErrSharedNoLocal]).
//
// # Where properties live
//
// Each packet with properties has a Properties field of type *Properties,
// and so does [Will] for the will properties. The application [Message]
// carries them too (Message.Properties), since handlers and stores use its
// Content Type, Response Topic, Correlation Data, User Properties, Payload
// Format Indicator and Message Expiry Interval; a [Publish] embeds the
// Message, so a PUBLISH's properties are its message's. The field is a
// pointer so that 3.1 and 3.1.1, where it is always nil, pay one nil check
// and eight bytes per packet value for it, and no allocation.
//
// [Properties] is one struct for every packet, with one typed field per
// property: an [Optional] for integers and flags (absent is distinct from
// zero), strings (empty is absent), byte slices (nil is absent, an empty
// non-nil slice is sent), the Subscription Identifiers as a slice, and the
// User Properties as a [UserProperty] slice kept in wire order, repeats
// included. A Reader allocates the Properties and the User Property slice
// of a packet and carves its strings from the block it carves small
// topics and payloads from.
package message
