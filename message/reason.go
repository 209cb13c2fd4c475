package message

import "strconv"

// ReasonCode is an MQTT 5.0 reason code: the result of an operation, sent
// in CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK,
// DISCONNECT and AUTH. Values below 0x80 report success, values from 0x80
// report an error.
type ReasonCode byte

// Reason codes of MQTT 5.0, named as in its table of reason codes. Some
// values have a second name for the packet they appear in.
const (
	Success                             ReasonCode = 0x00
	NormalDisconnection                 ReasonCode = 0x00 // in DISCONNECT
	GrantedQoS0                         ReasonCode = 0x00 // in SUBACK
	GrantedQoS1                         ReasonCode = 0x01
	GrantedQoS2                         ReasonCode = 0x02
	DisconnectWithWill                  ReasonCode = 0x04
	NoMatchingSubscribers               ReasonCode = 0x10
	NoSubscriptionExisted               ReasonCode = 0x11
	ContinueAuthentication              ReasonCode = 0x18
	ReAuthenticate                      ReasonCode = 0x19
	UnspecifiedError                    ReasonCode = 0x80
	MalformedPacket                     ReasonCode = 0x81
	ProtocolError                       ReasonCode = 0x82
	ImplementationSpecificError         ReasonCode = 0x83
	UnsupportedProtocolVersion          ReasonCode = 0x84
	ClientIdentifierNotValid            ReasonCode = 0x85
	BadUserNameOrPassword               ReasonCode = 0x86
	NotAuthorized                       ReasonCode = 0x87
	ServerUnavailable                   ReasonCode = 0x88
	ServerBusy                          ReasonCode = 0x89
	Banned                              ReasonCode = 0x8A
	ServerShuttingDown                  ReasonCode = 0x8B
	BadAuthenticationMethod             ReasonCode = 0x8C
	KeepAliveTimeout                    ReasonCode = 0x8D
	SessionTakenOver                    ReasonCode = 0x8E
	TopicFilterInvalid                  ReasonCode = 0x8F
	TopicNameInvalid                    ReasonCode = 0x90
	PacketIdentifierInUse               ReasonCode = 0x91
	PacketIdentifierNotFound            ReasonCode = 0x92
	ReceiveMaximumExceeded              ReasonCode = 0x93
	TopicAliasInvalid                   ReasonCode = 0x94
	PacketTooLarge                      ReasonCode = 0x95
	MessageRateTooHigh                  ReasonCode = 0x96
	QuotaExceeded                       ReasonCode = 0x97
	AdministrativeAction                ReasonCode = 0x98
	PayloadFormatInvalid                ReasonCode = 0x99
	RetainNotSupported                  ReasonCode = 0x9A
	QoSNotSupported                     ReasonCode = 0x9B
	UseAnotherServer                    ReasonCode = 0x9C
	ServerMoved                         ReasonCode = 0x9D
	SharedSubscriptionsNotSupported     ReasonCode = 0x9E
	ConnectionRateExceeded              ReasonCode = 0x9F
	MaximumConnectTime                  ReasonCode = 0xA0
	SubscriptionIdentifiersNotSupported ReasonCode = 0xA1
	WildcardSubscriptionsNotSupported   ReasonCode = 0xA2
)

// reasonInfo is one row of the reason code table: the name and the
// packets that may carry the code, as a bit set indexed by [Type].
type reasonInfo struct {
	name    string
	packets uint16
}

func types(ts ...Type) uint16 {
	var m uint16
	for _, t := range ts {
		m |= 1 << t
	}
	return m
}

