package router

import "github.com/onmqtt/onmqtt/message"

// Event is one inbound packet as the router sees it.
//
// An Event is valid only while the handler it is passed to runs: the
// client reuses Event values. The strings and slices it points to (the
// Message's Topic and Payload, ReturnCodes) are the handler's to keep, as
// is a value [Decode] returns.
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
	// ReturnCodes are the SUBACK return codes, one per requested filter.
	ReturnCodes []message.SubackCode

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

// Handler handles one event. It runs on the client's dispatch goroutine
// (or the goroutine that called the client's single-step method), never on
// the goroutine that reads the socket, so it may block, publish and wait.
type Handler func(e *Event)
