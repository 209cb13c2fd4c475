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
}
