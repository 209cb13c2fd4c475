package router

import (
	"unsafe"

	"github.com/onmqtt/onmqtt/message"
)

// Event is one inbound packet as the router sees it.
//
// An Event is valid only while the handler it is passed to runs: the
// client reuses Event values, and the Message values they point to. The
// strings, slices and properties they point to (the Message's Topic,
// Payload and Properties, ReturnCodes, ReasonCodes, Properties) are the
// handler's to keep, as is a value [Decode] returns: to keep a message,
// copy the Message struct, as [Router.ExpectReply] does.
//
// An Event remembers its payload as decoded (see [Decode]), until its
// Message, or that message's Payload, is replaced.
type Event struct {
	// Type is the packet type.
	Type message.Type
	// Packet is the decoded packet.
	Packet message.Packet
	// ID is the packet identifier, 0 for types that carry none and for a
	// QoS 0 PUBLISH.
	ID uint16
	// Message is the delivered application message. It is set on exactly
	// one event per delivered message: the PUBLISH event, or the PUBREL
	// event of a QoS 2 flow when the client delivers on PUBREL. It is nil
	// on every other event.
	Message *message.Message
	// Sent is the outbound message a PUBACK, PUBREC or PUBCOMP refers to,
	// when the client still knows it; nil otherwise.
	Sent *message.Message
	// SessionPresent and ConnackCode are set on CONNACK events.
	SessionPresent bool
	ConnackCode    message.ConnackCode
	// ReturnCodes are the SUBACK return codes, one per requested filter;
	// in MQTT 5.0 they hold the reason codes (see [Event.FilterCodes]).
	ReturnCodes []message.SubackCode

	// ReasonCode is the MQTT 5.0 reason code of a PUBACK, PUBREC, PUBREL,
	// PUBCOMP, DISCONNECT, AUTH or CONNACK event; 0 (Success) otherwise
	// and before 5.0. On a CONNACK event left at 0 with a ConnackCode
	// that is not, [ReasonCode] and [Failed] read the ConnackCode
	// instead, a 3.1.1 refusal as the 5.0 code of the same meaning
	// (0x05 Not authorized as 0x87).
	ReasonCode message.ReasonCode
	// ReasonCodes are the UNSUBACK reason codes of MQTT 5.0, one per
	// filter; nil before 5.0. SUBACK's are in ReturnCodes.
	ReasonCodes []message.ReasonCode
	// Properties are the MQTT 5.0 properties of the packet: on a PUBLISH
	// event the Message's, on the others the packet's own (Reason String,
	// User Properties, Server Reference, Authentication Method and Data,
	// ...). Nil when the packet has none, and always before 5.0, where
	// the field costs nothing but its nil. They are the handler's to keep.
	Properties *message.Properties

	// Ack acknowledges the delivered message, for a client that leaves
	// acknowledgement to the application (the client package's
	// WithManualAck): the client sets it on every event carrying a
	// Message, and the acknowledgement (PUBACK, or PUBCOMP for QoS 2)
	// is sent once Ack was called, a PUBACK after those of the messages
	// that arrived before it. Ack may be called from any goroutine, after the
	// handler returned, any number of times: only the first call counts.
	// Keep the func value, not the Event, which is reused. Nil when the
	// client acknowledges by itself.
	Ack func()

	// decoded holds the payload as the last two codecs decoded it, for
	// Decode; a new Event value starts without.
	decoded [2]decoded
}

// Topic returns the topic the event is about: the delivered Message's, or
// the Sent message's on an acknowledgement; "" when there is neither.
func (e *Event) Topic() (string, bool) {
	if e.Message != nil {
		return e.Message.Topic, true
	}
	if e.Sent != nil {
		return e.Sent.Topic, true
	}
	return "", false
}

// ReasonString returns the Reason String property of the packet, ""
// when it has none.
func (e *Event) ReasonString() string {
	if e.Properties == nil {
		return ""
	}
	return e.Properties.ReasonString
}

// FilterCodes returns the reason codes of a SUBACK or UNSUBACK event,
// one per filter (a 3.1.1 SUBACK's return codes are the same values:
// 0, 1 and 2 grant a QoS, 0x80 is a failure); nil for other events. For
// a SUBACK it is ReturnCodes seen as reason codes, without a copy.
func (e *Event) FilterCodes() []message.ReasonCode {
	switch e.Type {
	case message.SUBACK:
		if len(e.ReturnCodes) == 0 {
			return nil
		}
		return unsafe.Slice((*message.ReasonCode)(unsafe.Pointer(unsafe.SliceData(e.ReturnCodes))), len(e.ReturnCodes))
	case message.UNSUBACK:
		return e.ReasonCodes
	}
	return nil
}

// code returns the reason code of an event of a type that carries one
// (the acknowledgements of publishes, DISCONNECT, AUTH and CONNACK).
func (e *Event) code() (message.ReasonCode, bool) {
	switch e.Type {
	case message.PUBACK, message.PUBREC, message.PUBREL, message.PUBCOMP, message.DISCONNECT, message.AUTH:
		return e.ReasonCode, true
	case message.CONNACK:
		if e.ReasonCode != 0 || e.ConnackCode == 0 {
			return e.ReasonCode, true
		}
		return connackReason(e.ConnackCode), true
	}
	return 0, false
}

// connackReason returns the 5.0 reason code of the CONNACK code c: the
// code itself at 5.0, the code of the same meaning for the refusals of
// 3.1 and 3.1.1.
func connackReason(c message.ConnackCode) message.ReasonCode {
	switch c {
	case message.RefusedProtocolVersion:
		return message.UnsupportedProtocolVersion
	case message.RefusedIdentifierRejected:
		return message.ClientIdentifierNotValid
	case message.RefusedServerUnavailable:
		return message.ServerUnavailable
	case message.RefusedBadUsernamePassword:
		return message.BadUserNameOrPassword
	case message.RefusedNotAuthorized:
		return message.NotAuthorized
	}
	return c.Reason()
}

// Handler handles one event. It runs on the client's dispatch goroutine
// (or the goroutine that called the client's single-step method), never on
// the goroutine that reads the socket, so it may block, publish and wait.
type Handler func(e *Event)
