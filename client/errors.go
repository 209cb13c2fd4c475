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
	// ErrServerCapability is wrapped by [CapabilityError]: the broker
	// said in CONNACK that it does not accept what was asked.
	ErrServerCapability = errors.New("onmqtt: not supported by the broker")
	// ErrPublishFailed is wrapped by [PublishError].
	ErrPublishFailed = errors.New("onmqtt: publish refused")
	// ErrUnsubscribeFailed is wrapped by [UnsubscribeError].
	ErrUnsubscribeFailed = errors.New("onmqtt: unsubscribe refused")
	// ErrMessageExpired completes the token of a QoS 1 or 2 publish whose
	// Message Expiry Interval ran out before it could be sent.
	ErrMessageExpired = errors.New("onmqtt: message expired before it was sent")
	// ErrNeedsV5 is returned for a request that only MQTT 5.0 can carry
	// when the connection speaks an older version.
	ErrNeedsV5 = errors.New("onmqtt: needs MQTT 5.0")
	// ErrNoResponseTopic is returned by [Client.Respond] for a request
	// without a Response Topic.
	ErrNoResponseTopic = errors.New("onmqtt: request has no response topic")
	// ErrAuthFailed reports an enhanced authentication exchange that the
	// client or the broker ended.
	ErrAuthFailed = errors.New("onmqtt: authentication failed")
	// ErrSCRAMMessage reports a server message of the SCRAM exchange
	// that does not follow RFC 5802; wrapped in ErrAuthFailed.
	ErrSCRAMMessage = errors.New("onmqtt: malformed SCRAM message")
	// ErrSCRAMServer reports a server whose SCRAM signature does not
	// prove it knows the password; wrapped in ErrAuthFailed.
	ErrSCRAMServer = errors.New("onmqtt: SCRAM server signature does not match")
	// ErrLoopRunning is returned by WaitMsg, CheckMsg and Run when another
	// loop already dispatches this client's events (Start, Run, or automatic
	// dispatch without [WithManualLoop]).
	ErrLoopRunning = errors.New("onmqtt: another loop dispatches events")
	// ErrConnectHook wraps an error a [CredentialsProvider] or a
	// [ConnectHook] returned, or a CONNECT a hook made invalid; the attempt
	// fails with it, and with AutoReconnect the next attempt follows the
	// usual backoff.
	ErrConnectHook = errors.New("onmqtt: connect hook")
	// ErrProxy reports a proxy that could not be used: an unsupported proxy
	// scheme, or an HTTP proxy refusing the CONNECT request.
	ErrProxy = errors.New("onmqtt: proxy")
	// ErrPacketTimeout reports a packet that began to arrive but was not
	// complete within [InboundOptions.PacketTimeout]: a broker, or something in
	// between, that trickles a packet to hold the connection.
	ErrPacketTimeout = errors.New("onmqtt: packet not complete in time")

	// ErrStoreCorrupt is wrapped by the error [OpenFileStore] returns for
	// a log with unreadable records; the error is a [*StoreDamage].
	ErrStoreCorrupt = errors.New("onmqtt: session store corrupt")
	// ErrStoreLocked is returned by [OpenFileStore] when another
	// FileStore, in this process or another, has the log open.
	ErrStoreLocked = errors.New("onmqtt: session store in use by another opener")
	// ErrStoreReadOnly is returned by the writes of a store opened with
	// [OpenFileStoreReadOnly].
	ErrStoreReadOnly = errors.New("onmqtt: session store opened read-only")
	// ErrStoreVersion is returned by [OpenFileStore] for a log written by
	// a newer format than this package reads; the file is left as it is.
	ErrStoreVersion = errors.New("onmqtt: session store written by a newer version")
	// ErrStoreClosed is returned by the writes of a closed store.
	ErrStoreClosed = errors.New("onmqtt: session store closed")
)

// ConnackError is returned by Connect when the broker refuses the
// connection. Code is the CONNACK return code.
type ConnackError struct {
	// Code is the return code, at 5.0 the reason code (see
	// [message.ConnackCode.Reason]).
	Code message.ConnackCode
	// Properties are the CONNACK's MQTT 5.0 properties: Reason String,
	// Server Reference, User Properties. Nil before 5.0.
	Properties *message.Properties
}

// Error implements the error interface.
func (e *ConnackError) Error() string {
	s := fmt.Sprintf("onmqtt: connection refused: %v (code %d)", e.Code, byte(e.Code))
	if e.Properties != nil && e.Properties.ReasonString != "" {
		s += ": " + e.Properties.ReasonString
	}
	return s
}

