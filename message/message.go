package message

// Message is an application message: what a PUBLISH carries. Topic and
// Payload of a Message returned by a [Reader] are freshly allocated and
// belong to the caller.
type Message struct {
	Topic    string
	Payload  []byte
	QoS      QoS
	Retain   bool
	Dup      bool   // set on a re-delivery attempt (QoS 1 and 2)
	PacketID uint16 // 0 at QoS 0
	// Properties are the MQTT 5.0 properties of the message: Payload
	// Format Indicator, Message Expiry Interval, Content Type, Response
	// Topic, Correlation Data, User Properties, and the Topic Alias and
	// Subscription Identifiers of the PUBLISH that carried it. Nil when
	// there are none, and always nil in 3.1 and 3.1.1, so the older
	// protocols pay nothing for them. A Reader allocates them anew for
	// every message: they belong to the caller.
	Properties *Properties
}
