package client

import (
	"errors"
	"fmt"
	"strings"

	"github.com/onmqtt/onmqtt/message"
)

// Errors returned by the client. Errors that carry more detail wrap one of
// these, so match them with [errors.Is].
var (
	// ErrNotConnected is returned by calls that need a connection when
	// there is none (QoS 0 publishes, subscriptions).
	ErrNotConnected = errors.New("onmqtt: not connected")
	// ErrConnectionLost completes the waits that a lost connection ends.
	// The error that ended the connection is wrapped beside it.
	ErrConnectionLost = errors.New("onmqtt: connection lost")
	// ErrClosed is returned once [Client.Close] has been called, and
	// completes every wait still open then.
	ErrClosed = errors.New("onmqtt: client closed")
	// ErrAlreadyConnected is returned by Connect on a connected client.
	ErrAlreadyConnected = errors.New("onmqtt: already connected")
	// ErrNoPacketID is returned when all 65535 packet identifiers are in
	// use.
	ErrNoPacketID = errors.New("onmqtt: no free packet identifier")
	// ErrPayloadTooLarge is returned by Publish for a message whose packet
	// would exceed the packet size limit.
	ErrPayloadTooLarge = errors.New("onmqtt: payload too large")
	// ErrProtocolViolation reports a packet the broker must not send, such
	// as SUBSCRIBE or a second CONNACK. The connection is closed.
	ErrProtocolViolation = errors.New("onmqtt: protocol violation")
	// ErrServerDisconnect reports a broker that sent DISCONNECT and
	// closed the connection.
	ErrServerDisconnect = errors.New("onmqtt: broker sent DISCONNECT")
	// ErrKeepAliveTimeout reports a broker that did not answer PINGREQ in
	// time. The connection is closed.
	ErrKeepAliveTimeout = errors.New("onmqtt: no PINGRESP in time")
	// ErrUnsupportedScheme is returned by Connect for a URL scheme it
	// cannot dial.
	ErrUnsupportedScheme = errors.New("onmqtt: unsupported URL scheme")
	// ErrInvalidURL is returned by Connect for a broker URL it cannot
	// parse or that names no broker; the error names the URL.
	ErrInvalidURL = errors.New("onmqtt: invalid broker URL")
	// ErrSubscriptionFailed is wrapped by [SubscribeError].
	ErrSubscriptionFailed = errors.New("onmqtt: subscription refused")
	// ErrQueueFull is returned when a publish cannot be held while the
	// client is offline because the offline queue is full.
	ErrQueueFull = errors.New("onmqtt: offline queue full")
	// ErrAckType is returned by Publish for an [OnAck] handler of an
	// acknowledgement the publish never receives: PUBREC or PUBCOMP at
	// QoS 1, PUBACK at QoS 2, any at QoS 0.
	ErrAckType = errors.New("onmqtt: acknowledgement type the publish never receives")
	// ErrInvalidOption is returned by [New] for an option value it
	// cannot use; the error names the option.
	ErrInvalidOption = errors.New("onmqtt: invalid option")
)

// ConnackError is returned by Connect when the broker refuses the
// connection. Code is the CONNACK return code.
type ConnackError struct {
	Code message.ConnackCode
}

// Error implements the error interface.
func (e *ConnackError) Error() string {
	return fmt.Sprintf("onmqtt: connection refused: %v (code %d)", e.Code, byte(e.Code))
}

// SubscribeError is returned by Subscribe when the broker refused one or
// more filters (SUBACK return code 0x80). The granted results of the other
// filters are still reported.
type SubscribeError struct {
	Filters []string             // the refused filters, in request order
	Codes   []message.SubackCode // every filter's return code, in request order
}

// Error implements the error interface.
func (e *SubscribeError) Error() string {
	return "onmqtt: subscription refused for " + strings.Join(e.Filters, ", ")
}

// Unwrap returns [ErrSubscriptionFailed].
func (e *SubscribeError) Unwrap() error { return ErrSubscriptionFailed }

// ProtocolError reports a packet the broker must not send, or not at
// that point of a flow: a PUBCOMP before PUBREC, a PUBREC or PUBACK of
// the wrong QoS, a second CONNACK, a CONNACK reporting a session present
// after a clean-session CONNECT. The client closes the connection with
// it (it reaches [Options.OnConnectionLost] and [Client.Err]). It wraps
// [ErrProtocolViolation].
type ProtocolError struct {
	Type   message.Type // the offending packet
	ID     uint16       // its packet identifier, 0 when it has none
	Reason string
}

// Error implements the error interface.
func (e *ProtocolError) Error() string {
	if e.ID != 0 {
		return fmt.Sprintf("onmqtt: protocol violation: %v for id %d: %s", e.Type, e.ID, e.Reason)
	}
	return fmt.Sprintf("onmqtt: protocol violation: %v: %s", e.Type, e.Reason)
}

// Unwrap returns [ErrProtocolViolation].
func (e *ProtocolError) Unwrap() error { return ErrProtocolViolation }

// lostError wraps the cause of a lost connection with ErrConnectionLost.
func lostError(cause error) error {
	if cause == nil || errors.Is(cause, ErrConnectionLost) || errors.Is(cause, ErrClosed) {
		if cause == nil {
			return ErrConnectionLost
		}
		return cause
	}
	return fmt.Errorf("%w: %w", ErrConnectionLost, cause)
}
