package message

import (
	"errors"
	"fmt"
	"strings"
)

// Errors returned by the codec and by the validation functions. A decoding
// error always wraps [ErrMalformed] or [ErrPacketTooLarge] together with one
// of the more specific sentinels below, so callers can match either the
// family or the exact rule with [errors.Is]. The error text carries the
// packet type and the reason.
var (
	// ErrMalformed is wrapped by every error that reports a packet which
	// breaks the specification. A receiver MUST close the connection.
	ErrMalformed = errors.New("onmqtt: malformed packet")
	// ErrPacketTooLarge reports a packet whose size exceeds the reader's
	// limit. It is detected from the fixed header, before the body is read.
	ErrPacketTooLarge = errors.New("onmqtt: packet too large")

	ErrRemainingLength = errors.New("onmqtt: remaining length longer than 4 bytes")
	ErrInvalidType     = errors.New("onmqtt: invalid packet type")
	ErrInvalidFlags    = errors.New("onmqtt: invalid fixed header flags")
	ErrInvalidQoS      = errors.New("onmqtt: invalid QoS")
	ErrTruncated       = errors.New("onmqtt: packet body truncated")
	ErrTrailingBytes   = errors.New("onmqtt: packet body longer than its fields")
	ErrZeroPacketID    = errors.New("onmqtt: packet identifier 0")
	ErrNoFilters       = errors.New("onmqtt: no topic filter")
	ErrInvalidUTF8     = errors.New("onmqtt: invalid UTF-8 string")
	ErrStringTooLong   = errors.New("onmqtt: string longer than 65535 bytes")
	ErrInvalidTopic    = errors.New("onmqtt: invalid topic name")
	ErrInvalidFilter   = errors.New("onmqtt: invalid topic filter")
	// ErrProtocol is wrapped by both [ErrProtocolName] and
	// [ErrProtocolLevel]: match it to catch either.
	ErrProtocol     = errors.New("onmqtt: wrong protocol name or level")
	ErrReservedFlag = errors.New("onmqtt: reserved flag set")
	ErrWillFlags    = errors.New("onmqtt: inconsistent will flags")
	ErrPasswordFlag = errors.New("onmqtt: password flag without username flag")
	ErrReturnCode   = errors.New("onmqtt: invalid return code")
	ErrVersion      = errors.New("onmqtt: unsupported protocol version")

	// ErrProtocolName reports a CONNECT whose protocol name is neither
	// "MQTT" nor "MQIsdp" [MQTT-3.1.2-1]. It wraps [ErrProtocol].
	ErrProtocolName = fmt.Errorf("%w: unknown protocol name", ErrProtocol)
	// ErrProtocolLevel reports a CONNECT with a known protocol name but a
	// level the codec does not implement or that does not match the name; a
	// server answers it with CONNACK 0x01 (3.1.1) or 0x84 (5.0)
	// [MQTT-3.1.2-2]. It wraps [ErrProtocol].
	ErrProtocolLevel = fmt.Errorf("%w: unsupported protocol level", ErrProtocol)

	// ErrVersionMismatch reports a Connect whose Version is not the
	// version it is appended for.
	ErrVersionMismatch = errors.New("onmqtt: packet version differs from the encoding version")
	// ErrClientID reports a client identifier the protocol forbids the
	// client to send: outside 1 to 23 characters in 3.1, empty with
	// CleanSession 0 in 3.1.1 [MQTT-3.1.3-7].
	ErrClientID = errors.New("onmqtt: invalid client identifier")
	// ErrNotInVersion reports a 5.0 field (properties, reason codes,
	// subscription options) set on a packet encoded for 3.1 or 3.1.1.
	ErrNotInVersion = errors.New("onmqtt: field does not exist in this protocol version")
	// ErrVarInt reports a 5.0 Variable Byte Integer longer than it needs
	// to be [MQTT-1.5.5-1] or than four bytes.
	ErrVarInt = errors.New("onmqtt: variable byte integer not in its shortest form")
	// ErrReasonCode reports a reason code the packet type may not carry.
	ErrReasonCode = errors.New("onmqtt: reason code not allowed for this packet")
	// ErrUnknownProperty reports a property identifier 5.0 does not define.
	ErrUnknownProperty = errors.New("onmqtt: unknown property identifier")
	// ErrPropertyNotAllowed reports a property the packet type (or the
	// will) may not carry.
	ErrPropertyNotAllowed = errors.New("onmqtt: property not allowed in this packet")
	// ErrDuplicateProperty reports a property included twice where the
	// standard allows it once.
	ErrDuplicateProperty = errors.New("onmqtt: property included more than once")
	// ErrPropertyValue reports a property value the standard forbids, such
	// as a Receive Maximum, Topic Alias or Subscription Identifier of 0.
	ErrPropertyValue = errors.New("onmqtt: property value not allowed")
	// ErrRetainHandling reports the reserved retain handling option 3.
	ErrRetainHandling = errors.New("onmqtt: retain handling 3")
	// ErrSharedNoLocal reports No Local on a shared subscription
	// [MQTT-3.8.3-4].
	ErrSharedNoLocal = errors.New("onmqtt: no local on a shared subscription")
	// ErrTopicAlias reports a 5.0 PUBLISH with an empty topic name and no
	// Topic Alias.
	ErrTopicAlias = errors.New("onmqtt: empty topic name without a topic alias")
)

