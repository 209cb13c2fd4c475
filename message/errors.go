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
	ErrProtocol        = errors.New("onmqtt: wrong protocol name or level")
	ErrReservedFlag    = errors.New("onmqtt: reserved flag set")
	ErrWillFlags       = errors.New("onmqtt: inconsistent will flags")
	ErrPasswordFlag    = errors.New("onmqtt: password flag without username flag")
	ErrReturnCode      = errors.New("onmqtt: invalid return code")
	ErrVersion         = errors.New("onmqtt: unsupported protocol version")
)

// Error describes a packet that could not be decoded or encoded. It
// matches [ErrMalformed] (or [ErrPacketTooLarge]) and its Rule with
// [errors.Is].
type Error struct {
	Type   Type   // packet type, 0 when not yet known
	Rule   error  // the specific sentinel, such as ErrZeroPacketID
	Reason string // human-readable detail
	family error  // ErrMalformed or ErrPacketTooLarge
}

// Error implements the error interface.
func (e *Error) Error() string {
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

// malformed returns an *Error of the ErrMalformed family.
func malformed(t Type, rule error, format string, args ...any) error {
	return &Error{Type: t, Rule: rule, Reason: fmt.Sprintf(format, args...), family: ErrMalformed}
}

// invalid returns a validation error for an outbound packet or an API
// argument: rule wrapped with a reason, without the ErrMalformed family.
func invalid(rule error, format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{rule}, args...)...)
}