// ServerReference returns the broker the refusal points to (reason codes
// 0x9C Use another server and 0x9D Server moved), "" when none.
func (e *ConnackError) ServerReference() string {
	if e.Properties == nil {
		return ""
	}
	return e.Properties.ServerReference
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
	// Code is the MQTT 5.0 reason code of the DISCONNECT the client sent
	// before closing; 0 when it sent none or the code was not chosen.
	Code message.ReasonCode
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

// CapabilityError is returned, before anything is sent, for a publish or
// subscription that the broker's CONNACK said it does not accept: a QoS
// above Maximum QoS, a retained message without Retain Available, a
// wildcard, shared or identified subscription the broker does not
// support. It wraps [ErrServerCapability].
type CapabilityError struct {
	Capability string // the CONNACK property, as the standard names it
	Detail     string
}

// Error implements the error interface.
func (e *CapabilityError) Error() string {
	return "onmqtt: not supported by the broker (" + e.Capability + "): " + e.Detail
}

// Unwrap returns [ErrServerCapability].
func (e *CapabilityError) Unwrap() error { return ErrServerCapability }

// PublishError completes the token of a QoS 1 or 2 publish that the
// broker refused with a PUBACK or PUBREC reason code of 0x80 or above
// (the flow ends there, without PUBREL [MQTT-4.4.0-2]). A PUBCOMP
// failure code does not fail the publish: the broker took the message
// at PUBREC; it is on the PUBCOMP event. It wraps [ErrPublishFailed].
type PublishError struct {
	Type       message.Type // PUBACK or PUBREC
	Code       message.ReasonCode
	Reason     string // the Reason String, "" when none
	Properties *message.Properties
}

// Error implements the error interface.
func (e *PublishError) Error() string {
	s := fmt.Sprintf("onmqtt: publish refused: %v %v (0x%02x)", e.Type, e.Code, byte(e.Code))
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Unwrap returns [ErrPublishFailed].
func (e *PublishError) Unwrap() error { return ErrPublishFailed }

// UnsubscribeError is returned by Unsubscribe when the broker's UNSUBACK
// refused one or more filters (reason codes of 0x80 or above).
type UnsubscribeError struct {
	Filters []string             // the refused filters, in request order
	Codes   []message.ReasonCode // every filter's reason code, in request order
}

// Error implements the error interface.
func (e *UnsubscribeError) Error() string {
	return "onmqtt: unsubscribe refused for " + strings.Join(e.Filters, ", ")
}

// Unwrap returns [ErrUnsubscribeFailed].
func (e *UnsubscribeError) Unwrap() error { return ErrUnsubscribeFailed }

// DisconnectError is the connection error when an MQTT 5.0 broker sent
// DISCONNECT: it reaches [Options.OnConnectionLost] and [Client.Err], and
// wraps [ErrServerDisconnect].
type DisconnectError struct {
	Code       message.ReasonCode
	Reason     string              // the Reason String, "" when none
	Properties *message.Properties // nil when the packet had none
}

// Error implements the error interface.
func (e *DisconnectError) Error() string {
	s := fmt.Sprintf("onmqtt: broker sent DISCONNECT: %v (0x%02x)", e.Code.NameIn(message.DISCONNECT), byte(e.Code))
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	if r := e.ServerReference(); r != "" {
		s += " (server reference " + r + ")"
	}
	return s
}

// ServerReference returns the broker the DISCONNECT points to (0x9C Use
// another server, 0x9D Server moved), "" when none.
func (e *DisconnectError) ServerReference() string {
	if e.Properties == nil {
		return ""
	}
	return e.Properties.ServerReference
}

// Unwrap returns [ErrServerDisconnect].
func (e *DisconnectError) Unwrap() error { return ErrServerDisconnect }

// StoreDamage reports what a [FileStore] could not read when it opened
// its log. [OpenFileStore] returns it as its error (matching
// [ErrStoreCorrupt]) when Records is not zero, unless
// [FileStoreOptions].AllowDamage is set; [FileStore.Damage] returns it
// after the store opened.
type StoreDamage struct {
	// Path is the log's path.
	Path string
	// Records counts unreadable records: each damaged record, and each
	// damaged stretch the reader skipped to find the next record, which
	// may have held more than one.
	Records int
	// Bytes counts the bytes of the unreadable records.
	Bytes int64
	// Offsets are the file offsets where the unreadable records start,
	// the first 100 of them.
	Offsets []int64
	// TornBytes counts the bytes of an incomplete record at the end: a
	// write the process did not finish, so one whose success the caller
	// was never told of. The store cuts it off; it is not an error.
	TornBytes int64
	// Kept is where the original file was kept before the store
	// rewrote it without the damage; empty when it was not rewritten.
	Kept string
}

// Error implements the error interface.
func (d *StoreDamage) Error() string {
	msg := fmt.Sprintf("%v: %s: %d unreadable record(s), %d bytes", ErrStoreCorrupt, d.Path, d.Records, d.Bytes)
	if len(d.Offsets) > 0 {
		msg += fmt.Sprintf(", first at offset %d", d.Offsets[0])
	}
	if d.Kept != "" {
		msg += "; original kept as " + d.Kept
	}
	return msg
}

// Unwrap returns [ErrStoreCorrupt].
func (d *StoreDamage) Unwrap() error { return ErrStoreCorrupt }