// Error describes a packet that could not be decoded or encoded, or a
// value the validation functions refuse. It matches its Rule with
// [errors.Is]. An error for a received packet also matches its family,
// [ErrMalformed] or [ErrPacketTooLarge]; an error for a packet being sent
// (or a string being checked) matches only its Rule, except a packet too
// large to encode, which matches [ErrPacketTooLarge].
type Error struct {
	Type   Type   // packet type, 0 when not known or not relevant
	Rule   error  // the specific sentinel, such as ErrZeroPacketID
	Reason string // human-readable detail
	family error  // ErrMalformed or ErrPacketTooLarge
	// outbound marks an error of the sender or of an API argument: it
	// belongs to no family.
	outbound bool
}

// ReasonCode returns the MQTT 5.0 reason code a receiver sends in
// DISCONNECT (or a server in CONNACK) for this error: [PacketTooLarge],
// [ProtocolError] for the rules the standard calls a Protocol Error,
// [UnsupportedProtocolVersion], [ClientIdentifierNotValid],
// [TopicNameInvalid], and [MalformedPacket] for everything else.
func (e *Error) ReasonCode() ReasonCode {
	switch e.Rule {
	case ErrPacketTooLarge:
		return PacketTooLarge
	case ErrDuplicateProperty, ErrPropertyValue, ErrRetainHandling, ErrSharedNoLocal, ErrTopicAlias, ErrReasonCode:
		// The rules MQTT 5.0 calls a Protocol Error rather than a
		// Malformed Packet.
		return ProtocolError
	case ErrProtocolLevel:
		return UnsupportedProtocolVersion
	case ErrClientID:
		return ClientIdentifierNotValid
	case ErrInvalidTopic:
		return TopicNameInvalid
	}
	return MalformedPacket
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.outbound {
		s := e.Rule.Error()
		if e.Reason != "" {
			s += ": " + e.Reason
		}
		return s
	}
	family := e.kind()
	s := family.Error()
	if e.Type != 0 {
		s += " " + e.Type.String()
	}
	if e.Rule != nil && e.Rule != family {
		s += ": " + strings.TrimPrefix(e.Rule.Error(), "onmqtt: ")
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Unwrap returns the error family and the specific rule.
func (e *Error) Unwrap() []error {
	if e.outbound {
		return []error{e.Rule}
	}
	family := e.kind()
	if e.Rule == nil || e.Rule == family {
		return []error{family}
	}
	return []error{family, e.Rule}
}

// kind returns the error family: ErrPacketTooLarge when that is the rule,
// ErrMalformed otherwise, also for an Error built outside this package.
func (e *Error) kind() error {
	if e.family != nil {
		return e.family
	}
	if e.Rule == ErrPacketTooLarge {
		return ErrPacketTooLarge
	}
	return ErrMalformed
}

// malformed returns an *Error of the ErrMalformed family. Like invalid,
// it stays out of line.
//
//go:noinline
func malformed(t Type, rule error, format string, args ...any) error {
	return &Error{Type: t, Rule: rule, Reason: fmt.Sprintf(format, args...), family: ErrMalformed}
}

// invalid returns a validation error for an outbound packet or an API
// argument: an *Error with rule and a reason, without the ErrMalformed
// family. It and invalidType stay out of line: inlined, the building of
// an error that is rarely returned makes every check that may return one
// slower.
//
//go:noinline
func invalid(rule error, format string, args ...any) error {
	return &Error{Rule: rule, Reason: fmt.Sprintf(format, args...), outbound: true}
}

// invalidType is [invalid] naming the packet type.
//
//go:noinline
func invalidType(t Type, rule error, format string, args ...any) error {
	return &Error{Type: t, Rule: rule, Reason: fmt.Sprintf(format, args...), outbound: true}
}
