package message

import "strconv"

// Type is the MQTT control packet type carried in the high nibble of the
// first byte of every packet.
type Type byte

// Control packet types, numbered as on the wire.
const (
	CONNECT     Type = 1  // client request to connect
	CONNACK     Type = 2  // connect acknowledgement
	PUBLISH     Type = 3  // application message
	PUBACK      Type = 4  // QoS 1 publish acknowledgement
	PUBREC      Type = 5  // QoS 2 publish received (part 1)
	PUBREL      Type = 6  // QoS 2 publish release (part 2)
	PUBCOMP     Type = 7  // QoS 2 publish complete (part 3)
	SUBSCRIBE   Type = 8  // subscribe request
	SUBACK      Type = 9  // subscribe acknowledgement
	UNSUBSCRIBE Type = 10 // unsubscribe request
	UNSUBACK    Type = 11 // unsubscribe acknowledgement
	PINGREQ     Type = 12 // ping request
	PINGRESP    Type = 13 // ping response
	DISCONNECT  Type = 14 // client is disconnecting
	AUTH        Type = 15 // authentication exchange (MQTT 5.0 only)
)

var typeNames = [16]string{
	CONNECT:     "CONNECT",
	CONNACK:     "CONNACK",
	PUBLISH:     "PUBLISH",
	PUBACK:      "PUBACK",
	PUBREC:      "PUBREC",
	PUBREL:      "PUBREL",
	PUBCOMP:     "PUBCOMP",
	SUBSCRIBE:   "SUBSCRIBE",
	SUBACK:      "SUBACK",
	UNSUBSCRIBE: "UNSUBSCRIBE",
	UNSUBACK:    "UNSUBACK",
	PINGREQ:     "PINGREQ",
	PINGRESP:    "PINGRESP",
	DISCONNECT:  "DISCONNECT",
	AUTH:        "AUTH",
}

// String returns the packet type's name as the specification writes it, or
// "Type(n)" for a value that names no packet type.
func (t Type) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// Valid reports whether t is a control packet type of MQTT 3.1 or 3.1.1.
// [Type.ValidIn] also knows AUTH, which exists only in 5.0.
func (t Type) Valid() bool { return t >= CONNECT && t <= DISCONNECT }

// ValidIn reports whether t is a control packet type of protocol version
// v: CONNECT to DISCONNECT in every version, AUTH in 5.0 only.
func (t Type) ValidIn(v Version) bool { return t.Valid() || t == AUTH && v == V5 }

// HasPacketID reports whether packets of type t always carry a packet
// identifier. PUBLISH carries one only at QoS 1 and 2.
func (t Type) HasPacketID() bool {
	switch t {
	case PUBACK, PUBREC, PUBREL, PUBCOMP, SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK:
		return true
	}
	return false
}

// QoS is an MQTT quality of service level.
type QoS byte

// Quality of service levels.
const (
	QoS0 QoS = 0 // at most once
	QoS1 QoS = 1 // at least once
	QoS2 QoS = 2 // exactly once
)

// String returns "QoS0", "QoS1", "QoS2", or "QoS(n)" for an invalid level.
func (q QoS) String() string {
	if q <= QoS2 {
		return "QoS" + strconv.Itoa(int(q))
	}
	return "QoS(" + strconv.Itoa(int(q)) + ")"
}

// Valid reports whether q is 0, 1 or 2.
func (q QoS) Valid() bool { return q <= QoS2 }

// Version is the MQTT protocol level sent in CONNECT.
type Version byte

// Protocol levels.
const (
	V31  Version = 3 // MQTT 3.1, protocol name "MQIsdp"
	V311 Version = 4 // MQTT 3.1.1, protocol name "MQTT"
	V5   Version = 5 // MQTT 5.0, protocol name "MQTT"
)

// String returns "3.1", "3.1.1", "5.0" or "Version(n)".
func (v Version) String() string {
	switch v {
	case V31:
		return "3.1"
	case V311:
		return "3.1.1"
	case V5:
		return "5.0"
	}
	return "Version(" + strconv.Itoa(int(v)) + ")"
}

// ProtocolName returns the protocol name that CONNECT carries for v:
// "MQIsdp" for 3.1 and "MQTT" from 3.1.1 on.
func (v Version) ProtocolName() string {
	if v == V31 {
		return "MQIsdp"
	}
	return "MQTT"
}

// supported reports whether the codec implements v.
func (v Version) supported() bool { return v == V31 || v == V311 || v == V5 }
