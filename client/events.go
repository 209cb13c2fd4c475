package client

import (
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
)

// inbound is one event waiting for dispatch, with what must happen after
// its handler ran.
type inbound struct {
	ev router.Event
	// Storage for ev.Packet and ev.Message: the reader reuses its packet
	// values, so each event keeps a copy of its own.
	pub      message.Publish
	puback   message.Puback
	pubrec   message.Pubrec
	pubrel   message.Pubrel
	pubcomp  message.Pubcomp
	suback   message.Suback
	unsuback message.Unsuback
	pingresp message.Pingresp
	connack  message.Connack
	// retire is the completed flow whose id is freed after dispatch.
	retire *pending
	// ack, when non-zero, is sent on conn once the handler returned:
	// PUBACK for a QoS 1 PUBLISH, PUBCOMP for a PUBREL.
	ack  message.Type
	id   uint16
	conn *conn
	qos0 bool
	// flow is the inbound QoS 2 flow of a PUBLISH or PUBREL event;
	// deliver is set when the event delivers its message.
	flow    flowRef
	deliver bool
	// slot is the class of the queue slot the event holds (see
	// eventQueue); skip marks a QoS 0 message dropped while queued.
	slot slotClass
	skip bool
	// order is the event's place among the acknowledgements when they
	// take the ordered path (see prepareAck), set before a worker runs it.
	order *ackEntry
}