// reasons is the table of reason codes of MQTT 5.0 (section 2.4).
var reasons = [256]reasonInfo{
	0x00: {"Success", types(CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, DISCONNECT, AUTH)},
	0x01: {"Granted QoS 1", types(SUBACK)},
	0x02: {"Granted QoS 2", types(SUBACK)},
	0x04: {"Disconnect with Will Message", types(DISCONNECT)},
	0x10: {"No matching subscribers", types(PUBACK, PUBREC)},
	0x11: {"No subscription existed", types(UNSUBACK)},
	0x18: {"Continue authentication", types(AUTH)},
	0x19: {"Re-authenticate", types(AUTH)},
	0x80: {"Unspecified error", types(CONNACK, PUBACK, PUBREC, SUBACK, UNSUBACK, DISCONNECT)},
	0x81: {"Malformed Packet", types(CONNACK, DISCONNECT)},
	0x82: {"Protocol Error", types(CONNACK, DISCONNECT)},
	0x83: {"Implementation specific error", types(CONNACK, PUBACK, PUBREC, SUBACK, UNSUBACK, DISCONNECT)},
	0x84: {"Unsupported Protocol Version", types(CONNACK)},
	0x85: {"Client Identifier not valid", types(CONNACK)},
	0x86: {"Bad User Name or Password", types(CONNACK)},
	0x87: {"Not authorized", types(CONNACK, PUBACK, PUBREC, SUBACK, UNSUBACK, DISCONNECT)},
	0x88: {"Server unavailable", types(CONNACK)},
	0x89: {"Server busy", types(CONNACK, DISCONNECT)},
	0x8A: {"Banned", types(CONNACK)},
	0x8B: {"Server shutting down", types(DISCONNECT)},
	0x8C: {"Bad authentication method", types(CONNACK, DISCONNECT)},
	0x8D: {"Keep Alive timeout", types(DISCONNECT)},
	0x8E: {"Session taken over", types(DISCONNECT)},
	0x8F: {"Topic Filter invalid", types(SUBACK, UNSUBACK, DISCONNECT)},
	0x90: {"Topic Name invalid", types(CONNACK, PUBACK, PUBREC, DISCONNECT)},
	0x91: {"Packet Identifier in use", types(PUBACK, PUBREC, SUBACK, UNSUBACK)},
	0x92: {"Packet Identifier not found", types(PUBREL, PUBCOMP)},
	0x93: {"Receive Maximum exceeded", types(DISCONNECT)},
	0x94: {"Topic Alias invalid", types(DISCONNECT)},
	0x95: {"Packet too large", types(CONNACK, DISCONNECT)},
	0x96: {"Message rate too high", types(DISCONNECT)},
	0x97: {"Quota exceeded", types(CONNACK, PUBACK, PUBREC, SUBACK, DISCONNECT)},
	0x98: {"Administrative action", types(DISCONNECT)},
	0x99: {"Payload format invalid", types(CONNACK, PUBACK, PUBREC, DISCONNECT)},
	0x9A: {"Retain not supported", types(CONNACK, DISCONNECT)},
	0x9B: {"QoS not supported", types(CONNACK, DISCONNECT)},
	0x9C: {"Use another server", types(CONNACK, DISCONNECT)},
	0x9D: {"Server moved", types(CONNACK, DISCONNECT)},
	0x9E: {"Shared Subscriptions not supported", types(SUBACK, DISCONNECT)},
	0x9F: {"Connection rate exceeded", types(CONNACK, DISCONNECT)},
	0xA0: {"Maximum connect time", types(DISCONNECT)},
	0xA1: {"Subscription Identifiers not supported", types(SUBACK, DISCONNECT)},
	0xA2: {"Wildcard Subscriptions not supported", types(SUBACK, DISCONNECT)},
}

// String returns the code's name as the standard writes it, such as
// "Quota exceeded", or "ReasonCode(0xNN)" for a value it does not define.
// 0x00 is "Success" (the standard also calls it "Normal disconnection" in
// DISCONNECT and "Granted QoS 0" in SUBACK; see [ReasonCode.NameIn]).
func (c ReasonCode) String() string {
	if r := reasons[c]; r.name != "" {
		return r.name
	}
	return "ReasonCode(0x" + strconv.FormatUint(uint64(c)|0x100, 16)[1:] + ")"
}

// NameIn returns the name of c in packets of type t: the same as String
// but for 0x00 in DISCONNECT and SUBACK.
func (c ReasonCode) NameIn(t Type) string {
	if c == 0 {
		switch t {
		case DISCONNECT:
			return "Normal disconnection"
		case SUBACK:
			return "Granted QoS 0"
		}
	}
	return c.String()
}

// IsError reports whether c reports a failure: a value of 0x80 or more.
func (c ReasonCode) IsError() bool { return c >= 0x80 }

// ValidFor reports whether a packet of type t may carry c
// [MQTT-3.2.2-8] [MQTT-3.4.2-1] [MQTT-3.5.2-1] [MQTT-3.6.2-1]
// [MQTT-3.7.2-1] [MQTT-3.9.3-1] [MQTT-3.11.3-1] [MQTT-3.14.2-1]
// [MQTT-3.15.2-1].
func (c ReasonCode) ValidFor(t Type) bool { return t < 16 && reasons[c].packets&(1<<t) != 0 }

// checkReason returns the error for a reason code not valid for t, for a
// received packet (d not nil) or for one being sent.
func checkReason(d *body, t Type, c ReasonCode) error {
	if c.ValidFor(t) {
		return nil
	}
	if d != nil {
		d.fail(ErrReasonCode, "%v in %v", c, t)
		return d.err
	}
	return invalidType(t, ErrReasonCode, "%v in %v", c, t)
}
